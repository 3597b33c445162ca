"""The test step through the real CLI: the served model evaluated on the notebook's held-out data,
equally plausible models settled on it, and the gate (pass, fail, previous artifact kept).

``--no-install`` (the test interpreter): each build costs one kernel start, not an install.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from builder.model import sha256_file
from tests.conftest import notebook

pytestmark = pytest.mark.slow
NB2SERVICE = [sys.executable, "-m", "builder"]

DATA = ("import numpy as np, pandas as pd\n"
        "from sklearn.model_selection import train_test_split\n"
        "rng = np.random.default_rng(0)\n"
        "df = pd.DataFrame({'tenure': rng.integers(1, 72, 400), 'charges': rng.normal(70, 20, 400).round(2)})\n"
        "df['churned'] = ((df['tenure'] < 20) ^ (rng.random(400) < 0.1)).astype(int)\n"
        "X, y = df[['tenure', 'charges']], df['churned']\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)")
TWO_MODELS = ("from sklearn.linear_model import LogisticRegression\n"
              "from sklearn.tree import DecisionTreeClassifier\n"
              "def train(X, y):\n"
              "    return LogisticRegression().fit(X, y), DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)\n"
              "logreg, tree = train(X_train, y_train)")
WORSE = ("from sklearn.dummy import DummyClassifier\n"
         "model = DummyClassifier(strategy='most_frequent').fit(X_train, y_train)")


def nb2service(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NB2SERVICE_")}
    return subprocess.run([*NB2SERVICE, *map(str, args)], capture_output=True, text=True, env=env)


def write_repo(path, *cells, nb=None):
    path.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb or notebook(*cells), path / "train.ipynb")
    return path


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """Two equally plausible models with a held-out split, built once with a gate that passes."""
    root = tmp_path_factory.mktemp("gate")
    repo = write_repo(root / "repo", DATA, TWO_MODELS)
    out = root / "artifact"
    proc = nb2service("build", repo, "-o", out, "--no-install", "--json", "--min-score", "accuracy=0.6",
                      "--no-regression")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return root, out, json.loads(proc.stdout)["metadata"], proc.stderr


def test_equally_plausible_models_are_settled_on_held_out_data_saying_so(gated):
    _, out, meta, log = gated
    model = meta["model"]
    assert model["variable"] == "tree" and model["class"].endswith("DecisionTreeClassifier")
    assert "the best on held-out data of 2 equally plausible models" in model["reason"]
    assert "accuracy on X_test/y_test (100 rows)" in model["reason"]
    assert model["comparison"]["decided"] and [s["label"] for s in model["comparison"]["scores"]] == ["tree", "logreg"]
    assert "model: tree (the best on held-out data" in log


def test_the_served_model_is_evaluated_on_the_held_out_part_of_the_split(gated):
    _, out, meta, log = gated
    evaluation = meta["evaluation"]
    assert evaluation["data"] == {"source": "held-out", "variables": {"X": "X_test", "y": "y_test"}, "rows": 100}
    assert evaluation["task"] == "classification" and evaluation["path"] == meta["inference"]["path"]
    assert set(evaluation["metrics"]) == {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss"}
    tree_score = meta["model"]["comparison"]["scores"][0]["score"]
    assert evaluation["metrics"]["accuracy"] == pytest.approx(tree_score)  # the served path agrees with the kernel
    assert sum(map(sum, evaluation["confusion_matrix"]["matrix"])) == 100
    plots = json.loads((out / "evaluation.json").read_text())
    assert len(plots["y_true"]) == len(plots["y_pred"]) == len(plots["proba"]) == 100 and plots["classes"] == [0, 1]
    assert json.loads((out / "metadata.json").read_text())["evaluation"] == evaluation
    assert "evaluation: held-out data: X_test/y_test, 100 rows" in log


def test_a_passing_gate_is_recorded_with_its_checks(gated):
    _, _, meta, log = gated
    gate = meta["gate"]
    assert gate["passed"] and gate["min_scores"] == {"accuracy": 0.6}
    assert gate["note"] == "no previous artifact: nothing to compare with"
    assert "gate: accuracy" in log and "(threshold 0.6): pass" in log


def test_a_failing_threshold_exits_9_and_leaves_the_previous_artifact_untouched(gated):
    root, out, meta, _ = gated
    before = {p.name: sha256_file(p) for p in out.iterdir() if p.is_file()}
    proc = nb2service("build", root / "repo", "-o", out, "--no-install", "--min-score", "accuracy=0.999")
    assert proc.returncode == 9, proc.stderr[-3000:]
    assert proc.stderr.count("ERROR: ") == 1
    assert f"accuracy {meta['evaluation']['metrics']['accuracy']:.4f} on held-out data is below the threshold 0.999" \
        in proc.stderr
    assert {p.name: sha256_file(p) for p in out.iterdir() if p.is_file()} == before
    assert not list(out.parent.glob(f".{out.name}.*"))


def test_a_model_worse_than_the_previous_artifact_fails_no_regression(gated, tmp_path):
    root, out, meta, _ = gated
    before = sha256_file(out / "metadata.json")
    worse = write_repo(tmp_path / "worse", DATA, WORSE)
    proc = nb2service("build", worse, "-o", out, "--no-install", "--no-regression=0.01")
    assert proc.returncode == 9, proc.stderr[-3000:]
    previous = meta["evaluation"]["metrics"]["accuracy"]
    assert f"fell below the previous artifact's {previous:.4f} (version {meta['version']}, tolerance 0.01)" \
        in proc.stderr
    assert sha256_file(out / "metadata.json") == before


def test_a_notebook_with_no_held_out_split_is_evaluated_on_training_data_labelled_so(tmp_path):
    nb = notebook("from sklearn.datasets import load_diabetes\nfrom sklearn.linear_model import Ridge\n"
                  "X, y = load_diabetes(return_X_y=True, as_frame=True)",
                  "model = Ridge().fit(X, y)\nprint(model.score(X, y))")
    nb.cells[1].outputs = [nbformat.from_dict({"output_type": "stream", "text": "0.45\n"})]  # old, without 'name'
    repo = write_repo(tmp_path / "repo", nb=nb)
    proc = nb2service("build", repo, "-o", tmp_path / "out", "--no-install", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    meta = json.loads(proc.stdout)["metadata"]
    evaluation = meta["evaluation"]
    assert evaluation["data"]["source"] == "training" and evaluation["data"]["variables"] == {"X": "X", "y": "y"}
    assert evaluation["task"] == "regression" and set(evaluation["metrics"]) == {"r2", "mae", "rmse"}
    assert "ON TRAINING DATA (not a test score)" in proc.stderr
    assert "dropped 1 saved output(s) that nbformat rejects" in proc.stderr
    assert meta["notebooks"][0]["dropped_outputs"][0]["cell"] == 2
