"""pyproject.toml: PEP 621 dependencies and Poetry's."""

from __future__ import annotations

import pytest

from builder.deps.pyproject import poetry_to_pep440


def test_pep621_dependencies_are_read(write, plan):
    write("pyproject.toml", """
        [project]
        name = "churn"
        dependencies = ["pandas>=2.1", "scikit-learn~=1.3", 'tomli; python_version < "3.11"']

        [project.optional-dependencies]
        dev = ["pytest"]
        """)
    result = plan("x = 1")
    assert result.lines() == ["pandas>=2.1", "scikit-learn~=1.3", 'tomli; python_version < "3.11"']
    assert {r.source for r in result.requirements} == {"pyproject.toml"}


def test_poetry_dependencies_are_read_without_python(write, plan):
    write("pyproject.toml", """
        [tool.poetry]
        name = "churn"

        [tool.poetry.dependencies]
        python = "^3.11"
        pandas = "^2.1"
        numpy = "~1.26.2"
        requests = "*"
        scikit-learn = {version = ">=1.3,<1.5", extras = ["alldeps"]}
        joblib = "1.3.2"
        plotly = {version = "^5.0", optional = true}
        mylib = {path = "../mylib"}
        tool = {git = "https://example.org/org/tool.git", tag = "v2"}

        [tool.poetry.group.dev.dependencies]
        pytest = "^8"
        """)
    result = plan("x = 1")
    assert result.lines() == ["pandas<3.0,>=2.1", "numpy<1.27.0,>=1.26.2", "requests",
                              "scikit-learn[alldeps]<1.5,>=1.3", "joblib==1.3.2",
                              "tool @ git+https://example.org/org/tool.git@v2"]
    assert {n.name for n in result.notes} == {"plotly", "mylib"}


@pytest.mark.parametrize(("poetry", "pep440"), [
    ("^1.2.3", ">=1.2.3,<2.0.0"), ("^0.2.3", ">=0.2.3,<0.3.0"), ("^0.0.3", ">=0.0.3,<0.0.4"),
    ("^0", ">=0,<1"), ("~1.2.3", ">=1.2.3,<1.3.0"), ("~1", ">=1,<2"), ("~=1.2", "~=1.2"),
    (">= 1.0", ">=1.0"), ("1.2.3", "==1.2.3"), ("1.2.*", "==1.2.*"),
])
def test_poetry_constraints_become_pep440_ranges(poetry, pep440):
    assert poetry_to_pep440(poetry) == pep440


def test_dynamic_dependencies_are_noted(write, plan):
    write("pyproject.toml", '[project]\nname = "x"\ndynamic = ["dependencies"]\n')
    result = plan("x = 1")
    assert result.lines() == []
    assert "dynamic" in result.notes[0].reason


def test_a_malformed_pep621_dependency_is_installed_unpinned_naming_the_entry(write, plan):
    write("pyproject.toml", '[project]\nname = "x"\ndependencies = ["pandas", "numpy>>1"]\n')
    result = plan("x = 1")
    assert result.lines() == ["pandas", "numpy"]
    assert any("malformed pin 'numpy>>1' at pyproject.toml [project].dependencies entry 2" in n.reason
               for n in result.notes)
