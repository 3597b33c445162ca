"""``features()`` replayed on plain numpy columns, for serving: the same statements, without pandas'
fixed cost per call (on a one-row request that cost is nearly all of ``features()``: about 0.7 ms
for a dozen statements, against tens of µs for the arithmetic itself).

In this mode ``_f.raw`` gives a ``Table`` (``{name: 1-D array}``) instead of a DataFrame, and the
statements run on it as written: ``df['a'] * df['b']``, ``df[c] = ...``, comparisons, ``astype``,
``isna``, and the replay's own calls (``map``, ``apply``, ``fillna``, ``drop``, column selections,
``get_dummies``, a fitted scaler's ``transform``) have numpy forms here. Whatever has none (a
``.str`` accessor, ``.loc``, ``merge``, a dtype these forms do not cover) raises, and the request
is replayed by pandas, from the start (``Replay``).

Nothing here is trusted on its own: the build runs both on its verification rows, each alone and
all at once, and on probes (a missing value and an unseen value in each column); the mode serves
only when every result was identical to pandas' (``builder.model.verify_features``), and
metadata.json says so (``features.columnar``).
"""

from __future__ import annotations

import functools
import numbers
import operator

USED = "used"


class Unsupported(Exception):
    """No numpy form for this statement or these values: pandas replays the request."""


class Column:
    """A column of a ``Table``: a 1-D numpy array and its name (a Series' part the statements use)."""

    __slots__ = ("values", "name")
    __array_priority__ = 1000  # ``2 * column`` and ``array + column`` come here, not to numpy

    def __init__(self, values, name=None):
        self.values = values
        self.name = name

    def __len__(self):
        return len(self.values)

    def __iter__(self):
        return iter(self.values.tolist())

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __bool__(self):
        raise Unsupported("the truth value of a column")

    @property
    def dtype(self):
        return self.values.dtype

    # ---- arithmetic and comparisons, where numpy and pandas agree ----

    def _operand(self, other):
        """``other`` as numpy takes it, where numpy and pandas agree: numbers (booleans only
        with a number: both are then 0 and 1)."""
        if isinstance(other, Column):
            other_kind, other = other.values.dtype.kind, other.values
        elif isinstance(other, bool) or not isinstance(other, numbers.Real):
            raise Unsupported(f"arithmetic with a {type(other).__name__}")
        else:
            other_kind = "f"
        kinds = self.values.dtype.kind + other_kind
        if any(k not in "iufb" for k in kinds) or kinds == "bb":
            raise Unsupported(f"arithmetic on {self.values.dtype} and {getattr(other, 'dtype', type(other))}")
        return other

    def _arith(self, other, op, reflected=False):
        import numpy as np

        other = self._operand(other)
        with np.errstate(all="ignore"):
            made = op(other, self.values) if reflected else op(self.values, other)
        return Column(made)

    def __add__(self, other):
        return self._arith(other, operator.add)

    def __radd__(self, other):
        return self._arith(other, operator.add, True)

    def __sub__(self, other):
        return self._arith(other, operator.sub)

    def __rsub__(self, other):
        return self._arith(other, operator.sub, True)

    def __mul__(self, other):
        return self._arith(other, operator.mul)

    def __rmul__(self, other):
        return self._arith(other, operator.mul, True)

    def __truediv__(self, other):
        return self._arith(other, operator.truediv)

    def __rtruediv__(self, other):
        return self._arith(other, operator.truediv, True)

    def __neg__(self):
        if self.values.dtype.kind not in "if":
            raise Unsupported(f"negating a {self.values.dtype} column")
        return Column(-self.values)

    def _compare(self, other, op):
        import numpy as np

        kind = self.values.dtype.kind
        if kind == "O":  # strings: equality with a string only (missing values compare unequal)
            if not isinstance(other, str) or op not in ("eq", "ne"):
                raise Unsupported("comparing a column of strings other than == or != a string")
            made = np.fromiter((v == other for v in self.values.tolist()), dtype=bool, count=len(self.values))
            return Column(made if op == "eq" else ~made)
        other = self._operand(other)
        with np.errstate(all="ignore"):
            return Column(getattr(operator, op)(self.values, other))

    def __eq__(self, other):
        return self._compare(other, "eq")

    def __ne__(self, other):
        return self._compare(other, "ne")

    def __lt__(self, other):
        return self._compare(other, "lt")

    def __le__(self, other):
        return self._compare(other, "le")

    def __gt__(self, other):
        return self._compare(other, "gt")

    def __ge__(self, other):
        return self._compare(other, "ge")

    __hash__ = None

    def _logical(self, other, op):
        other = other.values if isinstance(other, Column) else other
        if self.values.dtype.kind != "b" or getattr(other, "dtype", None) is None or other.dtype.kind != "b":
            raise Unsupported("& | ^ of columns other than booleans")
        return Column(op(self.values, other))

    def __and__(self, other):
        return self._logical(other, operator.and_)

    def __or__(self, other):
        return self._logical(other, operator.or_)

    def __xor__(self, other):
        return self._logical(other, operator.xor)

    def __invert__(self):
        if self.values.dtype.kind != "b":
            raise Unsupported(f"~ of a {self.values.dtype} column")
        return Column(~self.values)

    # ---- methods ----

    def isna(self):
        import pandas as pd

        return Column(pd.isna(self.values), self.name)

    isnull = isna

    def notna(self):
        import pandas as pd

        return Column(pd.notna(self.values), self.name)

    notnull = notna

    def astype(self, dtype, copy=None, errors="raise"):
        import numpy as np

        target = np.dtype(dtype) if dtype in (int, float, bool) or isinstance(dtype, (str, type, np.dtype)) else None
        kind = self.values.dtype.kind
        if target is None or errors != "raise" or target.kind not in "ifb" or kind not in "iufb" \
                or target.kind == "b" and kind == "f":
            raise Unsupported(f"astype({dtype!r}) of a {self.values.dtype} column")
        if target.kind in "ib" and kind == "f" and not np.isfinite(self.values).all():
            raise Unsupported("astype to integers of missing or infinite values")  # pandas raises
        return Column(self.values.astype(target), self.name)

    def map(self, arg, na_action=None):
        import numpy as np

        from .fast_forms import _mapper

        if na_action is not None or type(arg) is not dict or not arg:
            raise Unsupported("map of anything but a plain dict")
        mapper = _mapper(tuple((k, type(k), v, type(v)) for k, v in arg.items()))
        if mapper is None or not isinstance(mapper[0], np.ndarray) or mapper[0].dtype.kind not in "if":
            raise Unsupported("map to values other than numbers")
        values, positions = mapper
        indexer = np.fromiter((positions.get(v, -1) for v in self.values.tolist()), dtype=np.intp,
                              count=len(self.values))
        if len(indexer) and indexer.min() >= 0:
            return Column(values[indexer], self.name)
        made = values.astype("float64")[indexer]  # pandas' take fills what was not found with NaN
        made[indexer < 0] = np.nan
        return Column(made, self.name)

    def apply(self, func, *args, **kwargs):
        if args or kwargs or not callable(func) or isinstance(func, type) or type(func).__module__ == "numpy":
            raise Unsupported("apply of anything but a plain function")
        if self.values.dtype.kind not in "iufO":
            raise Unsupported(f"apply on a {self.values.dtype} column")
        return Column(typed([func(value) for value in self.values.tolist()]), self.name)

    def fillna(self, value=None, **options):
        if options or value is None:
            raise Unsupported("fillna with options")
        return Column(filled(self.values, value), self.name)


class Table:
    """The request's table as ``{name: 1-D array}`` (a DataFrame's part the statements use); its
    rows are the request's rows, in order."""

    __slots__ = ("data", "rows")

    def __init__(self, data: dict, rows: int):
        self.data = data
        self.rows = rows

    def __len__(self):
        return self.rows

    def __iter__(self):
        return iter(list(self.data))

    def __contains__(self, name):
        return name in self.data

    def __bool__(self):
        raise Unsupported("the truth value of a table")

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        if dtype is None:  # as a DataFrame's values: the columns' common dtype
            kinds = [a.dtype for a in self.data.values()]
            dtype = np.result_type(*kinds) if kinds else "float64"
        return self.matrix(None, dtype)

    def __getitem__(self, key):
        if isinstance(key, str):
            return Column(self.data[key], key)
        if type(key) is list and key and all(isinstance(k, str) for k in key):
            return Table({k: self.data[k] for k in key}, self.rows)
        raise Unsupported(f"a table indexed by {type(key).__name__}")

    def __setitem__(self, key, value):
        import numpy as np

        if not isinstance(key, str):
            raise Unsupported("a column set by something other than its name")
        if isinstance(value, Column):
            value = value.values
        elif isinstance(value, Table) and len(value.data) == 1:  # df['a'] = df[['a']].fillna(...)
            value = next(iter(value.data.values()))
        elif isinstance(value, np.ndarray):
            if value.ndim != 1 or value.dtype.kind not in "iufb":
                raise Unsupported("a column set from an array other than 1-D numbers")
        elif isinstance(value, (bool, int, float, str)):
            value = np.full(self.rows, value, dtype=object if isinstance(value, str) else None)
        else:
            raise Unsupported(f"a column set from a {type(value).__name__}")
        if len(value) != self.rows:
            raise Unsupported("a column of another length")
        self.data[key] = value

    @property
    def columns(self):
        raise Unsupported("a table's columns")  # an Index in pandas: its operations are not covered

    @property
    def loc(self):
        return _Loc(self)

    @property
    def iloc(self):
        return _ILoc(self)

    def select(self, columns):
        return self[columns]

    def drop(self, labels=None, *, inplace=False, **options):
        """``drop`` of columns the table has (``inplace``: from this table, returning None)."""
        from .fast_forms import dropped_columns

        names = dropped_columns(labels, **options)
        if names is None or not all(name in self.data for name in names):
            raise Unsupported("a drop of rows, or of columns the table lacks")
        gone = set(names)
        kept = {k: v for k, v in self.data.items() if k not in gone}
        if inplace:
            self.data = kept
            return None
        return Table(kept, self.rows)

    def fillna(self, value=None, **options):
        from .fast_forms import fill_values

        value = fill_values(value) if value is not None else None
        if options or value is None:
            raise Unsupported("fillna with options, a list or values of repeated names")
        data = {}
        for name, array in self.data.items():
            fill = value.get(name, _NONE) if isinstance(value, dict) else value
            data[name] = array if fill is _NONE else filled(array, fill)
        return Table(data, self.rows)

    def dummies(self, levels: dict, made_dtype, prefix=None, prefix_sep="_", dummy_na=False, columns=None,
                sparse=False, drop_first=False, dtype=None, **other):
        """``pd.get_dummies`` of this table for the recorded ``levels`` (as ``fast_dummies``)."""
        import numpy as np

        from .fast_forms import dummy_columns

        if other or dummy_na or sparse or made_dtype is None or not all(name in self.data for name in levels):
            raise Unsupported("get_dummies with these options")
        made = {k: v for k, v in self.data.items() if k not in levels}
        for name, dummies in dummy_columns(levels, prefix, prefix_sep, drop_first):
            values = np.asarray(self.data[name], dtype=object)
            for column, level in dummies:
                made[column] = (values == level).astype(made_dtype)
        return Table(made, self.rows)

    def matrix(self, names, dtype="float64"):
        """A 2-D array of the columns ``names`` (all, in order, for None) as ``dtype``; a name the
        table lacks is a column of 0 (as the replay aligns a frame to a transformer's columns)."""
        import numpy as np

        names = list(self.data) if names is None else list(names)
        out = np.zeros((self.rows, len(names)), dtype=dtype)
        for j, name in enumerate(names):
            array = self.data.get(name)
            if array is None:
                continue
            if array.dtype.kind not in "iufb":
                raise Unsupported(f"a matrix of the {array.dtype} column {name!r}")
            out[:, j] = array
        return out


class _Loc:
    """``table.loc[rows, name] = value``: a column's values where a boolean column is True set to a
    value its dtype holds as it is (pandas would otherwise change the dtype)."""

    __slots__ = ("table",)

    def __init__(self, table: Table):
        self.table = table

    def __getitem__(self, key):
        raise Unsupported("reading through .loc")

    def __setitem__(self, key, value):
        import numpy as np

        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], Column) and isinstance(key[1], str)):
            raise Unsupported(".loc set other than [boolean column, column name]")
        rows, name = key
        array = self.table.data.get(name)
        if array is None or rows.values.dtype.kind != "b" or len(rows.values) != self.table.rows:
            raise Unsupported(".loc set of a new column, or by something other than a boolean column")
        if not _holds(array.dtype.kind, value):
            raise Unsupported(f".loc set of a {type(value).__name__} into a {array.dtype} column")
        made = array.copy()
        made[rows.values] = value
        self.table.data[name] = made if array.dtype.kind != "O" else strings(made)
        return None


def _holds(kind: str, value) -> bool:
    """A value of this type goes into an array of this kind unchanged (no new dtype in pandas)."""
    if kind == "O":
        return isinstance(value, str)
    if kind == "b":
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return kind == "f" or kind in "iu" and isinstance(value, numbers.Integral)


class _ILoc:
    """``table.iloc[:, columns]``: every row, the columns at these positions (a slice or a list)."""

    __slots__ = ("table",)

    def __init__(self, table: Table):
        self.table = table

    def __getitem__(self, key):
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] == slice(None)):
            raise Unsupported(".iloc other than [:, columns]")
        names = list(self.table.data)
        which = key[1]
        if isinstance(which, slice):
            chosen = names[which]
        elif type(which) is list and all(type(i) is int for i in which):
            chosen = [names[i] for i in which]
        else:
            raise Unsupported(".iloc columns other than a slice or a list of positions")
        return Table({name: self.table.data[name] for name in chosen}, self.table.rows)

    def __setitem__(self, key, value):
        raise Unsupported("setting through .iloc")


_NONE = object()


def filled(array, value):
    """``array`` with its missing values replaced by ``value``, as a Series' ``fillna`` types it."""
    import numpy as np
    import pandas as pd

    kind = array.dtype.kind
    if kind in "iub":
        return array  # nothing missing to fill
    if kind == "f":
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise Unsupported(f"fillna of numbers with a {type(value).__name__}")
        return np.where(np.isnan(array), value, array)
    if kind == "O" and isinstance(value, str):
        missing = pd.isna(array)
        if not missing.any():
            return array
        made = array.copy()
        made[missing] = value
        return made
    raise Unsupported(f"fillna of a {array.dtype} column with a {type(value).__name__}")


def typed(values: list):
    """The results of a function applied to each value, as the array pandas would hold: strings
    (missing ones as pandas holds them), integers, floats or booleans; anything else is left to
    pandas."""
    import numpy as np

    kinds = {type(v) for v in values}
    if kinds <= {str, float} and str in kinds:
        if float in kinds and any(v == v for v in values if type(v) is float):
            raise Unsupported("strings mixed with numbers")
        return strings(np.array(values, dtype=object))
    if kinds == {bool}:
        return np.array(values, dtype=bool)
    if kinds == {int}:
        try:
            return np.array(values, dtype="int64")
        except OverflowError:
            raise Unsupported("integers beyond int64") from None
    if kinds and kinds <= {int, float}:
        return np.array(values, dtype="float64")
    raise Unsupported(f"results of types {sorted(k.__name__ for k in kinds)}")


def strings(array):
    """An object array of strings with its missing values as pandas holds a column of strings'
    (NaN where pandas infers its string dtype, else as given)."""
    import pandas as pd

    missing = _string_missing()
    if missing is None:
        return array
    gaps = pd.isna(array)
    if gaps.any():
        array = array.copy()
        array[gaps] = missing
    return array


@functools.lru_cache(maxsize=None)
def _string_missing():
    """The missing value of a column of strings, as pandas holds it (NaN for its string dtype;
    None where object columns keep what they were given)."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.array(["a", None], dtype=object)).to_numpy(dtype=object)[1]


def table_of(columns: dict, rows: int) -> Table:
    """The request's ``{name: fresh array}`` as a ``Table``: a column of strings holds its missing
    values as pandas would; any other object column is left to pandas."""
    data = {}
    for name, array in columns.items():
        if array.dtype.kind == "O":
            if any(not isinstance(v, str) for v in array.tolist() if v is not None and v == v):
                raise Unsupported(f"column {name!r} holds values other than strings")
            array = strings(array)
        elif array.dtype.kind not in "iufb":
            raise Unsupported(f"column {name!r} is {array.dtype}")
        data[name] = array
    return Table(data, rows)


class Replay:
    """``features(raw)`` as the service calls it: on numpy columns where the build found that
    identical to pandas (``columnar``), with pandas replaying any request it does not cover.
    ``as_columns``: a model fitted on a DataFrame gets ``{column: array}`` from the numpy columns
    instead of a DataFrame (the ONNX fast path takes that, and would take the frame apart again)."""

    def __init__(self, features, frozen, columnar: bool, as_columns: bool = False):
        self.features = features
        self.frozen = frozen
        self.columnar = columnar
        self.as_columns = as_columns

    def __call__(self, raw):
        if self.columnar:
            try:
                return self.on_columns(raw, self.as_columns)
            except Exception:  # noqa: BLE001 - not covered here: pandas' answer (or pandas' error)
                pass
        return self.features(raw)

    def on_columns(self, raw, as_columns: bool = False):
        """``features(raw)`` on numpy columns; raises where that is not covered."""
        self.frozen.columnar(True, as_columns)
        try:
            return self.features(raw)
        finally:
            self.frozen.columnar(False)
