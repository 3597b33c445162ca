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

from . import bundled
from .columnar import Column, Table, Unsupported, table_of
from .fast_forms import fast_apply, fast_drop, fast_dummies, fast_fillna, fast_map, fast_select, new_frame, probes_like, same

STATE_FILE = "features.joblib"


class ReplayError(Exception):
    """A statement cannot be replayed (at build: the reason raw inputs are not served)."""


class RowsDropped(ValueError):
    """The notebook's statements dropped request rows (a filter, ``dropna``): ``rows``, the rows
    dropped when the result has an index to tell them by, else None; ``kept`` of ``of`` rows."""

    def __init__(self, rows: list[int] | None, kept: int, of: int):
        which = f"row(s) {rows[:10]}" if rows is not None else f"{of - kept} of the {of} rows"
        super().__init__(f"the notebook's feature statements drop {which} (a filter or dropna): "
                         "they cannot be predicted")
        self.rows, self.kept, self.of = rows, kept, of


class Recorder:
    """``_f`` at build time. ``train_index``: the rows the model was fitted on (for the split), when
    they have a pandas index; otherwise the split is replayed as the notebook made it, and
    ``splits`` says, per split, the training positions in its input and that input's index."""

    def __init__(self, train_index=None, positions=None):
        self.train_index = train_index
        #: The training positions the notebook's own split drew (recorded in the kernel), used
        #: instead of replaying the split when given.
        self.positions = positions
        self.state = {"tables": {}, "fitted": {}, "stats": {}, "dummies": {}, "fast_dummies": {}, "fast_fitted": {}}
        self.splits: dict = {}
        self.result = None

    def begin(self) -> None:
        pass

    def table(self, key: str, load, names=None):
        value = load()
        if names is not None and bundled.is_bundle(value):  # a dataset bundled with scikit-learn
            plain = isinstance(value, tuple) and not hasattr(value[0], "columns")
            table, spec = bundled.frame_of(value, names() if plain else None)
            self.state["tables"][key] = table.copy(deep=True)
            self.state.setdefault("bundles", {})[key] = spec
            return value
        self.state["tables"][key] = value.copy(deep=True) if hasattr(value, "copy") else copy.deepcopy(value)
        return value

    def rows(self, key: str, value, split=None):
        if self.train_index is not None and hasattr(value, "loc"):
            missing = self.train_index.difference(value.index)
            if len(missing):
                raise ReplayError(f"the training rows are not rows of the split's input (e.g. index {missing[0]!r})")
            return value.loc[self.train_index]
        if split is None:
            raise ReplayError("the model's training rows have no pandas index (fitted on arrays), so the "
                              "train/test split cannot be replayed")
        import numpy as np

        if key not in self.splits:
            if self.positions is not None:
                positions = np.asarray(self.positions)
                if len(positions) and positions.max() >= len(value):
                    raise ReplayError("the notebook's own split drew rows beyond the replayed split's input")
            else:
                positions = np.asarray(split(np.arange(len(value)))[-2])
            self.splits[key] = {"positions": positions, "rows": len(value),
                                "index": value.index[positions] if hasattr(value, "index") else None}
        positions = self.splits[key]["positions"]
        if hasattr(value, "iloc"):
            return value.iloc[positions]
        return [value[i] for i in positions] if isinstance(value, list) else value[positions]

    def resampled(self, key: str, value):
        return value

    def fitted(self, key: str, estimator, *args, **kwargs):
        estimator.fit(*args, **kwargs)
        kept = copy.deepcopy(estimator)
        self.state["fitted"].setdefault(key, []).append(kept)
        self.state["fast_fitted"].setdefault(key, []).append(bool(args) and _fast_form(kept, args[0]))
        return estimator

    def stat(self, key: str, compute):
        value = compute()
        self.state["stats"].setdefault(key, []).append(copy.deepcopy(value))
        return value

    def dummies(self, key: str, func, data, *args, **kwargs):
        levels = _encoded_levels(data, kwargs.get("columns"))
        self.state["dummies"].setdefault(key, []).append(levels)
        result = func(data, *args, **kwargs)
        # the same columns made without pandas' machinery (a few times faster on one row), used when
        # serving only if identical here, on the whole table
        fast = self.state["fast_dummies"].setdefault(key, [])
        try:
            dtype = _dummy_dtype(result, data)
            self.state.setdefault("dummy_dtypes", {})[key] = dtype
            made = fast_dummies(data, levels, dtype, *args, **kwargs) if not fast or fast[-1] else None
            fast.append(made is not None and same(result, made))
        except Exception:  # noqa: BLE001 - then pandas' get_dummies serves
            fast.append(False)
        return result

    def map(self, key: str, obj, *args, **kwargs):
        return self._checked(key, obj, "map", args, kwargs, probes=True)

    def drop(self, key: str, obj, *args, **kwargs):
        return self._checked(key, obj, "drop", args, kwargs, probes=False)

    def apply(self, key: str, obj, *args, **kwargs):
        return self._checked(key, obj, "apply", args, kwargs, probes=True)

    def fillna(self, key: str, obj, *args, **kwargs):
        return self._checked(key, obj, "fillna", args, kwargs, probes=True)

    def select(self, key: str, obj, columns):
        return self._checked(key, obj, "select", (columns,), {}, probes=False)

    def _checked(self, key: str, obj, method: str, args, kwargs, probes: bool):
        """``obj.<method>(*args, **kwargs)``, recording whether its faster form (``FORMS``) gave
        the same on it and, with ``probes``, on one-row probes of values never seen and missing
        (None: the form does not cover the call)."""
        result = _call(obj, method, args, kwargs)
        fast = FORMS[method]

        def identical():
            made = fast(obj, *args, **kwargs)
            if made is None:
                return None  # no faster form for this call (a Series' fillna, an Index's map...)
            return same(result, made) and (not probes or all(
                _same_outcome(lambda: _call(probe, method, args, kwargs), lambda: fast(probe, *args, **kwargs))
                for probe in probes_like(obj)))
        try:
            ok = identical()
        except Exception:  # noqa: BLE001 - then pandas serves that call
            ok = False
        self.state.setdefault("fast", {}).setdefault(key, []).append(ok)
        return result

    def output(self, value):
        self.result = value
        return value


#: ``method: its faster form (obj, *args, **kwargs)``, None for a call it does not cover
FORMS = {"map": fast_map, "drop": fast_drop, "apply": fast_apply, "fillna": fast_fillna, "select": fast_select}


def _call(obj, method: str, args, kwargs):
    """``obj.<method>(*args, **kwargs)``; for ``select``, ``obj[args[0]]``."""
    return obj[args[0]] if method == "select" else getattr(obj, method)(*args, **kwargs)


def _same_outcome(pandas_call, fast_call) -> bool:
    """Both give the same object, or both raise the same kind of exception (a probe the notebook's
    function does not take)."""
    try:
        want = pandas_call()
    except Exception as exc:  # noqa: BLE001
        try:
            fast_call()
        except Exception as other:  # noqa: BLE001
            return type(other) is type(exc)
        return False
    return same(want, fast_call())


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

    def columnar(self, on: bool, as_columns: bool = False) -> None:
        """Replay the next ``features()`` calls of this thread on numpy columns (``columnar``);
        ``as_columns``: a DataFrame model's input as ``{column: array}``, not a DataFrame."""
        self._local.columnar, self._local.as_columns = on, on and as_columns

    def _next(self, kind: str, key: str):
        counts = self._local.counts
        n = counts.get(key, 0)
        counts[key] = n + 1
        items = self.state[kind].get(key) or []
        if n >= len(items):
            raise ReplayError(f"{kind} site {key} ran {n + 1} times, the notebook's run {len(items)} times")
        return items[n]

    def raw(self, raw):
        """The request's records as the notebook's table: its columns in order, the placeholders
        of those callers need not send (the target, columns the path does not read). ``raw``: a
        DataFrame, or the service's decoded ``{column: array}`` (one DataFrame built, not two)."""
        import numpy as np
        import pandas as pd

        spec = self.state["raw"]
        placeholders = spec["placeholders"]
        if isinstance(raw, pd.DataFrame):
            n, index, present = len(raw), raw.index, raw.columns

            def values(name):
                return raw[name].to_numpy(copy=True)
        else:
            n = len(next(iter(raw.values()))) if raw else 0
            index, present = None, raw

            def values(name):
                return np.array(raw[name], copy=True)
        self._local.rows = n
        data = {}
        for name in spec["columns"]:
            if name in present:
                data[name] = values(name)
            elif name in placeholders:
                value = placeholders[name]
                data[name] = np.full(n, value, dtype=object if isinstance(value, str) or value is None else None)
        if getattr(self._local, "columnar", False):
            self._local.index = pd.RangeIndex(n) if index is None else index
            return table_of(data, n)
        # a fresh 0..n-1 index, as a freshly loaded table has (a frame the notebook builds from an
        # array aligns with it); the request's own index comes back in ``output``
        frame = new_frame(data, pd.RangeIndex(n))
        self._local.index = frame.index if index is None else index
        return frame

    def bundle(self, key: str, raw):
        """The request's records in the shape the bundled loader returned (``bundled``)."""
        if getattr(self._local, "columnar", False):
            raise Unsupported("a bundled dataset's shape")
        return bundled.rebuild(self.raw(raw), self.state["bundles"][key])

    def table(self, key: str):
        value = self.state["tables"][key]
        if key in self.state.get("bundles", {}):
            return bundled.rebuild(value.copy(), self.state["bundles"][key])
        return value.copy() if hasattr(value, "copy") else value

    def rows(self, key: str, value):
        return value

    def resampled(self, key: str, value):
        return value

    def fitted(self, key: str):
        n = self._local.counts.get(key, 0)
        fast = self.state.get("fast_fitted", {}).get(key) or []
        return Fitted(self._next("fitted", key), n < len(fast) and fast[n])

    def stat(self, key: str):
        return self._next("stats", key)

    def dummies(self, key: str, func, data, *args, **kwargs):
        import pandas as pd

        n = self._local.counts.get(key, 0)
        levels = self._next("dummies", key)
        if isinstance(data, Table):
            return data.dummies(levels, self.state.get("dummy_dtypes", {}).get(key), *args, **kwargs)
        fast = self.state.get("fast_dummies", {}).get(key) or []
        if n < len(fast) and fast[n]:
            return fast_dummies(data, levels, self.state["dummy_dtypes"].get(key), *args, **kwargs)
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

    def map(self, key: str, obj, *args, **kwargs):
        return self._served(key, obj, "map", args, kwargs)

    def drop(self, key: str, obj, *args, **kwargs):
        return self._served(key, obj, "drop", args, kwargs)

    def apply(self, key: str, obj, *args, **kwargs):
        return self._served(key, obj, "apply", args, kwargs)

    def fillna(self, key: str, obj, *args, **kwargs):
        return self._served(key, obj, "fillna", args, kwargs)

    def select(self, key: str, obj, columns):
        return self._served(key, obj, "select", (columns,), {})

    def _served(self, key: str, obj, method: str, args, kwargs):
        """The faster form of ``obj.<method>(...)`` where the build found this call's identical
        (per call at the site, in order), else pandas' own."""
        counts = self._local.counts
        n = counts.get(key, 0)
        counts[key] = n + 1
        if isinstance(obj, (Table, Column)):
            return getattr(obj, method)(*args, **kwargs)
        flags = self.state.get("fast", {}).get(key) or []
        if n < len(flags) and flags[n]:
            made = FORMS[method](obj, *args, **kwargs)
            if made is not None:
                return made
        return _call(obj, method, args, kwargs)

    def output(self, value):
        import numpy as np
        import pandas as pd

        spec = self.state["output"]
        rows = getattr(self._local, "rows", None)
        if rows is not None and len(value) != rows:
            if not hasattr(value, "index"):  # an array: which rows went is not known, only how many
                raise RowsDropped(None, len(value), rows)
            kept = set(value.index)
            raise RowsDropped([i for i in range(rows) if i not in kept], len(value), rows)
        if spec["kind"] == "dataframe" and isinstance(value, Table):
            data = self._columns_of(value, spec)
            return data if getattr(self._local, "as_columns", False) else new_frame(data, self._local.index)
        if spec["kind"] == "dataframe":
            if not isinstance(value, pd.DataFrame):
                value = pd.DataFrame(np.asarray(value), columns=spec["columns"])
            if list(value.columns) != spec["columns"]:
                value = value.reindex(columns=spec["columns"], fill_value=0)
            wanted = spec["dtypes"]
            for name, dtype in zip(value.columns, value.dtypes):  # one dtypes call, not a Series per column
                if name in wanted and str(dtype) != wanted[name]:
                    value[name] = value[name].astype(wanted[name])
            if rows is not None and not value.index.equals(self._local.index):
                value.index = self._local.index
            return value
        if spec["kind"] == "text":
            return [str(v) for v in value]
        return np.asarray(value, dtype=spec.get("dtype", "float64"))

    def _columns_of(self, table: Table, spec: dict) -> dict:
        """The training matrix's ``{column: array}`` from a ``Table``: its columns in order (0 for
        those the table lacks), with their dtypes (strings as an object array, which a DataFrame
        types as pandas types a loaded table's)."""
        import numpy as np

        data = {}
        for name in spec["columns"]:
            wanted, array = spec["dtypes"].get(name), table.data.get(name)
            if wanted in STRING_DTYPES and array is not None and array.dtype.kind == "O":
                data[name] = array
                continue
            if wanted not in NUMERIC_DTYPES or array is not None and array.dtype.kind not in "iufb":
                raise Unsupported(f"the model's input column {name!r} is {wanted}, not numbers or strings")
            wanted = np.dtype(wanted)
            if array is None:
                data[name] = np.zeros(table.rows, dtype=wanted)
            elif wanted.kind in "iu" and array.dtype.kind == "f" and not np.isfinite(array).all():
                raise Unsupported(f"missing values in the model's integer column {name!r}")  # pandas raises
            else:
                data[name] = array.astype(wanted, copy=False)
        return data


STRING_DTYPES = {"object", "str", "string"}
NUMERIC_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"}


class Fitted:
    """A fitted transformer as the notebook fitted it; a DataFrame it is given is first aligned to
    the columns it was fitted on (dummy columns a request lacks are 0)."""

    __slots__ = ("estimator", "numpy")

    def __init__(self, estimator, numpy=False):
        self.estimator = estimator
        #: Its transform gives the same on the frame's float64 values (checked at build, on the data
        #: it was fitted on): skip scikit-learn's DataFrame validation, the larger part of its cost.
        #: ``"arithmetic"``: so does the scaler's own arithmetic on them (``scaled``), which skips
        #: the rest of scikit-learn's per-call validation as well.
        self.numpy = numpy

    def _aligned(self, X):
        names = getattr(self.estimator, "feature_names_in_", None)
        if names is not None and hasattr(X, "reindex") and hasattr(X, "columns") and list(X.columns) != list(names):
            X = X.reindex(columns=list(names), fill_value=0)
        return X

    def transform(self, X, *args, **kwargs):
        if isinstance(X, Table):
            if not self.numpy or args or kwargs:
                raise Unsupported("a transformer without a numpy form")
            values = X.matrix(getattr(self.estimator, "feature_names_in_", None))
            made = scaled(self.estimator, values) if self.numpy == ARITHMETIC else None
            return made if made is not None else _numpy_transform(self.estimator, values)
        X = self._aligned(X)
        if self.numpy and not args and not kwargs and hasattr(X, "to_numpy"):
            values = X.to_numpy(dtype="float64")
            made = scaled(self.estimator, values) if self.numpy == ARITHMETIC else None
            return made if made is not None else _numpy_transform(self.estimator, values)
        return self.estimator.transform(X, *args, **kwargs)

    def predict(self, X, *args, **kwargs):
        return self.estimator.predict(self._aligned(X), *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.estimator, name)


ARITHMETIC = "arithmetic"
SCALERS = {"sklearn.preprocessing._data.StandardScaler", "sklearn.preprocessing._data.MinMaxScaler"}


def scaled(estimator, X):
    """``estimator.transform(X)`` for a fitted StandardScaler or MinMaxScaler (the class itself,
    not a subclass) and a 2-D float64 array, as the arithmetic scikit-learn runs after validating its
    input; None for anything else (another transformer, a width it was not fitted on, infinite
    values, which scikit-learn rejects): then scikit-learn's own transform runs."""
    import numpy as np

    cls = type(estimator)
    if f"{cls.__module__}.{cls.__qualname__}" not in SCALERS or X.ndim != 2 \
            or X.shape[1] != getattr(estimator, "n_features_in_", -1) or np.isinf(X).any():
        return None
    if cls.__name__ == "StandardScaler":
        if estimator.with_mean:
            X = X - estimator.mean_
        if estimator.with_std:
            X = X / estimator.scale_
        return X if X.base is None else X.copy()
    X = X * estimator.scale_ + estimator.min_
    if getattr(estimator, "clip", False):
        np.clip(X, estimator.feature_range[0], estimator.feature_range[1], out=X)
    return X


def _numpy_transform(estimator, values):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "X does not have valid feature names": on purpose
        return estimator.transform(values)


def _fast_form(estimator, X):
    """How ``estimator.transform`` may skip scikit-learn's validation when serving: ``"arithmetic"``
    (``scaled``) or True (the DataFrame's float64 values) when that gives the same array as
    ``transform`` on the DataFrame ``X`` (numeric columns only, a plain array out) on up to 500 of
    its rows; else False."""
    import numpy as np
    import pandas as pd

    try:
        if not isinstance(X, pd.DataFrame) or not all(k in "biuf" for k in X.dtypes.map(lambda d: d.kind)):
            return False
        sample = X.iloc[:500]
        want, values = estimator.transform(sample), sample.to_numpy(dtype="float64")
        if type(want) is not np.ndarray or not same(want, _numpy_transform(estimator, values)):
            return False
        return ARITHMETIC if same(want, scaled(estimator, values)) else True
    except Exception:  # noqa: BLE001 - then the DataFrame path serves
        return False


def _dummy_dtype(result, data):
    """The dtype of the dummy columns ``get_dummies`` made (bool, or uint8 before pandas 2)."""
    old = set(data.columns) if hasattr(data, "columns") else set()
    new = [c for c in result.columns if c not in old]
    return result[new[-1]].dtype if new else None


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
