"""``ServedModel``: a built artifact loaded for predictions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ArtifactError, NB2ServiceError, PredictionFailed, SchemaMismatch
from .artifact import read_metadata, sha256_file, verify_model_file
from .features import VERIFIED, load_features, run_features
from .inputs import InputSchema
from .strict import first_unlike


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

    def __init__(self, root: Path, metadata: dict, estimator: Any, fast: Any = None, features: Any = None):
        self.root = Path(root)
        self.metadata = metadata
        self._estimator = estimator
        #: The inputs the model was fitted on (the notebook's training matrix).
        self.engineered_schema = InputSchema.from_metadata(engineered_view(metadata))
        self.classes = metadata.get("classes")
        self.has_proba = bool(metadata.get("predict_proba"))
        #: The ONNX fast path (``builder.fastpath.runtime.OnnxModel``) when it serves, else None.
        self.fast = fast
        self._explainer = None  # built on the first explanation (builder.model.explain)
        if fast is not None:
            self.engineered_schema.frames = False  # the fast path takes {column: array}, no DataFrame
        #: ``features(raw)`` (the notebook's feature engineering, verified at build) or None.
        self.features = features
        #: The default inputs: the raw records when ``features`` serves, else the engineered ones.
        self.schema = self.engineered_schema if features is None else InputSchema.from_metadata(metadata)
        if features is not None:
            self.schema.frames = False  # features() builds the one DataFrame from {column: array}
            # the fast path takes a DataFrame model's input as {column: array}: numpy columns give it so
            features.as_columns = fast is not None and self.engineered_schema.kind == "dataframe"

    @classmethod
    def load(cls, root: Path | str, *, fast: bool = True) -> "ServedModel":
        """Load the artifact at ``root``: its verified ONNX form when the build made one (and
        ``fast``), else the scikit-learn model. Which one serves is ``inference_path``."""
        root = Path(root)
        meta = read_metadata(root)
        path = verify_model_file(root, meta)
        info = meta.get("features") or {}
        features = load_features(root, info) if info.get("status") == VERIFIED else None
        onnx = load_fast_path(root, meta) if fast else None
        if onnx is not None:
            return cls(root, meta, None, onnx, features)
        if fast and (meta.get("inference") or {}).get("path") == "onnx":  # /model tells the truth
            meta = {**meta, "inference": {**meta["inference"], "path": "sklearn",
                                          "reason": "onnxruntime is not importable where the service runs"}}
        import joblib

        return cls(root, meta, joblib.load(path), features=features)

    @property
    def estimator(self) -> Any:
        """The scikit-learn model (loaded on first use when the fast path serves)."""
        if self._estimator is None:
            import joblib

            self._estimator = joblib.load(verify_model_file(self.root, self.metadata))
        return self._estimator

    @estimator.setter
    def estimator(self, value: Any) -> None:
        self._estimator, self.fast = value, None
        self.engineered_schema.frames = True
        if self.features is not None:
            self.features.as_columns = False  # scikit-learn takes the DataFrame

    @property
    def inference_path(self) -> str:
        return "onnx" if self.fast is not None else "sklearn"

    @property
    def name(self) -> str:
        return self.metadata.get("name", "model")

    @property
    def task(self) -> str:
        return self.metadata["task"]

    @property
    def raw_inputs(self) -> bool:
        """True when the default inputs are raw records (``features`` runs before the model)."""
        return self.features is not None

    def predict(self, model_input: Any, *, proba: bool | None = None, engineered: bool = False) -> Prediction:
        """Predict on input built by ``self.schema`` (``engineered``: by ``self.engineered_schema``);
        ``proba`` defaults to whether the model has it."""
        want_proba = self.has_proba if proba is None else (proba and self.has_proba)
        if self.features is not None and not engineered:
            model_input = self._engineer(model_input)
        try:
            if self.fast is not None:
                labels, probabilities = self.fast.run(model_input, want_proba)
            else:
                labels = self.estimator.predict(model_input)
                probabilities = self.estimator.predict_proba(model_input) if want_proba else None
        except Exception as exc:  # the model's own failure: logged by the caller, never sent
            raise PredictionFailed(f"the model failed to predict: {type(exc).__name__}") from exc
        return Prediction(to_jsonable(labels), to_jsonable(probabilities) if probabilities is not None else None)

    def explain(self, model_input: Any):
        """``(Explanation, predictions, largest additivity error)`` for input built by ``self.schema``
        (raw records go through ``features`` first: the model's own inputs are explained);
        ``ExplanationUnavailable`` (501) when no exact method covers this model."""
        from .explain import ExplanationUnavailable, Explainer

        if self._explainer is None:
            try:
                self._explainer = Explainer(self.estimator, self.engineered_schema, engineered_view(self.metadata))
            except ExplanationUnavailable as exc:
                self._explainer = exc
        if isinstance(self._explainer, ExplanationUnavailable):
            raise self._explainer
        if self.features is not None:
            model_input = self._engineer(model_input)
        frame = self.engineered_schema.as_model_input(model_input)
        try:
            explanation, error = self._explainer.checked(frame)
            labels = self.estimator.predict(frame)
        except ExplanationUnavailable:
            raise
        except Exception as exc:
            raise PredictionFailed(f"the model failed to explain: {type(exc).__name__}") from exc
        return explanation, to_jsonable(labels), error

    def predict_records(self, records: list, *, engineered: bool = False, **kwargs) -> Prediction:
        schema = self.engineered_schema if engineered else self.schema
        return self.predict(schema.from_records(records), engineered=engineered, **kwargs)

    def _engineer(self, frame: Any) -> Any:
        """The model's input for decoded raw records (``{column: array}``, or a DataFrame):
        ``features()``, then, for the fast path, ``{column: array}``."""
        try:
            value = run_features(self.features, frame)
        except NB2ServiceError:
            raise
        except Exception as exc:  # the notebook's statements failed on this input
            unlike = first_unlike(self.schema.columns, frame)
            if unlike:  # a value training never had is the likely cause: the caller's to change
                raise SchemaMismatch(f"the notebook's feature statements fail on this input ({type(exc).__name__}): "
                                     f"{unlike[1]}", field=unlike[0]) from exc
            raise PredictionFailed(f"the feature statements failed: {type(exc).__name__}") from exc  # logged, never sent
        if isinstance(value, dict):  # already {column: array} (numpy columns, for the fast path)
            return value
        if self.fast is not None and self.engineered_schema.kind == "dataframe":
            return {str(name): value[name].to_numpy() for name in value.columns}
        return value


def engineered_view(meta: dict) -> dict:
    """The metadata as the model itself sees it: when raw records are served (``features``), the
    inputs, input kind and examples of the training matrix are under ``engineered``."""
    return {**meta, **meta["engineered"]} if meta.get("engineered") else meta


def load_fast_path(root: Path, meta: dict):
    """The artifact's ONNX form, ready to run, or None when the build chose scikit-learn.

    The ONNX file is checked against the sha256 in metadata.json like the model file; when
    onnxruntime cannot be imported the scikit-learn model serves (and ``inference_path`` says so).
    """
    info = meta.get("inference") or {}
    if info.get("path") != "onnx":
        return None
    path = Path(root) / info.get("file", "model.onnx")
    if not path.is_file() or sha256_file(path) != info.get("sha256"):
        raise ArtifactError(f"{path}: missing or changed after the build (sha256 does not match metadata.json); "
                            "refusing to start", hint="rebuild it with `nb2service build SRC -o DIR`")
    from ..fastpath.runtime import OnnxModel

    try:
        return OnnxModel(path, InputSchema.from_metadata(engineered_view(meta)), meta["task"])
    except ImportError as exc:  # onnxruntime missing from the serving environment
        logging.getLogger("nb2service.serve").warning("WARNING: the ONNX fast path is unavailable (%s); "
                                                      "scikit-learn serves", exc)
        return None
