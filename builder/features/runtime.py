"""The replay objects behind ``_f`` in ``features.py`` (see ``builder.features.rewrite``).

``Recorder`` runs the statements once at build time, on the table the notebook loaded, and keeps
what they learn: the tables, the fitted transformers (a copy after each fit, in call order per
site), the statistics, the categories ``get_dummies`` encodes. ``Frozen`` replays them on requests
from that record; it is what ``features.py`` loads from ``features.joblib`` beside it.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

STATE_FILE = "features.joblib"


class ReplayError(Exception):
    """A statement cannot be replayed (at build: the reason raw inputs are not served)."""


class RowsDropped(ValueError):
    """The notebook's statements dropped request rows (a filter, ``dropna``)."""

    def __init__(self, rows: list[int]):
        super().__init__(f"the notebook's feature statements drop row(s) {rows[:10]} (a filter or dropna): "
                         "they cannot be predicted")
        self.rows = rows


class Recorder:
    """``_f`` at build time. ``train_index``: the rows the model was fitted on (for the split)."""

    def __init__(self, train_index=None):
        self.train_index = train_index
        self.state = {"tables": {}, "fitted": {}, "stats": {}, "dummies": {}}

    def begin(self) -> None:
        pass

    def table(self, key: str, load):
        value = load()
        self.state["tables"][key] = value.copy(deep=True) if hasattr(value, "copy") else copy.deepcopy(value)
        return value

    def rows(self, key: str, value):
        if self.train_index is None:
            raise ReplayError("the model's training rows have no pandas index (fitted on arrays), so the "
                              "train/test split cannot be replayed")
        if not hasattr(value, "loc"):
            raise ReplayError(f"the train/test split takes a {type(value).__name__}, not a DataFrame or Series "
                              "(the rows of the training matrix cannot be traced back to the table)")
        missing = self.train_index.difference(value.index)
        if len(missing):
            raise ReplayError(f"the training rows are not rows of the split's input (e.g. index {missing[0]!r})")
        return value.loc[self.train_index]

    def resampled(self, key: str, value):
        return value

    def fitted(self, key: str, estimator, *args, **kwargs):
        estimator.fit(*args, **kwargs)
        self.state["fitted"].setdefault(key, []).append(copy.deepcopy(estimator))
        return estimator

    def stat(self, key: str, compute):
        value = compute()
        self.state["stats"].setdefault(key, []).append(copy.deepcopy(value))
        return value

    def dummies(self, key: str, func, data, *args, **kwargs):
        self.state["dummies"].setdefault(key, []).append(_encoded_levels(data, kwargs.get("columns")))
        return func(data, *args, **kwargs)

    def output(self, value):
        return value


class Frozen:
    """``_f`` when serving: the record of a ``Recorder`` plus what the build decided (``raw``: the
    raw columns and the placeholders of those a request need not send; ``output``: the training
    matrix's columns and dtypes, or its width)."""

    def __init__(self, state: dict):
        self.state = state
        self._local = threading.local()

    @classmethod
    def beside(cls, module_file: str) -> "Frozen":
        import joblib

        return cls(joblib.load(Path(module_file).with_name(STATE_FILE)))

    def begin(self) -> None:
        self._local.counts = {}

    def _next(self, kind: str, key: str):
        counts = self._local.counts
        n = counts.get(key, 0)
        counts[key] = n + 1
        items = self.state[kind].get(key) or []
        if n >= len(items):
            raise ReplayError(f"{kind} site {key} ran {n + 1} times, the notebook's run {len(items)} times")
        return items[n]

    def raw(self, raw):
        spec = self.state["raw"]
        self._local.rows = len(raw)
        self._local.index = raw.index
        frame = raw.copy()
        for name, value in spec["placeholders"].items():
            if name not in frame.columns:
                frame[name] = value
        return frame[[c for c in spec["columns"] if c in frame.columns]]

    def table(self, key: str):
        value = self.state["tables"][key]
        return value.copy() if hasattr(value, "copy") else value

    def rows(self, key: str, value):
        return value

    def resampled(self, key: str, value):
        return value

    def fitted(self, key: str):
        return Fitted(self._next("fitted", key))

    def stat(self, key: str):
        return self._next("stats", key)

    def dummies(self, key: str, func, data, *args, **kwargs):
        import pandas as pd

        levels = self._next("dummies", key)
        if isinstance(data, pd.Series):
            if data.name in levels or None in levels:
                cats = levels.get(data.name, levels.get(None))
                data = pd.Series(pd.Categorical(data, categories=cats), index=data.index, name=data.name)
        else:
            data = data.copy()
            for name, cats in levels.items():
                if name in data.columns:
                    data[name] = pd.Categorical(data[name], categories=cats)
        return func(data, *args, **kwargs)

    def output(self, value):
        import numpy as np
        import pandas as pd

        spec = self.state["output"]
        rows = getattr(self._local, "rows", None)
        if rows is not None and len(value) != rows:
            index = getattr(self._local, "index", None)
            kept = set(value.index) if hasattr(value, "index") else set()
            raise RowsDropped([i for i, label in enumerate(index) if label not in kept] if index is not None else [])
        if spec["kind"] == "dataframe":
            if not isinstance(value, pd.DataFrame):
                value = pd.DataFrame(np.asarray(value), columns=spec["columns"])
            if list(value.columns) != spec["columns"]:
                value = value.reindex(columns=spec["columns"], fill_value=0)
            for name, dtype in spec["dtypes"].items():
                if str(value[name].dtype) != dtype:
                    value[name] = value[name].astype(dtype)
            if rows is not None and not value.index.equals(self._local.index):
                value.index = self._local.index
            return value
        return np.asarray(value, dtype="float64")


class Fitted:
    """A fitted transformer as the notebook fitted it; a DataFrame it is given is first aligned to
    the columns it was fitted on (dummy columns a request lacks are 0)."""

    __slots__ = ("estimator",)

    def __init__(self, estimator):
        self.estimator = estimator

    def _aligned(self, X):
        names = getattr(self.estimator, "feature_names_in_", None)
        if names is not None and hasattr(X, "reindex") and hasattr(X, "columns") and list(X.columns) != list(names):
            X = X.reindex(columns=list(names), fill_value=0)
        return X

    def transform(self, X, *args, **kwargs):
        return self.estimator.transform(self._aligned(X), *args, **kwargs)

    def predict(self, X, *args, **kwargs):
        return self.estimator.predict(self._aligned(X), *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.estimator, name)


def _encoded_levels(data, columns) -> dict:
    """The categories ``get_dummies`` encodes, per column (``None`` for a Series without a name)."""
    import pandas as pd
    from pandas.api import types

    def levels(series):
        if isinstance(series.dtype, pd.CategoricalDtype):
            return list(series.cat.categories)
        return sorted(series.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))

    if isinstance(data, pd.Series):
        return {data.name: levels(data)}
    if columns is None:
        columns = [c for c in data.columns if types.is_object_dtype(data[c].dtype)
                   or types.is_string_dtype(data[c].dtype) or isinstance(data[c].dtype, pd.CategoricalDtype)]
    return {c: levels(data[c]) for c in columns}
