"""Stage 3b: make the environment the notebook runs in, and record exactly what is in it.

By default an isolated virtual environment, made with the Python the notebook records when one is
installed (``builder.interpreters``), cached by the hash of everything that decides its contents
(requirement lines, Python version, index settings), so a second build of the same repo installs
nothing. ``--no-install`` uses the interpreter nb2service runs in. Installs go through uv
when it is available (it is a dependency of nb2service), else through pip.

The environment also receives nb2service's kernel and serving runtime (``RUNTIME_REQUIREMENTS``)
and a copy of the ``builder`` package (pure Python), so the kernel-side code, the fresh-process
verification and ``nb2service serve`` all run in the interpreter that fitted the model.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..config import BuildSettings, IndexSettings, process_environment
from ..errors import DependencyError
from ..interpreters import Interpreter, own
from ..package_copy import fixed_copy, versioned_copy
from .resolve import AsOf, Resolution, resolve

#: What every build environment needs besides the notebook's own dependencies: a kernel to run the
#: notebook in, and the serving runtime. Lower bounds are the oldest versions tested.
RUNTIME_REQUIREMENTS = (
    "ipykernel>=6.0",  # pinned as of the notebook's date with the stack (resolve.STACK)
    "joblib",  # any version: a dated scikit-learn stack pins its own
    "flask>=3.0",
    "gunicorn>=22.0",
    "prometheus-client>=0.20",
    "orjson>=3.9",
    "swagger-ui-bundle>=1.1",
    "nbformat>=5.1",  # what Jupyter gives a notebook: plotly's fig.show() needs it
)
#: The ONNX fast path (``builder.fastpath``), also in every build environment; any version, since
#: the build checks the compiled model against scikit-learn's answers. When they cannot be installed
#: alongside the notebook's pins, the environment is made without them and scikit-learn serves.
#: Tested: skl2onnx 1.20.0, onnx 1.23.2, onnxruntime 1.32.0.
FAST_PATH_REQUIREMENTS = (
    "skl2onnx",
    "onnxruntime",
)

MARKER = "nb2service-env.json"
#: Bumped whenever the way versions are chosen changes, so cached environments are made again.
RESOLVER_VERSION = 7
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../builder


@dataclass(frozen=True)
class BuildEnvironment:
    """An interpreter with the notebook's dependencies and nb2service's runtime."""

    python: Path
    root: Path | None  # the venv, or None for the interpreter nb2service runs in
    key: str
    reused: bool
    lib: Path  # a folder to put on PYTHONPATH to import ``builder`` in this environment
    resolution: "Resolution | None" = None  # what was installed and why; None with --no-install
    interpreter: Interpreter | None = None  # the Python the environment was made with, and why

    def describe(self) -> dict:
        return {"python": str(self.python), "path": str(self.root) if self.root else None,
                "lib": str(self.lib), "key": self.key, "reused": self.reused,
                "interpreter": (self.interpreter or own()).to_json()}

    def resolution_json(self) -> dict:
        if self.resolution is None:
            return {"as_of": None, "as_of_reason": "--no-install: the interpreter nb2service runs in",
                    "moved_forward_from": None, "installed": [], "changes": []}
        return self.resolution.to_json()


def environment_key(lines: list[str], index: IndexSettings, as_of: AsOf | None = None,
                    interpreter: Interpreter | None = None) -> str:
    """The cache key: changes whenever the environment's contents could change."""
    interpreter = interpreter or own()
    material = {
        "requirements": sorted(lines),
        "as_of": as_of.date.isoformat() if as_of and as_of.date else "latest",
        "resolver": RESOLVER_VERSION,
        "runtime": list(RUNTIME_REQUIREMENTS) + list(FAST_PATH_REQUIREMENTS),
        "python": interpreter.version,
        "implementation": interpreter.cache_tag,
        "index": index.fingerprint(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def prepare_environment(lines: list[str], settings: BuildSettings, as_of: AsOf | None = None,
                        interpreter: Interpreter | None = None, log=print) -> BuildEnvironment:
    """Return a ready environment holding ``lines`` (resolved as of ``as_of``) and the runtime, made
    with ``interpreter`` (``builder.interpreters.choose``; default the build's own), creating it
    when needed."""
    as_of = as_of or AsOf(None, "latest")
    interpreter = interpreter or own()
    key = environment_key(lines, settings.index, as_of, interpreter)
    if not settings.install:
        return BuildEnvironment(Path(sys.executable), None, key, True, PACKAGE_DIR.parent, interpreter=interpreter)
    root = settings.env_path or settings.cache_dir / "envs" / key[:20]
    root.parent.mkdir(parents=True, exist_ok=True)
    locks = settings.cache_dir / "locks"  # not next to the env: /opt is not writable in the S2I image
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{hashlib.sha256(str(root).encode()).hexdigest()[:20]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = _marker(root, key)
        reused = marker is not None
        if reused:
            resolution = Resolution.from_json(marker["resolution"])
        else:
            uv = find_uv()
            if uv:
                resolution = resolve(lines, as_of, uv, interpreter.path, settings.index, log)
            else:
                resolution = Resolution(list(lines), AsOf(None, "uv is not available: pip, today's releases"))
            try:
                _create(root, [*resolution.lines, *RUNTIME_REQUIREMENTS, *FAST_PATH_REQUIREMENTS], settings.index,
                        log, keep_existing=settings.env_path is not None, base=interpreter.path)
            except DependencyError:
                log("WARNING: the fast path's packages (skl2onnx, onnxruntime) do not install alongside the "
                    "notebook's; making the environment without them (scikit-learn serves)")
                _create(root, [*resolution.lines, *RUNTIME_REQUIREMENTS], settings.index, log,
                        keep_existing=settings.env_path is not None, base=interpreter.path)
            (root / MARKER).write_text(json.dumps({"key": key, "nb2service": __version__,
                                                   "resolution": resolution.to_json()}))
        lib = fixed_copy(root) if settings.env_path is not None else versioned_copy(root)
    return BuildEnvironment(root / "bin" / "python", root, key, reused, lib, resolution, interpreter)


def _marker(root: Path, key: str) -> dict | None:
    """The environment's marker when the environment is complete and made for ``key``."""
    try:
        marker = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if marker.get("key") != key or "resolution" not in marker or not (root / "bin" / "python").exists():
        return None
    return marker


def _create(root: Path, lines: list[str], index: IndexSettings, log, *, keep_existing: bool,
            base: str = sys.executable) -> None:
    """Install ``lines`` into the venv at ``root`` (made with the interpreter ``base``); a cached
    venv left half-made is started over, an explicit one (``NB2SERVICE_ENV``, e.g. the builder
    image's /opt/app-root) is added to."""
    uv = find_uv()
    if root.exists() and not keep_existing:
        shutil.rmtree(root)
    python = root / "bin" / "python"
    if uv:
        if not python.exists():
            _run([uv, "venv", "--quiet", "--seed", "--python", base, str(root)], "create the environment")
        cmd = [uv, "pip", "install", "--python", str(python), *index.installer_args("--allow-insecure-host")]
    else:
        if not python.exists():
            _run([base, "-m", "venv", str(root)], "create the environment")
        cmd = [str(python), "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
               *index.installer_args("--trusted-host")]
    reqfile = root / "nb2service-requirements.txt"
    reqfile.write_text("\n".join(lines) + "\n")
    log(f"installing {len(lines)} requirements with {'uv' if uv else 'pip'} into {root}")
    _run([*cmd, "-r", str(reqfile)], "install the notebook's dependencies", lines)


def find_uv() -> str | None:
    """uv's binary: the one installed with nb2service, else one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _run(cmd: list[str], what: str, lines: list[str] | None = None) -> None:
    env = process_environment()
    env.pop("PYTHONPATH", None)
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip()).splitlines()
        tail = "\n    ".join(output[-25:])
        asked = f"\n  requirements: {', '.join(lines)}" if lines else ""
        raise DependencyError(
            f"could not {what} (exit {result.returncode}):\n    {tail}{asked}",
            hint="fix or loosen the pin the installer names (requirements.txt, %pip lines), or set PIP_INDEX_URL",
        )


def installed_distributions(env: BuildEnvironment) -> dict[str, str]:
    """``{distribution: version}`` for everything importable in the environment (the lock)."""
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions() if d.metadata['Name']}))"
    )
    env_vars = process_environment()
    env_vars.pop("PYTHONPATH", None)
    out = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True, env=env_vars, check=True)
    return dict(sorted(json.loads(out.stdout).items(), key=lambda kv: kv[0].lower()))
