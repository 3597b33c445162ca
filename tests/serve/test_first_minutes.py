"""The service's first minutes, through the real server (`nb2service serve`, gunicorn): what a first
user sends with curl, tritonclient's defaults, a browser at `/`, `/metrics` under several workers,
`/model`, and strict inputs."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests

from .conftest import examples, local_predict

#: What `curl -d '...'` sends when no Content-Type is given.
CURL_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
COMPLETE = [{"tenure": 61, "charges": 106.07, "contract": "monthly", "zip": "94105", "paperless": False},
            {"tenure": 3, "charges": 80.5, "contract": "two-year", "zip": "10001", "paperless": True}]


# ---- what curl sends -------------------------------------------------------------------------------

@pytest.mark.parametrize("path, body, answer", [
    ("/predict", {"instances": COMPLETE}, lambda b: b["predictions"]),
    ("/v1/models/churn:predict", {"instances": COMPLETE}, lambda b: b["predictions"]),
    ("/v2/models/churn/infer", {"inputs": [{"name": k, "shape": [2], "datatype": t, "data": [r[k] for r in COMPLETE]}
                                           for k, t in [("tenure", "INT64"), ("charges", "FP64"), ("contract", "BYTES"),
                                                        ("zip", "BYTES"), ("paperless", "BOOL")]]},
     lambda b: b["outputs"][0]["data"]),
], ids=["native", "v1", "v2"])
def test_json_sent_by_curl_d_without_a_content_type_is_read_as_json(live, artifacts, path, body, answer):
    response = requests.post(live["churn"].url + path, data=json.dumps(body), headers=CURL_FORM)
    assert response.status_code == 200, response.text
    assert answer(response.json()) == local_predict(artifacts["churn"], COMPLETE)


def test_a_form_that_is_not_json_is_told_to_send_json_with_its_content_type(live):
    response = requests.post(live["churn"].url + "/predict", data="tenure=3&zip=10001", headers=CURL_FORM)
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.json()["error"] and response.json()["field"] == "json_args"
    # the nachlass form field still works
    form = requests.post(live["churn"].url + "/predict", data={"json_args": json.dumps(COMPLETE)})
    assert form.status_code == 200 and len(form.json()["predictions"]) == 2


def test_mlflow_invocations_refuse_the_form_type_as_mlflow_does_but_say_what_to_add(live):
    response = requests.post(live["churn"].url + "/invocations", data=json.dumps({"dataframe_records": COMPLETE}),
                             headers=CURL_FORM)
    assert response.status_code == 415
    assert "add -H 'Content-Type: application/json'" in response.json()["message"]


@pytest.mark.parametrize("path", ["/predict", "/invocations"])
def test_csv_without_its_header_row_is_told_it_lacks_the_header(live, path):
    response = requests.post(live["churn"].url + path, data="61,106.07,monthly,94105,false\n",
                             headers={"Content-Type": "text/csv"})
    assert response.status_code == 400
    message = response.json().get("error") or response.json()["message"]
    assert "has no header row" in message and "tenure,charges,contract,zip,paperless" in message


def test_every_missing_column_is_named_in_one_answer(live):
    response = requests.post(live["churn"].url + "/predict", json=[{"tenure": 3, "zip": "10001"}])
    assert response.status_code == 400
    assert response.json() == {"error": "missing 3 columns in row 0: 'charges' (number), 'contract' (string), "
                                        "'paperless' (boolean)", "field": "charges"}


# ---- tritonclient, unmodified, with its defaults (binary tensor data) ------------------------------------

def _triton_inputs(rows, binary: bool = True):
    import numpy as np
    import tritonclient.http as triton

    inputs = []
    for name, datatype in [("tenure", "INT64"), ("charges", "FP64"), ("contract", "BYTES"), ("zip", "BYTES"),
                           ("paperless", "BOOL")]:
        values = np.array([r[name] for r in rows], dtype=object if datatype == "BYTES" else None)
        tensor = triton.InferInput(name, [len(rows)], datatype)
        tensor.set_data_from_numpy(values) if binary else tensor.set_data_from_numpy(values, binary_data=False)
        inputs.append(tensor)
    return inputs


def test_tritonclient_with_its_defaults_sends_and_receives_binary_tensors(live, artifacts):
    import tritonclient.http as triton

    client = triton.InferenceServerClient(url=f"127.0.0.1:{live['churn'].port}")
    try:
        result = client.infer("churn", _triton_inputs(COMPLETE))  # no outputs named: binary_data_output
        assert result.get_output("predict")["parameters"]["binary_data_size"] > 0
        assert [v.decode() for v in result.as_numpy("predict").tolist()] == local_predict(artifacts["churn"], COMPLETE)
        outputs = [triton.InferRequestedOutput("predict"), triton.InferRequestedOutput("predict_proba")]
        result = client.infer("churn", _triton_inputs(COMPLETE), outputs=outputs)
        expected = local_predict(artifacts["churn"], COMPLETE, proba=True)
        assert result.as_numpy("predict_proba").tolist() == expected  # FP64 bytes: exact
        assert result.get_output("predict_proba")["parameters"]["classes"] == "no,yes"
        # JSON inputs with binary outputs, and the other way round
        mixed = client.infer("churn", _triton_inputs(COMPLETE, binary=False), outputs=outputs[:1])
        assert [v.decode() for v in mixed.as_numpy("predict").tolist()] == local_predict(artifacts["churn"], COMPLETE)
        json_out = client.infer("churn", _triton_inputs(COMPLETE),
                                outputs=[triton.InferRequestedOutput("predict", binary_data=False)])
        assert "data" in json_out.get_output("predict")
    finally:
        client.close()


def test_tritonclient_binary_tensors_of_an_array_model(live, artifacts):
    import numpy as np
    import tritonclient.http as triton

    rows = examples(artifacts["array"])
    tensor = triton.InferInput("input-0", [len(rows), 4], "FP64")
    tensor.set_data_from_numpy(np.asarray(rows, dtype="float64"))
    client = triton.InferenceServerClient(url=f"127.0.0.1:{live['array'].port}")
    try:
        result = client.infer("array", [tensor], outputs=[triton.InferRequestedOutput("predict")])
        assert result.as_numpy("predict").tolist() == local_predict(artifacts["array"], rows)
    finally:
        client.close()


# ---- GET /, /model -------------------------------------------------------------------------------------

def test_a_browser_at_the_root_is_sent_to_the_docs_and_api_clients_are_told_it_is_alive(live):
    url = live["churn"].url
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = requests.get(url + "/", headers=browser)
    assert page.history and page.history[0].status_code == 302 and page.url == url + "/docs"
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    for accept in ("*/*", "application/json", None):  # curl, KServe's V1 client (httpx), no header
        headers = {"Accept": accept} if accept else {}
        response = requests.get(url + "/", headers=headers, allow_redirects=False)
        assert response.status_code == 200 and response.json() == {"status": "alive"}


def test_model_shows_no_filesystem_path_of_the_build_machine(live, artifacts):
    served = requests.get(live["churn"].url + "/model").json()
    on_disk = json.loads((artifacts["churn"] / "metadata.json").read_text())
    text = json.dumps(served)
    for path in (on_disk["environment"]["python"], on_disk["environment"]["lib"], str(artifacts["churn"])):
        assert path not in text
    assert served["inputs"] == on_disk["inputs"] and served["model"]["sha256"] == on_disk["model"]["sha256"]


# ---- process_* metrics under several workers -----------------------------------------------------------

def _process_series(text: str, name: str) -> dict[tuple[str, str], float]:
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[(sample.labels["role"], sample.labels["pid"])] = sample.value
    return found


def _worker_pids(master: int, count: int = 2) -> set[int]:
    """gunicorn's workers, once ``count`` of them run (ready means one answers, not that all forked)."""
    deadline = time.monotonic() + 30
    while True:
        pids = {int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()}
        if len(pids) >= count or time.monotonic() > deadline:
            return pids
        time.sleep(0.1)


def test_process_metrics_describe_the_master_and_each_live_worker(artifacts, start_server):
    server = start_server(artifacts["churn"], workers=2)
    master = server.proc.pid  # `nb2service serve` exec'd into gunicorn's master
    workers = _worker_pids(master)
    assert len(workers) == 2
    expected = {("master", str(master))} | {("worker", str(p)) for p in workers}
    for _ in range(4):  # whichever worker answers, every process of the server is described
        text = requests.get(server.url + "/metrics").text
        for name in ("process_resident_memory_bytes", "process_virtual_memory_bytes", "process_cpu_seconds_total",
                     "process_open_fds", "process_max_fds", "process_start_time_seconds"):
            assert set(_process_series(text, name)) == expected, name
        rss = _process_series(text, "process_resident_memory_bytes")
        assert all(value > 10 * 2 ** 20 for value in rss.values())  # a Python process with the model: > 10 MiB
        starts = _process_series(text, "process_start_time_seconds")
        assert abs(starts[("master", str(master))] - time.time()) < 600
    victim = sorted(workers)[0]
    os.kill(victim, signal.SIGKILL)  # gunicorn replaces the worker; its series go, its successor's come
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and victim in _worker_pids(master):
        time.sleep(0.2)
    replaced = _worker_pids(master)
    assert victim not in replaced and len(replaced) == 2
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the new worker may still be loading: retry until it answers
        try:
            text = requests.get(server.url + "/metrics", timeout=5).text
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    pids = {pid for _, pid in _process_series(text, "process_cpu_seconds_total")}
    assert pids == {str(master)} | {str(p) for p in replaced}


# ---- strict inputs -------------------------------------------------------------------------------------

UNKNOWN_CATEGORY = {**COMPLETE[0], "zip": "99999"}
OUT_OF_RANGE = {**COMPLETE[0], "tenure": 500}


def test_unknown_categories_and_out_of_range_values_are_accepted_by_default(live):
    response = requests.post(live["churn"].url + "/predict", json=[UNKNOWN_CATEGORY, OUT_OF_RANGE])
    assert response.status_code == 200 and len(response.json()["predictions"]) == 2


def _elsewhere(tmp_path):
    """The churn artifact recorded with another name of this interpreter, so `serve` re-executes
    itself in that "build environment" (as with a real build) and must pass its options on."""
    import sys

    from .conftest import write_artifact

    here = Path(sys.executable)
    other = next(here.with_name(n) for n in (f"python{sys.version_info[0]}.{sys.version_info[1]}", "python3", "python")
                 if n != here.name and here.with_name(n).exists())
    return write_artifact(tmp_path / "churn", "churn", python=str(other))


@pytest.mark.parametrize("how", ["environment", "flag"])
def test_strict_inputs_refuse_them_naming_the_field_and_what_training_saw(artifacts, start_server, how, tmp_path):
    if how == "environment":
        server = start_server(artifacts["churn"], env={"NB2SERVICE_STRICT_INPUTS": "1"})
    else:
        server = start_server(_elsewhere(tmp_path), args=("--strict",))
        argv = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"builder.serve" in argv and b"--strict" in argv  # re-executed, the flag passed on
    url = server.url
    unknown = requests.post(url + "/predict", json=[COMPLETE[0], UNKNOWN_CATEGORY])
    assert unknown.status_code == 400 and unknown.json()["field"] == "zip"
    assert unknown.json()["error"] == ("column 'zip', row 1: '99999' is unlike the training data (training saw only "
                                       "'02134', '10001', '94105'); strict inputs are on (NB2SERVICE_STRICT_INPUTS)")
    outside = requests.post(url + "/invocations", json={"dataframe_records": [OUT_OF_RANGE]})
    assert outside.status_code == 400 and outside.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "column 'tenure', row 0: 500 is unlike the training data (training saw values from 0 to 71)" in \
        outside.json()["message"]
    v2 = requests.post(url + "/v2/models/churn/infer", json={"inputs": [
        {"name": k, "shape": [1], "datatype": t, "data": [UNKNOWN_CATEGORY[k]]}
        for k, t in [("tenure", "INT64"), ("charges", "FP64"), ("contract", "BYTES"), ("zip", "BYTES"),
                     ("paperless", "BOOL")]]})
    assert v2.status_code == 400 and "'99999' is unlike the training data" in v2.json()["error"]
    # what training saw, and missing values, still pass
    assert requests.post(url + "/predict", json=examples(artifacts["churn"])).status_code == 200


def test_a_real_browser_opening_the_root_lands_on_the_docs(live):
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is needed (.ci/run installs it)"
    page = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000",
                           "--dump-dom", live["churn"].url + "/"], capture_output=True, text=True, timeout=120)
    assert "<title>churn model service</title>" in page.stdout, page.stderr[-2000:]
    assert "swagger-ui" in page.stdout and '<pre>{"status"' not in page.stdout  # the docs, not the JSON answer
