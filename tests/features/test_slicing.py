"""The slice of the executed cells that leads to the training matrix, and how it is rewritten for
the build's recording run and for serving (no kernel, no build: the ast and the runtime only)."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest

from builder.features import emit, rewrite, runtime, slicing

CELLS = [
    "import pandas as pd\nimport matplotlib.pyplot as plt\nfrom sklearn.preprocessing import StandardScaler\n"
    "from sklearn.model_selection import train_test_split",
    "df = pd.read_csv('data.csv')\nprint(df.shape)\ndf.head()",
    "df['charges'].hist()\nplt.show()\ndf['charges'] = df['charges'] / 1000",
    "def band(age):\n    return 'young' if age < 30 else 'old'\n\ndf['band'] = df['age'].apply(band)\n"
    "df.drop(['id'], axis=1, inplace=True)\ndf['bmi'] = df['bmi'].fillna(df['bmi'].median())",
    "df = pd.get_dummies(df, columns=['band'])\nsummary = df.describe()",
    "X = df.drop('charges', axis=1)\ny = df['charges']\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)\n"
    "scaler = StandardScaler()\nX_train = scaler.fit_transform(X_train)\nX_test = scaler.transform(X_test)",
]


def sliced():
    return slicing.backward_slice(slicing.statements(CELLS), {"X_train"})


def test_the_slice_keeps_what_leads_to_the_matrix_and_leaves_out_plots_prints_and_the_test_set():
    code = "\n".join(st.source for st in sliced())
    for kept in ("pd.read_csv", "def band", "df.drop(['id'], axis=1, inplace=True)", "fillna", "get_dummies",
                 "train_test_split", "scaler.fit_transform(X_train)", "import pandas as pd"):
        assert kept in code
    for left_out in ("print(", "hist(", "plt", "describe", "X_test = scaler.transform", "df.head()"):
        assert left_out not in code


def test_serving_replays_fits_as_fitted_freezes_statistics_and_needs_no_target():
    serve = slicing.backward_slice(rewrite.rewrite(sliced(), rewrite.SERVE, "t1"), {"X_train"})
    code = emit.module(serve, "X_train", "nb.ipynb", "test")
    assert "df = _f.raw(raw)" in code and "pd.read_csv" not in code
    assert "_f.stat('m" in code and ".median()" not in code
    assert "scaler = _f.fitted('f" in code and "X_train = scaler.transform(X_train)" in code
    assert "X_train = _f.rows('s" in code and "y_train" not in code and "train_test_split" not in code
    assert "_f.dummies('d" in code


def test_the_recording_run_keeps_the_arguments_of_fits_and_the_loads():
    record = rewrite.rewrite(sliced(), rewrite.RECORD)
    code = emit.module(record, "X_train", "nb.ipynb", "test", serve=False)
    assert "_f.table('t1', lambda: pd.read_csv('data.csv'))" in code
    assert "_f.fitted('f" in code and "scaler, X_train)" in code
    assert "y_train = _f.rows(" in code  # the target's training rows exist while recording
    ast.parse(code)


def test_a_statement_modifying_a_frame_in_place_counts_as_writing_it():
    st = slicing.analyse(ast.parse("df.fillna(0, inplace=True)").body[0])
    assert st.modifies == {"df"}
    st = slicing.analyse(ast.parse("cols.append('a')").body[0])
    assert st.modifies == {"cols"}
    st = slicing.analyse(ast.parse("df.loc[df.a > 1, 'b'] = 0").body[0])
    assert "df" in st.modifies and "df" not in st.defines


def test_row_wise_reductions_and_lambdas_are_not_frozen():
    stmts = slicing.statements(["df = pd.read_csv('x')\ndf['m'] = df[['a', 'b']].max(axis=1)\n"
                                "df['n'] = df.apply(lambda r: r.sum(), axis=1)"])
    code = emit.module(rewrite.rewrite(stmts, rewrite.SERVE, "t1"), "df", "nb", "t")
    assert "max(axis=1)" in code and "r.sum()" in code and "_f.stat" not in code


def test_dummies_of_one_row_give_every_training_column():
    table = pd.DataFrame({"region": ["north", "south", "east"], "x": [1, 2, 3]})
    recorder = runtime.Recorder()
    full = recorder.dummies("d1", pd.get_dummies, table, columns=["region"], drop_first=True)
    frozen = runtime.Frozen({**recorder.state, "raw": {"columns": ["region", "x"], "placeholders": {}},
                             "output": {"kind": "dataframe", "columns": list(full.columns),
                                        "dtypes": {c: str(full[c].dtype) for c in full.columns}}})
    frozen.begin()
    one = frozen.dummies("d1", pd.get_dummies, table.iloc[[2]], columns=["region"], drop_first=True)
    assert list(one.columns) == list(full.columns)
    assert one.iloc[0].tolist() == full.iloc[2].tolist()


def test_a_request_row_the_statements_drop_is_named():
    frozen = runtime.Frozen({"raw": {"columns": ["a"], "placeholders": {}},
                             "output": {"kind": "dataframe", "columns": ["a"], "dtypes": {"a": "float64"}}})
    frozen.begin()
    frame = frozen.raw(pd.DataFrame({"a": [1.0, None, 3.0]}))
    with pytest.raises(runtime.RowsDropped, match=r"row\(s\) \[1\]"):
        frozen.output(frame.dropna())


def test_a_loop_variable_reused_by_a_plot_loop_does_not_pull_the_plot_in():
    cells = ["df = pd.read_csv('x')",
             "fig, axes = plt.subplots(1, 3)\nfor ax, col in zip(axes, ['a', 'b']):\n    sns.countplot(x=col, data=df, ax=ax)",
             "for col in ['a', 'b']:\n    df[col] = df[col].map({'Yes': 1, 'No': 0})"]
    code = "\n".join(st.source for st in slicing.backward_slice(slicing.statements(cells), {"df"}))
    assert "subplots" not in code and "countplot" not in code and "map" in code


def test_a_fit_inside_an_expression_leaves_its_receiver_fitted_for_the_rest_of_it():
    stmts = slicing.statements([
        "enc = OneHotEncoder()\nencoded = pd.DataFrame(enc.fit_transform(df[cols]), "
        "columns=enc.get_feature_names_out(cols))"])
    code = emit.module(rewrite.rewrite(stmts, rewrite.SERVE, None), "encoded", "nb", "t")
    assert "(enc := _f.fitted('f1')).transform(df[cols])" in code


def test_oversampling_is_not_replayed_on_requests():
    stmts = slicing.statements(["X_res, y_res = SMOTE(random_state=0).fit_resample(X_train, y_train)"])
    code = emit.module(rewrite.rewrite(stmts, rewrite.SERVE, None), "X_res", "nb", "t")
    assert "X_res = _f.resampled('r1', X_train)" in code and "SMOTE" not in code


@pytest.mark.parametrize("kwargs", [{"as_frame": True}, {}, {"return_X_y": True, "as_frame": True},
                                    {"return_X_y": True}], ids=["bunch-frames", "bunch-arrays", "pair-frames",
                                                                "pair-arrays"])
def test_a_bundled_loaders_result_is_a_table_of_its_features_and_target_and_comes_back_in_its_shape(kwargs):
    from sklearn.datasets import load_iris

    recorder = runtime.Recorder()
    loaded = recorder.table("t1", lambda: load_iris(**kwargs), lambda: load_iris().feature_names)
    table = recorder.state["tables"]["t1"]
    assert list(table.columns) == [*load_iris().feature_names, "target"] and len(table) == 150
    frozen = runtime.Frozen({**recorder.state, "raw": {"columns": list(table.columns), "placeholders": {}}})
    frozen.begin()
    again = frozen.bundle("t1", table.iloc[[3, 7]].reset_index(drop=True))
    data, target = again if isinstance(again, tuple) else (again.data, again.target)
    want_data, want_target = loaded if isinstance(loaded, tuple) else (loaded.data, loaded.target)
    assert type(data) is type(want_data) and type(target) is type(want_target)
    np.testing.assert_array_equal(np.asarray(data), np.asarray(want_data)[[3, 7]])
    np.testing.assert_array_equal(np.asarray(target), np.asarray(want_target)[[3, 7]])
    if not isinstance(again, tuple):
        assert list(again.target_names) == list(loaded.target_names)


def test_a_split_of_arrays_is_replayed_with_the_notebooks_own_split_to_find_the_training_positions():
    stmts = slicing.statements(["from sklearn.datasets import load_diabetes\n"
                                "from sklearn.model_selection import train_test_split",
                                "X, y = load_diabetes(return_X_y=True)",
                                "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=3)"])
    sliced = slicing.backward_slice(stmts, {"X_train"})
    record = emit.module(rewrite.rewrite(sliced, rewrite.RECORD), "X_train", "nb", "t", serve=False)
    assert "lambda: load_diabetes(return_X_y=True), lambda: load_diabetes().feature_names)" in record
    assert "train_test_split(X, y, _positions, test_size=0.2, random_state=3)" in record
    serve = emit.module(rewrite.rewrite(sliced, rewrite.SERVE, "t1"), "X_train", "nb", "t")
    assert "X, y = _f.bundle('t1', raw)" in serve and "X_train = _f.rows('s2', X)" in serve
    recorder = runtime.Recorder()
    namespace = {"_f": recorder}
    exec(record, namespace)  # noqa: S102
    matrix = namespace["features"](None)
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    X, y = load_diabetes(return_X_y=True)
    np.testing.assert_array_equal(matrix, train_test_split(X, y, test_size=0.2, random_state=3)[0])
    positions = recorder.splits["s2"]["positions"]
    np.testing.assert_array_equal(X[positions], matrix)
