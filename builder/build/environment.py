"""Stage 3b: make the environment the notebook runs in, and record exactly what is in it.

By default an isolated virtual environment, cached by the hash of everything that decides its
contents (requirement lines, Python version, index settings), so a second build of the same repo
installs nothing. ``--no-install`` uses the interpreter nb2service runs in. Installs go through uv
when it is available (it is a dependency of nb2service), else through pip.

The environment also receives nb2service's kernel and serving runtime (``RUNTIME_REQUIREMENTS``)
and a copy of the ``builder`` package (pure Python), so the kernel-side code, the fresh-process
verification and ``nb2service serve`` all run in the interpreter that fitted the model.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..config import BuildSettings, IndexSettings, process_environment
from ..errors import DependencyError

#: What every build environment needs besides the notebook's own dependencies: a kernel to run the
#: notebook in, and the serving runtime. Lower bounds are the oldest versions tested.
RUNTIME_REQUIREMENTS = (
    "ipykernel>=6.25",
    "joblib>=1.3",
    "flask>=3.0",
    "gunicorn>=22.0",
    "prometheus-client>=0.20",
    "orjson>=3.9",
)

MARKER = "nb2service-env.json"
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../builder


@dataclass(frozen=True)
class BuildEnvironment:
    """An interpreter with the notebook's dependencies and nb2service's runtime."""

    python: Path
    root: Path | None  # the venv, or None for the interpreter nb2service runs in
    key: str
    reused: bool
    lib: Path  # a folder to put on PYTHONPATH to import ``builder`` in this environment

    def describe(self) -> dict:
        return {"python": str(self.python), "path": str(self.root) if self.root else None,
                "lib": str(self.lib), "key": self.key, "reused": self.reused}


def environment_key(lines: list[str], index: IndexSettings) -> str:
    """The cache key: changes whenever the environment's contents could change."""
    material = {
        "requirements": sorted(lines),
        "runtime": list(RUNTIME_REQUIREMENTS),
        "python": platform.python_version(),
        "implementation": sys.implementation.cache_tag,
        "index": index.fingerprint(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def prepare_environment(lines: list[str], settings: BuildSettings, log=print) -> BuildEnvironment:
    """Return a ready environment holding ``lines`` and the runtime, creating it when needed."""
    key = environment_key(lines, settings.index)
    if not settings.install:
        return BuildEnvironment(Path(sys.executable), None, key, True, PACKAGE_DIR.parent)
    root = settings.env_path or settings.cache_dir / "envs" / key[:20]
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        reused = _is_complete(root, key)
        if not reused:
            _create(root, [*lines, *RUNTIME_REQUIREMENTS], settings.index, log,
                    keep_existing=settings.env_path is not None)
            (root / MARKER).write_text(json.dumps({"key": key, "nb2service": __version__}))
        lib = _install_package_copy(root)
    return BuildEnvironment(root / "bin" / "python", root, key, reused, lib)


def _is_complete(root: Path, key: str) -> bool:
    try:
        return json.loads((root / MARKER).read_text())["key"] == key and (root / "bin" / "python").exists()
    except (OSError, ValueError, KeyError):
        return False


def _create(root: Path, lines: list[str], index: IndexSettings, log, *, keep_existing: bool) -> None:
    """Install ``lines`` into the venv at ``root``; a cached venv left half-made is started over,
    an explicit one (``NB2SERVICE_ENV``, e.g. the builder image's /opt/app-root) is added to."""
    uv = find_uv()
    if root.exists() and not keep_existing:
        shutil.rmtree(root)
    python = root / "bin" / "python"
    if uv:
        if not python.exists():
            _run([uv, "venv", "--quiet", "--seed", "--python", sys.executable, str(root)], "create the environment")
        cmd = [uv, "pip", "install", "--python", str(python), *_index_args(index, "--allow-insecure-host")]
    else:
        if not python.exists():
            _run([sys.executable, "-m", "venv", str(root)], "create the environment")
        cmd = [str(python), "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
               *_index_args(index, "--trusted-host")]
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


def _index_args(index: IndexSettings, trusted_flag: str) -> list[str]:
    """pip's index settings as installer options (uv spells --trusted-host --allow-insecure-host)."""
    args = ["--index-url", index.index_url] if index.index_url else []
    for url in index.extra_index_urls:
        args += ["--extra-index-url", url]
    for host in index.trusted_hosts:
        args += [trusted_flag, host]
    return args


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


def _install_package_copy(root: Path) -> Path:
    """Copy the ``builder`` package into the environment so its interpreter can import it."""
    lib = root / "nb2service-lib"
    target = lib / "builder"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return lib


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
