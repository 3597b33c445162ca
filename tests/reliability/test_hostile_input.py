"""Hostile input: nothing a client sends is unpickled or evaluated; body size and JSON nesting limits;
error bodies carry no traceback; no debug mode, even with FLASK_DEBUG=1 in the environment."""

from __future__ import annotations

import base64
import json
import os
import pickle
import re
import time
from pathlib import Path

import pytest
import requests

from builder.config import ServeSettings

ROOT = Path(__file__).resolve().parents[2]
PREDICT_PATHS = ("/predict", "/invocations", "/v1/models/{name}:predict", "/v2/models/{name}/infer")


class Exploit:
    """Unpickling this runs ``open(marker, 'w')``: a side effect the test can look for."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def app_for(reliability_artifacts):
    from builder.serve.app import create_app

    made = {}

    def get(kind, **settings):
        key = (kind, tuple(sorted(settings.items())))
        if key not in made:
            made[key] = create_app(reliability_artifacts[kind], ServeSettings(**settings))
        return made[key]
    return get


def _paths(app):
    name = app.extensions["nb2service"].runtime.name
    return [p.format(name=name) for p in PREDICT_PATHS]


def test_pickles_sent_by_a_client_are_never_unpickled(app_for, tmp_path):
    app = app_for("churn")
    client = app.test_client()
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(Exploit(marker))
    encoded = base64.b64encode(payload).decode()
    attempts = [
        ("/predict", {"data": {"json_args": payload.decode("latin-1")}}),
        ("/predict", {"data": {"json_args": encoded}}),
        ("/predict", {"data": {"json_args": json.dumps([encoded])}}),
        ("/predict", {"data": payload, "content_type": "application/octet-stream"}),
        ("/predict", {"data": payload, "content_type": "application/python-pickle"}),
        ("/predict", {"data": payload, "content_type": "application/json"}),
        ("/predict", {"json": {"instances": [{"contract": encoded, "zip": encoded, "tenure": 1, "charges": 2.0,
                                              "paperless": True}]}}),
        ("/invocations", {"data": payload, "content_type": "application/json"}),
        ("/invocations", {"json": {"inputs": encoded}}),
        ("/v2/models/churn/infer", {"json": {"inputs": [{"name": "contract", "shape": [1], "datatype": "BYTES",
                                                          "data": [encoded]}]}}),
        ("/v2/models/churn/infer", {"data": payload, "content_type": "application/octet-stream"}),
        ("/v1/models/churn:predict", {"data": payload}),
    ]
    for path, kwargs in attempts:
        response = client.post(path, **kwargs)
        assert response.status_code < 500, (path, response.status_code, response.get_data()[:200])
    assert not marker.exists(), "a client's pickle was unpickled"


def test_python_sent_as_values_is_data_never_code(app_for, tmp_path):
    client = app_for("churn").test_client()
    marker = tmp_path / "evaluated"
    code = f"__import__('builtins').open({str(marker)!r}, 'w')"
    row = {"tenure": code, "charges": code, "contract": code, "zip": code, "paperless": code}
    for body in ([row], [{**row, "tenure": 3, "charges": 1.0, "paperless": True}]):
        response = client.post("/predict", json=body)
        assert response.status_code in (200, 400), response.get_data()[:300]
    assert client.post("/predict", data=f"tenure,charges,contract,zip,paperless\n{code!r},1,a,b,true\n",
                       content_type="text/csv").status_code == 400
    assert not marker.exists()


def test_nothing_on_the_request_path_unpickles_or_evaluates():
    """The only unpickling is of the artifact's own model file, after its sha256 was checked."""
    risky = re.compile(r"\b(pickle\.loads?|cloudpickle|marshal\.loads|eval|exec|yaml\.load|__import__)\s*\(")
    found = []
    for folder in ("builder/serve", "builder/model"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if risky.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, found


@pytest.mark.parametrize("kind", ["churn", "array", "text"])
def test_json_nested_ten_thousand_levels_deep_is_a_fast_400_on_every_protocol(app_for, kind):
    app = app_for(kind)
    client = app.test_client()
    deep = b"[" * 10_000 + b"]" * 10_000
    wrapped = {"/predict": deep, "/invocations": b'{"instances": ' + deep + b"}",
               "/v1": b'{"instances": ' + deep + b"}",
               "/v2": b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": ' + deep + b"}]}"}
    example = json.loads(json.dumps(app.extensions["nb2service"].model.metadata["examples"][:1]))

    def timed(path, data):
        best, response = None, None
        for _ in range(3):
            started = time.perf_counter()
            response = client.post(path, data=data, content_type="application/json")
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        return best, response

    normal, ok = timed("/predict", json.dumps(example))
    assert ok.status_code == 200
    for path in _paths(app):
        key = next(k for k in wrapped if path.startswith(k))
        elapsed, response = timed(path, wrapped[key])
        assert response.status_code == 400, (path, response.get_data()[:300])
        assert "1024 levels" in response.get_data(as_text=True)
        assert elapsed < 10 * normal + 0.05, (path, elapsed, normal)  # refused before any real work
    form = client.post("/predict", data={"json_args": deep.decode()})
    assert form.status_code == 400


def test_tensor_data_nested_just_under_the_json_limit_is_a_400_not_a_recursion_error(app_for):
    client = app_for("churn").test_client()
    data = "[" * 1020 + "1.0" + "]" * 1020  # orjson reads up to 1024 levels; decoding must not recurse
    inputs = ", ".join(f'{{"name": "{c}", "shape": [1], "datatype": "FP64", "data": {data}}}'
                       for c in ("tenure", "charges", "contract", "zip", "paperless"))
    response = client.post("/v2/models/churn/infer", data='{"inputs": [%s]}' % inputs, content_type="application/json")
    assert response.status_code in (200, 400), response.get_data()[:300]


@pytest.mark.parametrize("value", ["1e400", "-1e400", "Infinity", '"inf"', "99999999999999999999999", "9223372036854775808"])
def test_numbers_no_model_can_take_are_a_400_naming_the_column(app_for, value):
    client = app_for("churn").test_client()
    body = '[{"tenure": %s, "charges": 1.0, "contract": "monthly", "zip": "02134", "paperless": true}]' % value
    response = client.post("/predict", data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["field"] == "tenure", response.get_data()[:300]
    if "inf" in value.lower() or "e400" in value:  # array models take floats: only non-finite ones are refused
        array = app_for("array").test_client().post("/predict", data="[[%s, 1, 1, 1]]" % value,
                                                    content_type="application/json")
        assert array.status_code == 400 and array.get_json()["field"] == "x0", array.get_data()[:300]


def test_bodies_over_the_size_limit_are_a_413_on_every_protocol_and_form(app_for):
    app = app_for("churn", max_request_bytes=2000)
    client = app.test_client()
    big = json.dumps({"instances": [{"contract": "x" * 5000}]})
    for path in _paths(app):
        response = client.post(path, data=big, content_type="application/json")
        assert response.status_code == 413, (path, response.status_code)
        assert "NB2SERVICE_MAX_REQUEST_BYTES" in response.get_data(as_text=True)
    assert client.post("/predict", data={"json_args": big}).status_code == 413


def test_error_bodies_never_carry_a_traceback_or_the_model_s_internals(app_for, monkeypatch):
    app = app_for("trap")
    client = app.test_client()
    failed = client.post("/predict", json=[[-4242.0, 0.0, 0.0, 0.0]])
    assert failed.status_code == 500
    text = failed.get_data(as_text=True)
    assert failed.get_json() == {"error": "the model failed to predict: RuntimeError", "field": None}
    for leak in ("Traceback", 'File "', "secret internals", "0xdeadbeef", ".py"):
        assert leak not in text
    service = app.extensions["nb2service"]
    monkeypatch.setattr(service.dataplane, "predict", lambda *a, **k: {}["no such key in /srv/secret.py"])
    for path in _paths(app):
        body = [[1.0, 2.0, 3.0, 4.0]] if "v2" not in path else {
            "inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}
        wrapped = {"instances": body} if "invocations" in path or "v1" in path else body
        response = client.post(path, json=wrapped)
        assert response.status_code == 500, (path, response.status_code, response.get_data()[:200])
        assert "secret.py" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)


@pytest.mark.slow
def test_flask_debug_in_the_environment_does_not_turn_on_debug_mode_or_the_werkzeug_debugger(
        reliability_artifacts, start_server):
    server = start_server(reliability_artifacts["trap"], workers=1,
                          env={"FLASK_DEBUG": "1", "FLASK_ENV": "development", "WERKZEUG_DEBUG_PIN": "off"})
    for path in ("/console", "/?__debugger__=yes&cmd=resource&f=debugger.js", "/predict?__debugger__=yes&cmd=printpin"):
        response = requests.get(server.url + path)
        assert "Werkzeug Debugger" not in response.text and "debugger.js" not in response.text
        assert response.headers["Content-Type"].startswith("application/json")
        if path.startswith("/?"):  # the root answers API clients as KServe does, whatever the query
            assert response.status_code == 200 and response.json() == {"status": "alive"}
        else:
            assert response.status_code in (404, 405)
    failed = requests.post(server.url + "/predict", json=[[-4242.0, 0.0, 0.0, 0.0]])
    assert failed.status_code == 500 and "Traceback" not in failed.text and "__debugger__" not in failed.text
    assert "RuntimeError: secret internals" in server.log.read_text()  # the traceback is logged, not sent
    from builder.serve.app import create_app

    os.environ["FLASK_DEBUG"] = "1"
    try:
        assert create_app(reliability_artifacts["trap"]).debug is False
    finally:
        del os.environ["FLASK_DEBUG"]
