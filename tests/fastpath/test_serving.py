"""The service on the fast path answers as on the scikit-learn path, through every protocol, and
says which path serves in /model and /metrics."""

import csv
import io
import math

import pytest

from builder.kernel.harvest import _rows
from builder.kernel.infer_schema import infer_schema
from builder.serve.app import create_app

from .conftest import FITTERS

KINDS = ("churn", "array", "regressor", "forest", "forest_regressor", "text")
V2_TYPES = {"integer": "INT64", "number": "FP64", "string": "BYTES", "boolean": "BOOL"}


@pytest.fixture(scope="module")
def apps(pairs):
    """``apps[kind]`` -> (client on the scikit-learn artifact, client on the fast artifact)."""
    class Apps(dict):
        def __missing__(self, kind):
            plain, fast, _ = pairs[kind]
            self[kind] = (create_app(plain).test_client(), create_app(fast).test_client())
            return self[kind]
    return Apps()


def training_rows(kind: str, n: int = 25) -> list:
    model, data = FITTERS[kind]()
    return _rows(infer_schema(model, {"X_train": data})[1], n)


def requests_for(kind: str, rows: list, metadata: dict) -> list[tuple[str, dict]]:
    """Every protocol's request for ``rows``: ``[(path, {json=... | data=..., content_type=...}), ...]``."""
    name = metadata["name"]
    proba = bool(metadata.get("predict_proba"))
    out = [("/predict", {"json": {"instances": rows}}),
           (f"/v1/models/{name}:predict", {"json": {"instances": rows}}),
           ("/invocations", {"json": {"instances": rows}})]
    if metadata["input_kind"] == "dataframe":
        out.append(("/predict", {"json": rows[0]}))  # one record
        columns = [c["name"] for c in metadata["inputs"]]
        out += [("/invocations", {"json": {"dataframe_split": {"columns": columns,
                                                               "data": [[r[c] for c in columns] for r in rows]}}}),
                ("/invocations", {"json": {"dataframe_records": rows}}),
                ("/invocations", {"data": _csv(columns, rows), "content_type": "text/csv"})]
        inputs = [{"name": c["name"], "shape": [len(rows)], "datatype": V2_TYPES[c["type"]],
                   "data": [r[c["name"]] for r in rows]} for c in metadata["inputs"]]
        v2 = {"inputs": inputs, "parameters": {"content_type": "pd"}}
    elif metadata["input_kind"] == "array":
        v2 = {"inputs": [{"name": "input-0", "shape": [len(rows), len(rows[0])], "datatype": "FP64",
                          "data": [v for r in rows for v in r]}]}
        out.append(("/invocations", {"json": {"inputs": rows, "params": {"predict_method": "predict_proba"}}}))
    else:
        v2 = {"inputs": [{"name": "text", "shape": [len(rows)], "datatype": "BYTES", "data": rows}]}
    if proba:
        v2["outputs"] = [{"name": "predict"}, {"name": "predict_proba"}]
    out.append((f"/v2/models/{name}/infer", {"json": v2}))
    return out


def _csv(columns, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if r[c] is None else r[c] for c in columns] for r in rows])
    return buffer.getvalue()


def same(a, b, path="$") -> None:
    """Equal JSON, numbers within the fast path's tolerance; labels (strings, ints) identical."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), f"{path}: {a!r} vs {b!r}"
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6), f"{path}: {a!r} vs {b!r}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{path}: {a!r} vs {b!r}"
        for key in a:
            same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    else:
        assert a == b and type(a) is type(b), f"{path}: {a!r} vs {b!r}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_protocol_answers_the_same_on_the_fast_path_as_with_scikit_learn(apps, pairs, kind):
    plain, fast = apps[kind]
    if kind != "text":
        assert fast.get("/model").get_json()["inference"]["path"] == "onnx"
    metadata = plain.get("/model").get_json()
    for path, kwargs in requests_for(kind, training_rows(kind), metadata):
        want, got = plain.post(path, **kwargs), fast.post(path, **kwargs)
        assert want.status_code == 200, (path, want.get_json())
        assert got.status_code == 200, (path, got.get_json())
        body, expected = got.get_json(), want.get_json()
        body.pop("id", None)
        expected.pop("id", None)
        same(body, expected, path)


def test_unseen_categories_and_missing_values_answer_the_same_on_both_paths(apps):
    plain, fast = apps["churn"]
    rows = [{"tenure": 3, "charges": None, "contract": None, "zip": "00000", "paperless": True},
            {"tenure": 99, "charges": -5.0, "contract": "weekly", "zip": None, "paperless": False}]
    same(fast.post("/predict", json=rows).get_json(), plain.post("/predict", json=rows).get_json())


def test_model_and_metrics_say_which_path_serves(apps, pairs):
    plain, fast = apps["churn"]
    info = fast.get("/model").get_json()["inference"]
    assert info["path"] == "onnx" and info["file"] == "model.onnx" and info["max_abs_diff"] <= 1e-6
    assert 'nb2service_inference_path_info{path="onnx"} 1.0' in fast.get("/metrics").get_data(as_text=True)
    assert 'nb2service_inference_path_info{path="sklearn"} 1.0' in plain.get("/metrics").get_data(as_text=True)


def test_drift_and_class_counters_move_on_the_fast_path(pairs):
    client = create_app(pairs["churn"][1]).test_client()
    row = {"tenure": 500, "charges": 40.0, "contract": "weekly", "zip": "10001", "paperless": True}
    assert client.post("/predict", json=[row, row]).status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert 'nb2service_drift_rows_total{feature="tenure",signal="out_of_range"} 2.0' in text
    assert 'nb2service_drift_rows_total{feature="contract",signal="unseen_category"} 2.0' in text
    assert "nb2service_prediction_rows_total 2.0" in text


def test_bad_input_is_still_a_400_naming_the_field_on_the_fast_path(apps):
    _, fast = apps["churn"]
    response = fast.post("/predict", json=[{"tenure": "many", "charges": 1.0, "contract": "monthly", "zip": "1",
                                            "paperless": True}])
    assert response.status_code == 400 and "tenure" in response.get_json()["error"]


@pytest.mark.parametrize("kind", ["churn", "regressor", "forest_regressor"])
def test_a_missing_value_in_a_column_trained_without_any_answers_the_same_on_both_paths(apps, kind):
    plain, fast = apps[kind]
    row = training_rows(kind, 1)[0]
    column = next(c["name"] for c in plain.get("/model").get_json()["inputs"] if not c["nullable"])
    row[column] = None
    want, got = plain.post("/predict", json=[row]), fast.post("/predict", json=[row])
    assert got.status_code == want.status_code
    same(got.get_json(), want.get_json())
