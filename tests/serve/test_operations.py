"""Readiness, /model, /metrics (counted requests, drift, classes, values), /openapi.json and /docs."""

import pytest

from .conftest import examples


def _metric(client, line_start: str) -> float:
    """The value of the first exposition line starting with ``line_start`` (0 when absent)."""
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_readiness_turns_true_only_after_the_warm_up(fresh_client):
    client = fresh_client("churn", warm_up=False)
    for path in ("/readyz", "/v2/health/ready", "/ping", "/v2/models/churn/ready"):
        assert client.get(path).status_code == 503, path
    assert client.get("/healthz").status_code == 200 and client.get("/v2/health/live").status_code == 200
    assert client.post("/predict", json={}).status_code == 503
    client.application.extensions["nb2service"].runtime.warm_up()
    for path in ("/readyz", "/v2/health/ready", "/ping", "/v2/models/churn/ready"):
        assert client.get(path).status_code == 200, path


def test_the_warm_up_synthesizes_a_row_when_the_artifact_has_no_examples(artifacts, tmp_path):
    import json
    import shutil

    from builder.serve.runtime import ModelRuntime, warmup_rows

    folder = shutil.copytree(artifacts["churn"], tmp_path / "churn")
    meta = json.loads((folder / "metadata.json").read_text())
    meta["examples"] = []
    (folder / "metadata.json").write_text(json.dumps(meta))
    runtime = ModelRuntime.load(folder)
    [row] = warmup_rows(meta, runtime.model.schema)
    assert row["tenure"] == round((meta["inputs"][0]["min"] + meta["inputs"][0]["max"]) / 2)
    assert row["contract"] == "monthly" and row["paperless"] is False
    runtime.warm_up()
    assert runtime.ready


def test_model_serves_metadata_json_without_the_build_machines_paths(clients, artifacts):
    import json

    on_disk = json.loads((artifacts["churn"] / "metadata.json").read_text())
    served = clients["churn"].get("/model").get_json()
    assert on_disk["environment"]["python"] and on_disk["environment"]["lib"]  # the file keeps them
    assert served["environment"] == {k: v for k, v in on_disk["environment"].items() if k not in ("python", "path", "lib")}
    assert {k: v for k, v in served.items() if k != "environment"} == {k: v for k, v in on_disk.items() if k != "environment"}
    assert str(artifacts["churn"].parents[1]) not in json.dumps(served) and "/.venv/" not in json.dumps(served)


def test_metrics_count_prediction_requests_by_endpoint_and_status_but_not_health(fresh_client, artifacts):
    client = fresh_client("churn")
    rows = examples(artifacts["churn"])
    for _ in range(3):
        client.post("/predict", json=rows)
    client.post("/invocations", json={"dataframe_records": rows})
    client.post("/predict", json=[{"tenure": "x"}])
    for path in ("/healthz", "/readyz", "/metrics", "/ping", "/v2/health/ready"):
        client.get(path)
    assert _metric(client, 'nb2service_requests_total{endpoint="/predict",status="200"}') == 3
    assert _metric(client, 'nb2service_requests_total{endpoint="/invocations",status="200"}') == 1
    assert _metric(client, 'nb2service_requests_total{endpoint="/predict",status="400"}') == 1
    assert _metric(client, 'nb2service_request_duration_seconds_count{endpoint="/predict"}') == 4
    assert "/healthz" not in client.get("/metrics").get_data(as_text=True)
    assert _metric(client, "nb2service_prediction_rows_total") == 4 * len(rows)
    assert _metric(client, 'nb2service_validation_failures_total{field="charges"}') == 1


def test_metrics_count_predicted_classes(fresh_client, artifacts):
    client = fresh_client("array")
    predictions = client.post("/predict", json=examples(artifacts["array"])).get_json()["predictions"]
    for label in set(predictions):
        assert _metric(client, f'nb2service_predicted_class_total{{class="{label}"}}') == predictions.count(label)


def test_metrics_histogram_regression_values(fresh_client, artifacts):
    client = fresh_client("regressor")
    client.post("/predict", json=examples(artifacts["regressor"]))
    assert _metric(client, "nb2service_predicted_value_count") == len(examples(artifacts["regressor"]))
    assert _metric(client, "nb2service_predicted_value_sum") > 0


def test_metrics_carry_the_model_info(clients):
    text = clients["churn"].get("/metrics").get_data(as_text=True)
    assert 'nb2service_model_info{name="churn"' in text and 'notebook_sha256="' + "ab" * 32 in text
    assert "scikit_learn=" in text


def test_drift_signals_count_values_unlike_the_training_data(fresh_client):
    client = fresh_client("churn")
    rows = [{"tenure": 500, "charges": None, "contract": "weekly", "zip": "02134", "paperless": True},
            {"tenure": 10, "charges": 50.0, "contract": None, "zip": "99999", "paperless": False}]
    assert client.post("/predict", json=rows).status_code == 200
    assert _metric(client, 'nb2service_drift_rows_total{feature="tenure",signal="out_of_range"}') == 1
    assert _metric(client, 'nb2service_drift_rows_total{feature="charges",signal="missing"}') == 1
    assert _metric(client, 'nb2service_drift_rows_total{feature="contract",signal="unseen_category"}') == 1
    assert _metric(client, 'nb2service_drift_rows_total{feature="contract",signal="missing"}') == 1
    assert _metric(client, 'nb2service_drift_rows_total{feature="zip",signal="unseen_category"}') == 1
    assert _metric(client, 'nb2service_drift_rows_total{feature="charges",signal="out_of_range"}') == 0


def test_drift_can_be_switched_off(fresh_client):
    from builder.config import ServeSettings

    client = fresh_client("churn", settings=ServeSettings(drift=False))
    client.post("/predict", json=[{"tenure": 500, "charges": 1, "contract": "x", "zip": "1", "paperless": True}])
    assert "nb2service_drift_rows_total{" not in client.get("/metrics").get_data(as_text=True)


@pytest.mark.parametrize("kind", ["churn", "array", "regressor", "text"])
def test_the_openapi_document_validates_as_openapi_3_and_covers_every_endpoint(clients, kind):
    from openapi_spec_validator import validate

    client = clients[kind]
    document = client.get("/openapi.json").get_json()
    validate(document)
    routes = {r.rule for r in client.application.url_map.iter_rules()} - {"/static/<path:filename>",
                                                                         "/docs/static/<path:filename>", "/v2/",
                                                                         "/report/static/<name>"}
    documented = {p.replace("{model_name}", "<name>").replace("{model_version}", "<version>")
                  .replace("{index}", "<int:index>") for p in document["paths"]}
    assert routes == documented


def test_the_openapi_examples_are_the_artifacts_example_rows_and_they_work(clients, artifacts):
    client = clients["churn"]
    document = client.get("/openapi.json").get_json()
    native = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert native == {"instances": examples(artifacts["churn"])}
    v2 = document["paths"]["/v2/models/{model_name}/infer"]["post"]["requestBody"]["content"]["application/json"]
    assert client.post("/v2/models/churn/infer", json=v2["example"]).status_code == 200
    assert client.post("/predict", json=native).status_code == 200


def test_docs_page_serves_swagger_ui_from_the_package_without_a_cdn(clients):
    client = clients["churn"]
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/static/swagger-ui-bundle.js" in page and "https://" not in page
    with client.get("/docs/static/swagger-ui-bundle.js") as script:
        assert script.status_code == 200 and len(script.get_data()) > 100_000


def test_docs_page_falls_back_to_a_self_contained_page_without_swagger_ui_bundle(clients, monkeypatch):
    from builder.serve.views import docs

    monkeypatch.setattr(docs, "swagger_ui_dir", lambda: None)
    page = clients["churn"].get("/docs").get_data(as_text=True)
    assert "/openapi.json" in page and "<script src" not in page
