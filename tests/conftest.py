"""Shared fixtures: notebook repos written with nbformat, and a clean environment per test."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat import v4

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "notebooks"

#: Variables nb2service reads; each test starts without them.
PROJECT_ENV = ["NOTEBOOK", "S2I_SOURCE_NOTEBOOK_LIST", "MODEL_VARIABLE", "S2I_PIPELINE_STAGE_SAVE_FILE",
               "NB2SERVICE_CELL_TIMEOUT", "NB2SERVICE_ENV", "NB2SERVICE_NO_INSTALL", "NB2SERVICE_NO_EXAMPLES",
               "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "MODEL_NAME", "PORT",
               "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "NB2SERVICE_MIN_SCORE", "NB2SERVICE_NO_REGRESSION",
               "NB2SERVICE_PREVIOUS_ARTIFACT"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    import os

    for name in PROJECT_ENV:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("NB2SERVICE_PARAM_")]:  # notebook parameters
        monkeypatch.delenv(name)


def notebook(*cells, language: str = "python", tags: dict | None = None) -> nbformat.NotebookNode:
    """A notebook from code-cell sources; a source starting with '#md' becomes markdown."""
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": language}
    for i, source in enumerate(cells):
        if source.startswith("#md"):
            nb.cells.append(v4.new_markdown_cell(source[3:].strip()))
        else:
            cell = v4.new_code_cell(source)
            if tags and i in tags:
                cell.metadata["tags"] = tags[i]
            nb.cells.append(cell)
    return nb


@pytest.fixture
def make_repo(tmp_path):
    """``make_repo({"train.ipynb": notebook(...), "requirements.txt": "pandas"})`` -> repo path."""
    def make(files: dict, name: str = "repo") -> Path:
        repo = tmp_path / name
        for rel, content in files.items():
            path = repo / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, nbformat.NotebookNode):
                nbformat.write(content, path)
            else:
                path.write_text(content)
        repo.mkdir(exist_ok=True)
        return repo
    return make
