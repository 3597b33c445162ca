"""Install lines in notebooks: every spelling of pip install, flags, files and conda."""

from __future__ import annotations

import pytest



@pytest.mark.parametrize(("cell", "lines", "source"), [
    ("%pip install pandas", ["pandas"], "%pip"),
    ("!pip install pandas", ["pandas"], "!pip"),
    ("! pip install pandas", ["pandas"], "!pip"),
    ("!pip3 install pandas", ["pandas"], "!pip3"),
    ("!python -m pip install pandas", ["pandas"], "!python -m pip"),
    ("!python3 -m pip install pandas", ["pandas"], "!python3 -m pip"),
    ("!{sys.executable} -m pip install pandas", ["pandas"], "!{sys.executable} -m pip"),
    ("!uv pip install pandas", ["pandas"], "!uv pip"),
    ("%pip install -q -U pandas", ["pandas"], "%pip"),
    ("%pip install --upgrade --quiet --user pandas", ["pandas"], "%pip"),
    ("!pip install -qU --no-cache-dir pandas", ["pandas"], "!pip"),
    ('%pip install "pandas>=2" \'numpy<2\' "scikit-learn==1.3.2"',
     ["pandas>=2", "numpy<2", "scikit-learn==1.3.2"], "%pip"),
    ("!pip install pandas numpy scipy", ["pandas", "numpy", "scipy"], "!pip"),
    ("import os\nx = 1\n!pip install pandas\ny = 2", ["pandas"], "!pip"),
    ("if True:\n    %pip install pandas", ["pandas"], "%pip"),
    ("%%capture\n%pip install pandas", ["pandas"], "%pip"),
    ("%%time\n!pip install pandas", ["pandas"], "!pip"),
    ("%%bash\necho installing\npip install pandas numpy", ["pandas", "numpy"], "pip"),
    ("%%sh\npython3 -m pip install pandas", ["pandas"], "python3 -m pip"),
    ("%%bash --out log\npip install pandas", ["pandas"], "pip"),
    ("%%script bash\npip install pandas", ["pandas"], "pip"),
    ("!pip install pandas && echo done > install.log 2>&1", ["pandas"], "!pip"),
    ("!pip install pandas > /dev/null", ["pandas"], "!pip"),
    ("!pip install pandas; pip install numpy", ["pandas", "numpy"], "!pip"),
    ("!pip install \\\n    pandas \\\n    numpy", ["pandas", "numpy"], "!pip"),
    ('%pip install "xgboost[scikit-learn]>=2; python_version >= \'3.9\'"',
     ['xgboost[scikit-learn]>=2; python_version >= "3.9"'], "%pip"),
    ("%pip install --upgrade pip pandas", ["pandas"], "%pip"),
])
def test_every_install_line_form_is_found(plan, cell, lines, source):
    result = plan(cell)
    magic = [r for r in result.requirements if r.kind == "magic"]
    assert [r.line for r in magic] == lines
    assert {r.source for r in magic} == {f"{source} in churn.ipynb cell 1"}


def test_install_lines_name_the_cell_counting_every_cell(plan, markdown):
    result = plan(markdown("# Churn"), "x = 1", "%pip install pandas")
    assert result.requirements[0].source == "%pip in churn.ipynb cell 3"


def test_requirements_files_named_by_pip_are_read_relative_to_the_notebook(write, plan):
    write("notebooks/reqs/extra.txt", "shap==0.44\n")
    result = plan("%pip install -r reqs/extra.txt pandas", at="notebooks/train.ipynb")
    assert result.lines() == ["shap==0.44", "pandas"]
    assert result.requirements[0].source == "notebooks/reqs/extra.txt:1 (via %pip in notebooks/train.ipynb cell 1)"
    assert {r.kind for r in result.requirements} == {"magic"}


def test_a_requirements_file_missing_at_build_time_is_noted(plan):
    result = plan("!git clone https://example.org/x.git && pip install -r x/requirements.txt")
    assert result.lines() == []
    assert "not found" in result.notes[0].reason


def test_conda_installs_are_reported_not_installed(plan):
    result = plan("%conda install -y -c conda-forge lightgbm\n!mamba install -q prophet")
    assert result.lines() == []
    assert [(n.name, n.source) for n in result.notes] == [("lightgbm", "%conda in churn.ipynb cell 1"),
                                                          ("prophet", "!mamba in churn.ipynb cell 1")]
    assert all("conda package" in n.reason for n in result.notes)


def test_index_options_and_editables_in_pip_lines_are_ignored_with_a_note(plan):
    result = plan("%pip install --index-url https://example.org/simple -e . pandas")
    assert result.lines() == ["pandas"]
    assert {n.name for n in result.notes} == {"--index-url", "."}


def test_a_package_named_by_a_notebook_variable_is_noted(plan):
    result = plan("pkg = 'pandas'\n!pip install {pkg} numpy")
    assert result.lines() == ["numpy"]
    assert result.notes[0].name == "{pkg}"


def test_an_unquoted_version_is_taken_with_a_note_about_the_shell(plan):
    result = plan("%pip install pandas>=2.1")
    assert result.lines() == ["pandas>=2.1"]
    assert "shell redirection" in result.notes[0].reason


def test_a_malformed_requirement_in_a_pip_line_is_installed_unpinned_naming_the_cell_and_line(plan):
    result = plan("import os\n%pip install pandas==")
    assert result.lines() == ["pandas"]
    assert any("malformed pin 'pandas==' at churn.ipynb cell 1, line 2" in n.reason for n in result.notes)


def test_other_shell_commands_and_magics_are_not_installs(plan):
    result = plan("!ls -la\n%matplotlib inline\n!pip list\n!pip freeze > requirements.txt\n!echo it's")
    assert result.requirements == [] and result.notes == []


def test_the_deprecated_sklearn_name_in_a_pip_line_becomes_scikit_learn(plan):
    result = plan("!pip install sklearn")
    assert result.lines() == ["scikit-learn"]
    assert result.notes[0].reason.startswith("renamed")
