"""The CLI as a user runs it, on one notebook repo built once: the summary's serve command pasted into a
shell, `serve REPO`, `--model-name`, a port already taken, and the artifact copied elsewhere after the
build's environment cache is gone (recreated from requirements.lock, then again offline from uv's cache).
Every server is the real one (gunicorn), asked over HTTP."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import notebook

NB2SERVICE = str(Path(sys.executable).parent / "nb2service")
TRAIN = ("import pandas as pd\n"
         "from sklearn.linear_model import LogisticRegression\n"
         "from sklearn.compose import make_column_transformer\n"
         "from sklearn.pipeline import make_pipeline\n"
         "from sklearn.preprocessing import OneHotEncoder\n"
         "X_train = pd.DataFrame({'plan': ['basic', 'pro', 'basic', 'team', 'pro', 'team'] * 5,\n"
         "                        'usage': [1.0, 9.5, 2.5, 7.0, 8.0, 6.5] * 5})\n"
         "y_train = (X_train['usage'] > 5).astype(int)\n"
         "model = make_pipeline(make_column_transformer((OneHotEncoder(), ['plan']), remainder='passthrough'),\n"
         "                      LogisticRegression()).fit(X_train, y_train)")
ROWS = [{"plan": "basic", "usage": 1.5}, {"plan": "pro", "usage": 8.2}, {"plan": "team", "usage": 5.1}]

pytestmark = pytest.mark.slow


def _environ(**extra) -> dict:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("NB2SERVICE_", "UV_OFFLINE", "MODEL_", "PORT", "GUNICORN_"))}
    return {**environ, **extra}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``(folder, repo, build stdout)``: "my repo" (a space, so paths need quoting) built with its own
    environment cache ``folder/cache``, from ``folder`` as the working directory."""
    folder = tmp_path_factory.mktemp("cli")
    repo = folder / "my repo"
    repo.mkdir()
    import nbformat

    nbformat.write(notebook(TRAIN, "model.score(X_train, y_train)"), repo / "plans.ipynb")
    result = subprocess.run([NB2SERVICE, "build", "my repo"], cwd=folder, capture_output=True, text=True,
                            env=_environ(NB2SERVICE_CACHE_DIR=str(folder / "cache")), timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return folder, repo, result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``command`` (a list, or a shell line) started with ``--port``; stopped with SIGTERM."""

    def __init__(self, command, cwd: Path, env: dict, log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "w") as out:
            shell = isinstance(command, str)
            line = f"exec {command} --workers 1 --port {self.port}" if shell else \
                [*command, "--workers", "1", "--port", str(self.port)]
            self.proc = subprocess.Popen(line, shell=shell, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 300) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        pytest.fail(f"not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def predict(self) -> dict:
        answer = requests.post(self.url + "/predict", json={"instances": ROWS}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.log.read_text()


@pytest.fixture
def serve(tmp_path):
    started = []

    def start(command, cwd: Path, **env) -> Server:
        server = Server(command, cwd, _environ(**env), tmp_path / f"server-{len(started)}.log")
        started.append(server)
        return server.wait_ready()
    yield start
    for server in started:
        server.stop()


def test_the_build_summary_ends_with_a_command_that_serves_the_repo_when_pasted(built, serve):
    folder, repo, stdout = built
    command = stdout.strip().splitlines()[-1].strip()
    assert command == f"{NB2SERVICE} serve 'my repo'"
    assert (repo / ".nb2service" / "artifact" / "metadata.json").is_file()
    server = serve(command, folder, NB2SERVICE_CACHE_DIR=str(folder / "cache"))
    assert server.predict()["predictions"] == [0, 1, 1]


def test_serve_on_a_folder_with_no_artifact_says_to_build_it(tmp_path):
    (tmp_path / "unbuilt").mkdir()
    result = subprocess.run([NB2SERVICE, "serve", "unbuilt"], cwd=tmp_path, capture_output=True, text=True,
                            env=_environ(), timeout=120)
    assert result.returncode == 8
    assert "unbuilt: no artifact here" in result.stderr and "hint: build it first: nb2service build unbuilt" \
        in result.stderr


def test_model_name_option_names_the_artifacts_model_on_the_v1_and_v2_paths_over_the_variable(built, serve):
    folder, repo, _ = built
    server = serve([NB2SERVICE, "serve", str(repo / ".nb2service" / "artifact"), "--model-name", "plans-v2"],
                   folder, NB2SERVICE_CACHE_DIR=str(folder / "cache"), MODEL_NAME="from-the-variable")
    assert requests.get(server.url + "/v2/models/plans-v2/ready").status_code == 200
    assert requests.get(server.url + "/v2/models/from-the-variable/ready").status_code == 404
    assert requests.get(server.url + "/v2/models/plans/ready").status_code == 404
    answer = requests.post(server.url + "/v1/models/plans-v2:predict", json={"instances": ROWS})
    assert answer.status_code == 200 and answer.json()["predictions"] == [0, 1, 1]
    assert "serving plans-v2 on" in server.stop()


def test_a_taken_port_is_one_clear_error_with_exit_10_and_nothing_says_ready(built):
    folder, repo, _ = built
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([NB2SERVICE, "serve", str(repo), "--port", str(port)], capture_output=True, text=True,
                                env=_environ(NB2SERVICE_CACHE_DIR=str(folder / "cache")), timeout=120)
    assert result.returncode == 10
    said = result.stdout + result.stderr
    assert [line for line in said.splitlines() if line.startswith("ERROR:")] == [
        f"ERROR: cannot serve on 127.0.0.1:{port}: the port is already in use by another process; nothing was started"]
    assert "hint: stop that process" in result.stderr and "--port " in result.stderr
    for words in (r"\bready\b", r"\bserving\b", "try:", "Listening", "loaded model", "Connection in use"):
        assert not re.search(words, said), said


def test_an_artifact_copied_elsewhere_serves_after_its_environment_cache_is_gone(built, serve, tmp_path):
    """Build, copy the artifact to a new folder, clear the build's environment cache, serve: the
    environment is made again from requirements.lock and predicts the same; then once more offline."""
    folder, repo, _ = built
    before = serve([NB2SERVICE, "serve", str(repo)], folder, NB2SERVICE_CACHE_DIR=str(folder / "cache")).predict()
    moved = Path(shutil.copytree(repo / ".nb2service" / "artifact", tmp_path / "elsewhere" / "plans"))
    meta = json.loads((moved / "metadata.json").read_text())
    assert meta["python"].count(".") == 2 and Path(meta["environment"]["python"]).exists()
    hidden = folder / "cache-hidden"
    (folder / "cache").rename(hidden)  # the build's cache is gone (put back for the other tests at the end)
    try:
        assert not Path(meta["environment"]["python"]).exists()
        new_cache = tmp_path / "new-cache"
        server = serve([NB2SERVICE, "serve", str(moved)], tmp_path, NB2SERVICE_CACHE_DIR=str(new_cache))
        assert server.predict() == before
        log = server.stop()
        assert f"the build environment {meta['environment']['path']} is gone; recreating it from requirements.lock" \
            in log and "the model is not retrained" in log and "---> recreated in" in log
        assert log.index("recreated in") < log.index("serving plans on")

        shutil.rmtree(new_cache / "runtimes")  # offline: uv installs from its cache, filled by the first time
        offline = serve([NB2SERVICE, "serve", str(moved)], tmp_path, NB2SERVICE_CACHE_DIR=str(new_cache),
                        UV_OFFLINE="1")
        assert offline.predict() == before
        assert "recreating it from requirements.lock" in offline.stop()
    finally:
        hidden.rename(folder / "cache")
