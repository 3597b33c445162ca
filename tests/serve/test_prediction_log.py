"""Prediction logging (NB2SERVICE_LOG_PREDICTIONS): events on stdout and, through a real gunicorn
server, as KServe-format CloudEvents to a real HTTP sink process; a stuck or absent sink costs the
predictions nothing and is counted in /metrics; masked columns never leave the service."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from builder.config import serve_settings
from builder.errors import UsageError

from .conftest import examples, local_predict

SINK = Path(__file__).with_name("sink.py")
LOG_ENV = ["NB2SERVICE_LOG_PREDICTIONS", "NB2SERVICE_LOG_SINK", "NB2SERVICE_LOG_MASK", "NB2SERVICE_LOG_QUEUE",
           "NB2SERVICE_LOG_TIMEOUT", "POD_NAMESPACE"]


@pytest.fixture(autouse=True)
def no_log_settings(monkeypatch):
    for name in LOG_ENV:
        monkeypatch.delenv(name, raising=False)


def _metric(text: str, line_start: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))


def _stdout_events(capfd, client=None, expected: int = 0) -> list[dict]:
    """The prediction events written to stdout, once the app's sent counter reached ``expected``
    (reading the captured output while the sender thread writes would lose lines)."""
    if client is not None:
        _wait(lambda: _metric(client.get("/metrics").get_data(as_text=True),
                              "nb2service_prediction_log_sent_total") >= expected)
    out = capfd.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"type":"nb2service.prediction"')]


def _wait(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_prediction_logging_is_off_by_default(fresh_client, artifacts, capfd):
    client = fresh_client("churn")
    response = client.post("/predict", json=examples(artifacts["churn"]))
    assert response.status_code == 200 and "X-Request-ID" not in response.headers
    time.sleep(0.2)
    assert _stdout_events(capfd) == []
    assert "nb2service_prediction_log" not in client.get("/metrics").get_data(as_text=True)


def test_each_logged_prediction_is_a_json_line_with_its_request_id_inputs_outputs_and_latency(fresh_client, artifacts,
                                                                                                capfd):
    settings = serve_settings({"NB2SERVICE_LOG_PREDICTIONS": "1"})
    client = fresh_client("churn", settings=settings)
    rows = examples(artifacts["churn"])
    given = client.post("/predict", json=rows, headers={"X-Request-ID": "req-42"})
    made = client.post("/invocations", json={"dataframe_records": rows[:1]})
    assert given.headers["X-Request-ID"] == "req-42"
    assert len(made.headers["X-Request-ID"]) == 32  # made up when the client sent none
    events = _stdout_events(capfd, client, 2)
    first, second = sorted(events, key=lambda e: e["id"] != "req-42")
    assert first["id"] == "req-42" and second["id"] == made.headers["X-Request-ID"]
    assert (first["model"], first["endpoint"], second["endpoint"]) == ("churn", "/predict", "/invocations")
    assert first["version"] == client.get("/model").get_json()["version"]
    assert first["inputs"] == rows  # as decoded: missing values as null, types kept
    assert first["outputs"]["predictions"] == given.get_json()["predictions"] == local_predict(artifacts["churn"], rows)
    assert first["outputs"]["classes"] == ["no", "yes"]
    expected = local_predict(artifacts["churn"], rows, proba=True)
    assert [p == pytest.approx(e) for p, e in zip(first["outputs"]["probabilities"], expected)] == [True] * len(rows)
    assert 0 < first["latency_ms"] < 10_000


def test_masked_columns_are_logged_as_stars_and_the_sample_rate_thins_the_log(fresh_client, artifacts, capfd):
    rows = examples(artifacts["churn"])
    client = fresh_client("churn", settings=serve_settings({"NB2SERVICE_LOG_PREDICTIONS": "1",
                                                            "NB2SERVICE_LOG_MASK": "zip, charges"}))
    client.post("/predict", json=rows)
    [event] = _stdout_events(capfd, client, 1)
    assert [r["zip"] for r in event["inputs"]] == ["***"] * len(rows)
    assert [r["charges"] for r in event["inputs"]] == ["***"] * len(rows)
    assert [r["tenure"] for r in event["inputs"]] == [r["tenure"] for r in rows]
    assert not any(r["zip"] in json.dumps(event) for r in rows)

    sampled = fresh_client("array", settings=serve_settings({"NB2SERVICE_LOG_PREDICTIONS": "0.2"}))
    for _ in range(200):
        sampled.post("/predict", json=examples(artifacts["array"])[:1])
    logged = _wait(lambda: _metric(sampled.get("/metrics").get_data(as_text=True), "nb2service_prediction_log_sent_total"))
    assert 15 <= logged <= 70, logged  # 40 expected; binomial(200, 0.2) is inside this range but for 1e-6 of runs


@pytest.mark.parametrize("environ, field", [
    ({"NB2SERVICE_LOG_PREDICTIONS": "2"}, "NB2SERVICE_LOG_PREDICTIONS"),
    ({"NB2SERVICE_LOG_PREDICTIONS": "often"}, "NB2SERVICE_LOG_PREDICTIONS"),
    ({"NB2SERVICE_LOG_QUEUE": "0"}, "NB2SERVICE_LOG_QUEUE"),
    ({"NB2SERVICE_LOG_TIMEOUT": "-1"}, "NB2SERVICE_LOG_TIMEOUT"),
], ids=["rate-above-one", "rate-not-a-number", "empty-queue", "negative-timeout"])
def test_bad_logging_settings_are_refused_naming_the_variable(environ, field):
    with pytest.raises(UsageError, match=field):
        serve_settings(environ)


@pytest.mark.parametrize("environ, message", [
    ({"NB2SERVICE_LOG_MASK": "ssn"}, "NB2SERVICE_LOG_MASK names ssn, not an input"),
    ({"NB2SERVICE_LOG_SINK": "kafka://broker"}, "neither stdout nor an http"),
], ids=["mask-unknown-column", "unknown-sink"])
def test_a_mask_or_sink_the_service_cannot_honour_stops_it_from_starting(artifacts, environ, message):
    from builder.serve.app import create_app

    with pytest.raises(UsageError, match=message):
        create_app(artifacts["churn"], serve_settings({"NB2SERVICE_LOG_PREDICTIONS": "1", **environ}))


# ---- through a real server and a real sink -----------------------------------------------------------

class Sink:
    def __init__(self, out: Path, *flags: str):
        self.out = out
        self.proc = subprocess.Popen([sys.executable, str(SINK), str(out), *flags], stdout=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.proc.stdout.readline().strip()}/"

    def received(self) -> list[dict]:
        return [json.loads(line) for line in self.out.read_text().splitlines()] if self.out.exists() else []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()


@pytest.fixture
def sink(tmp_path):
    started = []

    def start(*flags):
        started.append(Sink(tmp_path / f"sink-{len(started)}.jsonl", *flags))
        return started[-1]
    yield start
    for s in started:
        s.stop()


@pytest.fixture
def server(tmp_path):
    from tests.serve.live import Server

    started = []

    def start(artifact, **env):
        started.append(Server(artifact, tmp_path / f"server-{len(started)}.log", workers=2, env=env))
        started[-1].wait_ready()
        return started[-1]
    yield start
    for s in started:
        s.stop()


def test_a_kserve_style_sink_receives_request_and_response_cloudevents_matching_the_answers(artifacts, sink, server):
    receiver = sink()
    srv = server(artifacts["churn"], NB2SERVICE_LOG_PREDICTIONS="1", NB2SERVICE_LOG_SINK=receiver.url,
                 NB2SERVICE_LOG_MASK="zip", POD_NAMESPACE="ml")
    rows = examples(artifacts["churn"])
    answers = {}
    for i in range(6):
        batch = rows[i % len(rows):] or rows
        reply = requests.post(srv.url + "/predict", json=batch, headers={"X-Request-ID": f"r{i}"}, timeout=10)
        answers[f"r{i}"] = (batch, reply.json()["predictions"])
    v2 = requests.post(srv.url + "/v2/models/churn/infer", timeout=10, headers={"X-Request-ID": "v2"},
                       json={"inputs": [{"name": k, "shape": [1], "datatype": "BYTES" if isinstance(v, str) or v is None
                                         else "BOOL" if isinstance(v, bool) else "FP64", "data": [v]}
                                        for k, v in rows[1].items()]})
    assert v2.status_code == 200, v2.text
    events = _wait(lambda: (lambda got: got if len(got) == 2 * 7 else None)(receiver.received()))
    assert events is not None and len(receiver.received()) == 14, receiver.received()
    by_id: dict = {}
    for event in events:
        headers = {k.lower(): v for k, v in event["headers"].items()}
        assert headers["ce-specversion"] == "1.0" and headers["content-type"] == "application/json"
        assert headers["ce-inferenceservicename"] == "churn" and headers["ce-namespace"] == "ml"
        assert float(headers["ce-latencyms"]) > 0
        by_id.setdefault(headers["ce-id"], {})[headers["ce-type"]] = (headers, event["body"])
    assert sorted(by_id) == sorted([*answers, "v2"])
    for request_id, (batch, predictions) in answers.items():
        (req_headers, request), (_, response) = (by_id[request_id]["org.kubeflow.serving.inference.request"],
                                                 by_id[request_id]["org.kubeflow.serving.inference.response"])
        assert req_headers["ce-endpoint"] == "/predict"
        assert request["instances"] == [{**row, "zip": "***"} for row in batch]
        assert response["predictions"] == predictions
    assert by_id["v2"]["org.kubeflow.serving.inference.request"][1]["instances"] == [{**rows[1], "zip": "***"}]
    assert by_id["v2"]["org.kubeflow.serving.inference.response"][1]["predictions"] == \
        local_predict(artifacts["churn"], rows[1:2])
    metrics = requests.get(srv.url + "/metrics", timeout=10).text
    assert _metric(metrics, "nb2service_prediction_log_sent_total") == 7
    assert _metric(metrics, "nb2service_prediction_log_dropped_total") == 0


@pytest.mark.parametrize("down", ["stuck", "absent"])
def test_a_stuck_or_absent_sink_costs_predictions_nothing_and_the_drops_are_counted(artifacts, sink, server, down):
    if down == "stuck":
        url = sink("--hang").url  # accepts, never answers: each send would block for the whole timeout
    else:
        stopped = sink()
        url = stopped.url
        stopped.stop()  # nothing listens there any more
    srv = server(artifacts["array"], NB2SERVICE_LOG_PREDICTIONS="1", NB2SERVICE_LOG_SINK=url,
                 NB2SERVICE_LOG_QUEUE="4", NB2SERVICE_LOG_TIMEOUT="5")
    rows = examples(artifacts["array"])
    session = requests.Session()
    durations = []
    for _ in range(60):
        started = time.perf_counter()
        reply = session.post(srv.url + "/predict", json=rows, timeout=30)
        durations.append(time.perf_counter() - started)
        assert reply.status_code == 200 and reply.json()["predictions"] == local_predict(artifacts["array"], rows)
    durations.sort()
    # A synchronous send would take the sink's 5 s timeout on a stuck sink: no request comes near it.
    assert durations[-1] < 2.5, durations[-5:]
    assert durations[len(durations) // 2] < 0.25, durations
    reason = "queue_full" if down == "stuck" else "sink_error"
    dropped = _wait(lambda: _metric(requests.get(srv.url + "/metrics", timeout=10).text,
                                    f'nb2service_prediction_log_dropped_total{{reason="{reason}"}}'))
    assert dropped >= (60 - 2 * 5 if down == "stuck" else 1), dropped


@pytest.mark.parametrize("frames", [True, False], ids=["dataframe", "fast-path-columns"])
def test_inputs_are_logged_as_decoded_whichever_form_the_model_takes(frames):
    from builder.model.inputs import InputSchema
    from builder.serve.prediction_log import input_records

    schema = InputSchema.from_metadata({"input_kind": "dataframe", "inputs": [
        {"name": "tenure", "type": "integer", "dtype": "int64"}, {"name": "charges", "type": "number"},
        {"name": "contract", "type": "string", "dtype": "object"}, {"name": "active", "type": "boolean"},
        {"name": "seen", "type": "datetime", "dtype": "datetime64[ns]"}]})
    schema.frames = frames
    rows = [{"tenure": 3, "charges": None, "contract": "monthly", "active": True, "seen": "2024-01-02T03:04:05"},
            {"tenure": 0, "charges": 9.5, "contract": None, "active": False, "seen": "2024-02-01T00:00:00"}]
    assert input_records(schema.from_records(rows), schema) == rows
    masked = input_records(schema.from_records(rows), schema, frozenset({"contract"}))
    assert [r["contract"] for r in masked] == ["***", "***"]
