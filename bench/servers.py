"""The three servers under test, each started from the same fitted pipeline on 127.0.0.1.

- nb2service: ``nb2service serve ARTIFACT`` (gunicorn + flask, the ONNX fast path when the build
  verified one), native ``POST /predict``.
- MLflow: ``mlflow models serve --env-manager local`` on an MLflow-saved copy of the model
  (``mlflow.sklearn.save_model``, cloudpickle format, signature inferred from 20 rows),
  ``POST /invocations`` with ``dataframe_split``.
- MLServer: ``mlserver start`` with its scikit-learn runtime on a joblib copy, Open Inference
  Protocol ``POST /v2/models/churn/infer`` with one input per column (``content_type: pd``).

Each runs in its own venv (bench/.venvs/NAME) with the scikit-learn, pandas and numpy versions of
the artifact's lock, so the same pickle loads everywhere.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / "bench" / ".venvs"
#: uvloop 0.22 broke MLServer 1.7.1's parallel workers ("There is no current event loop in thread")
PEERS = {"mlflow": ["mlflow"], "mlserver": ["mlserver", "mlserver-sklearn", "uvloop<0.22"]}
PINNED = ("scikit-learn", "pandas", "numpy", "scipy", "joblib")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def ensure_venv(name: str, lock: dict, log=print) -> Path:
    """bench/.venvs/NAME with the peer's packages and the artifact's scikit-learn stack."""
    venv = VENVS / name
    wanted = sorted(PEERS[name] + [f"{pkg}=={lock[pkg]}" for pkg in PINNED if pkg in lock])
    marker = venv / "bench-requirements.json"
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return venv
    log(f"---> making {venv} ({', '.join(wanted)})")
    VENVS.mkdir(parents=True, exist_ok=True)
    if not (venv / "bin" / "python").exists():
        subprocess.run([uv(), "venv", "--quiet", "--python", str(Path(os.sys.executable).resolve()), str(venv)],
                       check=True)
    subprocess.run([uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *wanted], check=True)
    marker.write_text(json.dumps(wanted))
    return venv


def versions(venv: Path, names: list[str]) -> dict:
    code = ("import importlib.metadata as m, json, sys; out = {}\n"
            "for n in sys.argv[1:]:\n"
            "    try: out[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code, *names], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@dataclass
class Server:
    """A started server: its process (a session leader: the whole tree is stopped together)."""

    name: str
    url: str
    ready_path: str
    proc: subprocess.Popen
    log: Path
    started: float
    ready_seconds: float | None = None
    extra: dict = field(default_factory=dict)

    def wait_ready(self, timeout: float = 120.0) -> float:
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=1) as response:
                    if response.status == 200:
                        self.ready_seconds = time.monotonic() - self.started
                        return self.ready_seconds
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.log}")

    def settle(self, timeout: float = 20.0) -> None:
        """Wait until the process tree stops changing for a second (every worker forked)."""
        deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
        while time.monotonic() < deadline:
            count = len(_tree(self.proc.pid))
            if count != last:
                last, since = count, time.monotonic()
            elif time.monotonic() - since >= 1.0:
                return
            time.sleep(0.1)

    def post(self, path: str, body: bytes, content_type: str = "application/json"):
        request = urllib.request.Request(self.url + path, data=body, headers={"Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def rss(self) -> dict:
        """Memory of the server's process tree in MiB: total RSS (shared pages counted in every
        process that maps them), PSS (shared pages divided among them) and USS (private pages only),
        the largest process's RSS and USS, and each process's RSS split into shared and private
        pages (``each``: the root process first)."""
        pids = _tree(self.proc.pid)
        total = {"Rss": 0, "Pss": 0, "Private": 0}
        largest = {"Rss": 0, "Private": 0}
        each = []
        for pid in pids:
            fields = {"Rss": 0, "Pss": 0, "Private": 0}
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in ("Rss", "Pss"):
                        fields[key] += int(value.split()[0])
                    elif key in ("Private_Clean", "Private_Dirty"):
                        fields["Private"] += int(value.split()[0])
            except OSError:
                continue
            for key in total:
                total[key] += fields[key]
            for key in largest:
                largest[key] = max(largest[key], fields[key])
            each.append((pid != self.proc.pid, fields))
        mib = lambda kib: round(kib / 1024, 1)  # noqa: E731
        each = [{"rss_mib": mib(f["Rss"]), "shared_mib": mib(f["Rss"] - f["Private"]), "private_mib": mib(f["Private"])}
                for _, f in sorted(each, key=lambda item: item[0])]
        return {"processes": len(pids), "rss_mib": mib(total["Rss"]), "pss_mib": mib(total["Pss"]),
                "uss_mib": mib(total["Private"]), "largest_rss_mib": mib(largest["Rss"]),
                "largest_uss_mib": mib(largest["Private"]), "each": each}

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _start(name: str, argv: list[str], env: dict, ready_path: str, port: int, logs: Path, cwd: Path | None = None):
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}-{port}.log"
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            start_new_session=True)
    return Server(name, f"http://127.0.0.1:{port}", ready_path, proc, log, started)


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def start_nb2service(artifact: Path, workers: int, logs: Path) -> Server:
    port = free_port()
    argv = [str(ROOT / ".venv" / "bin" / "nb2service"), "serve", str(artifact), "--port", str(port),
            "--workers", str(workers)]
    return _start("nb2service", argv, _env(), "/readyz", port, logs)


def start_mlflow(model_dir: Path, workers: int, logs: Path) -> Server:
    port = free_port()
    venv = VENVS / "mlflow"
    argv = [str(venv / "bin" / "mlflow"), "models", "serve", "-m", str(model_dir), "--env-manager", "local",
            "-h", "127.0.0.1", "-p", str(port), "-w", str(workers)]
    env = _env(PATH=f"{venv / 'bin'}:{os.environ.get('PATH', '')}", MLFLOW_TRACKING_URI=f"file://{logs / 'mlruns'}")
    return _start("mlflow", argv, env, "/ping", port, logs)


def start_mlserver(model_dir: Path, workers: int, logs: Path) -> Server:
    port = free_port()
    venv = VENVS / "mlserver"
    settings = {"host": "127.0.0.1", "http_port": port, "grpc_port": free_port(), "metrics_port": free_port(),
                "parallel_workers": workers, "debug": False}
    (model_dir / "settings.json").write_text(json.dumps(settings))
    argv = [str(venv / "bin" / "mlserver"), "start", str(model_dir)]
    env = _env(PATH=f"{venv / 'bin'}:{os.environ.get('PATH', '')}")
    return _start("mlserver", argv, env, "/v2/health/ready", port, logs, cwd=model_dir)


def save_peer_models(artifact: Path, work: Path, rows: list, columns: list[dict]) -> dict:
    """The artifact's model.joblib as an MLflow model (with a signature) and an MLServer model folder."""
    mlflow_dir, mlserver_dir = work / "mlflow-model", work / "mlserver-model"
    for folder in (mlflow_dir, mlserver_dir):
        if folder.exists():
            subprocess.run(["rm", "-rf", str(folder)], check=True)
    code = f"""
import joblib, pandas as pd, mlflow.sklearn, json
from mlflow.models import infer_signature
model = joblib.load({str(artifact / 'model.joblib')!r})
rows = json.loads({json.dumps(json.dumps(rows[:20]))})
frame = pd.DataFrame(rows, columns={[c['name'] for c in columns]!r})
mlflow.sklearn.save_model(model, {str(mlflow_dir)!r}, signature=infer_signature(frame, model.predict(frame)),
                          serialization_format="cloudpickle")
"""
    saved = subprocess.run([str(VENVS / "mlflow" / "bin" / "python"), "-c", code], env=_env(), capture_output=True,
                           text=True)
    if saved.returncode != 0:
        raise SystemExit(f"bench: saving the MLflow copy failed:\n{saved.stderr[-3000:]}")
    mlserver_dir.mkdir(parents=True)
    (mlserver_dir / "model.joblib").write_bytes((artifact / "model.joblib").read_bytes())
    (mlserver_dir / "model-settings.json").write_text(json.dumps({
        "name": "churn", "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "version": "v1"}}))
    return {"mlflow": mlflow_dir, "mlserver": mlserver_dir}


STARTERS = {"nb2service": start_nb2service, "mlflow": start_mlflow, "mlserver": start_mlserver}


def request_body(server: str, rows: list, columns: list[dict]) -> tuple[str, bytes]:
    """``(path, body)`` of one request carrying ``rows`` in the server's own protocol."""
    names = [c["name"] for c in columns]
    if server == "nb2service":
        return "/predict", json.dumps({"instances": rows}).encode()
    if server == "mlflow":
        return "/invocations", json.dumps({"dataframe_split": {"columns": names,
                                                               "data": [[r[n] for n in names] for r in rows]}}).encode()
    types = {"integer": "INT64", "number": "FP64", "string": "BYTES", "boolean": "BOOL"}
    inputs = [{"name": c["name"], "shape": [len(rows), 1], "datatype": types[c["type"]],
               "data": [r[c["name"]] for r in rows]} for c in columns]
    return "/v2/models/churn/infer", json.dumps({"inputs": inputs, "parameters": {"content_type": "pd"}}).encode()


def predictions(server: str, answer: dict) -> list:
    if server == "mlserver":
        return answer["outputs"][0]["data"]
    return answer["predictions"]
