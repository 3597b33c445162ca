"""Stage 2: parse and validate each notebook with nbformat.

Saved outputs that nbformat rejects (stream outputs without ``name``, written by old tools) are
dropped with a warning: the build runs every cell again, so they would be replaced anyway; the
notebook's other outputs are kept (they are evidence of the libraries it last ran with).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from ..errors import NotebookInvalid

SUPPORTED_MAJOR = 4
PYTHON_NAMES = {"python", "python3", "python2", "ipython", "ipython3"}


MAX_DROPPED_OUTPUTS = 10_000


def parse_notebook(path: Path, repo: Path, warn=None) -> nbformat.NotebookNode:
    """Read ``path`` as an nbformat 4 notebook with a Python kernel, or raise ``NotebookInvalid``
    with the file and the problem in one line. Invalid saved outputs are dropped, each drop told
    to ``warn`` and listed in ``nb.metadata["nb2service"]["dropped_outputs"]``."""
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
        dropped = _drop_invalid_outputs(nb)
    except nbformat.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) if getattr(exc, "absolute_path", None) else "notebook"
        raise NotebookInvalid(f"{rel}: invalid nbformat 4 at {where}: {exc.message}")
    if dropped:
        nb.metadata.setdefault("nb2service", {})["dropped_outputs"] = dropped
        if warn is not None:
            cells = sorted({d["cell"] for d in dropped})
            warn(f"WARNING: {rel}: dropped {len(dropped)} saved output(s) that nbformat rejects ({dropped[0]['problem']}) "
                 f"in cell(s) {', '.join(map(str, cells[:10]))}{'...' if len(cells) > 10 else ''}; "
                 "every cell runs again, so the build loses nothing")
    _check_language(nb, rel)
    if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
        raise NotebookInvalid(f"{rel}: the notebook has no code to run", hint="is this the notebook that trains the model?")
    return nb


def _drop_invalid_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    """Remove saved outputs nbformat rejects, one at a time; raise the first error that is not
    about an output. Returns ``[{"cell": n, "output_type": ..., "problem": ...}]``."""
    dropped = []
    for _ in range(MAX_DROPPED_OUTPUTS):
        try:
            nbformat.validate(nb)
            return dropped
        except nbformat.ValidationError as exc:
            path = list(getattr(exc, "absolute_path", None) or [])
            if len(path) < 4 or path[0] != "cells" or path[2] != "outputs":
                raise
            cell = nb.cells[path[1]]
            output = cell.outputs.pop(path[3])
            dropped.append({"cell": path[1] + 1, "output_type": output.get("output_type"), "problem": exc.message})
    nbformat.validate(nb)
    return dropped


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
