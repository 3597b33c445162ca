"""The serving shortcuts of ``builder.features.runtime`` give what pandas and scikit-learn give (no
kernel, no build): the raw frame from the service's decoded ``{column: array}``, get_dummies'
fast form, and the scalers' own arithmetic; each is used only where the build found it identical."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from builder.features import runtime
from builder.model.inputs import InputSchema

TABLE = pd.DataFrame({"age": [19, 33, 45, 61], "sex": ["female", "male", "male", "female"],
                      "bmi": [27.9, None, 31.5, 22.0], "region": ["north", "south", "east", "south"],
                      "charges": [1.5, 2.5, 3.5, 4.5]})
INPUTS = [{"name": "age", "type": "integer", "dtype": "int64"}, {"name": "sex", "type": "string", "dtype": "str"},
          {"name": "bmi", "type": "number", "dtype": "float64"}, {"name": "region", "type": "string", "dtype": "str"}]


def frozen(**state):
    f = runtime.Frozen({"raw": {"columns": list(TABLE.columns), "placeholders": {"charges": 3.0}}, **state})
    f.begin()
    return f


def test_the_raw_frame_is_the_same_from_decoded_arrays_as_from_a_dataframe():
    records = TABLE.drop(columns="charges").astype(object).where(TABLE.notna(), None).to_dict("records")
    schema = InputSchema.from_metadata({"input_kind": "dataframe", "inputs": INPUTS})
    from_frame = frozen().raw(schema.from_records(records))
    schema.frames = False
    arrays = schema.from_records(records)
    kept = {name: values.copy() for name, values in arrays.items()}
    from_arrays = frozen().raw(arrays)
    pd.testing.assert_frame_equal(from_arrays, from_frame)
    assert list(from_arrays.columns) == list(TABLE.columns) and from_arrays["charges"].tolist() == [3.0] * 4
    from_arrays.loc[0, "age"] = 99  # the statements may change the frame in place: the request's arrays stay
    assert all(np.array_equal(kept[n], arrays[n], equal_nan=True) for n in ("age", "bmi"))


def test_get_dummies_fast_form_is_pandas_own_and_shares_no_memory_with_its_input():
    table = TABLE.drop(columns="charges")
    recorder = runtime.Recorder()
    full = recorder.dummies("d1", pd.get_dummies, table, columns=["region", "sex"], drop_first=True)
    assert recorder.state["fast_dummies"]["d1"] == [True]
    f = frozen(**recorder.state)
    for rows in ([2], [0, 3]):
        one = f.dummies("d1", pd.get_dummies, table.iloc[rows], columns=["region", "sex"], drop_first=True)
        pd.testing.assert_frame_equal(one, full.iloc[rows])
        f.begin()
    given = table.iloc[[1]].copy()
    made = f.dummies("d1", pd.get_dummies, given, columns=["region", "sex"], drop_first=True)
    made.loc[made.index[0], "age"] = 0
    assert given["age"].tolist() == [33]


@pytest.mark.parametrize("scaler", [StandardScaler(), StandardScaler(with_mean=False), MinMaxScaler(),
                                    MinMaxScaler(feature_range=(-1, 1), clip=True)])
def test_the_scalers_arithmetic_is_scikit_learns_transform_bit_for_bit(scaler):
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(50, 20, 300), "b": rng.integers(0, 9, 300), "c": rng.random(300) < 0.3})
    recorder = runtime.Recorder()
    recorder.fitted("f1", scaler, train)
    assert recorder.state["fast_fitted"]["f1"] == [runtime.ARITHMETIC]
    fitted = runtime.Fitted(recorder.state["fitted"]["f1"][0], runtime.ARITHMETIC)
    request = pd.DataFrame({"a": [1e6, -3.0, np.nan], "b": [4, 100, 2], "c": [True, False, True]})
    want = scaler.transform(request)
    got = fitted.transform(request)
    assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True)


def test_what_the_arithmetic_does_not_cover_goes_to_scikit_learn():
    train = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [0.0, 1.0, 1.0]})

    class Mine(StandardScaler):
        pass

    assert runtime.scaled(Mine().fit(train), train.to_numpy()) is None
    assert runtime.scaled(RobustScaler().fit(train), train.to_numpy()) is None
    scaler = StandardScaler().fit(train)
    assert runtime.scaled(scaler, np.ones((1, 3))) is None
    assert runtime.scaled(scaler, np.array([[np.inf, 1.0]])) is None
    with pytest.raises(ValueError, match="infinity"):  # what scikit-learn says, not an infinite feature
        runtime.Fitted(scaler, runtime.ARITHMETIC).transform(pd.DataFrame({"a": [np.inf], "b": [1.0]}))


def test_rows_dropped_before_an_array_are_counted_not_guessed():
    """A filter or dropna before the matrix becomes an array: which rows went cannot be told from an
    array, so the message says how many (it once named the first rows, which were kept)."""
    import numpy as np
    import pandas as pd

    from builder.features.runtime import Frozen, RowsDropped

    frozen = Frozen({"output": {"kind": "array", "dtype": "float64"}})
    frozen._local.rows, frozen._local.index = 5, pd.RangeIndex(5)
    with pytest.raises(RowsDropped, match=r"drop 2 of the 5 rows") as caught:
        frozen.output(np.zeros((3, 2)))
    assert caught.value.rows is None
    with pytest.raises(RowsDropped, match=r"drop row\(s\) \[1, 3\]"):
        frozen.output(pd.DataFrame({"a": [0.0, 0.0, 0.0]}, index=[0, 2, 4]))
