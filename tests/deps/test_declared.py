"""Which declared files are read, and which wins when two name the same distribution."""

from __future__ import annotations


def test_binder_requirements_take_precedence_over_the_root(write, plan):
    write("requirements.txt", "pandas==1.5\nflask\n")
    write("binder/requirements.txt", "pandas==2.1\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas==2.1"]
    assert result.requirements[0].source == "binder/requirements.txt:1"
    ignored = [n for n in result.notes if n.source == "requirements.txt"]
    assert ignored and "binder/ takes precedence" in ignored[0].reason


def test_dot_binder_is_used_when_there_is_no_binder_folder(write, plan):
    write("requirements.txt", "flask\n")
    write(".binder/requirements.txt", "pandas\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas"]
    assert result.requirements[0].source == ".binder/requirements.txt:1"


def test_a_binder_folder_without_dependency_files_does_not_hide_the_root(write, plan):
    write("binder/postBuild", "echo hi\n")
    write("requirements.txt", "pandas\n")
    assert plan("x = 1").lines() == ["pandas"]


def test_requirements_next_to_a_notebook_in_a_subfolder_are_read(write, plan):
    write("requirements.txt", "pandas\n")
    write("notebooks/churn/requirements.txt", "xgboost==2.0.3\n")
    result = plan("x = 1", at="notebooks/churn/train.ipynb")
    assert result.lines() == ["pandas", "xgboost==2.0.3"]
    assert result.requirements[1].source == "notebooks/churn/requirements.txt:1"


def test_environment_yml_wins_over_requirements_txt_for_the_same_distribution(write, plan):
    write("environment.yml", """
        dependencies:
          - pip:
            - pandas==2.0.3
        """)
    write("requirements.txt", "pandas==2.2\nflask\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas==2.0.3", "flask"]
    conflict = [n for n in result.notes if n.name == "pandas"]
    assert conflict and conflict[0].source == "requirements.txt:1"
    assert "environment.yml (pip)" in conflict[0].reason


def test_every_kind_of_declared_file_is_read_in_repo2docker_order(write, plan):
    write("pyproject.toml", '[project]\nname = "x"\ndependencies = ["d-from-pyproject"]\n')
    write("requirements.txt", "c-from-requirements\n")
    write("Pipfile", '[packages]\nb-from-pipfile = "*"\n')
    write("environment.yml", "dependencies:\n  - pip:\n    - a-from-environment\n")
    assert plan("x = 1").lines() == ["a-from-environment", "b-from-pipfile", "c-from-requirements",
                                     "d-from-pyproject"]


def test_a_repository_without_declared_files_relies_on_the_notebook(plan):
    result = plan("import pandas")
    assert [(r.line, r.kind) for r in result.requirements] == [("pandas", "import")]


def test_a_per_python_requirements_file_for_the_builds_python_is_used(write, plan):
    import sys
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    write(f"requirements_py{here}.txt", "pandas==2.1.4\n")
    write("requirements_py2.7.txt", "pandas==0.24.2\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas==2.1.4"]
    assert result.requirements[0].source == f"requirements_py{here}.txt:1"


def test_the_notebooks_recorded_python_picks_the_file_when_the_builds_has_none(write, repo):
    from nbformat.v4 import new_code_cell, new_notebook

    from builder.deps import plan_dependencies
    write("requirements-py3.8.txt", "pandas==1.3.5\n")
    write("requirements-py2.7.txt", "pandas==0.24.2\n")
    nb = new_notebook(cells=[new_code_cell("x = 1")], metadata={"language_info": {"name": "python", "version": "3.8.10"}})
    assert plan_dependencies(repo, [(repo / "nb.ipynb", nb)]).lines() == ["pandas==1.3.5"]
    write("requirements.txt", "pandas\n")  # a plain requirements.txt wins
    assert plan_dependencies(repo, [(repo / "nb.ipynb", nb)]).lines() == ["pandas"]
