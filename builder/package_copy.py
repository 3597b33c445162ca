"""The copy of the ``builder`` package an environment's interpreter imports nb2service from.

A build or serve environment is a venv that does not have nb2service installed; the servers and the
build's checkers import it from a copy placed in the environment. In a shared cache the copy lives in a
folder named by the hash of its contents, made once and never changed afterwards: a build with another
nb2service version adds its own folder beside it instead of replacing files under a server that is
running (or an artifact built earlier) from the old one.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent  # .../builder
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def package_digest() -> str:
    """The first 12 hex digits of the sha256 of the package's files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def versioned_copy(root: Path) -> Path:
    """``root/nb2service-lib-<digest>`` holding ``builder``: made (atomically, by rename) when absent."""
    lib = root / f"nb2service-lib-{package_digest()}"
    if not (lib / "builder").is_dir():
        partial = root / f".{lib.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(PACKAGE_DIR, partial / "builder", ignore=IGNORED)
        try:
            partial.rename(lib)
        except OSError:  # another process made it first
            shutil.rmtree(partial, ignore_errors=True)
    return lib


def fixed_copy(root: Path) -> Path:
    """``root/nb2service-lib`` holding ``builder``, replaced: for an environment that belongs to one
    build (the S2I image's /opt/app-root, whose runtime image and chained build copy this path)."""
    lib = root / "nb2service-lib"
    target = lib / "builder"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(PACKAGE_DIR, target, ignore=IGNORED)
    return lib
