"""Every example in notebooks/ builds (in its own cached environment); every should-fail repo
fails with its message. These run the real CLI, real installs and real kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from builder.model import sha256_file
from tests.conftest import EXAMPLES

NB2SERVICE = [sys.executable, "-m", "builder"]
pytestmark = pytest.mark.slow


def nb2service(*args, cwd=None, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*NB2SERVICE, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=full_env)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build each good example once for this module: {name: (artifact folder, metadata)}."""
    out = tmp_path_factory.mktemp("artifacts")
    results = {}

    def get(name):
        if name not in results:
            proc = nb2service("build", EXAMPLES / name, "-o", out / name, "--json")
            assert proc.returncode == 0, f"{name} failed to build:\n{proc.stderr[-4000:]}"
            results[name] = (out / name, json.loads(proc.stdout))
        return results[name]
    return get


def test_churn_builds_a_verified_artifact_with_its_schema_and_sources(built):
    folder, report = built("churn")
    meta = json.loads((folder / "metadata.json").read_text())
    assert {k: v for k, v in report["metadata"].items() if k != "verified_rows"} == meta
    assert meta["model"]["variable"] == "model" and meta["model"]["class"] == "sklearn.pipeline.Pipeline"
    assert meta["model"]["sha256"] == sha256_file(folder / "model.joblib")
    assert meta["task"] == "classification" and meta["classes"] == [0, 1] and meta["predict_proba"] is True
    inputs = {c["name"]: c for c in meta["inputs"]}
    assert list(inputs) == ["tenure_months", "contract_type", "monthly_charges", "usage_trend", "support_tickets",
                            "customer_size", "payment_method"]
    assert inputs["contract_type"]["categories"] == ["month-to-month", "one-year", "two-year"]
    assert inputs["usage_trend"]["nullable"] is True and inputs["tenure_months"]["type"] == "integer"
    assert meta["training_data"]["variable"] == "X_train" and len(meta["examples"]) == 5
    assert meta["notebooks"][0]["path"] == "churn.ipynb"
    assert meta["notebooks"][0]["sha256"] == sha256_file(EXAMPLES / "churn" / "churn.ipynb")
    sources = {r["name"]: r["source"] for r in meta["dependencies"]["requirements"]}
    assert sources["scikit-learn"].startswith("requirements.txt")
    lock = (folder / "requirements.lock").read_text()
    assert f"scikit-learn=={meta['libraries']['scikit-learn']}" in lock
    executed = nbformat.read(folder / meta["notebooks"][0]["executed"], as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code")
    assert [s["stage"] for s in report["stages"]][-2:] == ["test the model", "draw the report"]
    assert report["metadata"]["verified_rows"] >= 100


def test_the_build_renders_the_executed_notebook_into_the_artifacts_report(built):
    folder, _ = built("churn")
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["report"]["notebooks"] == [{"path": "churn.ipynb", "file": "report/notebook-0.html"}]
    assert meta["report"]["problems"] == [] and meta["report"]["feature_importances"] == (
        "LogisticRegression has no feature_importances_")
    html = (folder / "report" / "notebook-0.html").read_text()
    assert "Predicting subscription churn" in html and "<script" not in html


def test_a_forest_gets_its_feature_importances_read_in_the_build_environment(built):
    folder, _ = built("iris-numpy")
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["report"]["feature_importances"] == "feature_importances_ of RandomForestClassifier"
    assert "feature_importances" in [p["name"] for p in meta["report"]["plots"]]
    assert (folder / "report" / "feature_importances.svg").read_text().count("<rect") >= 4


def test_a_classifier_is_evaluated_on_the_notebooks_test_split_through_the_served_path(built):
    folder, report = built("churn")
    evaluation = report["metadata"]["evaluation"]
    assert evaluation["data"] == {"source": "held-out", "variables": {"X": "X_test", "y": "y_test"}, "rows": 1500}
    assert evaluation["path"] == report["metadata"]["inference"]["path"] == "onnx"
    # the notebook prints its own classification report on the same split: accuracy 0.79, ROC AUC 0.794
    assert round(evaluation["metrics"]["accuracy"], 2) == 0.79 and round(evaluation["metrics"]["roc_auc"], 3) == 0.794
    assert evaluation["confusion_matrix"]["labels"] == [0, 1]
    assert (folder / "evaluation.json").is_file()


def test_a_second_build_of_the_same_repo_installs_nothing(built, tmp_path):
    folder, first = built("churn")
    proc = nb2service("build", EXAMPLES / "churn", "-o", tmp_path / "again", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    second = json.loads(proc.stdout)["metadata"]
    assert second["environment"]["reused"] is True
    assert second["environment"]["path"] == first["metadata"]["environment"]["path"]
    assert "installing" not in proc.stderr


def test_a_model_fitted_on_arrays_is_the_most_recently_fitted_one(built):
    _, report = built("iris-numpy")
    meta = report["metadata"]
    # the baseline was fitted first; clf is both the later fit and a conventional name
    assert meta["model"]["variable"] == "clf" and "conventional name 'clf'" in meta["model"]["reason"]
    assert meta["input_kind"] == "array" and [c["name"] for c in meta["inputs"]] == ["x0", "x1", "x2", "x3"]
    assert meta["classes"] == [0, 1, 2]


def test_a_regression_records_its_task_and_no_classes(built):
    _, report = built("diabetes-regression")
    meta = report["metadata"]
    assert meta["task"] == "regression" and meta["classes"] is None and meta["predict_proba"] is False
    assert meta["model"]["variable"] == "reg" and len(meta["inputs"]) == 10
    evaluation = meta["evaluation"]
    assert evaluation["data"]["source"] == "held-out" and evaluation["data"]["rows"] == 89
    assert set(evaluation["metrics"]) == {"r2", "mae", "rmse"} and "confusion_matrix" not in evaluation


def test_a_text_pipeline_takes_one_text_input(built):
    _, report = built("text-classifier")
    meta = report["metadata"]
    assert meta["input_kind"] == "text" and meta["inputs"][0]["name"] == "text"
    assert all(isinstance(e, str) for e in meta["examples"])


def test_a_repo_without_requirements_gets_its_dependencies_from_pip_lines_and_imports(built):
    _, report = built("pip-magics")
    meta = report["metadata"]
    kinds = {r["name"]: r["kind"] for r in meta["dependencies"]["requirements"]}
    assert kinds["scikit-learn"] == "magic" and kinds["pandas"] == "magic"
    assert meta["model"]["variable"] == "model" and meta["input_kind"] == "dataframe"


SHOULD_FAIL = {
    "fail-cell-raises": (5, ["sales_model.ipynb, cell 4 failed: KeyError: 'revenue'", "the cell begins:",
                             "traceback:"]),
    "fail-no-model": (6, ["no fitted model found", "keep the trained model"]),
    "fail-two-models": (6, ["2 equally plausible models", "lr (LogisticRegression)", "rf (RandomForestClassifier)",
                            "no held-out data for lr", "MODEL_VARIABLE="]),
    "fail-invalid-json": (3, ["model.ipynb: not valid notebook JSON"]),
    "fail-several-notebooks": (3, ["2 notebooks and no choice", "train_a.ipynb", "train_b.ipynb", "--notebook"]),
}


@pytest.mark.parametrize("name", sorted(SHOULD_FAIL))
def test_should_fail_repos_exit_non_zero_with_their_message_and_leave_no_artifact(name, tmp_path):
    code, phrases = SHOULD_FAIL[name]
    out = tmp_path / "out"
    proc = nb2service("build", EXAMPLES / name, "-o", out, "--no-install")
    assert proc.returncode == code, proc.stderr[-3000:]
    assert proc.stderr.count("ERROR: ") == 1
    for phrase in phrases:
        assert phrase in proc.stderr
    assert not out.exists() and not list(tmp_path.glob(".out.*"))


def test_a_failed_build_keeps_the_previous_artifact_untouched(built, tmp_path):
    folder, _ = built("iris-numpy")
    before = sha256_file(folder / "metadata.json")
    proc = nb2service("build", EXAMPLES / "fail-cell-raises", "-o", folder, "--no-install")
    assert proc.returncode == 5
    assert sha256_file(folder / "metadata.json") == before


def test_inspect_shows_the_plan_without_running_anything(tmp_path):
    proc = nb2service("inspect", EXAMPLES / "churn", "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["notebooks"] == ["churn.ipynb"]
    assert {r["name"] for r in plan["dependencies"]["requirements"]} >= {"pandas", "scikit-learn", "matplotlib"}
    human = nb2service("inspect", EXAMPLES / "churn")
    assert "=== nb2service plan ===" in human.stdout and "requirements.txt" in human.stdout
    assert not (EXAMPLES / "churn" / ".nb2service").exists()
