"""Stage 6: infer the model's input schema from the data it was fitted on.

The training data is found among the kernel's variables: a DataFrame holding the model's
``feature_names_in_`` (preferring one whose name says "train", then the largest), a 2-D array with
``n_features_in_`` columns for models fitted on arrays, or a sequence of strings for text
pipelines. The schema records, per input, its JSON type and pandas dtype, whether missing values
occur, numeric ranges and the categorical levels seen, plus the task and classes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from .find_model import KernelSideError

MAX_CATEGORIES = 100


@dataclass
class TrainingData:
    """The data a model was fitted on (or the best stand-in the namespace holds)."""

    kind: str  # dataframe | array | text
    data: Any  # DataFrame (restricted to the inputs, in order), 2-D array, or list of str
    source: str  # the variable it came from


def infer_schema(model: Any, namespace: dict) -> tuple[dict, TrainingData]:
    """Return ``(schema, training_data)``; ``schema`` holds the metadata.json fields."""
    training = find_training_data(model, namespace)
    if training.kind == "text":
        inputs = [{"name": "text", "type": "string", "dtype": "object", "nullable": False}]
    elif training.kind == "array":
        inputs = [_array_column(f"x{i}", training.data[:, i]) for i in range(training.data.shape[1])]
    else:
        inputs = [column_schema(str(name), training.data[name]) for name in training.data.columns]
    schema = {"input_kind": training.kind, "inputs": inputs, **task_of(model),
              "training_data": {"variable": training.source, "rows": len(training.data)}}
    return schema, training


def find_training_data(model: Any, namespace: dict) -> TrainingData:
    import numpy as np

    pd = _pandas()

    if is_text_model(model):
        texts = [(n, v) for n, v in _variables(namespace) if _is_text_sequence(v)]
        if not texts:
            raise KernelSideError("SchemaError", "a text model, but no list or Series of strings in the notebook's "
                                  "variables to take examples from", "keep the training texts in a variable (e.g. X_train)")
        name, value = _best(texts)
        return TrainingData("text", [str(v) for v in list(value)], name)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        names = [str(n) for n in names]
        frames = [(n, v) for n, v in _variables(namespace)
                  if pd is not None and isinstance(v, pd.DataFrame) and set(names) <= {str(c) for c in v.columns}]
        if not frames:
            raise KernelSideError(
                "SchemaError",
                f"the model was fitted on columns {', '.join(names)}, but no DataFrame in the notebook's variables "
                "holds them all, so their types are unknown",
                "keep the training features in a DataFrame variable (e.g. X_train)",
            )
        exact = [(n, v) for n, v in frames if len(v.columns) == len(names)]
        name, frame = _best(exact or frames)
        frame = frame.rename(columns=str)[names]
        return TrainingData("dataframe", frame, name)
    width = getattr(model, "n_features_in_", None)
    if width is None:
        raise KernelSideError("SchemaError", f"cannot tell the inputs of a {type(model).__name__}: it has neither "
                              "feature_names_in_ nor n_features_in_")
    arrays, plain = [], set()
    for n, v in _variables(namespace):
        if isinstance(v, np.ndarray):
            plain.add(n)
        elif pd is not None and isinstance(v, pd.DataFrame) and v.shape[1] == width:
            v = v.to_numpy()
        if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == width:
            numbers = as_float_array(v)
            if numbers is not None:
                arrays.append((n, numbers))
    if not arrays:
        raise KernelSideError("SchemaError", f"the model takes {width} positional features, but no 2-D numeric "
                              f"array with {width} columns is in the notebook's variables",
                              "keep the training features in a variable (e.g. X_train)")
    # a model with no feature_names_in_ was not fitted on a DataFrame: prefer a plain array
    # (X_train_scaled over the X_train DataFrame it was scaled from)
    name, array = _best(arrays, prefer=lambda name: name in plain)
    return TrainingData("array", array, name)


def as_float_array(array):
    """A 2-D array as float64, or None when it does not hold numbers. An object array of numbers,
    or of numbers and numeric strings (what ``SimpleImputer(missing_values='?')`` returns for
    ``df.values`` of a table read with ``?`` placeholders), is numeric input too: scikit-learn
    converts it to float64 the same way when it fits and predicts."""
    import numpy as np

    if array.dtype.kind in "biuf":
        return np.asarray(array, dtype="float64")
    if array.dtype.kind != "O":
        return None
    try:
        converted = array.astype("float64")
    except (TypeError, ValueError):
        return None
    return converted


def is_text_model(model: Any) -> bool:
    try:
        from sklearn.feature_extraction.text import _VectorizerMixin
    except ImportError:
        return False
    first = model.steps[0][1] if hasattr(model, "steps") else model
    return isinstance(first, _VectorizerMixin)


def task_of(model: Any) -> dict:
    from sklearn.base import is_classifier

    classes = getattr(model, "classes_", None)
    if is_classifier(model) or classes is not None:
        return {"task": "classification", "classes": [_plain(c) for c in classes] if classes is not None else None,
                "predict_proba": hasattr(model, "predict_proba")}
    return {"task": "regression", "classes": None, "predict_proba": False}


def column_schema(name: str, series) -> dict:
    """One input's schema from the training column."""
    import pandas as pd
    from pandas.api import types

    missing = bool(series.isna().any())
    out = {"name": name, "dtype": str(series.dtype), "nullable": missing}
    present = series.dropna()
    if types.is_bool_dtype(series.dtype):
        out["type"] = "boolean"
    elif types.is_integer_dtype(series.dtype) or types.is_float_dtype(series.dtype):
        out["type"] = "integer" if types.is_integer_dtype(series.dtype) else "number"
        if len(present):
            out["min"], out["max"] = _plain(present.min()), _plain(present.max())
    elif types.is_datetime64_any_dtype(series.dtype):
        out["type"] = "datetime"
        if len(present):
            out["min"], out["max"] = present.min().isoformat(), present.max().isoformat()
    else:
        values = present.tolist()
        if values and all(isinstance(v, bool) for v in values):
            out["type"] = "boolean"
        elif values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out["type"] = "number"
            out["min"], out["max"] = float(min(values)), float(max(values))
        else:
            out["type"] = "string"
            if missing and all(v is None for v in series[series.isna()]):
                # A None in an object column is not NaN to scikit-learn: OneHotEncoder learns it as a
                # category of its own and SimpleImputer does not see it as missing. A JSON null must
                # then arrive as None too, or the service would predict differently from the notebook.
                out["missing_value"] = "None"
            levels = pd.unique(pd.Series([str(v) for v in values], dtype=object))
            if isinstance(series.dtype, pd.CategoricalDtype):
                levels = [str(c) for c in series.cat.categories]
            if len(levels) <= MAX_CATEGORIES:
                out["categories"] = sorted(str(v) for v in levels)
    return out


def _array_column(name: str, values) -> dict:
    import numpy as np

    finite = values[~np.isnan(values)]
    out = {"name": name, "type": "number", "dtype": "float64", "nullable": bool(np.isnan(values).any())}
    if finite.size:
        out["min"], out["max"] = float(finite.min()), float(finite.max())
    return out


def _variables(namespace: dict):
    for name, value in list(namespace.items()):
        if not name.startswith("_") and name not in {"In", "Out"}:
            yield name, value


def _pandas():
    """pandas if the notebook imported it (a model fitted on arrays may run without it)."""
    return sys.modules.get("pandas")


def _is_text_sequence(value) -> bool:
    pd = _pandas()
    if (pd is not None and isinstance(value, pd.Series)) or isinstance(value, list):
        sample = list(value[:50]) if isinstance(value, list) else value.head(50).tolist()
        return len(sample) > 0 and all(isinstance(v, str) for v in sample)
    return False


def _best(pairs: list[tuple[str, Any]], prefer=lambda name: False) -> tuple[str, Any]:
    """Prefer a variable whose name says train (not test/valid), then one ``prefer`` likes, then
    the most rows."""
    def score(pair):
        name = pair[0].lower()
        return ("train" in name and "test" not in name, prefer(pair[0]), len(pair[1]))
    return max(pairs, key=score)


def _plain(value):
    return value.item() if hasattr(value, "item") else value
