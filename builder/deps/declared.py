"""Find the repository's declared dependency files and read them, in a fixed order.

Where: ``binder/`` or else ``.binder/`` when it holds a dependency file (then, as in repo2docker,
the repository root's files are ignored, with a note), else the repository root; plus a
``requirements.txt`` next to each notebook in a subfolder.

Order, which decides between two files naming the same distribution (repo2docker's order):
environment.yml > Pipfile.lock (else Pipfile) > requirements.txt > pyproject.toml, then the
notebooks' own requirements.txt files. A folder without ``requirements.txt`` but with per-Python
files (``requirements_py3.8.txt``, ``requirements-py311.txt``) uses the one for the environment's
Python (the notebook's recorded one when it is installed, ``builder.interpreters``), else the one
for the notebook's recorded Python.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from .conda_env import read_environment_yml
from .pipfile import read_pipfile, read_pipfile_lock
from .pyproject import read_pyproject
from .records import Found
from .requirements_file import display, read_requirements_file

Reader = Callable[[Path, Path], Found]

#: One entry per kind of file: the names it may have (first existing one is read) and its reader.
SOURCES: tuple[tuple[tuple[str, ...], Reader], ...] = (
    (("environment.yml", "environment.yaml"), read_environment_yml),
    (("Pipfile.lock",), read_pipfile_lock),
    (("Pipfile",), read_pipfile),
    (("requirements.txt",), read_requirements_file),
    (("pyproject.toml",), read_pyproject),
)
BINDER_DIRS = ("binder", ".binder")
PER_PYTHON = re.compile(r"requirements[_-]py(?:thon)?(\d)\.?(\d+)\.txt", re.IGNORECASE)


def per_python_requirements(folder: Path, pythons: Iterable[str]) -> Path | None:
    """``requirements_pyX.Y.txt`` for the first of ``pythons`` ("3.11") that has one."""
    found = {}
    for path in sorted(folder.glob("requirements*py*.txt")):
        match = PER_PYTHON.fullmatch(path.name)
        if match:
            found.setdefault(f"{match.group(1)}.{match.group(2)}", path)
    return next((found[p] for p in pythons if p in found), None)


def read_declared(repo: Path, notebook_dirs: Iterable[Path], notebook_pythons: Iterable[str] = (),
                  python: str | None = None) -> Found:
    """Every declared requirement, in the order above, with notes; ``python``: the environment's
    Python ("3.12"; default the build's own), whose ``requirements_pyX.Y.txt`` comes first."""
    found = Found()
    pythons = [python or f"{sys.version_info[0]}.{sys.version_info[1]}", *notebook_pythons]
    config = config_dir(repo)
    if config != repo:
        for path in _dependency_files(repo):
            found.note(path.name, display(path, repo), f"ignored: {display(config, repo)}/ takes "
                                                        "precedence over the repository root (as in repo2docker)")
    files = _dependency_files(config)
    if not any(p.name == "requirements.txt" for p in files):
        versioned = per_python_requirements(config, pythons)
        if versioned is not None:
            files.insert(next((i for i, p in enumerate(files) if p.name == "pyproject.toml"), len(files)), versioned)
    for path in files:
        reader = next((read for names, read in SOURCES if path.name in names), read_requirements_file)
        found.add(reader(path, repo))
    done = {repo.resolve(), config.resolve()}  # a notebook in the root has no folder of its own
    for folder in notebook_dirs:
        folder = folder.resolve()
        if folder in done:
            continue
        done.add(folder)
        path = folder / "requirements.txt"
        if path.is_file():
            found.add(read_requirements_file(path, repo))
    return found


def config_dir(repo: Path) -> Path:
    """``binder/`` or ``.binder/`` when it holds a dependency file, else the repository root."""
    for name in BINDER_DIRS:
        folder = repo / name
        if folder.is_dir() and _dependency_files(folder):
            return folder
    return repo


def _dependency_files(folder: Path) -> list[Path]:
    """The dependency files in ``folder``, in reading order; Pipfile only without Pipfile.lock."""
    files = []
    for names, _ in SOURCES:
        path = next((folder / n for n in names if (folder / n).is_file()), None)
        if path is not None:
            files.append(path)
    if any(p.name == "Pipfile.lock" for p in files):
        files = [p for p in files if p.name != "Pipfile"]
    return files
