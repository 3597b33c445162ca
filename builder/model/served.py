"""``ServedModel``: a built artifact loaded for predictions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PredictionFailed
from .artifact import read_metadata, verify_model_file
from .inputs import InputSchema


@dataclass
class Prediction:
    """Predicted labels or values, plus per-class probabilities when the model has them."""

    predictions: list
    probabilities: list | None = None  # one row per input, columns in ``classes`` order


def to_jsonable(values) -> list:
    """numpy arrays and scalars to plain Python values (JSON-able)."""
    if hasattr(values, "tolist"):
        return values.tolist()
    return [v.item() if hasattr(v, "item") else v for v in values]


class ServedModel:
    """A model loaded from an artifact directory, after its sha256 was checked."""

    def __init__(self, root: Path, metadata: dict, estimator: Any):
        self.root = Path(root)
        self.metadata = metadata
        self.estimator = estimator
        self.schema = InputSchema.from_metadata(metadata)
        self.classes = metadata.get("classes")
        self.has_proba = bool(metadata.get("predict_proba"))

    @classmethod
    def load(cls, root: Path | str) -> "ServedModel":
        import joblib

        meta = read_metadata(Path(root))
        path = verify_model_file(Path(root), meta)
        return cls(Path(root), meta, joblib.load(path))

    @property
    def name(self) -> str:
        return self.metadata.get("name", "model")

    @property
    def task(self) -> str:
        return self.metadata["task"]

    def predict(self, model_input: Any, *, proba: bool | None = None) -> Prediction:
        """Predict on input built by ``self.schema``; ``proba`` defaults to whether the model has it."""
        want_proba = self.has_proba if proba is None else (proba and self.has_proba)
        try:
            labels = self.estimator.predict(model_input)
            probabilities = self.estimator.predict_proba(model_input) if want_proba else None
        except Exception as exc:  # the model's own failure: logged by the caller, never sent
            raise PredictionFailed(f"the model failed to predict: {type(exc).__name__}") from exc
        return Prediction(to_jsonable(labels), to_jsonable(probabilities) if probabilities is not None else None)

    def predict_records(self, records: list, **kwargs) -> Prediction:
        return self.predict(self.schema.from_records(records), **kwargs)
