"""The faster forms of ``map``, ``drop`` and ``apply`` give what pandas gives, or None where they do
not cover a call; the build records, per call site, whether they were identical on the notebook's
table and on probes, and serving uses them only there (no kernel, no build)."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest

from builder.features import emit, fast_forms, rewrite, runtime, slicing
from builder.features.fast_forms import fast_apply, fast_drop, fast_map, same

TABLE = pd.DataFrame({"age": [19, 33, 45, 61], "sex": ["female", "male", "male", None],
                      "bmi": [27.9, None, 31.5, 22.0], "smoker": ["yes", "no", "no", "yes"],
                      "charges": [1.5, 2.5, 3.5, 4.5]})


@pytest.mark.parametrize("column, mapping", [
    ("sex", {"male": 1, "female": 0}),  # str -> int, a missing value -> NaN (float)
    ("smoker", {"yes": 1, "no": 0}),  # every value found: int64 stays
    ("smoker", {"yes": "Y"}),  # str -> str, a value not found -> NaN
    ("age", {19: 1.5, 33: 2.5}),  # numbers
    ("bmi", {27.9: "a", 31.5: "b", 22.0: "c"}),
])
def test_map_of_a_dict_is_pandas_map_on_the_table_on_one_row_and_on_values_it_never_saw(column, mapping):
    series = TABLE[column]
    assert same(series.map(mapping), fast_map(series, mapping))
    for i in range(len(series)):
        one = series.iloc[[i]]
        assert same(one.map(mapping), fast_map(one, mapping))
    for probe in fast_forms.map_probes(series):
        assert same(probe.map(mapping), fast_map(probe, mapping))


def test_map_made_once_per_dict_follows_a_changed_dict_and_leaves_what_it_does_not_cover_to_pandas():
    series = TABLE["smoker"]
    assert fast_map(series, {"yes": 1, "no": 0}).tolist() == [1, 0, 0, 1]
    assert fast_map(series, {"yes": 10, "no": 0}).tolist() == [10, 0, 0, 10]  # another dict
    assert fast_map(series, {"yes": 1.0, "no": 0}).dtype == np.float64  # equal to 1, not the same type
    assert fast_map(series, {np.nan: 1, "no": 0}) is None  # pandas matches NaN to NaN
    assert fast_map(series, {}) is None
    assert fast_map(series, str.upper) is None
    assert fast_map(series, {"yes": 1}, na_action="ignore") is None
    assert fast_map(TABLE, {"yes": 1}) is None  # DataFrame.map is applymap
    assert fast_map(pd.Series([[1], [2]]), {"yes": 1}) is None  # unhashable values


@pytest.mark.parametrize("args, kwargs", [(("charges",), {"axis": 1}), ((), {"columns": ["charges", "sex"]}),
                                          ((["age"],), {"axis": "columns"}), ((), {"columns": "bmi"})])
def test_drop_of_columns_is_pandas_drop_and_shares_no_memory(args, kwargs):
    want, got = TABLE.drop(*args, **kwargs), fast_drop(TABLE, *args, **kwargs)
    assert same(want, got)
    got.loc[0, got.columns[0]] = None
    assert TABLE.equals(pd.DataFrame({c: TABLE[c] for c in TABLE.columns}))  # the input is unchanged
    assert TABLE.loc[0, "age"] == 19


@pytest.mark.parametrize("args, kwargs", [((0,), {}), (("nope",), {"axis": 1}), (("age",), {"axis": 1, "inplace": True}),
                                          (("age",), {"axis": 1, "errors": "ignore"}), ((), {"index": [0]})])
def test_drop_leaves_rows_missing_labels_and_inplace_to_pandas(args, kwargs):
    assert fast_drop(TABLE.copy(), *args, **kwargs) is None


def band(bmi):
    if bmi != bmi:
        return None
    return "obese" if bmi >= 30 else "normal"


@pytest.mark.parametrize("column, func", [("bmi", band), ("age", lambda a: a * 2), ("age", lambda a: a / 3),
                                          ("sex", lambda s: str(s).upper()), ("smoker", len)])
def test_apply_of_a_function_is_pandas_apply(column, func):
    series = TABLE[column]
    assert same(series.apply(func), fast_apply(series, func))
    for i in range(len(series)):
        assert same(series.iloc[[i]].apply(func), fast_apply(series.iloc[[i]], func))


def test_apply_leaves_ufuncs_arguments_frames_and_types_to_pandas():
    assert fast_apply(TABLE["age"], np.sqrt) is None
    assert fast_apply(TABLE["age"], lambda a, b: a + b, args=(1,)) is None
    assert fast_apply(TABLE, band) is None
    assert fast_apply(TABLE["age"], str) is None
    assert fast_apply(TABLE["age"].iloc[:0], band) is None


def test_the_build_records_per_call_whether_the_fast_form_was_identical_and_serving_follows_it(monkeypatch):
    recorder = runtime.Recorder()
    recorder.map("p1", TABLE["smoker"], {"yes": 1, "no": 0})
    recorder.drop("p2", TABLE, "charges", axis=1)
    recorder.apply("p3", TABLE["bmi"], band)
    recorder.apply("p3", TABLE["age"], lambda a: 100 // (a + 987654321))  # a probe it raises on in both forms
    monkeypatch.setitem(runtime.FORMS, "map", lambda *a, **k: pd.Series([9] * 4, name="smoker"))
    recorder.map("p4", TABLE["smoker"], {"yes": 1, "no": 0})  # a fast form that differs is not used
    assert recorder.state["fast"] == {"p1": [True], "p2": [True], "p3": [True, True], "p4": [False]}

    frozen = runtime.Frozen(recorder.state)
    frozen.begin()
    served = frozen.map("p4", TABLE["smoker"], {"yes": 1, "no": 0})
    assert served.tolist() == [1, 0, 0, 1]  # pandas' own map, not the (wrong) fast form
    assert frozen.map("p1", TABLE["smoker"], {"yes": 1, "no": 0}).tolist() == [9, 9, 9, 9]  # the fast form
    assert frozen.map("p1", TABLE["smoker"], {"yes": 1, "no": 0}).tolist() == [1, 0, 0, 1]  # a call never recorded


def served_code(cells: list[str], output: str) -> str:
    stmts = slicing.statements(cells)
    return emit.module(rewrite.rewrite(stmts, rewrite.SERVE, "t1"), output, "nb", "t")


def test_map_drop_and_apply_go_through_the_replay_object_except_in_place_and_inside_functions():
    code = served_code(["df = pd.read_csv('x')\ndf['s'] = df['s'].map({'a': 1})\nX = df.drop('y', axis=1)\n"
                        "df['b'] = df['bmi'].apply(band)\ndf.drop('z', axis=1, inplace=True)\n"
                        "def clean(d):\n    return d.drop(columns=['id'])\n"
                        "df['c'] = df['t'].apply(lambda v: v.map({1: 2}))\nX = clean(df)"], "X")
    assert "df['s'] = _f.map('p" in code and "df['s'], {'a': 1})" in code
    assert "X = _f.drop('p" in code and "df['b'] = _f.apply('p" in code
    assert "df.drop('z', axis=1, inplace=True)" in code  # in place: the slice must see df change
    assert "return d.drop(columns=['id'])" in code and "v.map({1: 2})" in code
    ast.parse(code)


def test_metadata_names_each_call_with_a_faster_form_and_whether_it_serves():
    stmts = slicing.statements(["df = pd.read_csv('x')\ndf['s'] = df['s'].map({'a': 1})\nX = df.drop('y', axis=1)\n"
                                "X = pd.get_dummies(X)"])
    served = rewrite.rewrite(stmts, rewrite.SERVE, "t1")
    state = {"fast": {"p2": [True, True], "p3": [True, False]}, "fast_dummies": {"d4": [True]}}
    assert fast_forms.report(state, served) == [
        {"call": "map", "statement": "df['s'] = _f.map('p2', df['s'], {'a': 1})", "used": True},
        {"call": "drop", "statement": "X = _f.drop('p3', df, 'y', axis=1)", "used": False},  # not every time
        {"call": "get_dummies", "statement": "X = _f.dummies('d4', pd.get_dummies, X)", "used": True}]


@pytest.mark.parametrize("value", [TABLE.mean(numeric_only=True), {"bmi": 30.0, "sex": "unknown"}, 0,
                                   pd.Series({"bmi": 1.5, "nope": 2.0})])
def test_fillna_of_a_frame_is_pandas_fillna_on_the_table_one_row_and_a_row_with_nothing(value):
    table = TABLE.select_dtypes("number") if isinstance(value, int) else TABLE  # (pandas warns of 0 in a str column)
    assert same(table.fillna(value), fast_forms.fast_fillna(table, value))
    for i in range(len(table)):
        assert same(table.iloc[[i]].fillna(value), fast_forms.fast_fillna(table.iloc[[i]], value))
    for probe in fast_forms.frame_probes(table):
        assert probe.isna().all().all() and same(probe.fillna(value), fast_forms.fast_fillna(probe, value))
    assert fast_forms.fast_fillna(table, value, limit=1) is None and fast_forms.fast_fillna(table["bmi"], 0) is None


def test_a_selection_of_columns_is_pandas_own_in_the_order_asked_and_shares_no_memory():
    for columns in (["bmi", "age"], ["sex"], ["age", "age"][:1]):
        assert same(TABLE[columns], fast_forms.fast_select(TABLE, columns))
    made = fast_forms.fast_select(TABLE, ["age", "bmi"])
    made.loc[0, "age"] = 0
    assert TABLE.loc[0, "age"] == 19
    for other in (["nope"], "age", [], ("age",)):
        assert fast_forms.fast_select(TABLE, other) is None


def test_a_subscript_by_a_list_or_a_name_goes_through_the_replay_object_and_serves_as_the_subscript_would():
    code = served_code(["df = pd.read_csv('x')\ncols = ['a', 'b']\nX = df[cols]\ndf['c'] = df[['a', 'b']].sum(axis=1)\n"
                        "df[cols[0]] = 1\nfor col in cols:\n    df[col] = df[col] * 2\n"
                        "X = X.assign(n=len([c for c in df.columns if df[c].dtype == 'object']))"], "X")
    assert "X = _f.select('p" in code and ", df, cols)" in code and ", df, ['a', 'b']).sum(axis=1)" in code
    assert "df[cols[0]] = 1" in code  # an assignment is not a read
    assert "df[col] = df[col] * 2" in code and "if df[c].dtype" in code  # one column's name: left as written
    recorder = runtime.Recorder()
    assert same(recorder.select("p1", TABLE, ["bmi", "age"]), TABLE[["bmi", "age"]])
    assert recorder.select("p2", TABLE, "age").equals(TABLE["age"]) and recorder.select("p3", {"k": 1}, "k") == 1
    assert recorder.state["fast"] == {"p1": [True], "p2": [None], "p3": [None]}  # None: no faster form for it


def test_same_means_type_dtype_and_values_for_arrays_and_frames_too():
    a = np.array([1.0, np.nan])
    assert same(a, a.copy()) and not same(a, a.astype("float32")) and not same(a, [1.0, np.nan])
    df = pd.DataFrame({"x": [1, 2]})
    assert same(df, df.copy()) and not same(df, df.astype("float64"))
