"""The data a model can be evaluated on: the held-out part of the notebook's own split.

After the run, the kernel's variables are searched for the test part of the split the notebook
made (``train_test_split`` results such as ``X_test``/``y_test``, ``X_val``/``y_val``): inputs named
for held-out data that match the model's inputs (its training columns, or its width for a model
fitted on arrays, or strings for a text pipeline), paired with a target of the same length (and
the same index, for pandas objects) whose values are the model's classes (or numbers, for a
regressor). Inputs that share most of their rows with the training data are not held out and are
skipped. Without held-out data, the training data and its target are used and labelled as such
(``source == "training"``); with neither, ``source == "none"`` and ``reason`` says what was looked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .infer_schema import TrainingData, _pandas, _variables, as_float_array, find_training_data

HELD_OUT_WORDS = {"test", "tst", "val", "valid", "validation", "holdout", "heldout", "eval", "dev"}
#: Names that hold the model's answers or a score, never the true target.
NOT_TARGET = re.compile(r"pred|hat|proba|prob|score|resid|error|loss|weight", re.IGNORECASE)
#: Share of held-out rows found in the training data above which they are not held out.
MAX_OVERLAP = 0.5
OVERLAP_SAMPLE = 2000


def held_out_word(name: str) -> str | None:
    """``test`` for ``X_test``, ``Xtest``, ``test_features``, ``X_test_scaled``; None for ``X_train``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|\d+", "_", name).lower()
    for token in filter(None, spaced.split("_")):
        if token in HELD_OUT_WORDS:
            return token
        if token[:1] in "xy" and token[1:] in HELD_OUT_WORDS:
            return token[1:]
    return None


@dataclass
class EvaluationData:
    """Inputs and true target to evaluate a model on, and where they came from."""

    source: str  # held-out | training | none
    inputs: TrainingData | None = None
    target: list = field(default_factory=list)
    variables: dict = field(default_factory=dict)
    reason: str = ""

    def describe(self) -> dict:
        out = {"source": self.source, "variables": self.variables, "rows": len(self.target)}
        if self.reason:
            out["reason"] = self.reason
        return out


def evaluation_data(model: Any, namespace: dict, training: TrainingData | None = None) -> EvaluationData:
    """The held-out data for ``model``, else its training data with their target, else none."""
    training = training or find_training_data(model, namespace)
    classes = getattr(model, "classes_", None)
    held = _held_out(model, namespace, training, classes)
    if held is not None:
        return held
    target = _best_target(namespace, training.data, training.source, classes, prefer="train")
    if target is not None:
        name, values = target
        return EvaluationData("training", training, values, {"X": training.source, "y": name},
                              "no variable such as X_test/y_test matches the model's inputs and target")
    what = _inputs_phrase(training)
    return EvaluationData("none", reason=f"no held-out data (no variable such as X_test holding {what} with a "
                                         f"target such as y_test of the same length) and no target for the "
                                         f"training data {training.source}")


def _held_out(model, namespace: dict, training: TrainingData, classes) -> EvaluationData | None:
    counterpart = _counterpart(training.source)
    found = []
    for name, value in _variables(namespace):
        word = held_out_word(name)
        if word is None or name == training.source:
            continue
        data = _as_inputs(value, training)
        if data is None or len(data) == 0 or _mostly_training_rows(value, data, training, namespace):
            continue
        target = _best_target(namespace, data, name, classes, prefer=word, avoid="train")
        if target is not None:
            found.append(((name == counterpart, word == "test", len(data)), name, data, target))
    if not found:
        return None
    _, name, data, (y_name, values) = max(found, key=lambda item: item[0])
    return EvaluationData("held-out", TrainingData(training.kind, data, name), values, {"X": name, "y": y_name})


def _counterpart(train_name: str) -> str:
    """``X_train_scaled`` -> ``X_test_scaled``: the held-out twin of the training variable."""
    return re.sub("train", "test", train_name, flags=re.IGNORECASE)


def _as_inputs(value, training: TrainingData):
    """``value`` in the model's input form (as ``training.data`` is), or None when it does not fit."""
    import numpy as np

    pd = _pandas()
    if training.kind == "text":
        if isinstance(value, list) or (pd is not None and isinstance(value, pd.Series)):
            items = list(value)
            if items and all(isinstance(v, str) for v in items[:50]):
                return [str(v) for v in items]
        return None
    if training.kind == "dataframe":
        names = list(training.data.columns)
        if pd is not None and isinstance(value, pd.DataFrame):
            renamed = value.rename(columns=str)
            if set(names) <= set(renamed.columns):
                return renamed[names]
        return None
    width = training.data.shape[1]
    if pd is not None and isinstance(value, pd.DataFrame):
        value = value.to_numpy()
    if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == width:
        return as_float_array(value)
    return None


def _mostly_training_rows(value, data, training: TrainingData, namespace: dict) -> bool:
    """True when most of the candidate's rows are rows of the training data (so not held out):
    by content, and, when both are pandas objects, by index labels too. Content alone misjudges
    data with many duplicate rows (a corpus of repeated messages); index labels alone misjudge a
    training frame renumbered by ``reset_index`` or a resampler (SMOTE)."""
    import numpy as np

    sample, seen = _row_keys(data[:OVERLAP_SAMPLE]), _row_keys(training.data)
    if isinstance(sample, np.ndarray) and isinstance(seen, np.ndarray):
        shared = int(np.isin(sample, seen).sum())
    else:
        known = set(seen)
        shared = sum(key in known for key in sample)
    if shared <= MAX_OVERLAP * len(sample):
        return False
    labels, training_labels = _index(value), _index(namespace.get(training.source))
    if labels is None or training_labels is None:
        return True
    return bool(labels[:OVERLAP_SAMPLE].isin(training_labels).mean() > MAX_OVERLAP)


def _index(value):
    pd = _pandas()
    if pd is not None and isinstance(value, (pd.DataFrame, pd.Series)):
        return value.index
    return None


def _row_keys(rows):
    """One hashable key per row: a 64-bit hash of its values (pandas, vectorized: a few bytes a row
    even for large training sets), else the row's bytes or text."""
    import numpy as np

    if isinstance(rows, list):
        return rows
    pd = _pandas()
    if pd is not None:
        try:
            frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(np.asarray(rows))
            return pd.util.hash_pandas_object(frame, index=False).to_numpy()
        except (TypeError, ValueError):
            pass
    try:
        return [row.tobytes() for row in np.ascontiguousarray(np.asarray(rows, dtype="float64"))]
    except (TypeError, ValueError):
        return [repr(list(row)) for row in rows]


def _best_target(namespace: dict, inputs, inputs_name: str, classes, prefer: str, avoid: str | None = None):
    """``(name, values)`` of the variable most likely to be the true target for ``inputs``."""
    found = []
    for name, value in _variables(namespace):
        if name == inputs_name or NOT_TARGET.search(name) or (avoid and avoid in name.lower()):
            continue
        values = _target_values(value, inputs, classes)
        if values is None:
            continue
        lowered = name.lower()
        score = (prefer in lowered, lowered.startswith("y") or "target" in lowered or "label" in lowered,
                 _twin(name, inputs_name), -len(name))
        found.append((score, name, values))
    if not found:
        return None
    _, name, values = max(found, key=lambda item: item[0])
    return name, values


def _twin(name: str, inputs_name: str) -> bool:
    """``y_test`` for ``X_test``, ``test_labels`` for ``test_features``..."""
    strip = re.compile(r"^[xXyY]_?|_?[xXyY]$|features?|labels?|targets?|inputs?", re.IGNORECASE)
    return strip.sub("", name).lower() == strip.sub("", inputs_name).lower()


def _target_values(value, inputs, classes) -> list | None:
    """The plain values of ``value`` when it can be the target of ``inputs``, else None."""
    import numpy as np

    pd = _pandas()
    if pd is not None and isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if pd is not None and isinstance(value, pd.Series):
        if isinstance(inputs, (pd.DataFrame, pd.Series)) and not value.index.equals(inputs.index):
            return None
        array = value.to_numpy()
    elif isinstance(value, np.ndarray):
        array = value.ravel() if value.ndim == 2 and 1 in value.shape else value
    elif isinstance(value, list) and value and not isinstance(value[0], (list, tuple, dict)):
        array = np.asarray(value, dtype=object)
    else:
        return None
    if array.ndim != 1 or len(array) != len(inputs) or len(array) == 0:
        return None
    if classes is not None:
        known = {_plain(c) for c in classes}
        try:
            present = {_plain(v) for v in pd.unique(array)} if pd is not None else {_plain(v) for v in set(array.tolist())}
        except TypeError:
            return None
        if not present <= known:
            return None
    elif array.dtype.kind not in "biuf":
        return None
    return [_plain(v) for v in array.tolist()]


def _inputs_phrase(training: TrainingData) -> str:
    if training.kind == "dataframe":
        return f"the model's {training.data.shape[1]} columns"
    if training.kind == "array":
        return f"{training.data.shape[1]} numeric columns"
    return "texts"


def _plain(value):
    return value.item() if hasattr(value, "item") else value

