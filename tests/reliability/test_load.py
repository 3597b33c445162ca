"""Load, soak and faults under load, against the real gunicorn on 127.0.0.1 (2 workers).

CI: 12 s at concurrency 64, a 2,500-request soak, a kill -9 during 3,000 requests. ``make soak``
(``NB2SERVICE_RELIABILITY_SCALE=full``): 60 s at concurrency 64, 100,000 requests, a kill -9 during 30,000 requests.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
import requests

from .conftest import rss_kib, scale, worker_pids
from .load import run_load

pytestmark = pytest.mark.slow


def _body(artifact) -> bytes:
    return json.dumps({"instances": json.loads((artifact / "metadata.json").read_text())["examples"][:1]}).encode()


def _boots(server) -> int:
    return server.log.read_text().count("Booting worker with pid")


def test_sustained_load_at_concurrency_64_gives_no_errors_and_no_worker_restarts(reliability_artifacts, start_server):
    artifact = reliability_artifacts["churn"]
    server = start_server(artifact, workers=2)
    workers = worker_pids(server.proc.pid)
    assert len(workers) == 2
    result = run_load(server.port, "/predict", _body(artifact), concurrency=64, seconds=scale(12, 60))
    print(f"load: {result.requests} requests in {result.seconds:.1f} s ({result.rate:.0f}/s), "
          f"{result.errors} errors, statuses {dict(result.statuses)}")
    assert result.errors == 0, result.failures[:5]
    assert result.statuses[200] == result.requests > 0
    assert worker_pids(server.proc.pid) == workers and _boots(server) == 2  # no worker was restarted
    log = server.log.read_text()
    assert "WORKER TIMEOUT" not in log and "Worker exiting" not in log


def test_a_soak_grows_worker_memory_by_less_than_five_percent(reliability_artifacts, start_server):
    artifact = reliability_artifacts["churn"]
    server = start_server(artifact, workers=2)
    workers = sorted(worker_pids(server.proc.pid))
    total = scale(2_500, 100_000)
    baseline = {}

    def measure(count):  # after a tenth of the requests: every lazy import and cache is in place
        if count == total // 10:
            baseline.update({pid: rss_kib(pid) for pid in workers})

    result = run_load(server.port, "/predict", _body(artifact), concurrency=8, total=total, on_progress=measure)
    final = {pid: rss_kib(pid) for pid in workers}
    growth = {pid: (final[pid] - baseline[pid]) / baseline[pid] for pid in workers}
    print(f"soak: {result.requests} requests in {result.seconds:.1f} s ({result.rate:.0f}/s), {result.errors} errors; "
          f"worker RSS KiB {baseline} -> {final}; growth {', '.join(f'{g:+.2%}' for g in growth.values())}")
    assert result.errors == 0 and result.statuses[200] == total
    assert worker_pids(server.proc.pid) == set(workers)
    assert all(g < 0.05 for g in growth.values()), growth


def test_a_worker_killed_with_sigkill_under_load_is_replaced_and_almost_nothing_fails(
        reliability_artifacts, start_server, tmp_path):
    artifact = reliability_artifacts["array"]
    metrics = tmp_path / "metrics"
    server = start_server(artifact, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics)})
    before = worker_pids(server.proc.pid)
    total = scale(3_000, 30_000)
    events = {}
    go = threading.Event()

    def kill_one():  # a third of the way through the requests
        go.wait()
        victim = min(before)
        events["killed_at"] = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        while time.monotonic() - events["killed_at"] < 30:
            now = worker_pids(server.proc.pid)
            if len(now) == 2 and victim not in now:
                events["replaced_at"], events["replacement"] = time.monotonic(), (now - before).pop()
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_one)
    killer.start()
    result = run_load(server.port, "/predict", _body(artifact), concurrency=16, total=total, keep_times=True,
                      on_progress=lambda n: n == total // 3 and go.set())
    go.set()
    killer.join()
    assert "replaced_at" in events, "gunicorn did not replace the killed worker"
    recovery = events["replaced_at"] - events["killed_at"]
    after_kill = [t for t in result.successes if t > events["killed_at"]]
    gaps = [b - a for a, b in zip(after_kill, after_kill[1:])]
    print(f"kill -9: {result.requests} requests, {result.errors} failed ({result.errors / result.requests:.3%}): "
          f"{[f for _, f in result.failures][:3]}; replacement worker up {recovery:.2f} s after the kill; "
          f"longest gap between answers after the kill {max(gaps, default=0):.3f} s")
    assert result.errors / result.requests < 0.005
    assert any(t < events["replaced_at"] for t in after_kill), "nothing was answered while the worker was replaced"
    assert any(t > events["replaced_at"] for t in after_kill)
    assert requests.get(server.url + "/readyz").status_code == 200
    # the replacement served requests: it wrote its own metrics file
    assert any(p.name.endswith(f"_{events['replacement']}.db") for p in metrics.iterdir())


def test_sigterm_lets_a_slow_request_in_flight_finish_before_the_server_exits(
        reliability_artifacts, start_server, tmp_path):
    marker = tmp_path / "in-flight"
    server = start_server(reliability_artifacts["trap"], workers=1, env={"RELIABILITY_IN_FLIGHT": str(marker)})
    answer = {}

    def slow_request():
        response = requests.post(server.url + "/predict", json=[[4242.0, 0.0, 0.0, 0.0]], timeout=60)
        answer.update(status=response.status_code, body=response.json(), at=time.monotonic())

    client = threading.Thread(target=slow_request)
    client.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists(), "the slow request never reached the model"
    server.proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    code = server.proc.wait(timeout=30)
    exited = time.monotonic()
    client.join(timeout=30)
    assert answer.get("status") == 200 and answer["body"]["predictions"], answer
    assert answer["at"] <= exited and code == 0
    assert exited - answer["at"] < 1, f"the server exited {exited - answer['at']:.2f} s after the last answer"
    print(f"SIGTERM: the in-flight request finished {answer['at'] - signalled:.2f} s after the signal; "
          f"the server exited {exited - signalled:.2f} s after it")
