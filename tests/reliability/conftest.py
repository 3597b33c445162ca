"""Fixtures for the reliability tests: small artifacts made in code (as tests/serve makes them), a
real ``nb2service serve`` on an ephemeral 127.0.0.1 port, and the scale knob.

``NB2SERVICE_RELIABILITY_SCALE=full`` (``make soak`` / ``make fuzz``) runs the long variants: 60 s of
load at concurrency 64, 100,000 soak requests and more than 1,000 fuzzed requests per endpoint family.
The default is the CI variant, sized to run in a few minutes on 2 busy cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.serve.conftest import SERVE_ENV, write_artifact
from tests.serve.live import Server

HERE = Path(__file__).resolve().parent
FULL = os.environ.get("NB2SERVICE_RELIABILITY_SCALE") == "full"


def scale(ci, full):
    """The CI size or the full size of a long test."""
    return full if FULL else ci


@pytest.fixture(autouse=True)
def clean_serve_environment(monkeypatch):
    for name in [*SERVE_ENV, "FLASK_DEBUG", "FLASK_ENV"]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def reliability_artifacts(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reliability-artifacts")
    made = {kind: write_artifact(root / kind, kind) for kind in ("churn", "array", "text")}
    made["trap"] = trap_artifact(root / "trap")
    return made


def trap_artifact(out: Path) -> Path:
    """An array model whose first step sleeps or raises on a magic first value (see nb2service_test_models)."""
    import joblib
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    sys.path.insert(0, str(HERE))
    try:
        import nb2service_test_models as models
    finally:
        sys.path.remove(str(HERE))
    write_artifact(out, "array")
    fitted = joblib.load(out / "model.joblib")
    joblib.dump(make_pipeline(FunctionTransformer(models.pause_or_fail), fitted), out / "model.joblib")
    meta = json.loads((out / "metadata.json").read_text())
    meta["model"]["sha256"] = hashlib.sha256((out / "model.joblib").read_bytes()).hexdigest()
    meta["name"] = "trap"
    (out / "metadata.json").write_text(json.dumps(meta, indent=2))
    return out


@pytest.fixture
def start_server(tmp_path):
    """``start_server(artifact, workers=2, env={...})``: a real ``nb2service serve``, ready, stopped at the end."""
    started = []

    def start(artifact: Path, workers: int = 2, env: dict | None = None, wait: bool = True) -> Server:
        env = {"PYTHONPATH": str(HERE), **(env or {})}
        server = Server(artifact, tmp_path / f"server-{len(started)}.log", workers=workers, env=env)
        started.append(server)
        if wait:
            server.wait_ready()
            deadline = time.monotonic() + 60
            while len(worker_pids(server.proc.pid)) < workers and time.monotonic() < deadline:
                time.sleep(0.05)  # /readyz answers as soon as the first worker is up
            time.sleep(0.2)
        return server
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def world_readable_copy():
    """Copies of an artifact in a fresh /tmp folder that any uid may read (pytest's tmp_path is root-only)."""
    made = []

    def copy(artifact: Path) -> Path:
        parent = Path(tempfile.mkdtemp(prefix="nb2service-reliability-"))
        made.append(parent)
        os.chmod(parent, 0o755)
        target = Path(shutil.copytree(artifact, parent / artifact.name))
        return target
    yield copy
    for parent in made:
        for path in [parent, *parent.rglob("*")]:
            if path.is_dir():
                os.chmod(path, 0o755)
            else:
                os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        shutil.rmtree(parent, ignore_errors=True)


def worker_pids(master: int) -> set[int]:
    """The gunicorn master's child processes (its workers)."""
    children = set()
    for task in Path(f"/proc/{master}/task").iterdir():
        try:
            children.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            pass
    return children


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")
