"""Conformance with the peers: requests shaped as MLflow's scoring server, KServe (V1 and V2) and
MLServer document them, replayed against the real server, each with the answer the peer gives.

The cases are ours, written to the shapes of the peers' documentation (MLflow's scoring server
REST API, KServe's V1 data plane table and the Open Inference Protocol, MLServer's pandas codec and
model repository API). The expected answers follow the same documents and, for MLflow's status
and error codes, its scoring server's code (``mlflow.pyfunc.scoring_server``, a test dependency):
the model's own predictions in the peer's response shape, or the peer's status and error code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable

import pytest
import requests

from .conftest import examples, local_predict

ROWS = [{"tenure": 61, "charges": 106.07, "contract": "monthly", "zip": "94105", "paperless": False},
        {"tenure": 3, "charges": 80.5, "contract": "two-year", "zip": "10001", "paperless": True}]
COLUMNS = list(ROWS[0])
TYPES = {"tenure": "INT64", "charges": "FP64", "contract": "BYTES", "zip": "BYTES", "paperless": "BOOL"}


def _csv(rows, header: bool = True) -> str:
    lines = [",".join(COLUMNS)] if header else []
    lines += [",".join(str(r[c]).lower() if isinstance(r[c], bool) else str(r[c]) for c in COLUMNS) for r in rows]
    return "\n".join(lines) + "\n"


def _parquet(rows) -> bytes:
    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame(rows).to_parquet(buffer)
    return buffer.getvalue()


def _tensors(rows):
    return [{"name": c, "shape": [len(rows)], "datatype": TYPES[c], "data": [r[c] for r in rows]} for c in COLUMNS]


@dataclass
class Case:
    """One peer request: ``kind`` names the served model, ``expect`` checks the JSON answer against
    the model's predictions (``predicted``) when the status is 200."""

    id: str
    method: str
    path: str
    status: int
    kind: str = "churn"
    json: object = None
    data: bytes | str | None = None
    headers: dict = field(default_factory=dict)
    expect: Callable | None = None
    error_code: str | None = None  # MLflow's error_code for an error answer


PREDICTIONS = lambda body, predicted: body == {"predictions": predicted}  # noqa: E731
V2_DEFAULT = lambda body, predicted: [o["name"] for o in body["outputs"]] == ["predict"] and \
    body["outputs"][0]["data"] == predicted  # noqa: E731

MLFLOW = [
    Case("dataframe_split", "POST", "/invocations", 200,
         json={"dataframe_split": {"columns": COLUMNS, "data": [[r[c] for c in COLUMNS] for r in ROWS]}},
         expect=PREDICTIONS),
    Case("dataframe_split-with-index", "POST", "/invocations", 200,
         json={"dataframe_split": {"index": [7, 8], "columns": COLUMNS, "data": [[r[c] for c in COLUMNS] for r in ROWS]}},
         expect=PREDICTIONS),
    Case("dataframe_records", "POST", "/invocations", 200, json={"dataframe_records": ROWS}, expect=PREDICTIONS),
    Case("instances-records", "POST", "/invocations", 200, json={"instances": ROWS}, expect=PREDICTIONS),
    Case("inputs-columns", "POST", "/invocations", 200, json={"inputs": {c: [r[c] for r in ROWS] for c in COLUMNS}},
         expect=PREDICTIONS),
    Case("csv", "POST", "/invocations", 200, data=_csv(ROWS), headers={"Content-Type": "text/csv"},
         expect=PREDICTIONS),
    Case("csv-charset", "POST", "/invocations", 200, data=_csv(ROWS),
         headers={"Content-Type": "text/csv; charset=utf-8"}, expect=PREDICTIONS),
    Case("parquet", "POST", "/invocations", 200, data=_parquet(ROWS),
         headers={"Content-Type": "application/vnd.apache.parquet"}, expect=PREDICTIONS),
    Case("ping", "GET", "/ping", 200),
    Case("health", "GET", "/health", 200),
    Case("version", "GET", "/version", 200),
    Case("missing-column", "POST", "/invocations", 400, json={"dataframe_records": [{"tenure": 3}]},
         error_code="INVALID_PARAMETER_VALUE"),
    Case("empty-batch", "POST", "/invocations", 400, json={"dataframe_records": []},
         error_code="INVALID_PARAMETER_VALUE"),
    Case("empty-split", "POST", "/invocations", 400, json={"dataframe_split": {"columns": COLUMNS, "data": []}},
         error_code="INVALID_PARAMETER_VALUE"),
    Case("csv-without-header", "POST", "/invocations", 400, data=_csv(ROWS, header=False),
         headers={"Content-Type": "text/csv"}, error_code="INVALID_PARAMETER_VALUE"),
    Case("malformed-json", "POST", "/invocations", 400, data="{", headers={"Content-Type": "application/json"},
         error_code="BAD_REQUEST"),
    Case("two-format-keys", "POST", "/invocations", 400, json={"instances": ROWS, "inputs": ROWS},
         error_code="BAD_REQUEST"),
    Case("list-body", "POST", "/invocations", 400, json=ROWS, error_code="BAD_REQUEST"),
    Case("unsupported-type", "POST", "/invocations", 415, data="x", headers={"Content-Type": "text/plain"}),
    Case("format-parameter", "POST", "/invocations", 415, json={"dataframe_records": ROWS},
         headers={"Content-Type": "application/json; format=pandas-records"}),
]

KSERVE_V1 = [
    Case("root-alive", "GET", "/", 200, expect=lambda body, _: body == {"status": "alive"}),
    Case("list-models", "GET", "/v1/models", 200, expect=lambda body, _: body == {"models": ["churn"]}),
    Case("model-ready", "GET", "/v1/models/churn", 200, expect=lambda body, _: body == {"name": "churn", "ready": True}),
    Case("predict-records", "POST", "/v1/models/churn:predict", 200, json={"instances": ROWS}, expect=PREDICTIONS),
    Case("predict-columnar", "POST", "/v1/models/churn:predict", 200,
         json={"instances": [{c: [r[c] for r in ROWS] for c in COLUMNS}]}, expect=PREDICTIONS),
    Case("predict-columnar-one-row-each", "POST", "/v1/models/churn:predict", 200,
         json={"instances": [{c: [r[c]] for c in COLUMNS} for r in ROWS]}, expect=PREDICTIONS),
    Case("predict-inputs", "POST", "/v1/models/churn:predict", 200, json={"inputs": ROWS}, expect=PREDICTIONS),
    Case("predict-no-content-type", "POST", "/v1/models/array:predict", 200,
         data='{"instances": [[1.0, 0.1, 0.2, 0.3]]}', kind="array",
         expect=lambda body, _: len(body["predictions"]) == 1),
    Case("unknown-model", "GET", "/v1/models/nope", 404),
    Case("predict-unknown-model", "POST", "/v1/models/nope:predict", 404, json={"instances": ROWS}),
]

V2 = [
    Case("live", "GET", "/v2/health/live", 200, expect=lambda body, _: body == {"live": True}),
    Case("ready", "GET", "/v2/health/ready", 200, expect=lambda body, _: body == {"ready": True}),
    Case("server-metadata", "GET", "/v2", 200,
         expect=lambda body, _: {"name", "version", "extensions"} <= set(body) and "binary_tensor_data" in body["extensions"]),
    Case("list-models", "GET", "/v2/models", 200, expect=lambda body, _: body == {"models": ["churn"]}),
    Case("repository-index", "POST", "/v2/repository/index", 200, json={},
         expect=lambda body, _: [(m["name"], m["state"]) for m in body] == [("churn", "READY")]),
    Case("model-metadata", "GET", "/v2/models/churn", 200,
         expect=lambda body, _: [i["name"] for i in body["inputs"]] == COLUMNS),
    Case("model-ready", "GET", "/v2/models/churn/ready", 200),
    Case("infer-columns", "POST", "/v2/models/churn/infer", 200, json={"inputs": _tensors(ROWS)}, expect=V2_DEFAULT),
    Case("infer-pandas-codec", "POST", "/v2/models/churn/infer", 200,
         json={"parameters": {"content_type": "pd"}, "inputs": _tensors(ROWS)}, expect=V2_DEFAULT),
    Case("infer-empty-outputs", "POST", "/v2/models/churn/infer", 200, json={"inputs": _tensors(ROWS), "outputs": []},
         expect=V2_DEFAULT),
    Case("infer-id-echoed", "POST", "/v2/models/churn/infer", 200, json={"id": "req-42", "inputs": _tensors(ROWS)},
         expect=lambda body, predicted: body["id"] == "req-42" and body["model_name"] == "churn"),
    Case("infer-2d-tensor", "POST", "/v2/models/array/infer", 200, kind="array",
         json={"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [[1.0, 0.1, 0.2, 0.3]]}]},
         expect=lambda body, _: body["outputs"][0]["shape"] == [1]),
    Case("infer-bytes", "POST", "/v2/models/text/infer", 200, kind="text",
         json={"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["win money now", "lunch?"]}]},
         expect=lambda body, _: len(body["outputs"][0]["data"]) == 2),
    Case("infer-unknown-model", "POST", "/v2/models/nope/infer", 404, json={"inputs": _tensors(ROWS)},
         expect=lambda body, _: set(body) == {"error"}),
    Case("infer-bad-shape", "POST", "/v2/models/churn/infer", 400,
         json={"inputs": [{**t, "shape": [3]} for t in _tensors(ROWS)]}, expect=lambda body, _: set(body) == {"error"}),
]


@pytest.fixture(scope="module")
def predicted(artifacts):
    """What the churn model predicts on ROWS, in this process."""
    return local_predict(artifacts["churn"], ROWS)


def _replay(live, predicted, case: Case):
    server = live[case.kind]
    response = requests.request(case.method, server.url + case.path, json=case.json, data=case.data,
                                headers=case.headers)
    assert response.status_code == case.status, response.text[:500]
    if case.error_code is not None:
        assert response.json()["error_code"] == case.error_code, response.json()
    if case.expect is not None:
        assert case.expect(response.json(), predicted if case.kind == "churn" else None), response.json()


@pytest.mark.parametrize("case", MLFLOW, ids=[c.id for c in MLFLOW])
def test_mlflow_scoring_server_cases(live, predicted, case):
    _replay(live, predicted, case)


@pytest.mark.parametrize("case", KSERVE_V1, ids=[c.id for c in KSERVE_V1])
def test_kserve_v1_cases(live, predicted, case):
    _replay(live, predicted, case)


@pytest.mark.parametrize("case", V2, ids=[c.id for c in V2])
def test_open_inference_protocol_cases(live, predicted, case):
    _replay(live, predicted, case)


def test_parquet_missing_values_and_types_read_as_json_would(live, artifacts):
    rows = examples(artifacts["churn"])  # holds None in a number and in a string column
    response = requests.post(live["churn"].url + "/invocations", data=_parquet(rows),
                             headers={"Content-Type": "application/vnd.apache.parquet"})
    assert response.status_code == 200 and response.json()["predictions"] == local_predict(artifacts["churn"], rows)
