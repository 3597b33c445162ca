"""The environment an artifact is served in: the build's, or one made again from its requirements.lock.

The model runs in the interpreter that fitted it: the build environment recorded in metadata.json
(``environment.python``, and ``environment.lib``, the copy of ``builder`` made for it). When that
environment is gone (the cache was cleared, the artifact was copied to another folder or machine),
it is made again from the artifact's ``requirements.lock`` with uv: the exact versions the build
installed, on the Python version recorded in metadata.json (the interpreter the build used when it
is still there, else one of that version found as the build finds it, ``builder.interpreters``, else
uv finds or downloads one), kept under
``NB2SERVICE_CACHE_DIR/runtimes/<hash of the lock and Python>`` so the next start installs nothing.
Nothing is trained again: the model file is the artifact's. uv installs from its own cache when it
holds the packages, so with ``UV_OFFLINE=1`` this works without network once a build or an earlier
recreation downloaded them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import ServeSettings, process_environment
from ..errors import EnvironmentGone, EnvironmentNotRecreated
from .. import interpreters
from ..package_copy import versioned_copy

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../builder
MARKER = "nb2service-runtime.json"
#: Distributions in a lock that are nb2service itself (a ``--no-install`` build locks the interpreter
#: nb2service runs in): never installed from an index, the running ``builder`` is copied in instead.
OWN_DISTRIBUTIONS = {"nb2service"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==")


@dataclass(frozen=True)
class ServingEnvironment:
    """An interpreter that can load the model, and a folder to put on PYTHONPATH to import ``builder``."""

    python: Path
    lib: Path


def serving_environment(artifact: Path, meta: dict, settings: ServeSettings, log) -> ServingEnvironment | None:
    """Where ``artifact`` is served: None for this interpreter (the one recorded), the recorded build
    environment when it is still there, else one recreated from the lock (saying so through ``log``)."""
    recorded = meta.get("environment") or {}
    python, lib = recorded.get("python"), recorded.get("lib")
    if not python or Path(python).absolute() == Path(sys.executable).absolute():
        return None
    if Path(python).exists() and (not lib or Path(lib).is_dir()):
        return ServingEnvironment(Path(python), Path(lib) if lib else PACKAGE_DIR.parent)
    return recreate(artifact, meta, settings, log)


def recreate(artifact: Path, meta: dict, settings: ServeSettings, log) -> ServingEnvironment:
    """The environment made from ``artifact``'s lock, created now unless an earlier start made it."""
    gone = (meta.get("environment") or {}).get("path") or (meta.get("environment") or {}).get("python")
    lock = artifact / meta.get("lock", "requirements.lock")
    if not lock.is_file():
        raise EnvironmentGone(f"the build environment {gone} is gone and {lock} is missing, so it cannot be "
                              "made again; the model must run in the environment that fitted it",
                              hint=f"rebuild with `nb2service build SRC -o {artifact}`")
    lines = lock_lines(lock.read_text())
    python = python_version(meta)
    key = hashlib.sha256(json.dumps({"lock": lines, "python": python}).encode()).hexdigest()
    root = settings.cache_dir / "runtimes" / key[:20]
    locks = settings.cache_dir / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"runtime-{key[:20]}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # two servers starting at once: one installs, the other waits
        if _complete(root, key):
            log(f"---> the build environment {gone} is gone; serving in the one recreated earlier from "
                f"{lock.name}: {root}")
        else:
            base, where = base_interpreter(meta, python)
            log(f"---> the build environment {gone} is gone; recreating it from {lock.name} ({len(lines)} "
                f"package{'s' if len(lines) != 1 else ''}, Python {python}: {where}) with uv in {root}; "
                "the model is not retrained")
            started = time.monotonic()
            _make(root, lines, base, settings, python)
            (root / MARKER).write_text(json.dumps({"key": key, "python": python, "lock": lines}))
            log(f"---> recreated in {time.monotonic() - started:.1f} s (Python {_venv_version(root) or python})")
        lib = versioned_copy(root)
    return ServingEnvironment(root / "bin" / "python", lib)


def lock_lines(text: str) -> list[str]:
    """The ``name==version`` lines of a requirements.lock, nb2service's own left out."""
    lines = []
    for line in text.splitlines():
        line = line.strip()
        match = PIN.match(line)
        if match and _normal(match.group(1)) not in OWN_DISTRIBUTIONS:
            lines.append(line)
    return lines


def python_version(meta: dict) -> str:
    """``X.Y`` of the Python that fitted the model (what wheels and pickles depend on)."""
    full = meta.get("python") or (meta.get("libraries") or {}).get("python")
    if not full:
        raise EnvironmentGone("metadata.json records no Python version, so the build environment cannot be "
                              "made again", hint="rebuild with `nb2service build SRC -o DIR`")
    return ".".join(str(full).split(".")[:2])


def base_interpreter(meta: dict, python: str) -> tuple[str, str]:
    """The interpreter to make a Python ``python`` ("3.12") environment with, and where it was found:
    the one the build used, else one found as the build finds them, else ``python`` for uv to find."""
    wanted = interpreters.series(python)
    recorded = ((meta.get("environment") or {}).get("interpreter") or {}).get("path")
    if recorded and Path(recorded).exists():
        found = interpreters.probe(recorded, "the build's interpreter")
        if found is not None and found.series == wanted:
            return found.path, f"the build's interpreter {found.path}"
    found = interpreters.find(wanted, _uv()) if wanted else None
    if found is not None:
        return found.path, f"{found.path}, found by {found.found}"
    return python, "none installed here that nb2service finds; uv finds or downloads one"


def _uv() -> str | None:
    from ..build.environment import find_uv  # here: builder.build needs the build's packages (nbformat...)

    return find_uv()


def _make(root: Path, lines: list[str], base: str, settings: ServeSettings, python: str) -> None:
    uv = _uv()
    if uv is None:
        raise EnvironmentNotRecreated("uv is not available to recreate the environment (it is a dependency of "
                                      "nb2service)", hint="reinstall nb2service: pip install nb2service")
    if root.exists():  # a recreation cut short: start over
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    _run([uv, "venv", "--quiet", "--python", base, str(root)], f"make a Python {python} environment")
    requirements = root / "nb2service-requirements.lock"
    requirements.write_text("\n".join(lines) + "\n")
    _run([uv, "pip", "install", "--python", str(root / "bin" / "python"),
          *settings.index.installer_args("--allow-insecure-host"), "-r", str(requirements)],
         f"install the {len(lines)} locked packages")


def _run(cmd: list[str], what: str) -> None:
    env = process_environment()
    env.pop("PYTHONPATH", None)
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode == 0:
        return
    output = (result.stderr.strip() or result.stdout.strip()).splitlines()
    tail = "\n    ".join(output[-15:])
    offline = env.get("UV_OFFLINE") not in (None, "", "0", "false")
    raise EnvironmentNotRecreated(
        f"the build environment is gone and could not be recreated from requirements.lock: could not {what} "
        f"(uv exit {result.returncode}):\n    {tail}",
        hint="offline (UV_OFFLINE=1), the packages must already be in uv's cache (`uv cache dir`): start once "
             "with network access, or rebuild" if offline else
             "check the network or the index (PIP_INDEX_URL); with no network, UV_OFFLINE=1 installs from "
             "uv's cache when a build or an earlier start downloaded the packages")


def _complete(root: Path, key: str) -> bool:
    try:
        marker = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("key") == key and (root / "bin" / "python").exists()


def _venv_version(root: Path) -> str | None:
    try:
        cfg = (root / "pyvenv.cfg").read_text()
    except OSError:
        return None
    match = re.search(r"^version_info\s*=\s*(\S+)", cfg, re.MULTILINE)
    return match.group(1) if match else None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
