"""Fixtures for the dependency tests: a repository in tmp_path and notebooks built with nbformat.v4."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from builder.deps import DependencyPlan, plan_dependencies


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty repository folder."""
    path = tmp_path / "repo"
    path.mkdir()
    return path


@pytest.fixture
def write(repo: Path):
    """``write("binder/requirements.txt", text)``: a dedented file in the repository."""
    def write(relative: str, text: str = "") -> Path:
        path = repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path
    return write


def notebook(*cells: str | nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A v4 notebook: strings become code cells, nodes are used as they are."""
    return new_notebook(cells=[new_code_cell(c) if isinstance(c, str) else c for c in cells])


@pytest.fixture
def plan(repo: Path):
    """``plan(*cells, at="churn.ipynb")``: plan the dependencies of a one-notebook repository."""
    def plan(*cells: str | nbformat.NotebookNode, at: str = "churn.ipynb") -> DependencyPlan:
        path = repo / at
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = notebook(*cells)
        nbformat.write(nb, path)
        return plan_dependencies(repo, [(path, nb)])
    return plan


@pytest.fixture
def markdown():
    """``markdown(text)``: a markdown cell, to shift cell numbers."""
    return new_markdown_cell
