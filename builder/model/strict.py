"""Strict inputs: values unlike anything training saw are refused instead of only counted.

By default an unknown category or a number outside the training range is predicted on (the model
decides what to make of it) and shows up in the drift counters. With ``NB2SERVICE_STRICT_INPUTS=1``
or ``nb2service serve --strict`` such a value is a 400 naming the column, the row, the value and
what training saw: its categories, or its range. Missing values are left to the model (and to the
data plane's check of columns that had none in training).
"""

from __future__ import annotations

from ..errors import SchemaMismatch

#: At most this many categories are listed in an error (the rest are counted).
SHOWN_CATEGORIES = 20


def check_strict(columns: list, arrays: dict) -> None:
    """Raise ``SchemaMismatch`` for the first value of ``arrays`` (converted columns) outside what
    training saw for its column."""
    found = first_unlike(columns, arrays)
    if found:
        name, text = found
        raise SchemaMismatch(f"{text}; strict inputs are on (NB2SERVICE_STRICT_INPUTS)", field=name)


def first_unlike(columns: list, arrays) -> tuple[str, str] | None:
    """``(column name, "column 'c', row r: value is unlike the training data (what it saw)")`` for
    the first value of ``arrays`` (converted columns: a dict of arrays or a DataFrame) outside what
    training saw for its column; None when every value is like the training data's."""
    for column in columns:
        if column.name not in arrays:
            continue
        values = arrays[column.name]
        values = values.to_numpy() if hasattr(values, "to_numpy") else values
        if column.type in ("integer", "number") and column.min is not None and column.max is not None:
            found = _outside_range(column, values)
        elif column.type == "datetime" and column.min and column.max:
            found = _outside_dates(column, values)
        elif column.type == "string" and column.categories is not None:
            found = _unknown_category(column, values)
        else:
            found = None
        if found:
            row, value, seen = found
            return column.name, f"column '{column.name}', row {row}: {value!r} is unlike the training data ({seen})"
    return None


def _outside_range(column, values):
    import numpy as np

    numbers = values.astype("float64", copy=False)
    outside = (numbers < column.min) | (numbers > column.max)  # NaN compares False: missing passes
    if outside.any():
        row = int(np.nonzero(outside)[0][0])
        return row, values[row].item(), f"training saw values from {column.min} to {column.max}"
    return None


def _outside_dates(column, values):
    import numpy as np

    stamps = values.astype("datetime64[ns]")
    low, high = np.datetime64(column.min[:19]), np.datetime64(column.max[:19])
    outside = ~np.isnat(stamps) & ((stamps < low) | (stamps > high))
    if outside.any():
        row = int(np.nonzero(outside)[0][0])
        return row, str(stamps[row]), f"training saw dates from {column.min} to {column.max}"
    return None


def _unknown_category(column, values):
    categories = column.categories
    for row, value in enumerate(values):
        if isinstance(value, str) and value not in categories:
            known = sorted(categories)
            listed = ", ".join(repr(c) for c in known[:SHOWN_CATEGORIES])
            if len(known) > SHOWN_CATEGORIES:
                listed += f" and {len(known) - SHOWN_CATEGORIES} more"
            return row, value, f"training saw only {listed}"
    return None
