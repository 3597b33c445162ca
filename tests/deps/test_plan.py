"""Merging the sources: priority, order, the plan's outputs."""

from __future__ import annotations

import json

from nbformat.v4 import new_code_cell, new_notebook

from builder.deps import DependencyPlan, Finding, Requirement, plan_dependencies
from builder.deps.plan import merge


def test_a_declared_line_is_kept_over_install_lines_and_imports(write, plan):
    write("requirements.txt", "pandas==2.1.4\n")
    result = plan("%pip install 'pandas>=2.2'", "import pandas")
    assert result.requirements == [Requirement("pandas", "pandas==2.1.4", "requirements.txt:1", "declared")]
    assert result.also_found["pandas"] == ["%pip in churn.ipynb cell 1", "import pandas in churn.ipynb cell 2"]
    conflict = [n for n in result.notes if n.name == "pandas"]
    assert conflict == [Finding("pandas", "%pip in churn.ipynb cell 1",
                                "'pandas>=2.2' not used: 'pandas==2.1.4' from requirements.txt:1 takes precedence")]


def test_an_install_line_is_kept_over_an_import(plan):
    result = plan("import sklearn", "%pip install scikit-learn==1.3.2")
    assert result.requirements == [Requirement("scikit-learn", "scikit-learn==1.3.2",
                                               "%pip in churn.ipynb cell 2", "magic")]


def test_the_first_install_line_wins_over_a_later_one(plan):
    result = plan("%pip install numpy==1.26.4", "!pip install numpy==2.0")
    assert result.lines() == ["numpy==1.26.4"]
    assert result.notes[0].source == "!pip in churn.ipynb cell 2"


def test_requirements_are_ordered_declared_then_install_lines_then_imports(write, plan):
    write("requirements.txt", "flask\n")
    result = plan("import zlib, seaborn\n%pip install shap", "import flask, numpy")
    assert [(r.line, r.kind) for r in result.requirements] == [
        ("flask", "declared"), ("shap", "magic"), ("seaborn", "import"), ("numpy", "import")]


def test_merge_never_lets_a_lower_kind_change_a_line():
    candidates = [Requirement("numpy", "numpy", "import numpy in a.ipynb cell 1", "import"),
                  Requirement("numpy", "numpy<2", "%pip in a.ipynb cell 2", "magic"),
                  Requirement("numpy", "numpy==1.26.4", "requirements.txt:1", "declared")]
    kept, also, notes = merge(candidates)
    assert kept == [candidates[2]]
    assert also == {"numpy": ["%pip in a.ipynb cell 2", "import numpy in a.ipynb cell 1"]}
    assert [n.source for n in notes] == ["%pip in a.ipynb cell 2"]


def test_the_plan_is_the_same_every_time(write, repo):
    write("requirements.txt", "pandas\n")
    nb = new_notebook(cells=[new_code_cell("import shap, xgboost, numpy, zz_unknown_a, zz_unknown_b")])
    plans = [plan_dependencies(repo, [(repo / "churn.ipynb", nb)]).to_json() for _ in range(2)]
    assert plans[0] == plans[1]
    assert [r["line"] for r in plans[0]["requirements"]] == ["pandas", "shap", "xgboost", "numpy"]


def test_the_plan_is_json_able_and_gives_installer_lines(write, plan):
    write("requirements.txt", "-e .\npandas\n")
    result = plan("import numpy\nimport zz_unknown")
    assert isinstance(result, DependencyPlan)
    assert result.lines() == ["pandas", "numpy"]
    data = json.loads(json.dumps(result.to_json()))
    assert data["requirements"][0] == {"name": "pandas", "line": "pandas", "source": "requirements.txt:2",
                                       "kind": "declared", "also_found": []}
    assert data["unknown_imports"][0]["name"] == "zz_unknown"
    assert data["notes"][0]["source"] == "requirements.txt:1"
    assert data["local_modules"] == []


def test_a_notebook_path_relative_to_the_repository_is_accepted(repo):
    nb = new_notebook(cells=[new_code_cell("import numpy")])
    from pathlib import Path
    result = plan_dependencies(repo, [(Path("churn.ipynb"), nb)])
    assert result.requirements[0].source == "import numpy in churn.ipynb cell 1"


def test_tqdms_notebook_bars_bring_jupyters_widgets(plan):
    """In Jupyter, tqdm.notebook (and tqdm.auto in a kernel) draws ipywidgets widgets; headless
    without ipywidgets it raises "IProgress not found", so the import installs ipywidgets too."""
    result = plan("import pandas as pd", "from tqdm.notebook import tqdm\nfor i in tqdm(range(3)): pass")
    widgets = [r for r in result.requirements if r.name == "ipywidgets"]
    assert [r.line for r in widgets] == ["ipywidgets"]
    assert "tqdm.notebook" in widgets[0].source and "Jupyter widgets" in widgets[0].source
    assert "tqdm" in result.lines() and not result.unknown_imports
    assert "ipywidgets" in plan("from tqdm.auto import tqdm").lines()
    assert "ipywidgets" not in plan("from tqdm import tqdm").lines()  # the console bar needs nothing
    assert "ipywidgets" not in plan("try:\n    from tqdm.notebook import tqdm\nexcept ImportError:\n    tqdm = None").lines()
