"""Artifacts with an evaluation and an executed notebook, reported on once per session.

The evaluation is a fixture of the shape the build's evaluation stage writes (``metadata.json
["evaluation"]`` and ``evaluation.json``), computed here with scikit-learn on a real split; the
executed notebook carries what notebooks really output (a DataFrame's HTML, a PNG) and what the
report must never run (a planted script, an event handler, a remote image, a JavaScript output).
"""

from __future__ import annotations

import base64
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from tests.serve import conftest as serve

ROOT = Path(__file__).resolve().parents[2]
#: What a planted script would do if it ran: call home (the browser test records every request),
#: log, retitle the page.
PLANTED = ("<script>fetch('/planted-script-ran');console.error('PLANTED SCRIPT RAN');"
           "document.title='pwned'</script>")
PLANTED_HANDLER = "<img src=x onerror=\"fetch('/planted-handler-ran')\">"
REMOTE_IMAGE = '<img src="http://192.0.2.1/remote.png">'
#: A 1x1 PNG, as matplotlib's inline backend would output (base64 in image/png).
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
    "c0f01f0005000201e5270de20000000049454e44ae426082")).decode()


def executed_notebook() -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    table = v4.new_code_cell("df.head()", execution_count=2)
    table.outputs = [v4.new_output("execute_result", execution_count=2, data={
        "text/plain": "   sepal  petal", "text/html": "<style scoped>.dataframe td {text-align: right}</style>"
        "<table class=\"dataframe\"><thead><tr><th>sepal</th><th>petal</th></tr></thead>"
        "<tbody><tr><td>5.1</td><td>1.4</td></tr></tbody></table>" + PLANTED + PLANTED_HANDLER + REMOTE_IMAGE})]
    plot = v4.new_code_cell("plt.plot([1, 2])", execution_count=3)
    plot.outputs = [v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    script = v4.new_code_cell("display(Javascript(...))", execution_count=4)
    script.outputs = [v4.new_output("display_data", data={"application/javascript": "fetch('/planted-js-output')",
                                                          "text/plain": "<Javascript>"})]
    printed = v4.new_code_cell("print('trained')", execution_count=5)
    printed.outputs = [v4.new_output("stream", name="stdout", text="trained on 112 rows\n")]
    nb.cells = [v4.new_markdown_cell("# Training the flower model\n\nSee <b>below</b>." + PLANTED),
                v4.new_code_cell("import pandas as pd", execution_count=1), table, plot, script, printed]
    return nb


def _forest():
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(3)
    n = 150
    y = np.repeat(["setosa", "versicolor", "virginica"], n // 3)
    centers = {"setosa": (5.0, 1.5, 0.2), "versicolor": (5.9, 4.2, 1.3), "virginica": (6.6, 5.5, 2.0)}
    X = pd.DataFrame([[c + rng.normal(0, 0.55) for c in centers[label]] for label in y],
                     columns=["sepal_length", "petal_length", "petal_width"])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    model = RandomForestClassifier(n_estimators=25, random_state=0).fit(X_train, y_train)
    return model, X_train, X_test, y_train, y_test


def _ridge():
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(4)
    X = pd.DataFrame({"age": rng.integers(20, 80, 200), "bmi": rng.uniform(18, 40, 200)})
    y = 3 * X["age"] + 10 * X["bmi"] + rng.normal(0, 15, 200)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    return Ridge().fit(X_train, y_train), X_train, X_test, y_train, y_test


def evaluation_of(model, X, y, source: str) -> tuple[dict, dict]:
    """(metadata["evaluation"], evaluation.json) for ``model`` on ``X``/``y``, as the build records them."""
    from sklearn import metrics

    predicted = model.predict(X)
    data = {"source": source, "variables": {"X": "X_test", "y": "y_test"} if source == "held-out"
            else {"X": "X_train", "y": "y_train"}, "rows": len(X)}
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        classes = [str(c) for c in model.classes_]
        found = {"accuracy": metrics.accuracy_score(y, predicted),
                 "balanced_accuracy": metrics.balanced_accuracy_score(y, predicted),
                 "f1_macro": metrics.f1_score(y, predicted, average="macro"),
                 "roc_auc": metrics.roc_auc_score(y, proba, multi_class="ovr"),
                 "log_loss": metrics.log_loss(y, proba, labels=model.classes_)}
        matrix = metrics.confusion_matrix(y, predicted, labels=model.classes_).tolist()
        evaluation = {"data": data, "task": "classification", "metrics": found,
                      "confusion_matrix": {"labels": classes, "matrix": matrix}, "path": "sklearn"}
        results = {"y_true": [str(v) for v in y], "y_pred": [str(v) for v in predicted], "proba": proba.tolist(),
                   "classes": classes}
    else:
        found = {"r2": metrics.r2_score(y, predicted), "mae": metrics.mean_absolute_error(y, predicted),
                 "rmse": metrics.mean_squared_error(y, predicted) ** 0.5}
        evaluation = {"data": data, "task": "regression", "metrics": found, "path": "sklearn"}
        results = {"y_true": [float(v) for v in y], "y_pred": [float(v) for v in predicted], "proba": None,
                   "classes": None}
    return evaluation, results


def write_artifact(out: Path, fitted, source: str | None) -> Path:
    """An artifact for a fitted ``(model, X_train, X_test, y_train, y_test)`` with an evaluation on ``source``
    ("held-out", "training", "none", or None: no evaluation recorded) and an executed notebook."""
    import joblib
    import sklearn

    from builder.kernel.infer_schema import infer_schema

    model, X_train, X_test, y_train, y_test = fitted
    schema, training = infer_schema(model, {"X_train": X_train})
    out.mkdir(parents=True)
    joblib.dump(model, out / "model.joblib")
    (out / "requirements.lock").write_text(f"scikit-learn=={sklearn.__version__}\n")
    (out / "executed").mkdir()
    nbformat.write(executed_notebook(), out / "executed" / "train.ipynb")
    sha = serve._sha(out / "model.joblib")
    meta = {
        "nb2service_version": "0.1.0", "name": out.name, "version": sha[:12], "built_at": "2026-12-06T21:00:00+00:00",
        "notebooks": [{"path": "train.ipynb", "sha256": "cd" * 32, "executed": "executed/train.ipynb"}],
        "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": False},
        "model": {"file": "model.joblib", "sha256": sha, "variable": "model", "reason": "the only fitted model",
                  "class": f"{type(model).__module__}.{type(model).__qualname__}", "steps": [], "candidates": []},
        **schema,
        "examples": serve._rows(training.kind, training.data),
        "libraries": {"scikit-learn": sklearn.__version__, "python": "3.11"},
        "environment": {"python": sys.executable, "path": None, "lib": str(ROOT), "key": "test", "reused": True},
        "dependencies": {}, "lock": "requirements.lock",
    }
    if source is not None:
        X, y = (X_test, y_test) if source != "training" else (X_train, y_train)
        evaluation, results = evaluation_of(model, X, y, source if source != "none" else "held-out")
        if source == "none":
            evaluation = {"data": {"source": "none", "variables": {}, "rows": 0,
                                   "reason": "no train_test_split result matches the model's inputs"},
                          "task": evaluation["task"], "metrics": {}, "path": "sklearn"}
        else:
            (out / "evaluation.json").write_text(json.dumps(results))
            evaluation["data"]["source"] = source
        meta["evaluation"] = evaluation
    (out / "metadata.json").write_text(json.dumps(meta, indent=2))
    return out


def build_env() -> dict:
    """The process environment a build gives the build environment (``builder`` importable)."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="session")
def reported(tmp_path_factory) -> dict[str, Path]:
    """Artifacts after the build's report stage: ``forest`` (3 classes, held-out, importances),
    ``ridge`` (regression, held-out), ``training`` (scored on training data only), ``none`` (no
    held-out data found), ``absent`` (no evaluation recorded)."""
    from builder.modelcard.stage import write_report

    root = tmp_path_factory.mktemp("reported")
    forest, ridge = _forest(), _ridge()
    made = {"forest": write_artifact(root / "forest", forest, "held-out"),
            "ridge": write_artifact(root / "ridge", ridge, "held-out"),
            "training": write_artifact(root / "training", forest, "training"),
            "none": write_artifact(root / "none", ridge, "none"),
            "absent": write_artifact(root / "absent", ridge, None)}

    def report(artifact: Path) -> dict:
        return write_report(artifact, metadata(artifact), sys.executable, build_env(), log=lambda line: None)

    with ThreadPoolExecutor(len(made)) as pool:  # each stage waits on its own importances process
        list(pool.map(report, made.values()))
    return made


def metadata(artifact: Path) -> dict:
    return json.loads((artifact / "metadata.json").read_text())
