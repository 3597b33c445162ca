"""Drift signals: each batch compared with the training schema recorded in metadata.json.

Per input feature: values outside the training range (numbers, integers, dates), categories never
seen in training (strings), and missing values. Compiled once from the schema; per batch the work
is a few vectorised numpy operations per numeric column and one set lookup per string value.
"""

from __future__ import annotations

import math

OUT_OF_RANGE, UNSEEN, MISSING = "out_of_range", "unseen_category", "missing"


class DriftCheck:
    """``count(model_input)`` -> ``[(feature, signal, rows), ...]`` for the signals that fired."""

    def __init__(self, schema):
        self.kind = schema.kind
        self.columns = list(schema.columns)

    def count(self, model_input) -> list[tuple[str, str, int]]:
        if self.kind == "text":
            empty = sum(1 for text in model_input if not text.strip())
            return [(self.columns[0].name, MISSING, empty)] if empty else []
        found = []
        for j, column in enumerate(self.columns):
            values = model_input[:, j] if self.kind == "array" else model_input[column.name]
            values = values.to_numpy() if hasattr(values, "to_numpy") else values  # a DataFrame or {name: array}
            found.extend((column.name, signal, n) for signal, n in _column_signals(column, values) if n)
        return found

    def missing_in_non_nullable(self, model_input) -> str | None:
        """The first column that has missing values although training had none (or None)."""
        for feature, signal, _ in self.count(model_input):
            column = next(c for c in self.columns if c.name == feature)
            if signal == MISSING and not column.nullable:
                return feature
        return None


def _column_signals(column, values):
    import numpy as np

    if column.type in ("integer", "number") and values.dtype.kind in "biuf":
        values = values.astype("float64", copy=False)
        missing = int(np.isnan(values).sum())
        outside = 0
        if column.min is not None and column.max is not None:
            outside = int(((values < column.min) | (values > column.max)).sum())
        return [(MISSING, missing), (OUT_OF_RANGE, outside)]
    if column.type == "datetime":
        stamps = values.astype("datetime64[ns]")
        missing = int(np.isnat(stamps).sum())
        outside = 0
        if column.min and column.max:
            low, high = np.datetime64(column.min[:19]), np.datetime64(column.max[:19])
            outside = int(((stamps < low) | (stamps > high)).sum())
        return [(MISSING, missing), (OUT_OF_RANGE, outside)]
    missing = sum(1 for v in values if v is None or (isinstance(v, float) and math.isnan(v)))
    unseen = 0
    if column.type == "string" and column.categories is not None:
        categories = column.categories
        unseen = sum(1 for v in values if isinstance(v, str) and v not in categories)
    return [(MISSING, missing), (UNSEEN, unseen)]
