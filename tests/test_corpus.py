"""Repos of the real-world corpus, built and served with zero edits in every `make test`
(`make corpus` runs all of them, with and without .git): one that only runs with the libraries of its
date and saves its model in a bundle, one whose requirements file lies (pins never released, `sklearn`,
a malformed pin), one built as S2I hands it over, without .git, that its saved outputs date, one
written for Python 3.12 (built on an installed 3.12), and one that uses Jupyter widgets."""

import json
import shutil
import subprocess

import pytest

from builder import interpreters
from builder.build.environment import find_uv
from tests.corpus_run import NB2SERVICE, manifest, plain_copy, run_one, serve_and_predict

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["churn-drift-pandas1", "iris-bad-pins"])
def test_a_corpus_notebook_builds_and_serves_the_model_it_meant(name, tmp_path):
    outcome = run_one(name, manifest()[name], tmp_path)
    assert outcome.built and outcome.expected_model and outcome.served, outcome.problem
    assert outcome.as_of == manifest()[name]["written"]


def test_a_text_model_fed_by_the_notebooks_own_text_cleaning_serves_raw_records_verified(tmp_path):
    # the replay's output is a list of strings, checked as the service decodes a request too
    name = "spam-pip-cells"
    outcome = run_one(name, manifest()[name], tmp_path, git=False)
    assert outcome.built and outcome.expected_model and outcome.served, outcome.problem
    assert outcome.features == "verified", outcome.features_reason


def test_without_git_a_notebooks_saved_outputs_date_it_and_a_magics_module_is_installed(tmp_path):
    name = "salary-s2i-saved-outputs"
    outcome = run_one(name, manifest()[name], tmp_path, git=False)
    assert outcome.built and outcome.expected_model and outcome.served, outcome.problem
    assert outcome.as_of == "2023-04-02"  # printed pandas 1.5.3: before pandas 2.0.0 (2023-04-03)
    assert outcome.repairs == 1  # %matplotlib inline: matplotlib installed


def test_a_notebook_written_for_python_312_builds_and_serves_on_an_installed_312(tmp_path, monkeypatch):
    """Its `type` alias and quote-reusing f-strings are syntax errors before 3.12: the build finds an
    installed 3.12 (pyenv's, whose shims fail for uv), says so, and the service (also when recreated
    from requirements.lock elsewhere) runs on it."""
    if interpreters.find((3, 12), find_uv()) is None:
        pytest.skip("no Python 3.12 installed here (uv python find, pyenv, PATH): `uv python install 3.12`")
    repo = plain_copy("energy-py312-fstrings", tmp_path)
    out = tmp_path / "artifact"
    build = subprocess.run([*NB2SERVICE, "build", str(repo), "-o", str(out)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    meta = json.loads((out / "metadata.json").read_text())
    python = meta["environment"]["interpreter"]
    assert python["version"].startswith("3.12.") and python["recorded"] == "3.12.4", python
    assert python["reason"] == "the notebook records Python 3.12.4" and meta["python"] == python["version"]
    assert f"Python {python['version']} ({python['path']}, found by {python['found']})" in build.stdout
    assert meta["model"]["class"].endswith("GradientBoostingRegressor")
    assert serve_and_predict(out, meta["examples"]) is None

    # copied to another machine, its build environment gone: `serve` makes it again on Python 3.12
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)
    gone = tmp_path / "gone"
    meta["environment"].update(python=str(gone / "bin/python"), path=str(gone), lib=str(gone / "nb2service-lib"))
    (moved / "metadata.json").write_text(json.dumps(meta))
    monkeypatch.setenv("NB2SERVICE_CACHE_DIR", str(tmp_path / "cache"))
    assert serve_and_predict(moved, meta["examples"], timeout=300) is None
    assert f"Python 3.12: the build's interpreter {python['path']})" in (tmp_path / "moved-serve.log").read_text()
    [config] = (tmp_path / "cache" / "runtimes").glob("*/pyvenv.cfg")
    assert "version_info = 3.12." in config.read_text()


def test_a_notebook_with_tqdm_bars_and_interact_sliders_builds_and_serves_without_git(tmp_path):
    """tqdm.notebook's progress bar, @interact and display(IntSlider()) run headless as in Jupyter:
    ipywidgets is installed as of the notebook's date, and the widgets' state (interact's output
    included) stays in the executed notebook."""
    name = "pump-tqdm-widgets"
    outcome = run_one(name, manifest()[name], tmp_path, git=False)
    assert outcome.built and outcome.expected_model and outcome.served, outcome.problem
    assert outcome.repairs == 0  # known from the imports, not repaired
    artifact = tmp_path / f"{name}-no-git-artifact"
    meta = json.loads((artifact / "metadata.json").read_text())
    widgets = [r for r in meta["dependencies"]["requirements"] if r["name"] == "ipywidgets"]
    assert widgets and any(line.startswith("ipywidgets==") for line in meta["dependencies"]["resolution"]["installed"])
    executed = json.loads((artifact / "executed" / "pump_failure.ipynb").read_text())
    state = executed["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    kinds = {w["model_name"] for w in state.values()}
    assert {"FloatProgressModel", "FloatSliderModel", "IntSliderModel", "OutputModel"} <= kinds
    printed = [o["text"] for w in state.values() if w["model_name"] == "OutputModel" for o in w["state"]["outputs"]]
    assert any(text.startswith("threshold 0.50: precision") for text in printed), printed
