"""Start serving: find the artifact, check the address, run in the model's environment, prepare the
process, hand over to gunicorn.

The model was fitted by the interpreter recorded in metadata.json; ``builder.serve.environment``
says which interpreter serves it (that one, or one recreated from the artifact's lock). When it is
not this one, ``nb2service serve`` replaces itself (``os.execve``, so gunicorn gets the signals)
with ``<that python> -m builder.serve ARTIFACT --in-build-env ...``, ``PYTHONPATH`` pointing at a
copy of ``builder`` made for that environment.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..config import QUIET_ENVIRONMENT, ServeSettings, process_environment
from ..model.artifact import locate_artifact, read_metadata
from .environment import ServingEnvironment, serving_environment
from .port import check_addresses


def serve(src: Path, settings: ServeSettings, *, explicit: frozenset = frozenset(),
          in_build_env: bool = False) -> None:
    """Serve the artifact ``src`` names (an artifact, or a repo holding one) until gunicorn stops;
    never returns when it re-executes."""
    artifact = locate_artifact(src).resolve()
    meta = read_metadata(artifact)
    check_address(settings, explicit)  # before anything is loaded, installed or said
    if not in_build_env:
        env = serving_environment(artifact, meta, settings, log=_stderr)
        if env is not None:
            python, argv, env_vars = build_env_command(artifact, env, settings, explicit)
            sys.stdout.flush()
            sys.stderr.flush()
            os.execve(python, argv, env_vars)
    settings = prepare_process(settings)
    from .gunicorn_app import run  # only now: flask, prometheus_client and numpy read the variables set above

    run(artifact, settings, explicit=explicit)


def check_address(settings: ServeSettings, explicit: frozenset) -> None:
    """Raise ``PortUnavailable`` unless gunicorn will be able to bind where these settings say."""
    from .gunicorn_app import gunicorn_options

    options = gunicorn_options(settings, "", explicit, quiet=True)
    check_addresses(list(options["bind"]), reuse_port=bool(options.get("reuse_port")))


def build_env_command(artifact: Path, env: ServingEnvironment, settings: ServeSettings, explicit: frozenset):
    """``(python, argv, env)`` that serves ``artifact`` in ``env`` with the same explicit options."""
    argv = [str(env.python), "-m", "builder.serve", str(artifact), "--in-build-env"]
    for option in sorted(explicit):
        value = getattr(settings, option)
        flag = f"--{option.replace('_', '-')}"
        argv += [flag] if value is True else [flag, str(value)]
    env_vars = process_environment()
    paths = [str(env.lib), *[p for p in env_vars.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env_vars["PYTHONPATH"] = os.pathsep.join(paths)
    return str(env.python), argv, env_vars


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
