"""The numpy-column replay (builder.features.columnar): each of its forms against pandas' own on
the same values (dtypes and missing values included), what it leaves to pandas, the check that
decides whether it serves, and the service falling back to pandas for a request it does not cover."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from builder.features.columnar import Column, Replay, Table, Unsupported, table_of, typed

RAW = {
    "age": np.array([19, 45, 64, 30]),
    "bmi": np.array([27.9, np.nan, 33.0, 0.0]),
    "sex": np.array(["female", "male", None, "male"], dtype=object),
    "smoker": np.array([True, False, False, True]),
}


def frame() -> pd.DataFrame:
    return pd.DataFrame({k: v.copy() for k, v in RAW.items()})


def table() -> Table:
    return table_of({k: v.copy() for k, v in RAW.items()}, 4)


def as_pandas_holds(series: pd.Series) -> np.ndarray:
    """A Series' values as the column replay holds them (strings as an object array)."""
    if isinstance(series.dtype, np.dtype):
        return series.to_numpy()
    return series.to_numpy(dtype=object)


def assert_same(series: pd.Series, column: Column):
    want = as_pandas_holds(series)
    got = column.values
    assert want.dtype == got.dtype, (want.dtype, got.dtype)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(want, got)
    else:
        assert [v if v == v else "NaN" for v in want.tolist()] == [v if v == v else "NaN" for v in got.tolist()]


@pytest.mark.parametrize("expr", [
    lambda t: t["age"] * t["bmi"], lambda t: t["age"] + 1, lambda t: 2 * t["age"], lambda t: t["age"] - t["age"],
    lambda t: t["bmi"] / t["age"], lambda t: t["age"] / t["bmi"], lambda t: 1 / t["bmi"], lambda t: -t["bmi"],
    lambda t: t["age"] + 0.5 * t["bmi"], lambda t: 100 - t["age"],
    lambda t: t["age"] >= 45, lambda t: t["bmi"] < 30, lambda t: t["bmi"] == t["bmi"], lambda t: t["bmi"] != 0,
    lambda t: t["sex"] == "male", lambda t: t["sex"] != "male", lambda t: (t["age"] > 20) & (t["bmi"] > 20),
    lambda t: (t["age"] > 50) | ~t["smoker"], lambda t: t["smoker"] * 1, lambda t: t["age"] + t["smoker"],
    lambda t: 0.5 * (t["bmi"] > 30), lambda t: t["bmi"].isna(), lambda t: t["sex"].notnull(),
    lambda t: (t["age"] > 30).astype(int), lambda t: t["age"].astype(float), lambda t: t["smoker"].astype("int64"),
    lambda t: t["bmi"].fillna(28.5), lambda t: t["bmi"].fillna(28), lambda t: t["sex"].fillna("unknown"),
    lambda t: t["age"].fillna(0),
    lambda t: t["sex"].map({"male": 1, "female": 0}), lambda t: t["age"].map({19: 1.5, 45: 2.5, 64: 3.5, 30: 0.0}),
    lambda t: t["age"].map({19: 1, 45: 2}), lambda t: t["bmi"].map({27.9: 1, 33.0: 2}),
    lambda t: t["bmi"].apply(lambda b: "high" if b > 30 else "low"), lambda t: t["age"].apply(lambda a: a // 10),
    lambda t: t["age"].apply(lambda a: a / 10), lambda t: t["sex"].apply(lambda s: s == "male"),
    lambda t: t["sex"].apply(lambda s: s.upper() if isinstance(s, str) else s),
], ids=lambda f: "")
def test_each_form_gives_the_values_and_dtype_pandas_gives(expr):
    assert_same(expr(frame()), expr(table()))


def test_a_table_drops_selects_fills_and_sets_columns_as_a_frame_does():
    def steps(df):
        df["ratio"] = df["bmi"] / df["age"]
        df["flag"] = 1
        df["label"] = "x"
        df = df.drop("smoker", axis=1)
        df = df.drop(columns=["label"])
        df["bmi"] = df[["bmi"]].fillna({"bmi": 20.3})  # a column set from a one-column frame
        df = df.fillna({"bmi": 25.0, "ratio": 0.0})
        df = df[["ratio", "age", "bmi", "flag"]]
        return df.fillna(-1)

    want, got = steps(frame()), steps(table())
    assert list(want.columns) == list(got.data)
    for name in want.columns:
        assert_same(want[name], got[name])


def test_dummies_and_a_scalers_matrix_follow_the_recorded_levels_and_fitted_columns():
    levels = {"sex": ["female", "male"]}
    want = pd.get_dummies(frame(), columns=["sex"], drop_first=False)
    got = table().dummies(levels, np.dtype(bool), columns=["sex"])
    assert list(want.columns) == list(got.data)
    for name in want.columns:
        assert_same(want[name], got[name])
    # a matrix in a transformer's column order, with a column the request lacks as 0
    matrix = got.matrix(["bmi", "sex_male", "absent", "age"])
    np.testing.assert_array_equal(matrix[:, 2], 0.0)
    np.testing.assert_array_equal(matrix[:, [0, 1, 3]], want[["bmi", "sex_male", "age"]].to_numpy(dtype="float64"))


@pytest.mark.parametrize("expr", [
    lambda t: t["sex"] + "x", lambda t: t["sex"] < "m", lambda t: t["age"] // 7, lambda t: t["age"] % 7,
    lambda t: t["age"] ** 2, lambda t: t["smoker"] + t["smoker"], lambda t: t["bmi"].astype(int),
    lambda t: t["sex"].astype(str), lambda t: t["sex"].map({"male": "m", "female": "f"}),
    lambda t: t["sex"].map(str.upper), lambda t: t["age"].apply(lambda a: None if a > 40 else a),
    lambda t: t["bmi"].fillna("none"), lambda t: t.columns, lambda t: t.loc[0], lambda t: t["age"].str,
    lambda t: bool(t["age"] > 1), lambda t: t.drop(index=[0]), lambda t: t.drop("absent", axis=1),
    lambda t: t[0], lambda t: t.matrix(["sex"]), lambda t: typed([1, "a"]), lambda t: typed([1, True]),
], ids=lambda f: "")
def test_what_has_no_numpy_form_raises_so_that_pandas_replays_the_request(expr):
    with pytest.raises((Unsupported, AttributeError, TypeError)):
        expr(table())


def test_a_request_column_of_other_objects_is_left_to_pandas():
    with pytest.raises(Unsupported):
        table_of({"mixed": np.array(["a", 1], dtype=object)}, 2)
    made = table_of({"sex": np.array(["a", None], dtype=object)}, 2)
    assert made["sex"].values[1] != made["sex"].values[1]  # missing as pandas holds a string column's: NaN


class FakeFrozen:
    def __init__(self):
        self.on = False
        self.calls = []

    def columnar(self, on, as_columns=False):
        self.on = on


def test_the_replay_serves_pandas_where_the_columns_decline_and_when_the_build_said_no():
    frozen = FakeFrozen()

    def features(raw):
        frozen.calls.append(frozen.on)
        if frozen.on and raw == "uncovered":
            raise Unsupported("a statement without a numpy form")
        return "columns" if frozen.on else "pandas"

    replay = Replay(features, frozen, columnar=True)
    assert replay("covered") == "columns"
    assert replay("uncovered") == "pandas" and frozen.calls[-2:] == [True, False] and frozen.on is False
    assert Replay(features, frozen, columnar=False)("covered") == "pandas"


def test_a_drop_in_place_changes_the_table_as_it_changes_a_frame():
    df, t = frame(), table()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3.1 deprecates inplace; notebooks still use it
        assert df.drop("smoker", axis=1, inplace=True) is None
    assert t.drop("smoker", axis=1, inplace=True) is None
    assert list(df.columns) == list(t.data)


def test_the_model_input_made_from_a_table_is_the_frame_pandas_output_makes():
    from builder.features.fast_forms import same
    from builder.features.runtime import Frozen

    spec = {"kind": "dataframe", "columns": ["age", "sex", "bmi", "sex_male", "flag"],
            "dtypes": {"age": "float64", "sex": str(frame()["sex"].dtype), "bmi": "float64", "sex_male": "bool",
                       "flag": "int64"}}
    frozen = Frozen({"output": spec})
    frozen._local.rows, frozen._local.index = 4, pd.RangeIndex(4)
    df, t = frame(), table()
    df["flag"], t["flag"] = 1, 1
    want = frozen.output(df)
    assert same(want, frozen.output(t))  # sex_male absent from both: zeros (False)
    frozen.columnar(True, as_columns=True)  # for the fast path: the same columns, no DataFrame
    columns = frozen.output(t)
    frozen.columnar(False)
    assert list(columns) == list(want.columns)
    for name, array in columns.items():
        assert_same(want[name], Column(array))
    t["flag"] = t["bmi"]  # a missing value where the model takes integers: pandas raises, so must this
    with pytest.raises(Unsupported):
        frozen.output(t)


@pytest.mark.parametrize("steps", [
    lambda df: df.loc.__setitem__((df["sex"].isna(), "sex"), "female"),
    lambda df: df.loc.__setitem__((df["bmi"] > 30, "bmi"), 30.0),
    lambda df: df.loc.__setitem__((df["age"] > 40, "age"), 40),
    lambda df: df.loc.__setitem__((df["age"] > 100, "age"), 0),
], ids=["fill a gap", "cap floats", "cap integers", "no row"])
def test_a_loc_set_by_a_condition_changes_the_column_as_pandas_does(steps):
    df, t = frame(), table()
    steps(df)
    steps(t)
    for name in df.columns:
        assert_same(df[name], t[name])


def test_iloc_takes_columns_by_position_and_leaves_the_rest_to_pandas():
    df, t = frame(), table()
    for key in [(slice(None), slice(1, 3)), (slice(None), slice(None, -1)), (slice(None), [0, 2])]:
        want, got = df.iloc[key], t.iloc[key]
        assert list(want.columns) == list(got.data)
    for bad in [lambda: t.iloc[0], lambda: t.iloc[:2, :], lambda: t.loc[:, "age"],
                lambda: t.loc.__setitem__((t["age"] > 40, "age"), 40.5),
                lambda: t.loc.__setitem__((t["age"] > 40, "new"), 1)]:
        with pytest.raises(Unsupported):
            bad()
