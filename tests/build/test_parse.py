import json

import pytest

from builder.build.parse import parse_notebook
from builder.errors import NotebookInvalid
from tests.conftest import notebook


def write(tmp_path, text):
    path = tmp_path / "nb.ipynb"
    path.write_text(text)
    return path


def test_a_valid_notebook_parses(tmp_path):
    import nbformat

    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook("x = 1"), path)
    assert parse_notebook(path, tmp_path).cells[0].source == "x = 1"


def test_truncated_json_names_the_file_and_position_in_one_line(tmp_path):
    import nbformat

    text = nbformat.writes(notebook("x = 1"))
    path = write(tmp_path, text[: len(text) // 2])
    with pytest.raises(NotebookInvalid) as err:
        parse_notebook(path, tmp_path)
    first = str(err.value).splitlines()[0]
    assert first.startswith("nb.ipynb: not valid notebook JSON") and "line" in first


def test_nbformat_3_is_refused_with_how_to_convert(tmp_path):
    path = write(tmp_path, json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}))
    with pytest.raises(NotebookInvalid, match="nbformat 3 is not supported") as err:
        parse_notebook(path, tmp_path)
    assert "nbconvert" in str(err.value)


def test_a_non_python_kernel_is_refused(tmp_path):
    import nbformat

    nb = notebook("x <- 1", language="R")
    nb.metadata["kernelspec"]["name"] = "ir"
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(NotebookInvalid, match="kernel 'ir' runs r, not Python"):
        parse_notebook(path, tmp_path)


def test_a_notebook_without_code_is_refused(tmp_path):
    import nbformat

    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook("#md just words"), path)
    with pytest.raises(NotebookInvalid, match="no code"):
        parse_notebook(path, tmp_path)


def test_schema_violations_are_reported_in_one_line(tmp_path):
    path = write(tmp_path, json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                       "cells": [{"cell_type": "code", "source": "x"}]}))
    with pytest.raises(NotebookInvalid, match="invalid nbformat 4"):
        parse_notebook(path, tmp_path)


def test_json_that_is_not_a_notebook_is_refused(tmp_path):
    path = write(tmp_path, "[1, 2]")
    with pytest.raises(NotebookInvalid, match="not a notebook"):
        parse_notebook(path, tmp_path)


def test_saved_outputs_nbformat_rejects_are_dropped_with_a_warning_and_the_rest_kept(tmp_path):
    import nbformat

    nb = notebook("print('hi')", "x = 1")
    nb.cells[0].outputs = [nbformat.from_dict({"output_type": "stream", "text": "old\n"}),  # no 'name'
                           nbformat.from_dict({"output_type": "stream", "name": "stderr",
                                               "text": "/usr/lib/python3.8/site-packages/sklearn/x.py: warning\n"})]
    path = write(tmp_path, json.dumps(nb))
    warnings = []
    parsed = parse_notebook(path, tmp_path, warn=warnings.append)
    assert [o["name"] for o in parsed.cells[0].outputs] == ["stderr"]
    assert len(warnings) == 1 and "dropped 1 saved output(s)" in warnings[0] and "'name' is a required" in warnings[0]
    assert parsed.metadata["nb2service"]["dropped_outputs"][0]["cell"] == 1
    nbformat.validate(parsed)


def test_an_invalid_notebook_outside_its_outputs_is_still_refused(tmp_path):
    nb = json.loads(json.dumps(notebook("x = 1")))
    nb["cells"][0]["cell_type"] = "sql"
    with pytest.raises(NotebookInvalid, match="invalid nbformat 4"):
        parse_notebook(write(tmp_path, json.dumps(nb)), tmp_path)
