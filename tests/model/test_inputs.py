"""Turning request data into model input with the recorded schema."""

import numpy as np
import pytest

from builder.errors import RequestError, SchemaMismatch
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
    ({"charges": 1.0, "contract": "m", "active": True}, "tenure", "missing column in row 0: 'tenure'"),
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


def test_every_missing_column_is_named_once_whatever_the_shape(schema):
    words = "missing 2 columns: 'charges' (number), 'active' (boolean)"
    with pytest.raises(SchemaMismatch, match=words.replace("(", r"\(").replace(")", r"\)")) as err:
        schema.from_columns({"tenure": [1], "contract": ["monthly"]})
    assert err.value.field == "charges" and err.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(SchemaMismatch, match="row 1: 'charges'"):
        schema.from_records([{"tenure": 1, "charges": 1.0, "contract": "m", "active": True}, {"tenure": 1}])


def test_kserve_columnar_records_are_blocks_of_rows(schema):
    blocks = [{"tenure": [1, 2], "charges": [1.0, 2.0], "contract": ["monthly", None], "active": [True, False]},
              {"tenure": [3], "charges": [3.0], "contract": ["yearly"], "active": [True]}]
    frame = schema.from_records(blocks)
    assert frame["tenure"].tolist() == [1, 2, 3] and frame["contract"].tolist()[2] == "yearly"
    with pytest.raises(RequestError, match="the same length for every column"):
        schema.from_records([{"tenure": [1, 2], "charges": [1.0], "contract": ["m"], "active": [True]}])
    with pytest.raises(SchemaMismatch, match="'active'"):
        schema.from_records([{"tenure": [1], "charges": [1.0], "contract": ["m"]}])


STRICT = {"input_kind": "dataframe", "inputs": [
    {"name": "tenure", "type": "integer", "dtype": "int64", "min": 0, "max": 72},
    {"name": "contract", "type": "string", "dtype": "object", "categories": ["monthly", "yearly"]},
    {"name": "signed", "type": "datetime", "dtype": "datetime64[ns]", "min": "2020-01-01T00:00:00",
     "max": "2024-12-31T00:00:00"},
    {"name": "note", "type": "string", "dtype": "object"},  # no categories recorded: anything goes
]}
IN_RANGE = {"tenure": 72, "contract": "yearly", "signed": "2021-05-01", "note": "anything"}


@pytest.mark.parametrize("change, field, words", [
    ({"tenure": 73}, "tenure", "row 1: 73 is unlike the training data (training saw values from 0 to 72)"),
    ({"tenure": -1}, "tenure", "from 0 to 72"),
    ({"contract": "weekly"}, "contract", "'weekly' is unlike the training data (training saw only 'monthly', 'yearly')"),
    ({"signed": "2019-12-31"}, "signed", "training saw dates from 2020-01-01T00:00:00 to 2024-12-31T00:00:00"),
], ids=["above", "below", "unknown-category", "date-before"])
def test_strict_inputs_refuse_what_training_never_saw(change, field, words):
    schema = InputSchema.from_metadata(STRICT)
    rows = [IN_RANGE, {**IN_RANGE, **change}]
    schema.from_records(rows)  # accepted by default
    schema.strict = True
    with pytest.raises(SchemaMismatch) as err:
        schema.from_records(rows)
    assert err.value.field == field and words in err.value.message


def test_strict_inputs_let_missing_values_and_the_training_range_through():
    schema = InputSchema.from_metadata(STRICT)
    schema.strict = True
    frame = schema.from_records([IN_RANGE, {"tenure": None, "contract": None, "signed": None, "note": None},
                                 {**IN_RANGE, "tenure": 0, "signed": "2020-01-01"}])
    assert len(frame) == 3


def test_the_first_value_unlike_the_training_data_is_found_in_decoded_columns_and_frames():
    """What the service names when the notebook's feature statements fail on a request (a 400)."""
    from builder.model.strict import first_unlike

    schema = InputSchema.from_metadata(STRICT)
    rows = [IN_RANGE, {**IN_RANGE, "contract": "weekly"}]
    frame = schema.from_records(rows)
    schema.frames = False
    columns = schema.from_records(rows)
    for decoded in (frame, columns):
        name, text = first_unlike(schema.columns, decoded)
        assert name == "contract" and text.startswith("column 'contract', row 1: 'weekly' is unlike")
    assert first_unlike(schema.columns, schema.from_records([IN_RANGE])) is None


def test_strict_inputs_name_at_most_twenty_categories():
    meta = {"input_kind": "dataframe", "inputs": [{"name": "city", "type": "string", "dtype": "object",
                                                   "categories": [f"c{i:02d}" for i in range(30)]}]}
    schema = InputSchema.from_metadata(meta)
    schema.strict = True
    with pytest.raises(SchemaMismatch, match="'c19' and 10 more"):
        schema.from_records([{"city": "nowhere"}])
