"""The repository's own importable modules, which are never installed from an index.

A top-level ``name.py`` file, or a folder ``name/`` holding ``__init__.py`` or any ``*.py`` file,
in the repository root, its ``src/`` folder or a notebook's folder. A folder of data that happens to
share a package's name (``sklearn/`` full of CSV files) is not a module and hides nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def local_module_names(repo: Path, notebook_dirs: Iterable[Path]) -> frozenset[str]:
    """Top-level module names importable from the repository root, ``src/`` or a notebook's folder."""
    names: set[str] = set()
    for folder in {repo, repo / "src", *notebook_dirs}:
        if folder.is_dir():
            names.update(_modules_in(folder))
    return frozenset(names)


def _modules_in(folder: Path) -> Iterable[str]:
    for child in folder.iterdir():
        name = child.stem if child.is_file() else child.name
        if not name.isidentifier() or name.startswith((".", "__")):
            continue
        if child.is_file() and child.suffix == ".py":
            yield name
        elif child.is_dir() and any(child.glob("*.py")):
            yield name
