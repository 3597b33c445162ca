"""Two repos of the real-world corpus, built and served with zero edits in every `make test`
(`make corpus` runs all of them): one that only runs with the libraries of its date and saves its
model in a bundle, one whose requirements file lies (pins never released, `sklearn`, a malformed pin)."""

import pytest

from tests.corpus_run import manifest, run_one

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["churn-drift-pandas1", "iris-bad-pins"])
def test_a_corpus_notebook_builds_and_serves_the_model_it_meant(name, tmp_path):
    outcome = run_one(name, manifest()[name], tmp_path)
    assert outcome.built and outcome.expected_model and outcome.served, outcome.problem
    assert outcome.as_of == manifest()[name]["written"]
