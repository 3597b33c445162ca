"""Turn request data into the model's input, using the schema recorded at build time.

The schema is compiled once (``InputSchema.from_metadata``); each request then converts column by
column into numpy arrays and, for models fitted on DataFrames, one DataFrame with the training
dtypes. Every problem is a ``RequestError`` naming the field and what was expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import RequestError, SchemaMismatch

KINDS = ("dataframe", "array", "text")
PLAIN_NUMBERS = (int, float, type(None))
TRUE = {"true", "1", "yes", "t", "y"}
FALSE = {"false", "0", "no", "f", "n"}


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


@dataclass
class Column:
    """One input: its name, JSON type (integer, number, string, boolean, datetime) and training dtype."""

    name: str
    type: str
    dtype: str = ""
    nullable: bool = True
    categories: frozenset | None = None
    min: float | None = None
    max: float | None = None
    #: How the training data held a missing string: NaN (pandas' reading of an empty cell) or None
    #: (an object column built from Python values), which scikit-learn treats as a value of its own.
    missing_is_none: bool = False

    def convert(self, values: list, np):
        """Return a numpy array of ``values`` in this column's type, or raise RequestError."""
        convert = getattr(self, f"_{self.type}", self._string)
        return convert(values, np)

    def _fail(self, row: int, value: Any, expected: str):
        raise RequestError(
            f"column '{self.name}', row {row}: expected {expected}, got {value!r}", field=self.name
        )

    def _number(self, values, np):
        if all(type(v) in PLAIN_NUMBERS for v in values):  # the common case, in one numpy call
            fast = np.array(values, dtype="float64")  # None -> NaN
            if not np.isinf(fast).any():  # else the loop below names the row with the infinite value
                return fast
        out = np.empty(len(values), dtype="float64")
        for i, v in enumerate(values):
            if _is_missing(v):
                out[i] = np.nan
            elif isinstance(v, bool):
                out[i] = float(v)
            elif isinstance(v, (int, float)):
                out[i] = v
            else:
                try:
                    out[i] = float(v)
                except (TypeError, ValueError, OverflowError):
                    self._fail(i, v, "a number")
        if np.isinf(out).any():  # 1e400, "inf", Infinity: no model takes them, so it is the client's mistake
            row = int(np.nonzero(np.isinf(out))[0][0])
            self._fail(row, values[row], "a finite number")
        return out

    def _integer(self, values, np):
        if all(type(v) is int for v in values):
            try:
                return np.asarray(values, dtype="int64")
            except OverflowError:  # beyond 64 bits: the checks below name the row
                pass
        out = self._number(values, np)
        finite = out[~np.isnan(out)]
        if finite.size and not np.all(finite == np.floor(finite)):
            row = int(np.nonzero(~np.isnan(out) & (out != np.floor(out)))[0][0])
            self._fail(row, values[row], "a whole number")
        if finite.size and (np.abs(finite) >= 2.0 ** 63).any():
            row = int(np.nonzero(np.abs(np.nan_to_num(out)) >= 2.0 ** 63)[0][0])
            self._fail(row, values[row], "a whole number within the 64-bit range")
        if np.isnan(out).any():
            return out  # missing values: float with NaN, as pandas reads such a column
        return out.astype("int64")

    def _boolean(self, values, np):
        out = []
        for i, v in enumerate(values):
            if isinstance(v, bool) or v in (0, 1):
                out.append(bool(v))
            elif isinstance(v, str) and v.strip().lower() in TRUE | FALSE:
                out.append(v.strip().lower() in TRUE)
            elif _is_missing(v):
                out.append(np.nan)
            else:
                self._fail(i, v, "true or false")
        return np.asarray(out, dtype=object if any(isinstance(v, float) for v in out) else bool)

    def _string(self, values, np):
        out = np.empty(len(values), dtype=object)
        if all(type(v) is str for v in values):  # the common case
            out[:] = values
            return out
        missing = None if self.missing_is_none else np.nan
        for i, v in enumerate(values):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                out[i] = missing
            elif isinstance(v, str):
                out[i] = v
            elif isinstance(v, (bool, int, float)):
                out[i] = str(v)
            else:
                self._fail(i, v, "a string")
        return out

    def _datetime(self, values, np):
        import pandas as pd

        try:
            return pd.to_datetime(values).to_numpy()
        except (TypeError, ValueError) as exc:
            raise RequestError(f"column '{self.name}': expected ISO dates or times ({exc})", field=self.name)


@dataclass
class InputSchema:
    """The inputs recorded in metadata.json, compiled for converting requests."""

    kind: str
    columns: list[Column]
    dtypes: dict = field(default_factory=dict)
    #: DataFrame models: build one DataFrame (True) or hand over ``{column: array}`` (False, the
    #: fast path, which feeds the arrays to onnxruntime without pandas).
    frames: bool = True
    #: Strict mode (``NB2SERVICE_STRICT_INPUTS``): unknown categories and values outside the
    #: training range are a 400 instead of only a drift signal (``builder.model.strict``).
    strict: bool = False

    @classmethod
    def from_metadata(cls, meta: dict) -> "InputSchema":
        kind = meta["input_kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown input_kind {kind!r}")
        columns = [
            Column(
                name=c["name"], type=c["type"], dtype=c.get("dtype", ""), nullable=c.get("nullable", True),
                categories=frozenset(c["categories"]) if c.get("categories") is not None else None,
                min=c.get("min"), max=c.get("max"), missing_is_none=c.get("missing_value") == "None",
            )
            for c in meta["inputs"]
        ]
        return cls(kind, columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    # -- the three shapes requests come in ------------------------------------------------------

    def from_records(self, records: list) -> Any:
        """Rows as objects keyed by column name (or, for array and text models, lists / strings)."""
        self._check_batch(records)
        if self.kind == "text":
            return self._text([r.get(self.columns[0].name) if isinstance(r, dict) else r for r in records])
        if all(isinstance(r, dict) for r in records):
            first = records[0]
            if first and type(next(iter(first.values()))) is list and all(isinstance(v, list) for v in first.values()):
                # KServe V1's columnar records, {"col": [values], ...}
                return self.from_columns(self._column_blocks(records))
            try:
                columns = {name: [r[name] for r in records] for name in self.names}
            except KeyError:  # only then look for every column the first incomplete row lacks
                row, record = next((i, r) for i, r in enumerate(records) if not all(n in r for n in self.names))
                raise missing_columns([c for c in self.columns if c.name not in record], row) from None
            return self.from_columns(columns)
        if all(isinstance(r, (list, tuple)) for r in records):
            return self.from_rows(records)
        raise RequestError("each row must be an object keyed by column name" +
                           (" or a list of values in schema order" if self.kind == "array" else ""),
                           field="instances")

    def from_rows(self, rows: list, names: list | None = None, names_field: str = "data.names") -> Any:
        """Rows as lists, in ``names`` order (default: the schema's order); ``names_field`` is the
        request field that gave the names, for the error when they are not strings."""
        self._check_batch(rows)
        if self.kind == "text":
            return self._text([r[0] if isinstance(r, (list, tuple)) and len(r) == 1 else r for r in rows])
        if names is None:
            names = self.names
        else:
            names = list(names)
            bad = next((n for n in names if not isinstance(n, str)), None)
            if bad is not None:
                raise RequestError(f"column names must be strings, got {bad!r}", field=names_field)
        if self.kind == "array" and names == self.names:
            fast = self._numeric_rows(rows)
            if fast is not None:
                return fast
        width = len(names)
        for i, row in enumerate(rows):
            if not isinstance(row, (list, tuple)) or len(row) != width:
                got = len(row) if isinstance(row, (list, tuple)) else type(row).__name__
                raise RequestError(f"row {i}: expected a list of {width} values ({', '.join(map(str, names))}), got {got}",
                                   field="data")
        columns = {name: [row[j] for row in rows] for j, name in enumerate(names)}
        return self.from_columns(columns)

    def from_columns(self, columns: dict) -> Any:
        """Columns as ``{name: [values...]}``; extra columns are ignored."""
        import numpy as np

        if self.kind == "text":
            name = self.columns[0].name
            if name not in columns:
                raise RequestError(f"missing input '{name}' (text)", field=name)
            return self._text(list(columns[name]))
        lengths = set()
        arrays = {}
        for col in self.columns:
            if col.name not in columns:  # name every missing column, not only this one
                raise missing_columns([c for c in self.columns if c.name not in columns])
            values = columns[col.name]
            if not isinstance(values, (list, tuple)):
                values = [values]
            lengths.add(len(values))
            arrays[col.name] = col.convert(list(values), np)
        if len(lengths) > 1:
            raise RequestError(f"columns have different lengths: {sorted(lengths)}", field="inputs")
        if lengths == {0}:
            raise SchemaMismatch("the batch is empty: send at least one row", field="instances")
        if self.strict:
            from .strict import check_strict

            check_strict(self.columns, arrays)
        if self.kind == "array":
            return np.column_stack([arrays[c.name].astype("float64") for c in self.columns])
        return self._frame(arrays) if self.frames else arrays

    def as_model_input(self, model_input: Any) -> Any:
        """What the scikit-learn model takes: the fast path's ``{column: array}`` as a DataFrame."""
        return self._frame(model_input) if isinstance(model_input, dict) else model_input

    # -- helpers ---------------------------------------------------------------------------------

    def _frame(self, arrays: dict):
        import pandas as pd

        frame = pd.DataFrame(arrays, columns=self.names)
        for col in self.columns:
            if col.dtype == "category":
                frame[col.name] = pd.Categorical(frame[col.name], categories=sorted(col.categories or ()))
        return frame

    def _text(self, values: list) -> list:
        name = self.columns[0].name
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise RequestError(f"'{name}', row {i}: expected a string, got {v!r}", field=name)
        return values

    def _numeric_rows(self, rows: list):
        """Rows of plain numbers straight to a 2-D float array (None -> NaN), or None to take the
        column-by-column path, which names the culprit of any problem."""
        import numpy as np

        first = rows[0]
        if not isinstance(first, (list, tuple)) or not all(type(v) in (int, float) or v is None for v in first):
            return None
        try:
            array = np.asarray(rows, dtype="float64")
        except (TypeError, ValueError, OverflowError):
            return None
        if np.isinf(array).any():
            return None
        return array if array.ndim == 2 and array.shape[1] == len(self.columns) else None

    @staticmethod
    def _check_batch(rows) -> None:
        if not isinstance(rows, (list, tuple)):
            raise RequestError("expected a list of rows", field="instances")
        if not rows:
            raise SchemaMismatch("the batch is empty: send at least one row", field="instances")

    def _column_blocks(self, records: list) -> dict:
        """KServe V1's columnar records, ``[{"col": [v, ...], ...}, ...]``: each record holds
        columns of equal length, and the blocks follow one another (as KServe concatenates them)."""
        columns: dict = {}
        for i, record in enumerate(records):
            lengths = {len(v) if isinstance(v, list) else -1 for v in record.values()}
            if -1 in lengths or len(lengths) > 1:
                raise RequestError(f"instances[{i}]: a record of columns needs a list of the same length for every "
                                   "column (KServe's {\"column\": [values]} form)", field="instances")
            for name, values in record.items():
                columns.setdefault(name, []).extend(values)
        missing = [c for c in self.columns if c.name not in columns]
        if missing:
            raise missing_columns(missing)
        if len({len(v) for v in columns.values()}) > 1:
            raise RequestError("instances: the records of columns do not all name the same columns",
                               field="instances")
        return columns


def missing_columns(missing: list[Column], row: int | None = None) -> SchemaMismatch:
    """One error naming every missing column and its type; ``field`` is the first of them."""
    listed = ", ".join(f"'{c.name}' ({c.type})" for c in missing)
    where = f" in row {row}" if row is not None else ""
    noun = "column" if len(missing) == 1 else f"{len(missing)} columns"
    return SchemaMismatch(f"missing {noun}{where}: {listed}", field=missing[0].name)
