"""environment.yml: the pip part is installed, conda packages are reported or taken from PyPI."""

from __future__ import annotations

import pytest

from builder.deps.conda_env import conda_version_to_pep440
from builder.errors import DependencyError

ENVIRONMENT = """
    name: churn
    channels:
      - conda-forge
    dependencies:
      - python=3.11
      - pip
      - conda-forge::numpy=1.26
      - scikit-learn>=1.3,<1.5
      - pytorch=2.1
      - cudatoolkit
      - pip:
        - --extra-index-url https://example.org/simple
        - xgboost==2.0.3
        - -r extra-requirements.txt
    """


def test_the_pip_section_of_environment_yml_is_installed(write, plan):
    write("environment.yml", ENVIRONMENT)
    write("extra-requirements.txt", "shap\n")
    result = plan("x = 1")
    pip = [(r.line, r.source) for r in result.requirements if "(pip)" in r.source or r.source.startswith("extra")]
    assert pip == [("xgboost==2.0.3", "environment.yml (pip)"), ("shap", "extra-requirements.txt:1")]
    assert any(n.name == "--extra-index-url" for n in result.notes)


def test_conda_packages_named_as_on_pypi_are_taken_with_their_version(write, plan):
    write("environment.yml", ENVIRONMENT)
    write("extra-requirements.txt", "")
    conda = [(r.line, r.source) for r in plan("x = 1").requirements if r.source == "environment.yml (conda)"]
    assert conda == [("numpy==1.26.*", "environment.yml (conda)"),
                     ("scikit-learn>=1.3,<1.5", "environment.yml (conda)")]


def test_other_conda_packages_are_reported_not_installed(write, plan):
    write("environment.yml", ENVIRONMENT)
    write("extra-requirements.txt", "")
    result = plan("x = 1")
    assert "pytorch" not in result.lines() and "cudatoolkit" not in " ".join(result.lines())
    reported = {n.name: n.reason for n in result.notes if n.source == "environment.yml (conda)"}
    assert "conda package; nb2service installs only the pip part" in reported["pytorch"]
    assert "cudatoolkit" in reported
    assert "Python version" in reported["python=3.11"]
    assert "pip" not in reported


def test_a_pip_entry_wins_over_the_same_conda_package(write, plan):
    write("environment.yaml", """
        dependencies:
          - pandas=1.5
          - pip:
            - pandas==2.1.4
        """)
    assert plan("x = 1").lines() == ["pandas==2.1.4"]


@pytest.mark.parametrize(("conda", "pep440"), [
    ("", ""), ("=1.26", "==1.26.*"), ("=1.26.*", "==1.26.*"), ("==1.26.4", "==1.26.4"),
    ("1.26.4", "==1.26.4"), ("=1.26.4=py311h64a7726_0", "==1.26.4"), ("1.26 py311_0", "==1.26"),
    (">=1.2,<2", ">=1.2,<2"), (">=1.2, <2", ">=1.2,<2"), ("1.2*", "==1.2.*"),
    ("1.2|1.3", None), ("=foo", None),
])
def test_conda_versions_are_translated_when_plain(conda, pep440):
    assert conda_version_to_pep440(conda) == pep440


def test_an_untranslatable_conda_version_installs_unpinned_with_a_note(write, plan):
    write("environment.yml", "dependencies:\n  - numpy 1.25|1.26\n")
    result = plan("x = 1")
    assert result.lines() == ["numpy"]
    assert "no plain PyPI equivalent" in result.notes[0].reason


def test_invalid_yaml_names_the_file_and_line(write, plan):
    write("environment.yml", "dependencies:\n  - numpy\n  - [unclosed\n")
    with pytest.raises(DependencyError, match=r"^environment\.yml:\d+: not valid YAML"):
        plan("x = 1")


def test_a_malformed_pip_entry_is_installed_unpinned_with_a_note_naming_the_file(write, plan):
    write("environment.yml", "dependencies:\n  - pip:\n    - numpy\n    - pandas===\n")
    result = plan("x = 1")
    assert "pandas" in result.lines()
    assert any("malformed pin 'pandas==='" in n.reason and "environment.yml, pip entry 2" in n.reason
               for n in result.notes)


def test_a_pip_entry_with_no_name_is_an_error_naming_the_file(write, plan):
    write("environment.yml", "dependencies:\n  - pip:\n    - numpy\n    - ===1.0\n")
    with pytest.raises(DependencyError, match=r"^environment\.yml, pip entry 2: '===1.0' is not a valid"):
        plan("x = 1")
