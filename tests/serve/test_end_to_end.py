"""The real thing: `nb2service build` on the example notebooks, then `nb2service serve` (gunicorn) on
an ephemeral 127.0.0.1 port, driven over HTTP, by an unmodified MLflow client and an unmodified
Open Inference Protocol client (tritonclient)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml

from .live import NB2SERVICE, LazyServers, Server
from .live import free_port as _free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {"churn": "churn", "iris-numpy": "iris_classifier", "diabetes-regression": "diabetes_regression",
            "text-classifier": "text_classifier"}
SPEC = Path(__file__).resolve().parents[1] / "reference" / "open_inference_rest.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """The example notebooks built once per session (in parallel); a failed build fails the test."""
    out = tmp_path_factory.mktemp("built")
    procs = {name: subprocess.Popen([NB2SERVICE, "build", str(ROOT / "notebooks" / name), "-o", str(out / name)],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for name in EXAMPLES}
    logs = {name: proc.communicate(timeout=1200)[0] for name, proc in procs.items()}
    failed = [name for name, proc in procs.items() if proc.returncode != 0]
    if failed:
        pytest.fail("nb2service build failed for " + ", ".join(failed) + ":\n" + "\n".join(logs[n][-3000:] for n in failed))
    return {name: out / name for name in EXAMPLES}


@pytest.fixture
def serve(start_server):
    """Start a server of one's own (own settings, to be stopped by the test or at its end)."""
    return start_server


@pytest.fixture(scope="module")
def served(built, tmp_path_factory):
    """``served[name]``: one default server per example, shared by the tests that only send requests."""
    servers = LazyServers(built, tmp_path_factory.mktemp("served"))
    yield servers
    servers.stop_all()


def _meta(artifact: Path) -> dict:
    return json.loads((artifact / "metadata.json").read_text())


_EXPECTED: dict = {}


def in_build_env(artifact: Path, rows: list, proba: bool = False):
    """The artifact's predictions computed in its own build environment, outside any server."""
    key = (str(artifact), json.dumps(rows))
    if key not in _EXPECTED:
        env_info = _meta(artifact)["environment"]
        code = ("import json, sys; from builder.model import ServedModel; m = ServedModel.load(sys.argv[1]); "
                "p = m.predict_records(json.loads(sys.argv[2]), proba=m.has_proba); "
                "print(json.dumps({'predictions': p.predictions, 'probabilities': p.probabilities}))")
        out = subprocess.run([env_info["python"], "-c", code, str(artifact), json.dumps(rows)], capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": env_info["lib"]}, check=True)
        _EXPECTED[key] = json.loads(out.stdout)
    return _EXPECTED[key]["probabilities" if proba else "predictions"]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_protocol_answers_what_the_model_predicts_in_its_environment(built, served, name):
    artifact = built[name]
    meta = _meta(artifact)
    rows = meta["examples"]
    expected = in_build_env(artifact, rows)
    first = expected[:3]
    if meta["task"] == "regression":  # batch size and thread count may change the last bits
        expected, first = pytest.approx(expected, rel=1e-12), pytest.approx(first, rel=1e-12)
    server = served[name]
    url, model = server.url, meta["name"]
    assert requests.post(url + "/predict", json={"instances": rows}).json()["predictions"] == expected
    assert requests.post(url + "/invocations", json={"dataframe_records": rows}).json()["predictions"] == expected
    assert requests.post(url + f"/v1/models/{model}:predict", json={"instances": rows}).json()["predictions"] == expected
    document = requests.get(url + "/openapi.json").json()
    v2_example = document["paths"]["/v2/models/{model_name}/infer"]["post"]["requestBody"]["content"][
        "application/json"]["example"]
    answer = requests.post(url + f"/v2/models/{model}/infer", json=v2_example).json()
    assert answer["outputs"][0]["data"] == first
    if meta["predict_proba"]:
        probabilities = requests.post(url + "/predict", json=rows).json()["probabilities"]
        assert [list(p.values()) for p in probabilities] == in_build_env(artifact, rows, proba=True)


def test_readiness_comes_only_after_the_model_is_loaded_and_warmed_up(served):
    server = served["churn"]
    assert all(status in (None, 200) for status in server.probes)  # refused until ready, never a 5xx or a lie
    log = server.log.read_text()
    assert log.index("warmed up on 5 row(s)") < log.index("Listening at")
    for path in ("/readyz", "/v2/health/ready", "/ping", "/healthz", "/v2/health/live", "/v2/models/churn/ready"):
        assert requests.get(server.url + path).status_code == 200, path


def _metric(text: str, line_start: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))


def test_metrics_move_after_requests_and_sum_across_two_workers(built, serve, tmp_path):
    metrics_dir = tmp_path / "metrics"
    server = serve(built["churn"], workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    rows = _meta(built["churn"])["examples"]
    before = requests.get(server.url + "/metrics").text
    assert _metric(before, 'nb2service_requests_total{endpoint="/predict"') == 0

    def call(i):
        bad = i % 10 == 0
        return requests.post(server.url + "/predict", json=[{"tenure_months": "x"}] if bad else rows).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(60)))
    assert statuses.count(200) == 54 and statuses.count(400) == 6
    writers = {int(p.stem.split("_")[-1]) for p in metrics_dir.glob("counter_*.db")}
    assert len(writers - {server.proc.pid}) == 2, writers  # both workers answered (the master is pid proc.pid)
    for _ in range(4):  # whichever worker answers /metrics, the totals are the sums over both
        text = requests.get(server.url + "/metrics").text
        assert _metric(text, 'nb2service_requests_total{endpoint="/predict",status="200"}') == 54
        assert _metric(text, 'nb2service_requests_total{endpoint="/predict",status="400"}') == 6
        assert _metric(text, "nb2service_prediction_rows_total") == 54 * len(rows)
        assert _metric(text, "nb2service_predicted_class_total") == 54 * len(rows)
        assert _metric(text, 'nb2service_validation_failures_total{field=') == 6
        assert _metric(text, "nb2service_model_info{") == 1
    assert server.stop() == 0


def test_a_tampered_model_file_is_refused_at_start(built, tmp_path):
    artifact = Path(shutil.copytree(built["churn"], tmp_path / "churn"))
    with open(artifact / "model.joblib", "ab") as fh:
        fh.write(b"\0")
    result = subprocess.run([NB2SERVICE, "serve", str(artifact), "--port", str(_free_port())], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 8
    assert "does not match metadata.json" in result.stderr and "refusing to start" in result.stderr
    (artifact / "model.joblib").unlink()
    result = subprocess.run([NB2SERVICE, "serve", str(artifact)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 8 and "the model file is missing" in result.stderr


def test_a_vanished_build_environment_without_its_lock_is_named_with_the_fix(built, tmp_path):
    """(With its lock, a vanished environment is recreated: tests/test_cli.py.)"""
    artifact = Path(shutil.copytree(built["churn"], tmp_path / "churn"))
    meta = _meta(artifact)
    meta["environment"]["python"] = str(tmp_path / "deleted-env" / "bin" / "python")
    meta["environment"]["path"] = str(tmp_path / "deleted-env")
    (artifact / "metadata.json").write_text(json.dumps(meta))
    (artifact / "requirements.lock").unlink()
    result = subprocess.run([NB2SERVICE, "serve", str(artifact), "--port", str(_free_port())], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "NB2SERVICE_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 8
    assert f"the build environment {tmp_path / 'deleted-env'} is gone and {artifact / 'requirements.lock'} is " \
           "missing" in result.stderr
    assert "rebuild with `nb2service build" in result.stderr


def test_the_served_openapi_document_validates_and_docs_need_no_cdn(served):
    from openapi_spec_validator import validate

    server = served["iris-numpy"]
    validate(requests.get(server.url + "/openapi.json").json())
    page = requests.get(server.url + "/docs")
    assert page.status_code == 200 and "https://" not in page.text


def test_v2_responses_follow_the_open_inference_rest_spec(built, served):
    import jsonschema

    spec = yaml.safe_load(SPEC.read_text())

    def check(body, component):
        jsonschema.validate(body, {"$ref": f"#/components/schemas/{component}", "components": spec["components"]})

    server = served["iris-numpy"]
    meta = _meta(built["iris-numpy"])
    url, name = server.url, meta["name"]
    check(requests.get(url + "/v2").json(), "metadata_server_response")
    check(requests.get(url + f"/v2/models/{name}").json(), "metadata_model_response")
    rows = meta["examples"]
    request = {"inputs": [{"name": "input-0", "shape": [len(rows), len(rows[0])], "datatype": "FP64",
                           "data": [v for r in rows for v in r]}], "outputs": [{"name": "predict"}, {"name": "predict_proba"}]}
    check(request, "inference_request")
    check(requests.post(url + f"/v2/models/{name}/infer", json=request).json(), "inference_response")
    missing = requests.get(url + "/v2/models/nope")
    assert missing.status_code == 404
    check(missing.json(), "metadata_model_error_response")
    bad = requests.post(url + f"/v2/models/{name}/infer", json={"inputs": "x"})
    assert bad.status_code == 400
    check(bad.json(), "inference_error_response")


def test_an_unmodified_open_inference_protocol_client_works(built, served):
    import numpy as np
    import tritonclient.http as triton

    server = served["churn"]
    meta = _meta(built["churn"])
    rows = [r for r in meta["examples"] if all(v is not None for v in r.values())]
    client = triton.InferenceServerClient(url=f"127.0.0.1:{server.port}")
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready(meta["name"])
    assert [i["name"] for i in client.get_model_metadata(meta["name"])["inputs"]] == [c["name"] for c in meta["inputs"]]
    for binary in (False, True):  # JSON tensors, then the client's defaults (binary tensor data both ways)
        inputs = []
        for column in meta["inputs"]:
            values = [r[column["name"]] for r in rows]
            datatype = {"integer": "INT64", "number": "FP64", "string": "BYTES", "boolean": "BOOL"}[column["type"]]
            array = np.array(values, dtype=object if datatype == "BYTES" else None)
            tensor = triton.InferInput(column["name"], [len(rows)], datatype)
            tensor.set_data_from_numpy(array) if binary else tensor.set_data_from_numpy(array, binary_data=False)
            inputs.append(tensor)
        if binary:
            outputs = [triton.InferRequestedOutput("predict"), triton.InferRequestedOutput("predict_proba")]
        else:
            outputs = [triton.InferRequestedOutput("predict", binary_data=False),
                       triton.InferRequestedOutput("predict_proba", binary_data=False)]
        result = client.infer(meta["name"], inputs, outputs=outputs)
        assert result.as_numpy("predict").tolist() == in_build_env(built["churn"], rows)
        assert result.as_numpy("predict_proba").tolist() == in_build_env(built["churn"], rows, proba=True)
        assert ("binary_data_size" in result.get_output("predict").get("parameters", {})) is binary
    client.close()


def test_an_unmodified_mlflow_scoring_client_works(built, served):
    import pandas as pd

    with warnings.catch_warnings():  # mlflow warns about its own type hints at import
        warnings.simplefilter("ignore")
        from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    server = served["churn"]
    rows = _meta(built["churn"])["examples"]
    client = ScoringServerClient("127.0.0.1", server.port)
    client.wait_server_ready(timeout=10)
    assert client.get_version()
    frame = pd.DataFrame(rows)
    frame.loc[0, "usage_trend"] = float("nan")  # MLflow's client writes NaN into the JSON
    rows[0]["usage_trend"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        answer = client.invoke(frame)
    assert answer["predictions"] == in_build_env(built["churn"], rows)
    assert answer.get_predictions(predictions_format="ndarray").tolist() == in_build_env(built["churn"], rows)


def test_bodies_over_the_limit_get_413_through_gunicorn(built, serve):
    server = serve(built["iris-numpy"], env={"NB2SERVICE_MAX_REQUEST_BYTES": "1000"})
    response = requests.post(server.url + "/predict", data=b"[" + b" " * 5000 + b"]",
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "NB2SERVICE_MAX_REQUEST_BYTES" in response.json()["error"]


def test_sigterm_stops_gracefully_and_removes_the_metrics_folder(built, tmp_path):
    temp = Path(tempfile.gettempdir())
    before = set(temp.glob("nb2service-metrics-*"))
    server = Server(built["iris-numpy"], tmp_path / "server.log", workers=2)
    server.wait_ready()
    created = set(temp.glob("nb2service-metrics-*")) - before
    assert len(created) == 1
    assert server.stop() == 0  # SIGTERM reached gunicorn's master (serve exec'd into it)
    assert "Handling signal: term" in server.log.read_text() and "Shutting down: Master" in server.log.read_text()
    assert not any(folder.exists() for folder in created)


def _inference_path(server: Server) -> str:
    return requests.get(server.url + "/model").json()["inference"]["path"]


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_sigterm_to_an_idle_server_stops_it_within_two_seconds(built, tmp_path, name):
    server = Server(built[name], tmp_path / "server.log", workers=2)
    server.wait_ready()
    path = _inference_path(server)
    threads = _threads(server.proc.pid)  # gunicorn's master after the model was loaded (before the fork)
    signalled = time.monotonic()
    code = server.stop()
    seconds = time.monotonic() - signalled
    print(f"{name} ({path}): idle stop {seconds:.2f} s; the master had {threads} thread(s)")
    assert code == 0 and seconds < 2, (path, seconds, server.log.read_text()[-2000:])
    assert threads == 1  # nothing (onnxruntime's telemetry, a thread pool) left a thread behind the fork
    log = server.log.read_text()
    assert "telemetry" not in log.lower() and "Traceback" not in log


def test_sigterm_lets_a_request_in_flight_on_the_onnx_path_finish_then_stops_within_a_second(built, tmp_path):
    """The request is held in flight by its client (half the body sent, the rest 1.5 s after the
    signal): the worker answers it in full, then everything exits 0 less than 1 s later."""
    artifact = built["churn"]
    server = Server(artifact, tmp_path / "server.log", workers=2)
    server.wait_ready()
    assert _inference_path(server) == "onnx"
    rows = _meta(artifact)["examples"]
    body = json.dumps({"instances": rows}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:len(body) // 2])
        time.sleep(0.3)  # the worker is reading the body
        server.proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(1.5)
        assert server.proc.poll() is None, "the server exited with a request in flight"
        conn.sendall(body[len(body) // 2:])
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    answered = time.monotonic()
    code = server.proc.wait(timeout=30)
    exited = time.monotonic()
    server.output.close()
    head, _, payload = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), response[:500]
    assert json.loads(payload)["predictions"] == in_build_env(artifact, rows)
    print(f"in flight (onnx): answered {answered - signalled:.2f} s after SIGTERM, exited {exited - answered:.2f} s "
          "after the answer")
    assert code == 0 and exited - answered < 1, server.log.read_text()[-2000:]
