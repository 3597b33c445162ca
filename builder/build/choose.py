"""Stage 1: choose the notebook(s) to run."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import NotebookChoiceError

HOW_TO_CHOOSE = (
    "choose with --notebook PATH (repeatable, run in order), NOTEBOOK=PATH, "
    "or S2I_SOURCE_NOTEBOOK_LIST=a.ipynb,b.ipynb"
)


def choose_notebooks(repo: Path, requested: tuple[str, ...] | list[str], origin: str = "") -> list[Path]:
    """Return the notebooks to run, in order, as absolute paths inside ``repo``.

    ``requested`` (from ``--notebook``, ``NOTEBOOK`` or ``S2I_SOURCE_NOTEBOOK_LIST``) wins; otherwise
    the repo must hold exactly one notebook.
    """
    repo = repo.resolve()
    if requested:
        return [_requested(repo, name, origin) for name in requested]
    found = discover_notebooks(repo)
    if not found:
        raise NotebookChoiceError(
            f"{repo}: no notebook (*.ipynb) found",
            hint="push the notebook that trains the model, or point SRC at the folder that holds it",
        )
    if len(found) > 1:
        listing = ", ".join(str(p.relative_to(repo)) for p in found)
        raise NotebookChoiceError(f"{repo}: {len(found)} notebooks and no choice: {listing}", hint=HOW_TO_CHOOSE)
    return found


def discover_notebooks(repo: Path) -> list[Path]:
    """Every notebook in ``repo``, skipping hidden folders (``.ipynb_checkpoints``, ``.git``) and
    nb2service artifacts (folders holding an nb2service ``metadata.json``)."""
    found = []
    for path in sorted(repo.rglob("*.ipynb")):
        parts = path.relative_to(repo).parts
        if any(part.startswith(".") for part in parts):
            continue
        if any(_is_artifact(parent) for parent in path.parents if repo in parent.parents or parent == repo):
            continue
        found.append(path)
    return found


def _is_artifact(folder: Path) -> bool:
    meta = folder / "metadata.json"
    if not meta.is_file():
        return False
    try:
        return "nb2service_version" in json.loads(meta.read_text())
    except (ValueError, OSError):
        return False


def _requested(repo: Path, name: str, origin: str) -> Path:
    where = f" (from {origin})" if origin else ""
    path = (repo / name).resolve()
    if repo != path and repo not in path.parents:
        raise NotebookChoiceError(f"{name}{where}: the notebook must be inside {repo}")
    if not path.is_file():
        available = ", ".join(str(p.relative_to(repo)) for p in discover_notebooks(repo)) or "none"
        raise NotebookChoiceError(
            f"{name}{where}: no such notebook in {repo}", hint=f"notebooks found: {available}"
        )
    if path.suffix != ".ipynb":
        raise NotebookChoiceError(f"{name}{where}: not a notebook (expected a .ipynb file)")
    return path
