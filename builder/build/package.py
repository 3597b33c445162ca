"""Stage 7: write the artifact (model, metadata.json, lock, executed notebooks), reload it in a
fresh process from the build environment and check it predicts what the in-kernel model did.

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
from pathlib import Path

import nbformat

from .. import __version__
from ..config import credential_values, process_environment
from ..errors import VerificationError
from ..model.artifact import METADATA_FILE, MODEL_FILE, sha256_file
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
                         "cells_skipped": run.cells_skipped})
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
        "libraries": harvest["libraries"],
        "inference": {"path": "sklearn", "reason": "not compiled"},  # compile_fast_path() says
        "python": harvest["libraries"].get("python"),
        "environment": env.describe(),
        "dependencies": dependencies,
        "lock": LOCK_FILE,
    }
    (staging / METADATA_FILE).write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return meta


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


def compile_fast_path(staging: Path, env: BuildEnvironment, rows: Path, meta: dict) -> dict:
    """Compile the model to ONNX in the build environment and keep it if it predicts like the model
    on ``rows`` (``builder.fastpath.compile``); record the verdict in metadata.json. Never fails:
    without a fast path, scikit-learn serves."""
    proc = subprocess.run([str(env.python), "-m", "builder.fastpath.compile", str(staging), str(rows)],
                          capture_output=True, text=True, env=_build_env_vars(env))
    try:
        info = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        info = {"path": "sklearn", "reason": f"the fast-path compiler crashed (exit {proc.returncode}): {tail[-300:]}"}
    meta["inference"] = info
    (staging / METADATA_FILE).write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return info


def verify_in_fresh_process(staging: Path, env: BuildEnvironment, expected: Path) -> dict:
    """Reload the artifact with the build environment's interpreter and compare predictions."""
    proc = subprocess.run([str(env.python), "-m", "builder.model.verify", str(staging), str(expected)],
                          capture_output=True, text=True, env=_build_env_vars(env))
    try:
        verdict = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise VerificationError(f"the fresh-process check crashed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    if not verdict["ok"]:
        raise VerificationError(f"the serialized model does not behave like the notebook's: {verdict['problem']}",
                                hint="a model holding lambdas, open files or global state does not survive joblib; "
                                     "see the executed notebook in the build log")
    return verdict


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
