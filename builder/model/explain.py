"""Explanations: per-feature contributions to the model's output, for each row, that add up exactly.

``output(x) = base_value + sum(contributions)`` for every row and explained output, checked against the
model's own output on every request before an explanation is served (``Explainer.checked``: to 1e-6,
plus 1e-9 of the terms' size for inputs so large that floating point cannot do better). Two exact
methods:

- **linear** (a final estimator with ``coef_`` and ``intercept_`` whose output is linear in them):
  the contribution of model input column ``j`` is ``coef_j * (x_j - mean_j)``, ``mean_j`` being the
  mean of the training rows in the model's input space (recorded at build time in metadata.json
  ``explain.reference``; without it, 0). The output explained is ``decision_function`` for
  classifiers (the log-odds; one output per class when there are more than two) and ``predict``
  for regressors.
- **tree_shap** (decision trees and their ensembles): TreeSHAP's path-dependent algorithm from the
  ``shap`` library (optional: ``pip install shap`` in the model's environment), which needs no
  background data. shap because it is maintained, exact for tree models (Lundberg et al. 2020) and
  consistent, where path contributions (Saabas, ``treeinterpreter``) are not consistent and
  treeinterpreter is no longer maintained.

Contributions are reported per raw input when the pipeline before the final estimator says which
input each model column comes from (a ColumnTransformer's columns, one-hot encoders, one-to-one
scalers and imputers, any transformer of a single input): a raw input's contribution is the sum of
its columns'. Otherwise they are reported per model input column (``get_feature_names_out``).
Any other model: ``ExplanationUnavailable`` (HTTP 501).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NB2ServiceError
from ..kernel.explain_reference import method_of, split

#: Transformers whose output column j comes from input column j.
ONE_TO_ONE = {"StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "PowerTransformer",
              "QuantileTransformer", "Binarizer", "OrdinalEncoder", "FunctionTransformer", "SimpleImputer"}
TOLERANCE = 1e-6
RELATIVE_TOLERANCE = 1e-9


class ExplanationUnavailable(NB2ServiceError):
    """No exact explanation method exists for this model (HTTP 501)."""

    http_status = 501
    error_code = "NOT_IMPLEMENTED"


@dataclass
class Explanation:
    method: str
    output: str  # what is explained: decision_function, predict, predict_proba
    outputs: list  # one name per explained output
    features: list
    base_values: list  # [row][output]
    values: list  # [row][output]
    contributions: list  # [row][output][feature]

    def rows(self, predictions: list) -> list[dict]:
        """Per row: the prediction and, per explained output, value, base value and contributions."""
        return [{"prediction": predictions[i],
                 "outputs": {name: {"value": self.values[i][k], "base_value": self.base_values[i][k],
                                    "contributions": dict(zip(self.features, self.contributions[i][k]))}
                             for k, name in enumerate(self.outputs)}}
                for i in range(len(self.values))]


class Explainer:
    """Explains a fitted model on input built by its ``InputSchema`` (see the module docstring)."""

    def __init__(self, model, schema, metadata: dict):
        self.model = model
        self.final, self.steps = split(model)
        self.method = method_of(model)
        self.task = metadata.get("task")
        self.classes = metadata.get("classes")
        if self.method is None:
            raise ExplanationUnavailable(f"no exact explanation for a {type(self.final).__name__}: /explain covers "
                                         "linear models and decision-tree ensembles")
        self.tree_explainer = self._tree_explainer() if self.method == "tree_shap" else None
        self.columns = model_columns(self.steps, schema.names, self.final)
        origins = column_origins(self.steps, schema.names)
        self.features = schema.names if origins is not None else self.columns
        self.groups = ([[j for j, o in enumerate(origins) if o == name] for name in schema.names]
                       if origins is not None else [[j] for j in range(len(self.columns))])
        reference = (metadata.get("explain") or {}).get("reference")
        self.reference = reference if reference is not None and len(reference) == len(self.columns) else None

    def _tree_explainer(self):
        import warnings

        try:
            with warnings.catch_warnings():  # shap imports matplotlib, whose import-time deprecations are not ours
                warnings.simplefilter("ignore")
                import shap
        except ImportError:
            raise ExplanationUnavailable("explaining tree models needs the shap library in the model's environment",
                                         hint="add shap to the notebook's requirements and rebuild") from None
        try:
            return shap.TreeExplainer(self.final, feature_perturbation="tree_path_dependent")
        except Exception as exc:  # shap's own refusal, e.g. multi-class gradient boosting
            raise ExplanationUnavailable(f"no exact explanation for this {type(self.final).__name__}: shap says "
                                         f"{exc}") from None

    def transform(self, model_input):
        import numpy as np

        data = model_input
        for step in self.steps:
            data = step.transform(data)
        if hasattr(data, "toarray"):
            data = data.toarray()
        return np.asarray(data, dtype="float64")

    def explain(self, model_input) -> Explanation:
        design = self.transform(model_input)
        if self.method == "linear":
            output, names, base, per_column = self._linear(design)
        else:
            output, names, base, per_column = self._tree_shap(design)
        import numpy as np

        grouped = np.stack([per_column[:, :, group].sum(axis=2) for group in self.groups], axis=2)
        values = base + grouped.sum(axis=2)
        return Explanation(self.method, output, names, list(self.features), base.tolist(), values.tolist(),
                           grouped.tolist())

    def model_output(self, model_input):
        """What the explanation explains, computed by the model itself ([row][output])."""
        import numpy as np

        if self.method == "linear" and self.task == "classification":
            out = np.asarray(self.model.decision_function(model_input), dtype="float64")
        elif self.task == "classification":
            out = np.asarray(self._tree_output(model_input), dtype="float64")
        else:
            out = np.asarray(self.model.predict(model_input), dtype="float64")
        return out.reshape(len(out), -1)

    def checked(self, model_input) -> tuple[Explanation, float]:
        """The explanation and its largest deviation from the model's own output; ExplanationUnavailable
        when base value plus contributions do not give the model's output (to ``TOLERANCE``)."""
        import numpy as np

        explanation = self.explain(model_input)
        explained, actual = np.asarray(explanation.values), self.model_output(model_input)
        error = float(np.abs(explained - actual).max()) if explained.shape == actual.shape else float("inf")
        # Floating point: terms of size 1e12 cannot sum to better than ~1e-4; allow 1e-9 of their size.
        scale = float(np.abs(np.asarray(explanation.contributions)).sum(axis=-1).max()
                      + np.abs(np.asarray(explanation.base_values)).max())
        if not error <= TOLERANCE + RELATIVE_TOLERANCE * scale:
            raise ExplanationUnavailable(f"the {self.method} explanation of this {type(self.final).__name__} does not "
                                         f"add up to its output (off by {error:.3g}), so none is served")
        explanation.values = actual.tolist()
        return explanation, error

    # -- the methods --------------------------------------------------------------------------------

    def _linear(self, design):
        import numpy as np

        coef = np.atleast_2d(np.asarray(self.final.coef_, dtype="float64"))  # [outputs, columns]
        intercept = np.atleast_1d(np.asarray(self.final.intercept_, dtype="float64"))
        mean = np.asarray(self.reference, dtype="float64") if self.reference is not None else np.zeros(coef.shape[1])
        per_column = coef[None, :, :] * (design - mean)[:, None, :]
        base = np.broadcast_to(intercept + coef @ mean, (len(design), coef.shape[0])).copy()
        if self.task == "classification":
            names = [str(self.classes[-1])] if coef.shape[0] == 1 else [str(c) for c in self.classes]
            return "decision_function", names, base, per_column
        return "predict", ["prediction"], base, per_column

    def _tree_shap(self, design):
        import numpy as np

        raw = self.tree_explainer.shap_values(design, check_additivity=False)
        values = np.asarray(raw, dtype="float64")
        expected = np.atleast_1d(np.asarray(self.tree_explainer.expected_value, dtype="float64"))
        if isinstance(raw, list):  # shap before 0.45: one array per class
            values = np.moveaxis(values, 0, -1)
        if values.ndim == 2:
            values = values[:, :, None]
        per_column = np.moveaxis(values, 2, 1)  # [rows, outputs, columns]
        base = np.broadcast_to(expected, (len(design), per_column.shape[1])).copy()
        if self.task == "classification":
            kind = "decision_function" if type(self.final).__name__.startswith("GradientBoosting") else "predict_proba"
            names = ([str(self.classes[-1])] if per_column.shape[1] == 1 else [str(c) for c in self.classes])
            return kind, names, base, per_column
        return "predict", ["prediction"], base, per_column

    def _tree_output(self, model_input):
        if type(self.final).__name__.startswith("GradientBoosting"):
            return self.model.decision_function(model_input)
        return self.model.predict_proba(model_input)


# ---- which raw input each model column comes from ---------------------------------------------------

def column_origins(steps: list, names: list) -> list | None:
    """For each column the final estimator sees, the raw input it comes from; None when unknown."""
    origins: list | None = list(names)
    for step in steps:
        origins = _step_origins(step, origins)
        if origins is None:
            return None
    return origins


def _step_origins(step, origins: list) -> list | None:
    if step in (None, "passthrough"):
        return list(origins)
    if step == "drop":
        return []
    kind = type(step).__name__
    if kind == "Pipeline":
        return column_origins([s for _, s in step.steps], origins)
    if kind == "ColumnTransformer":
        out = []
        for _, transformer, columns in step.transformers_:
            if transformer == "drop":
                continue
            picked = _pick(columns, origins, getattr(step, "feature_names_in_", None))
            if picked is None:
                return None
            if not picked:
                continue
            sub = _step_origins(transformer, picked)
            if sub is None:
                return None
            out += sub
        return out
    width = _width(step, len(origins))
    if width is None:
        return None
    if len(set(origins)) == 1:  # a transformer of one input: every column it makes comes from it
        return [origins[0]] * width
    if kind in ONE_TO_ONE and width == len(origins) and not getattr(step, "add_indicator", False):
        return list(origins)
    if kind == "OneHotEncoder":
        counts = getattr(step, "_n_features_outs", None)
        if counts is None:
            drops = step.drop_idx_ if step.drop_idx_ is not None else [None] * len(step.categories_)
            counts = [len(c) - (d is not None) for c, d in zip(step.categories_, drops)]
        if sum(counts) == width:
            return [o for o, n in zip(origins, counts) for _ in range(int(n))]
    return None


def _pick(columns, origins: list, names_in) -> list | None:
    """The origins of a ColumnTransformer entry's columns (names, indices, a slice or a mask)."""
    import numpy as np

    positions = {str(n): i for i, n in enumerate(names_in)} if names_in is not None else None
    if isinstance(columns, str):
        columns = [columns]
    if isinstance(columns, slice):
        return list(origins[columns])
    columns = list(np.asarray(columns).tolist()) if not isinstance(columns, list) else columns
    if columns and all(isinstance(c, bool) for c in columns):
        return [o for o, keep in zip(origins, columns) if keep]
    picked = []
    for c in columns:
        if isinstance(c, str):
            if positions is None or c not in positions:
                return None
            picked.append(origins[positions[c]])
        elif isinstance(c, int):
            picked.append(origins[c])
        else:
            return None
    return picked


def _width(step, n_inputs: int) -> int | None:
    try:
        return len(step.get_feature_names_out())
    except Exception:  # noqa: BLE001 - not every transformer names its outputs
        pass
    if type(step).__name__ in ONE_TO_ONE:
        return n_inputs
    vocabulary = getattr(step, "vocabulary_", None)  # text vectorizers
    return len(vocabulary) if vocabulary is not None else None


def model_columns(steps: list, names: list, final) -> list[str]:
    """Names of the columns the final estimator sees."""
    n = getattr(final, "n_features_in_", None)
    if steps:
        try:
            out = steps[-1].get_feature_names_out()
            return [str(c) for c in out]
        except Exception:  # noqa: BLE001
            pass
    elif n == len(names):
        return list(names)
    return [f"x{i}" for i in range(n or 0)]
