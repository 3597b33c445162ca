"""Start serving: run in the build environment, prepare the process, hand over to gunicorn.

The model was fitted by the interpreter recorded in metadata.json (``environment.python``). When
``nb2service serve`` runs elsewhere it replaces itself (``os.execve``, so gunicorn gets the
signals) with ``<that python> -m builder.serve OUT ...``, ``PYTHONPATH`` pointing at the copy of
``builder`` made for that environment at build time.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..config import QUIET_ENVIRONMENT, ServeSettings, process_environment
from ..errors import EnvironmentGone
from ..model.artifact import read_metadata

PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent  # the folder holding ``builder``


def serve(artifact: Path, settings: ServeSettings, *, explicit: frozenset = frozenset(),
          in_build_env: bool = False) -> None:
    """Serve ``artifact`` until gunicorn stops; never returns when it re-executes."""
    artifact = Path(artifact).resolve()
    meta = read_metadata(artifact)
    command = build_env_command(artifact, meta, settings, explicit)
    if command is not None and not in_build_env:
        python, argv, env = command
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(python, argv, env)
    settings = prepare_process(settings)
    from .gunicorn_app import run  # only now: flask, prometheus_client and numpy read the variables set above

    run(artifact, settings, explicit=explicit)


def build_env_command(artifact: Path, meta: dict, settings: ServeSettings, explicit: frozenset):
    """``(python, argv, env)`` to re-execute in the build environment, or None when already there."""
    recorded = (meta.get("environment") or {}).get("python")
    if not recorded or Path(recorded).absolute() == Path(sys.executable).absolute():
        return None
    lib = (meta.get("environment") or {}).get("lib")
    if not Path(recorded).exists() or (lib and not Path(lib).is_dir()):
        raise EnvironmentGone(
            f"the build environment {meta['environment'].get('path') or recorded} is gone "
            f"({recorded if not Path(recorded).exists() else lib} does not exist); the model must run in the "
            "environment that fitted it",
            hint=f"rebuild with `nb2service build SRC -o {artifact}` (it recreates the environment)")
    argv = [recorded, "-m", "builder.serve", str(artifact), "--in-build-env"]
    for option in sorted(explicit):
        value = getattr(settings, option)
        argv += [f"--{option}"] if value is True else [f"--{option}", str(value)]
    env = process_environment()
    paths = [lib or str(PACKAGE_PARENT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return recorded, argv, env


def prepare_process(settings: ServeSettings) -> ServeSettings:
    """Set the variables that must be set before numpy and prometheus_client are imported.

    One BLAS/OpenMP thread per worker (unless set by the user), onnxruntime's telemetry off (its thread,
    started at import in the master, made every worker wait 30 s at exit), and ``PROMETHEUS_MULTIPROC_DIR``:
    the user's folder, emptied, or a fresh temporary one removed at exit. (This writes the
    environment; reading it stays in ``builder.config``.)"""
    for name, value in {**settings.thread_environment(), **QUIET_ENVIRONMENT}.items():
        os.environ[name] = value
    # builder.config has read it into ``settings.workers``; gunicorn reads it again at import and
    # crashes on an empty value (a template parameter left blank), so it goes.
    os.environ.pop("WEB_CONCURRENCY", None)
    if settings.metrics_dir:
        folder = Path(settings.metrics_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        owned = False
    else:
        folder = Path(tempfile.mkdtemp(prefix="nb2service-metrics-"))
        owned = True
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    if owned:  # removed when this process (gunicorn's master) exits; forked workers exit through atexit too
        import atexit

        atexit.register(_remove_if_master, folder, os.getpid())
    return ServeSettings(**{**settings.__dict__, "metrics_dir": str(folder)})


def _remove_if_master(folder: Path, master: int) -> None:
    if os.getpid() == master:
        shutil.rmtree(folder, ignore_errors=True)
