"""Faster forms of a few pandas statements, for serving one request at a time.

On a one-row request pandas' fixed cost per call dominates: ``Series.map(dict)`` builds a Series of
the dict and a hash table of its keys on every call (about 110 µs on pandas 3), ``DataFrame.drop``
goes through its general label machinery (about 150 µs), ``get_dummies`` through concat. The forms
here give the same objects with less machinery. None of them is trusted on its own: the build's
recording run (``runtime.Recorder``) calls pandas' own method, then the fast form on the same input
(the whole table) and on probes (a value the notebook never saw, a missing value), and the serving
side (``runtime.Frozen``) uses a site's fast form only where every one of them was identical
(``same``: values, dtypes, index, names). Each returns None for what it does not cover; then pandas
serves.
"""

from __future__ import annotations

import functools

_NONE = object()


def same(want, got) -> bool:
    """``got`` is ``want``: same type, values (NaN equal to NaN), dtypes, index and names (arrays:
    dtype, shape and values; lists: equal)."""
    import numpy as np
    import pandas as pd

    if type(want) is not type(got):
        return False
    if isinstance(want, np.ndarray):
        return want.dtype == got.dtype and want.shape == got.shape \
            and bool(np.array_equal(want, got, equal_nan=want.dtype.kind in "fc"))
    if isinstance(want, list):
        return want == got
    if isinstance(want, pd.Series):
        return want.dtype == got.dtype and want.name == got.name and want.index.equals(got.index) \
            and want.equals(got)
    if isinstance(want, pd.DataFrame):
        return want.columns.equals(got.columns) and list(want.dtypes) == list(got.dtypes) \
            and want.index.equals(got.index) and want.equals(got)
    return False


def fast_map(series, arg, na_action=None):
    """``series.map(arg)`` for a Series and a plain, non-empty dict without a missing-value key, as
    pandas computes it (the dict as a Series, each value's position among its keys, a take that
    fills the values not found with NaN), with the dict's Series and positions made once per dict."""
    import numpy as np
    import pandas as pd

    if na_action is not None or type(arg) is not dict or not arg or not isinstance(series, pd.Series):
        return None
    try:
        mapper = _mapper(tuple((k, type(k), v, type(v)) for k, v in arg.items()))
        if mapper is None:
            return None
        values, positions = mapper
        found = series.to_numpy()
        indexer = np.fromiter((positions.get(v, -1) for v in found), dtype=np.intp, count=len(found))
    except TypeError:  # an unhashable value or key
        return None
    if isinstance(values, np.ndarray) and len(indexer) and indexer.min() >= 0:
        made = values[indexer]  # every value found: the take without its fill (and its checks)
    else:
        made = pd.api.extensions.take(values, indexer, allow_fill=True)
    return pd.Series(made, index=series.index, name=series.name, copy=False)


@functools.lru_cache(maxsize=256)
def _mapper(items: tuple):
    """``(values as pandas holds them, key -> position)`` of the dict whose ``(key, type, value,
    type)`` items these are; None when a key is NaN (pandas matches NaN to NaN, a dict does not)."""
    import pandas as pd

    if any(k != k for k, *_ in items):
        return None
    mapper = pd.Series(dict((k, v) for k, _, v, _ in items))
    return mapper._values, {k: i for i, k in enumerate(mapper.index)}


def fast_apply(series, func, *args, **kwargs):
    """``series.apply(func)`` for a Series of numbers, strings or objects and a plain function: the
    function called on each value as a Python object, the results typed as pandas types them."""
    import pandas as pd

    if args or kwargs or not isinstance(series, pd.Series) or not len(series) or not callable(func) \
            or isinstance(func, type) or type(func).__module__ == "numpy":
        return None
    if not (series.dtype.kind in "biufO" or pd.api.types.is_string_dtype(series.dtype)):
        return None
    made = [func(value) for value in series.to_numpy().tolist()]
    return pd.Series(made, index=series.index, name=series.name)


def fast_fillna(frame, value=None, **options):
    """``frame.fillna(value)`` for a DataFrame and a scalar, dict or Series of values per column
    (``df.fillna(df.mean())``, frozen at its training values), as pandas fills it: each column that
    has a value and a missing entry is filled by its own ``fillna``; the others are copied."""
    import numpy as np
    import pandas as pd

    if options or value is None or not isinstance(frame, pd.DataFrame) or not frame.columns.is_unique:
        return None
    value = fill_values(value)
    if value is None:
        return None
    arrays = []
    for i, name in enumerate(frame.columns):
        array = column_array(frame, i)
        fill = value.get(name, _NONE) if isinstance(value, dict) else value
        if fill is _NONE or not pd.isna(array).any():
            arrays.append(array.copy())
        else:
            filled = pd.Series(array, copy=True).fillna(fill)
            arrays.append(filled.to_numpy() if isinstance(filled.dtype, np.dtype) else filled.array)
    return typed_frame(arrays, frame.columns, frame.index)


def fill_values(value):
    """``fillna``'s value as a scalar or ``{column: value}`` (a Series of values per column made a
    dict); None for what the faster forms leave to pandas (a list, repeated names)."""
    import pandas as pd

    if isinstance(value, pd.Series):
        return dict(value.items()) if value.index.is_unique else None
    if not isinstance(value, dict) and pd.api.types.is_list_like(value):
        return None
    return value


def fast_select(frame, columns):
    """``frame[columns]`` for a DataFrame and a list of its columns: a frame of copies of their
    arrays, in that order (pandas' take over every block costs several times more on one row)."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or type(columns) is not list or not columns or not frame.columns.is_unique:
        return None
    present = {name: i for i, name in enumerate(frame.columns)}
    try:
        positions = [present[name] for name in columns]
    except (KeyError, TypeError):  # a missing or unhashable label: pandas says what is wrong
        return None
    return typed_frame([column_array(frame, i).copy() for i in positions], frame.columns.take(positions), frame.index)


def fast_drop(frame, labels=None, **options):
    """``frame.drop(...)`` of columns of a DataFrame (``drop('c', axis=1)``, ``drop(columns=[...])``),
    each present once, as a new frame of copies of the other columns' arrays."""
    import pandas as pd

    names = dropped_columns(labels, **options)
    if names is None or not isinstance(frame, pd.DataFrame):
        return None
    present = list(frame.columns)
    if not frame.columns.is_unique or not all(name in present for name in names):
        return None
    gone = sorted({present.index(name) for name in names})  # (pandas' get_indexer costs 70 µs here)
    arrays = [column_array(frame, i).copy() for i in range(len(present)) if i not in gone]
    return typed_frame(arrays, frame.columns.delete(gone), frame.index)


def dropped_columns(labels=None, *, axis=0, index=None, columns=None, level=None, inplace=False, errors="raise"):
    """The column names a ``drop(...)`` call removes (``drop('c', axis=1)``, ``drop(columns=[...])``);
    None for a call that drops rows, works in place, on a level, or ignores missing names."""
    import pandas as pd

    if inplace or level is not None or index is not None or errors != "raise":
        return None
    if columns is None:
        if axis not in (1, "columns") or labels is None:
            return None
        columns = labels
    elif labels is not None:
        return None
    return [columns] if isinstance(columns, str) or not pd.api.types.is_list_like(columns) else list(columns)


def fast_dummies(data, levels: dict, made_dtype, prefix=None, prefix_sep="_", dummy_na=False, columns=None,
                 sparse=False, drop_first=False, dtype=None, **other):
    """``pd.get_dummies(data, ...)`` for a DataFrame and the recorded ``levels``, with numpy
    comparisons; None for what it does not cover (a Series, ``dummy_na``, ``sparse``)."""
    import numpy as np
    import pandas as pd

    if other or dummy_na or sparse or not isinstance(data, pd.DataFrame) or made_dtype is None:
        return None
    # one DataFrame of the kept columns' own arrays and the dummies (a drop and a concat cost
    # several times more on a few rows); get_dummies puts the dummies after the kept columns
    made, encoded = {}, {}
    for i, name in enumerate(data.columns):
        if name in levels:
            encoded[name] = i
        else:
            made[name] = column_array(data, i).copy()
    for name, dummies in dummy_columns(levels, prefix, prefix_sep, drop_first):
        values = np.asarray(column_array(data, encoded[name]), dtype=object)
        for column, level in dummies:
            made[column] = (values == level).astype(made_dtype)
    return typed_frame(list(made.values()), index_of(tuple(made)), data.index)


def dummy_columns(levels: dict, prefix, prefix_sep, drop_first: bool) -> list:
    """``[(encoded column, [(dummy column name, level), ...]), ...]`` as ``get_dummies`` names them."""
    names = list(levels)
    if isinstance(prefix, str) or prefix is None:
        prefixes = [prefix if prefix is not None else name for name in names]
    elif isinstance(prefix, dict):
        prefixes = [prefix[name] for name in names]
    else:
        prefixes = list(prefix)
    seps = [prefix_sep[name] for name in names] if isinstance(prefix_sep, dict) else [prefix_sep] * len(names)
    return [(name, [(f"{pre}{sep}{level}", level) for level in levels[name][1 if drop_first else 0:]])
            for name, pre, sep in zip(names, prefixes, seps)]


@functools.lru_cache(maxsize=256)
def index_of(names: tuple):
    """``pd.Index(names)``, made once per tuple of names (an Index cannot change: frames share it)."""
    import pandas as pd

    return pd.Index(list(names))


def new_frame(columns: dict, index):
    """``pd.DataFrame(columns, index=index)`` for ``{name: array}`` of fresh arrays, which it may
    keep rather than copy into consolidated blocks: one block per column, so that the statements
    replacing a column (``df["x"] = ...``) need not split a block (about 5% less per request)."""
    import pandas as pd

    return pd.DataFrame(columns, index=index, copy=False)


def typed_frame(arrays: list, columns, index):
    """A DataFrame of fresh arrays that already have their pandas dtypes (a frame's own column
    arrays, numpy results), without the constructor's inference and checks (a third of its cost);
    the constructor where pandas lacks that entry point."""
    import pandas as pd

    make = getattr(pd.DataFrame, "_from_arrays", None)
    if make is not None:
        try:
            return make(arrays, columns=columns, index=index, verify_integrity=False)
        except TypeError:  # an older signature
            pass
    return new_frame(dict(zip(columns, arrays)), index)


def column_array(data, i: int):
    """The array of ``data``'s i-th column (without making a Series where pandas can)."""
    get = getattr(data, "_get_column_array", None)
    return get(i) if get is not None else data.iloc[:, i].array


def frame_probes(frame) -> list:
    """A one-row frame like ``frame`` with every value missing (numbers become floats, as a
    request's missing numbers do)."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or not len(frame):
        return []
    return [frame.iloc[:1].where(pd.DataFrame(False, index=frame.index[:1], columns=frame.columns))]


def probes_like(obj) -> list:
    """One-row probes like ``obj`` (a frame: ``frame_probes``; a Series: ``map_probes``)."""
    import pandas as pd

    return frame_probes(obj) if isinstance(obj, pd.DataFrame) else map_probes(obj)


def map_probes(series) -> list:
    """One-row Series like ``series`` holding a value the notebook never had and a missing value
    (as its dtype can hold them): where a fast form and pandas must also agree."""
    import numpy as np
    import pandas as pd

    probes = []
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    for value in ((-987654321, np.nan) if numeric else ("\x00nb2service probe", np.nan, None)):
        try:
            probe = pd.Series([value], index=series.index[:1] if len(series) else None, name=series.name)
            probes.append(probe.astype(series.dtype))
        except (TypeError, ValueError):  # the dtype cannot hold it
            continue
    return probes


#: The replay sites with a faster form, and where the build recorded whether it was identical.
SITES = {"map": "fast", "drop": "fast", "apply": "fast", "fillna": "fast", "select": "fast",
         "dummies": "fast_dummies", "fitted": "fast_fitted"}


def report(state: dict, stmts) -> list[dict]:
    """For metadata.json: each call of ``features.py`` with a faster form, its statement, and whether
    serving uses that form (every time the build ran the call, identical to pandas or scikit-learn)."""
    import ast

    out = []
    for st in stmts:
        for node in ast.walk(st.node):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "_f"
                    and node.func.attr in SITES and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            flags = [f for f in state.get(SITES[node.func.attr], {}).get(node.args[0].value) or [] if f is not None]
            if not flags or node.func.attr == "fitted" and not any(flags):
                continue  # no faster form covers the call (a transformer without one, a Series' fillna...)
            out.append({"call": {"dummies": "get_dummies", "fitted": "transform", "select": "[columns]"}.get(
                            node.func.attr, node.func.attr),
                        "statement": " ".join(ast.unparse(st.node).split())[:200],
                        "used": all(flags)})
    return out
