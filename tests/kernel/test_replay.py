"""Pieces of the kernel-side replay that need no kernel: which fit call fitted the model, which raw
columns the path reads, whether an array is the table's own columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from builder.kernel import replay


def test_a_model_fitted_where_it_is_made_is_found_by_the_name_it_is_assigned_to():
    code = "svc_rbf = SVC(kernel='rbf').fit(X_train, y_train)\nsvc_poly = SVC(kernel='poly').fit(X_train, y_train)"
    model = object()
    call, line = replay._fit_call(code, {"svc_rbf": object(), "svc_poly": model}, model)
    assert line == 2 and "poly" in replay.ast.unparse(call)


def test_a_column_with_one_value_in_the_checked_rows_is_tried_with_another_value_of_the_table():
    table = pd.DataFrame({"flag": [0] * 9 + [1], "size": range(10)})
    sample = table.iloc[:5]
    assert set(replay._other_values(sample["flag"], table["flag"])) == {1}
    assert list(replay._other_values(sample["size"], table["size"])) == [4, 0, 1, 2, 3]
    only = pd.Series(["a"] * 5)
    assert list(replay._other_values(only, only)) == ["a"] * 5  # nothing else to try: it never varies


def test_an_array_of_some_of_the_tables_columns_as_they_are_needs_no_replay():
    table = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0], "c": [7.0, 8.0, 9.0]}, index=[10, 11, 12])
    index = pd.Index([12, 10, 11])
    assert replay._array_of_columns(table.loc[index, ["a", "c"]].to_numpy(), index, table)
    assert not replay._array_of_columns(table.loc[index, ["c", "a"]].to_numpy(), index, table)
    assert not replay._array_of_columns(table.loc[index, ["a", "b"]].to_numpy() * 2, index, table)
