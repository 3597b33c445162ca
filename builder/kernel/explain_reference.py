"""Run in the kernel after the notebook (and imported by ``builder.model.explain``): which exact
explanation method a model has, and, for linear models, the mean of the training rows in the model's
input space, which metadata.json records as ``explain.reference`` so that served linear explanations
are centred on the average training row."""

from __future__ import annotations

from typing import Any

TREES = {"DecisionTreeClassifier", "DecisionTreeRegressor", "RandomForestClassifier", "RandomForestRegressor",
         "ExtraTreesClassifier", "ExtraTreesRegressor", "GradientBoostingClassifier", "GradientBoostingRegressor",
         "ExtraTreeClassifier", "ExtraTreeRegressor"}
#: Largest model input space whose training mean metadata.json records per column.
MAX_REFERENCE_COLUMNS = 5000


def split(model) -> tuple[Any, list]:
    """``(final estimator, preprocessing steps)`` of a Pipeline, or ``(model, [])``."""
    steps = getattr(model, "steps", None)
    if steps:
        return steps[-1][1], [step for _, step in steps[:-1] if step not in (None, "passthrough")]
    return model, []


def method_of(model) -> str | None:
    final, _ = split(model)
    if type(final).__name__ in TREES:
        return "tree_shap"
    if hasattr(final, "coef_") and hasattr(final, "intercept_"):
        return "linear"
    return None


def reference(model, raw_training) -> dict | None:
    """What metadata.json records for linear explanations: the mean of the training rows in the
    model's input space (None for other models or very wide input spaces)."""
    if method_of(model) != "linear":
        return None
    import numpy as np

    final, steps = split(model)
    data = raw_training
    for step in steps:
        data = step.transform(data)
    mean = np.asarray(data.mean(axis=0), dtype="float64").ravel()
    if len(mean) > MAX_REFERENCE_COLUMNS:
        return None
    return {"method": "linear", "reference": mean.tolist(), "rows": int(data.shape[0])}
