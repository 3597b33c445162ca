"""How the served model does on the notebook's held-out data, computed through the path that serves.

Run by the build's checking process (``builder.model.verify``) after the fast path was decided:
the artifact is loaded the way the service loads it (the ONNX fast path when it serves), the rows
the kernel found (``builder.kernel.held_out``, written to ``evaluation-rows.json``) are predicted
through it, and scikit-learn's metrics are recorded in metadata.json under ``evaluation``::

    {"data": {"source": "held-out" | "training" | "none", "variables": {"X": ..., "y": ...},
              "rows": n, "reason": "..."},
     "task": "classification" | "regression",
     "metrics": {"accuracy": ..., "balanced_accuracy": ..., "f1_macro": ..., "roc_auc": ...,
                 "log_loss": ...} | {"r2": ..., "mae": ..., "rmse": ...},
     "confusion_matrix": {"labels": [...], "matrix": [[...]]},   # classification only
     "path": "onnx" | "sklearn"}

and the first ``PLOT_ROWS`` true and predicted values go to ``evaluation.json`` (the report's plots).
A metric that cannot be computed (ROC AUC with one class present) is left out and ``notes`` says why.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

EVALUATION_FILE = "evaluation.json"
PLOT_ROWS = 5000
#: Metrics where higher is better; the others (log_loss, mae, rmse) are errors, lower is better.
HIGHER_IS_BETTER = {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "r2"}
CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss")
REGRESSION_METRICS = ("r2", "mae", "rmse")
METRICS = CLASSIFICATION_METRICS + REGRESSION_METRICS


def evaluate(root: Path, rows_path: Path) -> dict:
    """Evaluate the artifact at ``root`` on ``rows_path``; record it in metadata.json and
    ``evaluation.json``; return the ``evaluation`` record."""
    from . import ServedModel
    from .artifact import read_metadata, write_metadata

    job = json.loads(Path(rows_path).read_text())
    served = ServedModel.load(root)
    evaluation = {"data": job["data"], "task": served.task, "metrics": {}, "path": served.inference_path}
    if job["data"]["source"] != "none" and job["rows"]:
        try:
            _measure(served, job["rows"], job["y_true"], evaluation, Path(root))
        except Exception as exc:  # noqa: BLE001 - the build goes on, saying why there are no figures
            evaluation["problem"] = f"the served model could not be evaluated: {type(exc).__name__}: {exc}"[:500]
    meta = read_metadata(root)
    meta["evaluation"] = evaluation
    write_metadata(root, meta)
    return evaluation


def _measure(served, rows: list, y_true: list, evaluation: dict, root: Path) -> None:
    prediction = served.predict_records(rows, engineered=True)  # held-out rows are the model's own matrix
    classes = served.classes if served.task == "classification" else None
    metrics, matrix, notes = compute_metrics(served.task, y_true, prediction.predictions, prediction.probabilities,
                                             classes)
    evaluation["metrics"] = metrics
    if matrix is not None:
        evaluation["confusion_matrix"] = matrix
    if notes:
        evaluation["notes"] = notes
    proba = prediction.probabilities
    (root / EVALUATION_FILE).write_text(json.dumps({
        "y_true": y_true[:PLOT_ROWS], "y_pred": prediction.predictions[:PLOT_ROWS],
        "proba": proba[:PLOT_ROWS] if proba is not None else None, "classes": classes,
    }, default=_plain) + "\n")


def compute_metrics(task: str, y_true: list, y_pred: list, proba: list | None,
                    classes: list | None) -> tuple[dict, dict | None, list[str]]:
    """``(metrics, confusion matrix or None, notes)`` with scikit-learn's metrics."""
    import numpy as np
    from sklearn import metrics as sk

    notes: list[str] = []
    found: dict[str, float] = {}

    def record(name, compute):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = float(compute())
        except (ValueError, TypeError, IndexError) as exc:
            notes.append(f"{name} not computed: {exc}")
            return
        if math.isfinite(value):
            found[name] = value
        else:
            notes.append(f"{name} not computed: not finite")

    if task == "regression":
        truth, predicted = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
        record("r2", lambda: sk.r2_score(truth, predicted))
        record("mae", lambda: sk.mean_absolute_error(truth, predicted))
        record("rmse", lambda: math.sqrt(sk.mean_squared_error(truth, predicted)))
        return found, None, notes
    labels = list(classes) if classes else sorted(set(y_true) | set(y_pred), key=str)
    record("accuracy", lambda: sk.accuracy_score(y_true, y_pred))
    record("balanced_accuracy", lambda: sk.balanced_accuracy_score(y_true, y_pred))
    record("f1_macro", lambda: sk.f1_score(y_true, y_pred, average="macro"))
    if proba is not None and classes:
        scores = np.asarray(proba, dtype=float)
        if len(classes) == 2:
            positive = [value == classes[1] for value in y_true]
            record("roc_auc", lambda: sk.roc_auc_score(positive, scores[:, 1]))
        else:
            record("roc_auc", lambda: sk.roc_auc_score(y_true, scores, multi_class="ovr", labels=classes))
        record("log_loss", lambda: sk.log_loss(y_true, scores, labels=classes))
    matrix = sk.confusion_matrix(y_true, y_pred, labels=labels)
    return found, {"labels": labels, "matrix": matrix.astype(int).tolist()}, notes


def _plain(value):
    return value.item() if hasattr(value, "item") else str(value)
