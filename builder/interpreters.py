"""Which Python the notebook runs on: the one it records, when such an interpreter is installed.

A notebook records the Python it last ran on (``metadata.language_info.version``). Its code may need
that Python (3.12's nested f-string quotes, a ``type`` alias) and its pinned libraries may have
wheels for it alone, so the build environment is made with an interpreter of the recorded
major.minor when one is installed here, looked for in this order (each candidate is run once to
check what it is):

1. the build's own Python, when it is that version;
2. ``uv python find --system X.Y``: pythonX.Y on PATH and uv-managed installs;
3. uv-managed installs alone (``uv python install X.Y``), for when a broken entry on PATH stops
   uv's search (pyenv's shims answer only for pyenv's selected version and fail for the others);
4. pyenv's installs, ``$PYENV_ROOT/versions/X.Y.*/bin/pythonX.Y`` (newest patch first);
5. every ``pythonX.Y`` on PATH.

nb2service's own code runs inside that environment (the kernel-side harvest ``builder.kernel``,
the checker ``builder.model.verify``, the service), so only a version in ``SUPPORTED`` is used; for
any other (or none found) the build's own Python is used and the build says why. Nothing is
downloaded. The served environment made again from an artifact's lock uses the same discovery.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .config import process_environment

#: The Python versions nb2service's in-environment code runs on (lowest, highest), each tested with a
#: build and a served prediction: 3.9 cannot evaluate ``X | None`` at run time, which builder.serve's
#: modules do; nothing newer than 3.13 has been tried.
SUPPORTED = ((3, 10), (3, 13))
PROBE = ("import json, platform, sys; print(json.dumps([platform.python_version(), sys.implementation.cache_tag, "
         "sys.implementation.name, sys.executable]))")
SERIES = re.compile(r"^(\d+)\.(\d+)")


@dataclass(frozen=True)
class Interpreter:
    """An installed Python: where it is, what it is, and why the build uses it."""

    path: str
    version: str  # "3.12.1"
    cache_tag: str  # "cpython-312"
    found: str  # how it was found ("the build's own Python", "uv python find", "pyenv", "PATH")
    recorded: str | None = None  # the notebook's metadata.language_info.version
    reason: str = ""

    @property
    def series(self) -> tuple[int, int]:
        return series(self.version)

    @property
    def short(self) -> str:
        return "{}.{}".format(*self.series)

    def to_json(self) -> dict:
        return {"path": self.path, "version": self.version, "found": self.found, "recorded": self.recorded,
                "reason": self.reason, "supported": "{}.{}-{}.{}".format(*SUPPORTED[0], *SUPPORTED[1])}

    def describe(self) -> str:
        """One line for the summary."""
        where = self.found if self.found == "the build's own Python" else f"found by {self.found}"
        return f"Python {self.version} ({self.path}, {where}): {self.reason}"


def series(version: str) -> tuple[int, int] | None:
    match = SERIES.match(str(version or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def own() -> Interpreter:
    """The interpreter nb2service runs in."""
    return Interpreter(sys.executable, platform.python_version(), sys.implementation.cache_tag,
                       "the build's own Python")


def probe(path: str | os.PathLike, found: str) -> Interpreter | None:
    """What the interpreter at ``path`` is, by running it; None when it does not run."""
    try:
        proc = subprocess.run([str(path), "-c", PROBE], capture_output=True, text=True, timeout=30,
                              env=_clean_env())
        version, tag, implementation, _ = json.loads(proc.stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0 or implementation != "cpython":
        return None
    return Interpreter(str(path), version, tag, found)


def find(wanted: tuple[int, int], uv: str | None) -> Interpreter | None:
    """An installed CPython of the ``wanted`` major.minor, looked for in the module's order."""
    mine = own()
    if mine.series == wanted:
        return mine
    short = "{}.{}".format(*wanted)
    for path, found in _candidates(short, uv):
        interpreter = probe(path, found)
        if interpreter is not None and interpreter.series == wanted:
            return interpreter
    return None


def _candidates(short: str, uv: str | None):
    if uv:
        for args, found in ((["--system"], "uv python find"),
                            (["--python-preference", "only-managed"], "uv python find (uv-managed)")):
            try:
                proc = subprocess.run([uv, "python", "find", *args, short], capture_output=True, text=True,
                                      timeout=60, env=_clean_env())
            except (OSError, subprocess.SubprocessError):
                continue
            if proc.returncode == 0 and proc.stdout.strip():
                yield proc.stdout.strip().splitlines()[-1], found
    environ = process_environment()
    root = environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    installs = glob.glob(os.path.join(root, "versions", f"{short}.*", "bin", f"python{short}"))
    for path in sorted(installs, key=_patch, reverse=True):
        yield path, "pyenv"
    for folder in environ.get("PATH", "").split(os.pathsep):
        path = shutil.which(f"python{short}", path=folder) if folder else None
        if path:
            yield path, "PATH"


def _patch(path: str) -> tuple:
    match = re.search(r"versions/(\d+)\.(\d+)\.(\d+)", path)
    return tuple(int(p) for p in match.groups()) if match else (0, 0, 0)


def choose(recorded: str | None, uv: str | None, *, existing: Path | None = None,
           install: bool = True) -> Interpreter:
    """The interpreter to make the build environment with, for a notebook that records ``recorded``;
    ``existing``: an environment that is added to rather than made (``NB2SERVICE_ENV``)."""
    recorded = str(recorded) if recorded else None
    wanted = series(recorded) if recorded else None
    mine = own()
    label = f"Python {recorded}" if recorded else None
    if not install:
        return _with(mine, recorded, "--no-install: the interpreter nb2service runs in"
                     + (f" (the notebook records {label})" if label and wanted != mine.series else ""))
    if existing is not None and (existing / "bin" / "python").exists():
        there = probe(existing / "bin" / "python", "NB2SERVICE_ENV") or mine
        verdict = "the notebook's" if wanted == there.series else \
            f"the notebook records {label}" if label else "the notebook records no Python version"
        return _with(there, recorded, f"NB2SERVICE_ENV {existing} is an existing environment on Python "
                                      f"{there.short}, so its Python is used ({verdict})")
    if wanted is None:
        return _with(mine, None, "the notebook records no Python version (metadata.language_info.version)")
    if wanted == mine.series:
        return _with(mine, recorded, f"the notebook records {label}, the build's own")
    low, high = SUPPORTED
    if not low <= wanted <= high:
        return _with(mine, recorded, f"the notebook records {label}, outside the versions nb2service's "
                                     f"in-environment code supports ({low[0]}.{low[1]} to {high[0]}.{high[1]}); "
                                     "its code and wheels may behave differently here")
    found = find(wanted, uv)
    if found is None:
        short = f"{wanted[0]}.{wanted[1]}"
        return _with(mine, recorded, f"the notebook records {label}, but no Python {short} was found here (uv python "
                                     f"find, pyenv, PATH), so the build's own runs it and code or wheels that need "
                                     f"{short} may fail: install one (`uv python install {short}`, pyenv, or a builder "
                                     f"image with Python {short}) and build again")
    return _with(found, recorded, f"the notebook records {label}")


def _with(interpreter: Interpreter, recorded: str | None, reason: str) -> Interpreter:
    return replace(interpreter, recorded=recorded, reason=reason)


def _clean_env() -> dict:
    return {k: v for k, v in process_environment().items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
