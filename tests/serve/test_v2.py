"""The Open Inference Protocol (KServe V2) endpoints, checked against the spec's own OpenAPI file."""

from pathlib import Path

import pytest
import yaml

from .conftest import examples, local_predict

SPEC = Path(__file__).resolve().parents[1] / "reference" / "open_inference_rest.yaml"


@pytest.fixture(scope="module")
def validate():
    """``validate(body, "inference_response")``: jsonschema validation against the spec's components."""
    import jsonschema

    spec = yaml.safe_load(SPEC.read_text())

    def check(body, component):
        schema = {"$ref": f"#/components/schemas/{component}", "components": spec["components"]}
        jsonschema.validate(body, schema)
    return check


def _columns_request(rows, datatypes):
    return {"inputs": [{"name": c, "shape": [len(rows)], "datatype": datatypes[c], "data": [r[c] for r in rows]}
                       for c in rows[0]], "parameters": {"content_type": "pd"}}


CHURN_TYPES = {"tenure": "INT64", "charges": "FP64", "contract": "BYTES", "zip": "BYTES", "paperless": "BOOL"}
FILLED = {"charges": 50.0, "contract": "monthly"}


def _complete(rows):
    """The spec's tensor data has no null: fill the examples' missing values."""
    return [{k: FILLED.get(k) if v is None else v for k, v in row.items()} for row in rows]


def test_tabular_models_take_one_input_per_column_and_answer_like_the_model(clients, artifacts, validate):
    rows = _complete(examples(artifacts["churn"]))
    request = _columns_request(rows, CHURN_TYPES)
    validate(request, "inference_request")
    response = clients["churn"].post("/v2/models/churn/infer", json=request)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    validate(body, "inference_response")
    assert body["model_name"] == "churn" and body["outputs"][0]["name"] == "predict"
    assert body["outputs"][0]["data"] == local_predict(artifacts["churn"], rows)
    assert body["outputs"][0]["datatype"] == "BYTES" and body["outputs"][0]["shape"] == [len(rows)]


def test_predict_proba_is_returned_when_asked_for_in_outputs(clients, artifacts, validate):
    rows = _complete(examples(artifacts["churn"]))
    request = {**_columns_request(rows, CHURN_TYPES), "outputs": [{"name": "predict"}, {"name": "predict_proba"}],
               "id": "req-1"}
    body = clients["churn"].post("/v2/models/churn/infer", json=request).get_json()
    validate(body, "inference_response")
    proba = body["outputs"][1]
    assert body["id"] == "req-1" and proba["shape"] == [len(rows), 2] and proba["datatype"] == "FP64"
    expected = local_predict(artifacts["churn"], rows, proba=True)
    assert proba["data"] == pytest.approx([p for row in expected for p in row])


def test_null_in_tensor_data_is_read_as_a_missing_value(clients, artifacts):
    rows = examples(artifacts["churn"])
    assert any(v is None for row in rows for v in row.values())
    body = clients["churn"].post("/v2/models/churn/infer", json=_columns_request(rows, CHURN_TYPES)).get_json()
    assert body["outputs"][0]["data"] == local_predict(artifacts["churn"], rows)


def test_array_models_take_one_2d_tensor(clients, artifacts, validate):
    rows = examples(artifacts["array"])
    request = {"inputs": [{"name": "input-0", "shape": [len(rows), 4], "datatype": "FP32",
                           "data": [v for r in rows for v in r]}]}
    body = clients["array"].post("/v2/models/array/versions/" + _version(clients["array"]) + "/infer", json=request)
    body = body.get_json()
    validate(body, "inference_response")
    assert body["outputs"][0]["data"] == local_predict(artifacts["array"], rows)
    assert body["outputs"][0]["datatype"] == "INT64"


def test_nested_data_is_accepted_row_major(clients, artifacts):
    rows = examples(artifacts["array"])
    request = {"inputs": [{"name": "x", "shape": [len(rows), 4], "datatype": "FP64", "data": rows}]}
    body = clients["array"].post("/v2/models/array/infer", json=request).get_json()
    assert body["outputs"][0]["data"] == local_predict(artifacts["array"], rows)


def test_text_models_take_one_bytes_input(clients, artifacts, validate):
    rows = examples(artifacts["text"])
    request = {"inputs": [{"name": "text", "shape": [len(rows)], "datatype": "BYTES", "data": rows}]}
    body = clients["text"].post("/v2/models/text/infer", json=request).get_json()
    validate(body, "inference_response")
    assert body["outputs"][0]["data"] == local_predict(artifacts["text"], rows)


def test_regression_outputs_are_fp64(clients, artifacts):
    rows = examples(artifacts["regressor"])
    body = clients["regressor"].post("/v2/models/regressor/infer",
                                     json=_columns_request(rows, {"age": "INT64", "bmi": "FP64"})).get_json()
    assert body["outputs"][0]["datatype"] == "FP64"
    assert body["outputs"][0]["data"] == pytest.approx(local_predict(artifacts["regressor"], rows))


def _version(client):
    return client.application.extensions["nb2service"].runtime.version


def test_health_server_and_model_metadata_follow_the_spec(clients, validate):
    client = clients["churn"]
    assert client.get("/v2/health/live").status_code == 200
    assert client.get("/v2/health/ready").status_code == 200
    validate(client.get("/v2").get_json(), "metadata_server_response")
    meta = client.get("/v2/models/churn").get_json()
    validate(meta, "metadata_model_response")
    assert [(i["name"], i["datatype"]) for i in meta["inputs"]] == list(CHURN_TYPES.items())
    assert [o["name"] for o in meta["outputs"]] == ["predict", "predict_proba"]
    assert client.get(f"/v2/models/churn/versions/{_version(client)}").status_code == 200
    assert client.get("/v2/models/churn/ready").status_code == 200
    assert client.get(f"/v2/models/churn/versions/{_version(client)}/ready").status_code == 200


@pytest.mark.parametrize("path", ["/v2/models/other", "/v2/models/other/ready", "/v2/models/churn/versions/9/ready"])
def test_unknown_models_and_versions_are_404_with_the_spec_error_shape(clients, validate, path):
    response = clients["churn"].get(path)
    assert response.status_code == 404
    validate(response.get_json(), "metadata_model_error_response")
    assert "not found" in response.get_json()["error"]


def test_infer_on_an_unknown_model_is_404(clients):
    response = clients["churn"].post("/v2/models/other/infer", json={"inputs": []})
    assert response.status_code == 404 and set(response.get_json()) == {"error"}


BAD = [
    ("no-inputs", {"id": "1"}, "'inputs' must be a non-empty list"),
    ("unknown-datatype", {"inputs": [{"name": "age", "shape": [1], "datatype": "FLOAT", "data": [1]}]},
     "unknown datatype"),
    ("datatype-not-a-string", {"inputs": [{"name": "age", "shape": [1], "datatype": ["FP64"], "data": [1]}]},
     "unknown datatype"),  # found by make fuzz: was a 500 (unhashable list)
    ("shape-mismatch", {"inputs": [{"name": "age", "shape": [2], "datatype": "INT64", "data": [1]},
                                   {"name": "bmi", "shape": [2], "datatype": "FP64", "data": [1, 2]}]}, "holds 2 values"),
    ("missing-column", {"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]},
     "missing column: 'bmi' (number)"),
    ("uncastable", {"inputs": [{"name": "age", "shape": [1], "datatype": "BYTES", "data": ["old"]},
                               {"name": "bmi", "shape": [1], "datatype": "FP64", "data": [1]}]}, "expected a number"),
    ("proba-of-a-regressor", {"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]},
                                         {"name": "bmi", "shape": [1], "datatype": "FP64", "data": [1]}],
                              "outputs": [{"name": "predict_proba"}]}, "no predict_proba"),
    ("not-an-object", [1], "JSON object"),
]


@pytest.mark.parametrize("body, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inference_requests_are_400_with_the_spec_error_shape(clients, validate, body, words):
    response = clients["regressor"].post("/v2/models/regressor/infer", json=body)
    assert response.status_code == 400
    validate(response.get_json(), "inference_error_response")
    assert words in response.get_json()["error"]


def test_a_2d_tensor_of_the_wrong_width_names_the_input(clients):
    request = {"inputs": [{"name": "input-0", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}
    response = clients["array"].post("/v2/models/array/infer", json=request)
    assert response.status_code == 400 and "shape [rows, 4]" in response.get_json()["error"]


def test_wrong_content_type_is_415(clients):
    response = clients["churn"].post("/v2/models/churn/infer", data="x", content_type="text/plain")
    assert response.status_code == 415 and set(response.get_json()) == {"error"}


def test_a_request_without_content_type_is_read_as_json_as_tritonclient_sends_it(clients, artifacts):
    import json

    rows = examples(artifacts["array"])
    body = json.dumps({"inputs": [{"name": "x", "shape": [len(rows), 4], "datatype": "FP64", "data": rows}]})
    response = clients["array"].post("/v2/models/array/infer", data=body)
    assert response.status_code == 200 and response.get_json()["outputs"][0]["data"] == local_predict(artifacts["array"], rows)


def _binary_request(header: dict, *tensors: bytes) -> tuple[bytes, dict]:
    import json

    head = json.dumps(header).encode()
    return head + b"".join(tensors), {"Inference-Header-Content-Length": str(len(head))}


def test_binary_tensor_data_is_read_and_answered_in_binary_when_asked(clients, artifacts):
    import numpy as np

    rows = examples(artifacts["array"])
    raw = np.asarray(rows, dtype="<f4").tobytes()
    header = {"inputs": [{"name": "input-0", "shape": [len(rows), 4], "datatype": "FP32",
                          "parameters": {"binary_data_size": len(raw)}}],
              "outputs": [{"name": "predict", "parameters": {"binary_data": True}},
                          {"name": "predict_proba", "parameters": {"binary_data": False}}]}
    body, headers = _binary_request(header, raw)
    response = clients["array"].post("/v2/models/array/infer", data=body, headers=headers)
    assert response.status_code == 200, response.data[:300]
    length = int(response.headers["Inference-Header-Content-Length"])
    import json

    answer = json.loads(response.data[:length])
    predict, proba = answer["outputs"]
    assert "data" not in predict and predict["parameters"]["binary_data_size"] == 8 * len(rows)
    expected = local_predict(artifacts["array"], np.asarray(rows, dtype="float32").tolist())
    assert np.frombuffer(response.data[length:], dtype="<i8").tolist() == expected
    assert len(proba["data"]) == 3 * len(rows)  # asked for as JSON


@pytest.mark.parametrize("header_length, tail, words", [
    ("abc", b"", "is not a length"),
    ("100000", b"", "is not a length"),
    (None, b"\0" * 8, "runs past the end"),
    (None, b"\0" * 40, "bytes after"),
], ids=["not-a-number", "longer-than-the-body", "tensor-cut-short", "bytes-left-over"])
def test_malformed_binary_requests_are_400_naming_what_is_wrong(clients, header_length, tail, words):
    header = {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "parameters": {"binary_data_size": 32}}]}
    body, headers = _binary_request(header, tail)
    if header_length is not None:
        headers["Inference-Header-Content-Length"] = header_length
    response = clients["array"].post("/v2/models/array/infer", data=body, headers=headers)
    assert response.status_code == 400 and words in response.get_json()["error"]


def test_an_empty_outputs_list_means_the_default_outputs(clients, artifacts):
    rows = examples(artifacts["array"])
    request = {"inputs": [{"name": "input-0", "shape": [len(rows), 4], "datatype": "FP64", "data": rows}], "outputs": []}
    outputs = clients["array"].post("/v2/models/array/infer", json=request).get_json()["outputs"]
    assert [o["name"] for o in outputs] == ["predict"] and outputs[0]["data"] == local_predict(artifacts["array"], rows)
