"""Imports in code cells: where they are found, which are optional, which cells are skipped."""

from __future__ import annotations

import pytest


def imported(result) -> list[str]:
    return [r.line for r in result.requirements if r.kind == "import"]


@pytest.mark.parametrize(("cell", "lines"), [
    ("import pandas as pd", ["pandas"]),
    ("import numpy, scipy.stats", ["numpy", "scipy"]),
    ("from sklearn.ensemble import RandomForestClassifier", ["scikit-learn"]),
    ("from matplotlib import pyplot as plt", ["matplotlib"]),
    ("import xgboost.sklearn", ["xgboost"]),
    ("def train():\n    import lightgbm\n    return lightgbm", ["lightgbm"]),
    ("class M:\n    def fit(self):\n        from catboost import CatBoostClassifier", ["catboost"]),
    ("import importlib\nshap = importlib.import_module('shap')", ["shap"]),
    ("from importlib import import_module\nm = import_module('optuna.samplers')", ["optuna"]),
    ("tqdm = __import__('tqdm')", ["tqdm"]),
    ("%matplotlib inline\nimport seaborn as sns\nsns.set()", ["seaborn"]),
    ("import statsmodels.api as sm\nsm.OLS?", ["statsmodels"]),
    ("files = !ls data\nimport plotly.express as px", ["plotly"]),
])
def test_imports_are_found_wherever_they_are_in_a_cell(plan, cell, lines):
    assert imported(plan(cell)) == lines


def test_imports_inside_time_magic_bodies_are_found(plan):
    assert imported(plan("%%time\nimport xgboost as xgb\nmodel = xgb.XGBClassifier()")) == ["xgboost"]


def test_imports_inside_capture_magic_bodies_are_found(plan):
    assert imported(plan("%%capture out\n%pip install -q nothing-here\nimport joblib")) == ["joblib"]


def test_imports_inside_timeit_setup_and_time_line_magics_are_found(plan):
    result = plan("%time import polars\n%timeit -n 3 -r 1 import duckdb", "%%timeit -n1 import pyarrow\nx = 1")
    assert imported(result) == ["polars", "duckdb", "pyarrow"]


@pytest.mark.parametrize("magic", ["%%bash", "%%sh", "%%html", "%%javascript", "%%writefile notes.txt",
                                   "%%markdown", "%%sql"])
def test_cells_with_non_python_magics_are_skipped(plan, magic):
    result = plan(f"{magic}\nimport requests\nfrom flask import Flask")
    assert imported(result) == [] and result.unknown_imports == []


def test_a_python_file_written_by_the_notebook_is_a_local_module(plan):
    result = plan("%%writefile features.py\nimport holidays\n", "import features")
    assert result.local_modules == ["features"]
    assert result.unknown_imports[0].name == "holidays"


def test_optional_imports_are_reported_not_installed(plan):
    result = plan("try:\n    import ujson as json\nexcept ImportError:\n    import json",
                  "try:\n    from tqdm.notebook import tqdm\n"
                  "except (ModuleNotFoundError, ValueError):\n    tqdm = None")
    assert imported(result) == []
    assert [(n.name, n.reason) for n in result.notes] == [
        ("ujson", "optional import (inside try/except ImportError); not installed"),
        ("tqdm", "optional import (inside try/except ImportError); not installed"),
    ]


def test_an_optional_import_that_is_also_required_elsewhere_is_installed(plan):
    result = plan("try:\n    import shap\nexcept ImportError:\n    shap = None", "import shap")
    assert imported(result) == ["shap"]
    assert result.notes == []


def test_the_fallback_in_an_import_error_handler_is_required(plan):
    result = plan("try:\n    import orjson as fastjson\nexcept ImportError:\n    import simplejson as fastjson")
    assert imported(result) == ["simplejson"]
    assert [n.name for n in result.notes] == ["orjson"]


def test_imports_in_a_try_that_catches_other_errors_are_required(plan):
    assert imported(plan("try:\n    import requests\nexcept Exception:\n    pass")) == ["requests"]


def test_a_cell_that_does_not_parse_is_skipped_with_a_note(plan, markdown):
    result = plan(markdown("intro"), "import pandas", "def broken(:\n    import numpy", "import scipy")
    assert imported(result) == ["pandas", "scipy"]
    note = result.notes[0]
    assert note.source == "churn.ipynb cell 3" and "does not parse" in note.reason


def test_an_unknown_cell_magic_is_noted_and_not_scanned(plan):
    result = plan("%%my_magic --fast\nimport pandas")
    assert imported(result) == []
    assert result.notes[0].name == "%%my_magic"


def test_relative_imports_future_imports_and_the_standard_library_are_left_out(plan):
    result = plan("from __future__ import annotations\nfrom . import helpers\nfrom .models import x\n"
                  "import os, sys, json, tomllib, zoneinfo, importlib.metadata\nfrom collections import Counter")
    assert result.requirements == [] and result.unknown_imports == []


def test_the_kernel_s_own_packages_are_not_installed(plan):
    result = plan("from IPython.display import display\nimport ipykernel")
    assert result.requirements == [] and result.unknown_imports == []


def test_imports_from_several_notebooks_are_merged(repo, write):
    from nbformat.v4 import new_code_cell, new_notebook

    from builder.deps import plan_dependencies

    first = new_notebook(cells=[new_code_cell("import pandas")])
    second = new_notebook(cells=[new_code_cell("import pandas\nimport numpy")])
    result = plan_dependencies(repo, [(repo / "a.ipynb", first), (repo / "sub" / "b.ipynb", second)])
    assert result.lines() == ["pandas", "numpy"]
    assert result.also_found == {"pandas": ["import pandas in sub/b.ipynb cell 1"]}
