"""The data plane: the one path every protocol's prediction takes once its codec decoded the input.

It checks readiness, records drift signals, calls the model, turns a model failure caused by the
input (missing values the model cannot take) into a 400, and records what was predicted.
"""

from __future__ import annotations

from ..errors import NotReady, PredictionFailed, RequestError
from ..model import Prediction
from .drift import DriftCheck
from .metrics import Metrics
from .runtime import ModelRuntime


class DataPlane:
    def __init__(self, runtime: ModelRuntime, metrics: Metrics, *, drift: bool = True, prediction_log=None):
        self.runtime = runtime
        self.prediction_log = prediction_log  # builder.serve.prediction_log.PredictionLog, or None (off)
        self.model = runtime.model
        self.metrics = metrics
        self.drift = DriftCheck(self.model.schema) if drift else None
        self._missing_check = DriftCheck(self.model.schema)
        engineered = self.model.engineered_schema
        self.engineered_drift = DriftCheck(engineered) if drift and engineered is not self.model.schema else self.drift
        self._engineered_missing = DriftCheck(engineered)

    def predict(self, model_input, *, proba: bool | None = None, engineered: bool = False) -> Prediction:
        """Predict on decoded input; ``proba=True`` insists on probabilities, None gives them when available;
        ``engineered``: the input is in the model's own (engineered) inputs, not raw records."""
        if not self.runtime.ready:
            raise NotReady("the model is still loading; retry shortly")
        if proba and not self.model.has_proba:
            raise RequestError("this model has no predict_proba: it answers with labels or values only",
                               field="predict_proba")
        drift = self.engineered_drift if engineered else self.drift
        if drift is not None:
            self.metrics.record_drift(drift.count(model_input))
        try:
            prediction = self.model.predict(model_input, proba=proba, engineered=engineered)
        except PredictionFailed:
            check = self._engineered_missing if engineered else self._missing_check
            column = check.missing_in_non_nullable(model_input)
            if column is not None:
                raise RequestError(f"column '{column}' has missing values; the model was trained without any "
                                   "and cannot predict on them", field=column) from None
            self.metrics.model_errors.inc()
            raise
        self.metrics.record_predictions(prediction.predictions)
        if self.prediction_log is not None:
            self.prediction_log.record(model_input, prediction, engineered=engineered)
        return prediction

    def explain(self, model_input):
        """``(Explanation, predictions, additivity error)`` for decoded input (builder.model.explain)."""
        if not self.runtime.ready:
            raise NotReady("the model is still loading; retry shortly")
        return self.model.explain(model_input)
