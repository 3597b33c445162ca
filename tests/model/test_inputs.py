"""Turning request data into model input with the recorded schema."""

import numpy as np
import pytest

from builder.errors import RequestError
from builder.model.inputs import InputSchema

META = {"input_kind": "dataframe", "inputs": [
    {"name": "tenure", "type": "integer", "dtype": "int64"},
    {"name": "charges", "type": "number", "dtype": "float64"},
    {"name": "contract", "type": "string", "dtype": "object", "categories": ["monthly", "yearly"]},
    {"name": "active", "type": "boolean", "dtype": "bool"},
]}


@pytest.fixture
def schema():
    return InputSchema.from_metadata(META)


def test_records_become_a_frame_with_training_dtypes_and_extra_columns_are_ignored(schema):
    frame = schema.from_records([{"tenure": 3, "charges": 9.5, "contract": "monthly", "active": True, "extra": 1}])
    assert list(frame.columns) == ["tenure", "charges", "contract", "active"]
    assert frame["tenure"].dtype == np.int64 and frame["charges"].dtype == np.float64
    assert frame["contract"].iloc[0] == "monthly" and bool(frame["active"].iloc[0]) is True


def test_strings_stay_strings_even_when_they_look_like_numbers(schema):
    frame = schema.from_records([{"tenure": 3, "charges": 1, "contract": 2134, "active": False}])
    assert frame["contract"].iloc[0] == "2134"


def test_csv_style_strings_are_cast_to_numbers(schema):
    frame = schema.from_rows([["3", "9.5", "monthly", "true"]])
    assert frame["tenure"].iloc[0] == 3 and frame["charges"].iloc[0] == 9.5 and bool(frame["active"].iloc[0])


def test_missing_values_become_nan(schema):
    frame = schema.from_records([{"tenure": None, "charges": None, "contract": None, "active": True}])
    assert np.isnan(frame["tenure"].iloc[0]) and np.isnan(frame["charges"].iloc[0])
    assert frame["contract"].isna().iloc[0]


@pytest.mark.parametrize("row, field, words", [
    ({"charges": 1.0, "contract": "m", "active": True}, "tenure", "missing column 'tenure'"),
    ({"tenure": "abc", "charges": 1.0, "contract": "m", "active": True}, "tenure", "expected a number"),
    ({"tenure": 2.5, "charges": 1.0, "contract": "m", "active": True}, "tenure", "expected a whole number"),
    ({"tenure": 1, "charges": [1], "contract": "m", "active": True}, "charges", "expected a number"),
    ({"tenure": 1, "charges": 1.0, "contract": {"a": 1}, "active": True}, "contract", "expected a string"),
    ({"tenure": 1, "charges": 1.0, "contract": "m", "active": "maybe"}, "active", "expected true or false"),
], ids=["missing-column", "not-a-number", "not-whole", "list-for-number", "object-for-string", "not-boolean"])
def test_bad_values_name_the_field_and_what_was_expected(schema, row, field, words):
    with pytest.raises(RequestError, match=words) as err:
        schema.from_records([row])
    assert err.value.field == field and err.value.http_status == 400


def test_an_empty_batch_is_refused(schema):
    with pytest.raises(RequestError, match="empty"):
        schema.from_records([])


def test_rows_of_the_wrong_width_are_refused(schema):
    with pytest.raises(RequestError, match="expected a list of 4 values"):
        schema.from_rows([[1, 2]])


def test_array_models_get_a_2d_float_array():
    schema = InputSchema.from_metadata({"input_kind": "array", "inputs": [
        {"name": "x0", "type": "number"}, {"name": "x1", "type": "number"}]})
    array = schema.from_rows([[1, 2], [3, 4]])
    assert array.shape == (2, 2) and array.dtype == np.float64
    assert schema.from_records([{"x0": 1, "x1": 2}]).tolist() == [[1.0, 2.0]]


def test_text_models_take_strings_only():
    schema = InputSchema.from_metadata({"input_kind": "text", "inputs": [{"name": "text", "type": "string"}]})
    assert schema.from_records(["hello", {"text": "there"}]) == ["hello", "there"]
    with pytest.raises(RequestError, match="expected a string"):
        schema.from_records([3])
