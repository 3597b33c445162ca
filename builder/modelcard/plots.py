"""Which plots the report shows, drawn from the build's evaluation (``metadata.json["evaluation"]``
and ``evaluation.json``) and the model's feature importances.

Classifiers: the confusion matrix (as recorded by the evaluation) and ROC curves (binary: the
positive class; more classes: one-vs-rest, at most ``MAX_ROC_CLASSES``) when probabilities exist.
Regressors: predicted vs actual, and residuals against the prediction. Every title says which
data the figures come from, so figures on training data never pass for a test score.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import svg

MAX_MATRIX_CLASSES = 30
MAX_ROC_CLASSES = 10
MAX_IMPORTANCES = 20


@dataclass
class Plot:
    name: str  # file stem: report/<name>.svg
    title: str
    caption: str
    svg: str

    def to_json(self) -> dict:
        return {"name": self.name, "file": f"report/{self.name}.svg", "title": self.title, "caption": self.caption}


def data_label(evaluation: dict) -> str:
    """``"on held-out data (X_test, y_test: 30 rows)"`` or ``"on training data (...)"``."""
    data = evaluation.get("data") or {}
    variables = ", ".join(str(v) for v in (data.get("variables") or {}).values())
    detail = f" ({variables}: {data.get('rows')} rows)" if variables else f" ({data.get('rows')} rows)"
    if data.get("source") == "held-out":
        return "on held-out data" + detail
    if data.get("source") == "training":
        return "on training data, not a test score" + detail
    return "no evaluation data"


def evaluation_plots(evaluation: dict | None, results: dict | None) -> list[Plot]:
    """The plots for ``evaluation`` (metadata) and ``results`` (evaluation.json); [] when none."""
    if not evaluation or (evaluation.get("data") or {}).get("source") not in ("held-out", "training"):
        return []
    on = data_label(evaluation)
    short = "training data" if evaluation["data"]["source"] == "training" else "held-out data"
    if evaluation.get("task") == "classification":
        return [p for p in (_confusion(evaluation, on, short), _roc(results, on, short)) if p is not None]
    if results is None:
        return []
    return _regression(results, on, short)


def importance_plot(importances: dict | None) -> Plot | None:
    """Horizontal bars of the largest importances, or None when the model has none."""
    if not importances or not importances.get("names"):
        return None
    ranked = sorted(zip(importances["names"], importances["values"]), key=lambda nv: -abs(nv[1]))
    shown = ranked[:MAX_IMPORTANCES]
    more = f"; the {len(shown)} largest of {len(ranked)}" if len(ranked) > len(shown) else ""
    return Plot("feature_importances", "Feature importances",
                f"{importances.get('source', 'feature_importances_')}{more}",
                svg.bars([n for n, _ in shown], [v for _, v in shown], "Feature importances", "importance"))


def _confusion(evaluation: dict, on: str, short: str) -> Plot | None:
    matrix = evaluation.get("confusion_matrix")
    if not matrix or not matrix.get("labels"):
        return None
    labels = [str(label) for label in matrix["labels"]]
    if len(labels) > MAX_MATRIX_CLASSES:
        return None
    title = f"Confusion matrix ({short})"
    return Plot("confusion_matrix", title, f"rows: actual class, columns: predicted; counts {on}; "
                "shading: share of the actual class", svg.heatmap(labels, matrix["matrix"], title))


def _roc(results: dict | None, on: str, short: str) -> Plot | None:
    if not results or not results.get("proba") or not results.get("classes"):
        return None
    import numpy as np
    from sklearn.metrics import auc, roc_curve

    classes = list(results["classes"])
    truth = np.asarray([str(v) for v in results["y_true"]])
    proba = np.asarray(results["proba"], dtype=float)
    if proba.ndim != 2 or proba.shape[1] != len(classes) or len(truth) != proba.shape[0]:
        return None
    if len(classes) == 2:
        picked = [1]
        caption = f"positive class {classes[1]!s}; {on}"
    else:
        picked = list(range(min(len(classes), MAX_ROC_CLASSES)))
        caption = f"one-vs-rest per class{' (the first %d)' % MAX_ROC_CLASSES if len(classes) > MAX_ROC_CLASSES else ''}; {on}"
    curves = []
    for k in picked:
        positive = truth == str(classes[k])
        if positive.all() or not positive.any():
            continue  # one class only in the data: no curve
        fpr, tpr, _ = roc_curve(positive, proba[:, k])
        curves.append((str(classes[k]), fpr.tolist(), tpr.tolist(), float(auc(fpr, tpr))))
    if not curves:
        return None
    title = f"ROC curve ({short})"
    return Plot("roc_curve", title, caption, svg.roc(curves, title))


def _regression(results: dict, on: str, short: str) -> list[Plot]:
    actual = [float(v) for v in results["y_true"]]
    predicted = [float(v) for v in results["y_pred"]]
    residuals = [a - p for a, p in zip(actual, predicted)]
    sampled = f"; {svg.MAX_POINTS} evenly spaced rows of {len(actual)}" if len(actual) > svg.MAX_POINTS else ""
    first = f"Predicted vs actual ({short})"
    second = f"Residuals ({short})"
    return [
        Plot("predicted_vs_actual", first, f"each point a row {on}; dashed: a perfect prediction{sampled}",
             svg.scatter(actual, predicted, first, "actual", "predicted", reference="diagonal")),
        Plot("residuals", second, f"actual minus predicted, against the prediction, {on}{sampled}",
             svg.scatter(predicted, residuals, second, "predicted", "actual - predicted", reference="zero")),
    ]
