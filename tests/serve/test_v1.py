"""KServe V1: model status and :predict."""

from .conftest import examples, local_predict


def test_model_status_says_ready(clients):
    assert clients["churn"].get("/v1/models/churn").get_json() == {"name": "churn", "ready": True}


def test_predict_takes_instances_and_answers_predictions(clients, artifacts):
    rows = examples(artifacts["churn"])
    response = clients["churn"].post("/v1/models/churn:predict", json={"instances": rows})
    assert response.get_json() == {"predictions": local_predict(artifacts["churn"], rows)}


def test_unknown_model_names_are_404(clients):
    assert clients["churn"].get("/v1/models/other").status_code == 404
    response = clients["churn"].post("/v1/models/other:predict", json={"instances": []})
    assert response.status_code == 404 and "not found" in response.get_json()["error"]


def test_a_body_without_instances_is_400(clients):
    response = clients["churn"].post("/v1/models/churn:predict", json={"rows": []})
    assert response.status_code == 400 and "instances" in response.get_json()["error"]
