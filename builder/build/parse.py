"""Stage 2: parse and validate each notebook with nbformat."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from ..errors import NotebookInvalid

SUPPORTED_MAJOR = 4
PYTHON_NAMES = {"python", "python3", "python2", "ipython", "ipython3"}


def parse_notebook(path: Path, repo: Path) -> nbformat.NotebookNode:
    """Read ``path`` as an nbformat 4 notebook with a Python kernel, or raise ``NotebookInvalid``
    with the file and the problem in one line."""
    rel = _rel(path, repo)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookInvalid(f"{rel}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    except json.JSONDecodeError as exc:
        raise NotebookInvalid(
            f"{rel}: not valid notebook JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hint="open and save it in Jupyter, or check that it was committed whole",
        )
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise NotebookInvalid(f"{rel}: JSON, but not a notebook (no 'cells')")
    major = raw.get("nbformat")
    if major != SUPPORTED_MAJOR:
        raise NotebookInvalid(
            f"{rel}: nbformat {major} is not supported (nb2service reads nbformat 4)",
            hint="open it in a current Jupyter and save it, or run `jupyter nbconvert --to notebook --nbformat 4`",
        )
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=SUPPORTED_MAJOR)
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) if getattr(exc, "absolute_path", None) else "notebook"
        raise NotebookInvalid(f"{rel}: invalid nbformat 4 at {where}: {exc.message}")
    _check_language(nb, rel)
    if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
        raise NotebookInvalid(f"{rel}: the notebook has no code to run", hint="is this the notebook that trains the model?")
    return nb


def _check_language(nb: nbformat.NotebookNode, rel: str) -> None:
    meta = nb.get("metadata", {})
    language = (meta.get("kernelspec", {}).get("language") or meta.get("language_info", {}).get("name") or "").lower()
    if language and language not in PYTHON_NAMES:
        kernel = meta.get("kernelspec", {}).get("name", language)
        raise NotebookInvalid(
            f"{rel}: kernel '{kernel}' runs {language}, not Python; nb2service builds Python notebooks only"
        )


def _rel(path: Path, repo: Path) -> str:
    try:
        return str(path.relative_to(repo))
    except ValueError:
        return str(path)
