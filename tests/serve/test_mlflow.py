"""POST /invocations and the other MLflow scoring-server endpoints, with MLflow's error shape."""

import json
import sys

import pytest

from .conftest import KINDS, examples, local_predict


def _split(rows):
    columns = list(rows[0])
    return {"columns": columns, "data": [[r[c] for c in columns] for r in rows]}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["dataframe_records", "instances", "inputs"])
def test_each_json_format_predicts_as_the_model_does_in_process(clients, artifacts, kind, fmt):
    rows = examples(artifacts[kind])
    response = clients[kind].post("/invocations", json={fmt: rows})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"predictions": local_predict(artifacts[kind], rows)}


def test_dataframe_split_matches_columns_by_name_and_keeps_the_index_out(clients, artifacts):
    rows = examples(artifacts["churn"])
    body = _split(rows)
    body["columns"].reverse()
    body["data"] = [list(reversed(r)) for r in body["data"]]
    body["index"] = [7, 8, 9]
    response = clients["churn"].post("/invocations", json={"dataframe_split": body})
    assert response.get_json() == {"predictions": local_predict(artifacts["churn"], rows)}


def test_inputs_as_a_dict_of_columns(clients, artifacts):
    rows = examples(artifacts["regressor"])
    columns = {c: [r[c] for r in rows] for c in rows[0]}
    response = clients["regressor"].post("/invocations", json={"inputs": columns})
    assert response.get_json() == {"predictions": local_predict(artifacts["regressor"], rows)}


def test_csv_gives_the_same_answer_as_json(clients, artifacts):
    rows = examples(artifacts["regressor"])
    text = "age,bmi\n" + "\n".join(f"{r['age']},{r['bmi']}" for r in rows)
    response = clients["regressor"].post("/invocations", data=text, content_type="text/csv; charset=utf-8")
    assert response.get_json() == {"predictions": local_predict(artifacts["regressor"], rows)}


def test_params_predict_method_predict_proba_answers_probabilities(clients, artifacts):
    rows = examples(artifacts["array"])
    response = clients["array"].post("/invocations", json={"inputs": rows, "params": {"predict_method": "predict_proba"}})
    assert response.get_json()["predictions"] == local_predict(artifacts["array"], rows, proba=True)


def test_nan_written_by_python_json_is_read_as_missing(clients, artifacts):
    row = dict(examples(artifacts["churn"])[0], charges=float("nan"))
    response = clients["churn"].post("/invocations", data=json.dumps({"dataframe_records": [row]}),
                                     content_type="application/json")
    assert response.status_code == 200, response.get_json()


def test_ping_health_and_version(clients):
    client = clients["churn"]
    assert client.get("/ping").status_code == 200 and client.get("/health").status_code == 200
    version = client.get("/version")
    assert version.status_code == 200 and version.get_data(as_text=True) == "0.1.0"


#: (id, body, content type, status, words in the message); schema mismatches (a missing column, an empty
#: batch, CSV without its header) are INVALID_PARAMETER_VALUE as in MLflow's scoring server, the rest BAD_REQUEST.
SCHEMA_ERRORS = {"missing-column", "empty-batch", "csv-without-header", "csv-header-only"}
BAD = [
    ("malformed-json", b"{", "application/json", 400, "not valid JSON"),
    ("not-an-object", b"[1, 2]", "application/json", 400, "must be a JSON object"),
    ("no-format-key", b'{"rows": []}', "application/json", 400, "exactly one of"),
    ("two-format-keys", b'{"instances": [], "inputs": []}', "application/json", 400, "exactly one of"),
    ("split-given-records", b'{"dataframe_split": [{"age": 1}]}', "application/json", 400, "orient='split'"),
    ("records-given-split", b'{"dataframe_records": {"columns": ["age"], "data": [[1]]}}', "application/json", 400,
     "orient='records'"),
    ("wrong-column-count", b'{"dataframe_split": {"columns": ["age", "bmi"], "data": [[1]]}}', "application/json",
     400, "expected a list of 2 values"),
    ("column-not-a-string", b'{"dataframe_split": {"columns": [["age"], "bmi"], "data": [[1, 2]]}}',
     "application/json", 400, "column names must be strings"),  # found by make fuzz: was a 500
    ("missing-column", b'{"dataframe_records": [{"age": 40}]}', "application/json", 400,
     "missing column in row 0: 'bmi' (number)"),
    ("uncastable", b'{"dataframe_records": [{"age": "old", "bmi": 1}]}', "application/json", 400, "expected a number"),
    ("empty-batch", b'{"inputs": []}', "application/json", 400, "empty"),
    ("empty-csv", b"", "text/csv", 400, "empty"),
    ("csv-without-header", b"40,22.5\n", "text/csv", 400, "has no header row"),
    ("csv-header-only", b"age,bmi\n", "text/csv", 400, "a header row but no rows"),
    ("bad-params", b'{"inputs": [[1, 2]], "params": 3}', "application/json", 400, "'params' must be an object"),
    ("regressor-proba", b'{"inputs": [{"age": 1, "bmi": 2}], "params": {"predict_method": "predict_proba"}}',
     "application/json", 400, "no predict_proba"),
    ("unknown-content-type", b"x", "application/octet-stream", 415, "unsupported content type"),
    ("unknown-parameter", b"{}", "application/json; format=pandas-split", 415, "unrecognized content type parameter"),
]


@pytest.mark.parametrize("body, content_type, status, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_requests_get_mlflows_error_shape(clients, body, content_type, status, words, request):
    response = clients["regressor"].post("/invocations", data=body, content_type=content_type)
    assert response.status_code == status
    error = response.get_json()
    expected_code = "INVALID_PARAMETER_VALUE" if request.node.callspec.id in SCHEMA_ERRORS else "BAD_REQUEST"
    assert set(error) == {"error_code", "message"} and error["error_code"] == expected_code
    assert words in error["message"]


def test_parquet_without_a_reader_in_the_serving_environment_is_a_415_saying_what_to_add(clients, monkeypatch):
    import io

    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame([{"age": 40, "bmi": 22.5}]).to_parquet(buffer)
    for reader in ("pyarrow", "fastparquet"):  # as in an environment that has neither
        monkeypatch.setitem(sys.modules, reader, None)
    response = clients["regressor"].post("/invocations", data=buffer.getvalue(),
                                         content_type="application/vnd.apache.parquet")
    assert response.status_code == 415
    assert "neither pyarrow nor fastparquet" in response.get_json()["message"]
    assert "add pyarrow to the notebook's requirements" in response.get_json()["message"]


def test_a_body_that_is_not_parquet_is_a_400(clients):
    response = clients["regressor"].post("/invocations", data=b"age,bmi\n1,2\n",
                                         content_type="application/vnd.apache.parquet")
    assert response.status_code == 400 and "not a Parquet DataFrame" in response.get_json()["message"]
