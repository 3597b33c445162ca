"""Three repos of the real-world corpus, built and served with zero edits in every `make test`
(`make corpus` runs all of them, with and without .git): one that only runs with the libraries of its
date and saves its model in a bundle, one whose requirements file lies (pins never released, `sklearn`,
a malformed pin), and one built as S2I hands it over, without .git, that its saved outputs date."""

import pytest

from tests.corpus_run import manifest, run_one

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["churn-drift-pandas1", "iris-bad-pins"])
def test_a_corpus_notebook_builds_and_serves_the_model_it_meant(name, tmp_path):
    outcome = run_one(name, manifest()[name], tmp_path)
    assert outcome.built and outcome.expected_model and outcome.served, outcome.problem
    assert outcome.as_of == manifest()[name]["written"]


def test_without_git_a_notebooks_saved_outputs_date_it_and_a_magics_module_is_installed(tmp_path):
    name = "salary-s2i-saved-outputs"
    outcome = run_one(name, manifest()[name], tmp_path, git=False)
    assert outcome.built and outcome.expected_model and outcome.served, outcome.problem
    assert outcome.as_of == "2023-04-02"  # printed pandas 1.5.3: before pandas 2.0.0 (2023-04-03)
    assert outcome.repairs == 1  # %matplotlib inline: matplotlib installed
