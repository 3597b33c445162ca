"""Stage 7: write the artifact (model, metadata.json, lock, executed notebooks), reload it in a
fresh process from the build environment and check it predicts what the in-kernel model did; the
same process compiles and checks the ONNX fast path (``Checker``).

The artifact is assembled in a staging folder next to OUT and moved into place only once verified,
so a failed build never leaves an artifact that looks valid (and never destroys the previous one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat

from .. import __version__
from ..config import credential_values, process_environment
from ..errors import VerificationError
from ..model.artifact import METADATA_FILE, MODEL_FILE, sha256_file, write_metadata
from .environment import BuildEnvironment, installed_distributions
from .execute import ExecutionResult
from .history import head_commit

LOCK_FILE = "requirements.lock"


def staging_dir(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def write_artifact(staging: Path, repo: Path, result: ExecutionResult, env: BuildEnvironment,
                   dependencies: dict, name: str) -> dict:
    """Write everything but the model (already dumped by the kernel) and return the metadata."""
    executed = []
    for run in result.runs:
        rel = run.path.relative_to(repo)
        target = staging / "executed" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(redact_outputs(run.notebook, credential_values()), target)
        executed.append({"path": str(rel), "sha256": sha256_file(run.path), "executed": str(target.relative_to(staging)),
                         "seconds": round(run.seconds, 2), "cells_run": run.cells_run,
                         "cells_skipped": run.cells_skipped,
                         **({"dropped_outputs": dropped} if (dropped := _dropped_outputs(run.notebook)) else {})})
    lock = installed_distributions(env)
    (staging / LOCK_FILE).write_text("".join(f"{k}=={v}\n" for k, v in lock.items()))
    harvest = result.harvest
    meta = {
        "nb2service_version": __version__,
        "name": name,
        "version": _version(staging / MODEL_FILE, executed),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "notebooks": executed,
        "git": head_commit(repo),
        "model": {"file": MODEL_FILE, "sha256": sha256_file(staging / MODEL_FILE), **harvest["model"]},
        "task": harvest["task"],
        "classes": harvest["classes"],
        "predict_proba": harvest["predict_proba"],
        "input_kind": harvest["input_kind"],
        "inputs": harvest["inputs"],
        "training_data": harvest["training_data"],
        "examples": harvest["examples"],
        "features": harvest.get("features") or {"status": "not attempted"},
        "libraries": harvest["libraries"],
        "explain": harvest.get("explain"),
        "parameters": result.parameters,
        "inference": {"path": "sklearn", "reason": "not compiled"},  # Checker.check() says
        "python": harvest["libraries"].get("python"),
        "environment": env.describe(),
        "dependencies": dependencies,
        "lock": LOCK_FILE,
    }
    write_metadata(staging, meta)
    return meta


def _dropped_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    """The saved outputs ``parse_notebook`` dropped because nbformat rejects them."""
    return list(nb.metadata.get("nb2service", {}).get("dropped_outputs", []))


def redact_outputs(nb: nbformat.NotebookNode, secrets: dict[str, str]) -> nbformat.NotebookNode:
    """The notebook with every credential value in its outputs replaced by ``[redacted: $NAME]``:
    a notebook that prints a secret must not put it in the artifact (or the image)."""
    if not secrets:
        return nb

    def clean(value):
        if isinstance(value, str):
            for name, secret in secrets.items():
                value = value.replace(secret, f"[redacted: ${name}]")
            return value
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    for cell in nb.cells:
        for i, output in enumerate(cell.get("outputs", [])):
            cell.outputs[i] = nbformat.from_dict(clean(dict(output)))
    return nb


class Checker:
    """The fresh process of the build environment that checks the artifact (``builder.model.verify``):
    reload and compare, then compile the ONNX fast path and check it. Started before the notebook
    runs, so that its imports (scikit-learn, pandas, onnxruntime, skl2onnx: seconds in a new
    process, more in a new environment) overlap the notebook's run; a context manager, so a build
    that fails before the check leaves no process behind."""

    def __init__(self, env: BuildEnvironment):
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([str(env.python), "-m", "builder.model.verify"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                      env=_build_env_vars(env))

    def check(self, staging: Path, expected: Path, fast_rows: Path | None, meta: dict,
              features: Path | None = None, evaluation_rows: Path | None = None) -> dict:
        """The verdict on the artifact in ``staging``; ``meta["inference"]`` gets which path serves
        and why, ``meta["evaluation"]`` how it does on the held-out data. Raises
        ``VerificationError`` when the reloaded model predicts differently."""
        job = {"artifact": str(staging), "expected": str(expected),
               "fast_rows": str(fast_rows) if fast_rows is not None else None,
               "features": str(features) if features is not None and features.exists() else None,
               "evaluation_rows": str(evaluation_rows) if evaluation_rows is not None else None}
        out, _ = self._proc.communicate(json.dumps(job) + "\n")
        try:
            verdict = json.loads(out.strip().splitlines()[-1])
        except (IndexError, ValueError):
            self._stderr.seek(0)
            tail = self._stderr.read().decode(errors="replace")[-3000:]
            raise VerificationError(f"the fresh-process check crashed (exit {self._proc.returncode}):\n{tail}")
        if not verdict["ok"]:
            raise VerificationError(f"the serialized model does not behave like the notebook's: {verdict['problem']}",
                                    hint="a model holding lambdas, open files or global state does not survive "
                                         "joblib; see the executed notebook in the build log")
        meta["inference"] = verdict["inference"]
        meta.update(json.loads((staging / METADATA_FILE).read_text()))  # the checks' verdicts, as written
        if verdict.get("evaluation") is not None:
            meta["evaluation"] = verdict["evaluation"]
        return verdict

    def __enter__(self) -> "Checker":
        return self

    def __exit__(self, *exc) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout, self._stderr):
            stream.close()


def _build_env_vars(env: BuildEnvironment) -> dict:
    """The environment of a process run in the build environment. In nb2service's own cached venv,
    bytecode is written even under PYTHONDONTWRITEBYTECODE (set in many container images): uv
    installs no .pyc files, so otherwise every process (these checks, the kernel of a rebuild,
    every served worker) compiles scikit-learn, pandas and numpy again, seconds each time."""
    run_env = process_environment()
    run_env["PYTHONPATH"] = str(env.lib)
    if env.root is not None:
        run_env.pop("PYTHONDONTWRITEBYTECODE", None)
    return run_env


def publish(staging: Path, out: Path) -> None:
    """Move the verified staging folder to ``out``, replacing a previous artifact."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _version(model_file: Path, notebooks: list[dict]) -> str:
    """A short version id for the model: changes with the model bytes and the notebook."""
    digest = hashlib.sha256(sha256_file(model_file).encode())
    for nb in notebooks:
        digest.update(nb["sha256"].encode())
    return digest.hexdigest()[:12]
