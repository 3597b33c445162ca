"""POST /explain and /v2/models/NAME/explain through a real `nb2service serve` (gunicorn): per raw
input contributions that, with the base value, give the model's own output to 1e-6 (a linear
pipeline with one-hot columns, a random forest through shap), a 501 with a JSON error for a model
no exact method covers, and a 400 naming the field for bad input."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
import requests

from .conftest import examples, write_artifact


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    from tests.serve.live import Server

    root = tmp_path_factory.mktemp("explain")
    started = {}
    for kind in ("churn", "forest", "neighbours"):
        artifact = write_artifact(root / kind, kind)
        started[kind] = (Server(artifact, root / f"{kind}.log"), artifact)
    try:
        for server, _ in started.values():
            server.wait_ready()
        yield started
    finally:
        for server, _ in started.values():
            server.stop()


def _own_output(artifact, rows, method):
    from builder.model import ServedModel

    model = ServedModel.load(artifact, fast=False)
    frame = model.schema.from_records(rows)
    return np.asarray(getattr(joblib.load(artifact / "model.joblib"), method)(frame)).reshape(len(rows), -1)


def _check_adds_up(answer, expected, outputs):
    assert answer["outputs"] == outputs
    for i, row in enumerate(answer["explanations"]):
        for k, name in enumerate(outputs):
            explained = row["outputs"][name]
            total = explained["base_value"] + sum(explained["contributions"].values())
            assert abs(total - expected[i][k]) < 1e-6, (i, name, total, expected[i][k])
            assert abs(explained["value"] - expected[i][k]) < 1e-6


def test_a_linear_pipeline_is_explained_per_raw_input_and_adds_up_to_its_log_odds(servers):
    server, artifact = servers["churn"]
    rows = examples(artifact)
    reply = requests.post(server.url + "/explain", json=rows, timeout=30)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["method"] == "linear" and answer["explained_output"] == "decision_function"
    assert answer["features"] == ["tenure", "charges", "contract", "zip", "paperless"]
    _check_adds_up(answer, _own_output(artifact, rows, "decision_function"), ["yes"])
    predicted = requests.post(server.url + "/predict", json=rows, timeout=30).json()["predictions"]
    assert [row["prediction"] for row in answer["explanations"]] == predicted


def test_the_v2_form_takes_a_v2_inference_request(servers):
    server, artifact = servers["churn"]
    rows = examples(artifact)
    inputs = [{"name": name, "shape": [len(rows)],
               "datatype": "BYTES" if name in ("contract", "zip") else "BOOL" if name == "paperless" else "FP64",
               "data": [row[name] for row in rows]} for name in rows[0]]
    reply = requests.post(server.url + "/v2/models/churn/explain", json={"id": "e1", "inputs": inputs}, timeout=30)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["model_name"] == "churn" and answer["id"] == "e1"
    _check_adds_up(answer, _own_output(artifact, rows, "decision_function"), ["yes"])
    assert requests.post(server.url + "/v2/models/other/explain", json={"inputs": inputs}, timeout=30).status_code == 404


def test_a_random_forest_is_explained_with_tree_shap_and_adds_up_to_its_probabilities(servers):
    server, artifact = servers["forest"]
    rows = examples(artifact)
    answer = requests.post(server.url + "/explain", json=rows, timeout=60).json()
    assert answer["method"] == "tree_shap" and answer["explained_output"] == "predict_proba"
    assert answer["features"] == ["tenure", "charges", "contract", "zip", "paperless"]
    _check_adds_up(answer, _own_output(artifact, rows, "predict_proba"), ["no", "yes"])


def test_a_model_without_an_exact_method_gets_501_with_a_json_error(servers):
    server, artifact = servers["neighbours"]
    reply = requests.post(server.url + "/explain", json=examples(artifact), timeout=30)
    assert reply.status_code == 501 and reply.headers["Content-Type"] == "application/json"
    assert "KNeighborsClassifier" in reply.json()["error"]
    assert requests.post(server.url + "/predict", json=examples(artifact), timeout=30).status_code == 200


def test_bad_input_to_explain_is_a_400_naming_the_field_and_explanations_are_counted(servers):
    server, artifact = servers["churn"]
    reply = requests.post(server.url + "/explain", json=[{**examples(artifact)[0], "tenure": "long"}], timeout=30)
    assert reply.status_code == 400 and reply.json()["field"] == "tenure"
    metrics = requests.get(server.url + "/metrics", timeout=30).text
    assert 'nb2service_requests_total{endpoint="/explain",status="400"}' in metrics
