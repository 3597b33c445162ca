"""Schema inference from the data a model was fitted on."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from builder.kernel.find_model import KernelSideError
from builder.kernel.infer_schema import infer_schema


@pytest.fixture
def frame():
    return pd.DataFrame({
        "tenure": [1, 5, 12, 40, 3, 7],
        "charges": [10.5, np.nan, 30.0, 45.25, 12.0, 8.0],
        "contract": ["monthly", "yearly", "monthly", "two-year", None, "monthly"],
        "active": [True, False, True, True, False, True],
    })


def churn_model(frame):
    pre = ColumnTransformer([("num", SimpleImputer(), ["tenure", "charges"]),
                             ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                                   OneHotEncoder(handle_unknown="ignore")), ["contract"]),
                             ("flag", "passthrough", ["active"])])
    return make_pipeline(pre, LogisticRegression()).fit(frame, [0, 1, 0, 1, 1, 0])


def test_dataframe_inputs_get_types_ranges_levels_and_missing(frame):
    model = churn_model(frame)
    schema, training = infer_schema(model, {"X_train": frame, "model": model})
    by_name = {c["name"]: c for c in schema["inputs"]}
    assert schema["input_kind"] == "dataframe" and training.source == "X_train"
    assert by_name["tenure"] == {"name": "tenure", "dtype": "int64", "nullable": False, "type": "integer",
                                 "min": 1, "max": 40}
    assert by_name["charges"]["type"] == "number" and by_name["charges"]["nullable"] is True
    assert by_name["charges"]["max"] == 45.25
    assert by_name["contract"]["type"] == "string"
    assert by_name["contract"]["categories"] == ["monthly", "two-year", "yearly"]
    assert by_name["contract"]["nullable"] is True
    assert by_name["active"]["type"] == "boolean"
    assert schema["task"] == "classification" and schema["classes"] == [0, 1] and schema["predict_proba"] is True


def test_the_training_frame_is_preferred_over_test_and_wider_frames(frame):
    model = churn_model(frame)
    wider = frame.assign(customer_id=[f"C{i}" for i in range(6)])
    test = frame.iloc[:2]
    _, training = infer_schema(model, {"df": wider, "X_test": test, "X_train": frame})
    assert training.source == "X_train"
    _, training = infer_schema(model, {"df": wider, "X_test": test})
    assert training.source == "X_test"  # an exact match beats a wider frame
    _, training = infer_schema(model, {"df": wider})
    assert list(training.data.columns) == ["tenure", "charges", "contract", "active"]


def test_models_fitted_on_arrays_get_positional_numeric_inputs():
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, np.nan]])
    model = LinearRegression().fit(np.nan_to_num(X), [1.0, 2.0])
    schema, _ = infer_schema(model, {"X": X})
    assert [c["name"] for c in schema["inputs"]] == ["x0", "x1", "x2"]
    assert schema["inputs"][2]["nullable"] is True and schema["inputs"][0]["min"] == 1.0
    assert schema["task"] == "regression" and schema["predict_proba"] is False


def test_text_pipelines_take_one_text_input():
    texts = ["refund my card", "app crashes on login", "charged twice", "cannot log in"]
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(texts, ["billing", "tech", "billing", "tech"])
    schema, training = infer_schema(model, {"texts": texts})
    assert schema["input_kind"] == "text" and schema["inputs"][0]["name"] == "text"
    assert schema["classes"] == ["billing", "tech"] and training.data == texts


def test_missing_training_data_is_a_schema_error_saying_what_to_keep(frame):
    model = churn_model(frame)
    with pytest.raises(KernelSideError, match="no DataFrame in the notebook's variables holds them all") as err:
        infer_schema(model, {"model": model})
    assert err.value.kind == "SchemaError"


def test_many_distinct_strings_are_not_listed_as_categories():
    frame = pd.DataFrame({"id": [f"C{i:04d}" for i in range(500)], "x": np.arange(500.0)})
    model = make_pipeline(ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["id"])],
                                            remainder="passthrough"), LinearRegression())
    model.fit(frame, np.arange(500.0))
    schema, _ = infer_schema(model, {"frame": frame})
    assert "categories" not in schema["inputs"][0]


def test_an_object_column_holding_none_for_missing_says_so_and_nan_does_not():
    # scikit-learn treats None in an object column as a value (a OneHotEncoder category), not as
    # missing; the service must then decode a JSON null as None, not NaN.
    none = pd.DataFrame({"contract": pd.Series(["monthly", None, "yearly", "monthly"], dtype=object),
                         "seats": [1, 2, 3, 4]})
    nan = none.assign(contract=pd.Series(["monthly", np.nan, "yearly", "monthly"], dtype=object))
    for data, expected in ((none, "None"), (nan, None)):
        model = make_pipeline(ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["contract"]),
                                                 ("num", "passthrough", ["seats"])]),
                              LogisticRegression()).fit(data, [0, 1, 0, 1])
        schema, _ = infer_schema(model, {"X_train": data})
        contract = next(c for c in schema["inputs"] if c["name"] == "contract")
        assert contract.get("missing_value") == expected and contract["nullable"] is True


def test_an_object_array_holding_numbers_and_numeric_strings_is_a_numeric_input():
    # a table read with '?' placeholders: the column with them is text; SimpleImputer on .values
    # keeps an object array that scikit-learn converts to numbers when it fits
    table = pd.DataFrame({"a": [1, 2, 3, 4], "b": ["5", "?", "1", "2"], "c": [0.5, 1.5, 2.5, 3.5]})
    features = SimpleImputer(missing_values="?", strategy="most_frequent").fit_transform(table.values)
    assert features.dtype == object
    model = LogisticRegression().fit(features, [0, 1, 0, 1])
    schema, training = infer_schema(model, {"features": features, "table": table})
    assert schema["input_kind"] == "array" and [c["type"] for c in schema["inputs"]] == ["number"] * 3
    assert training.source == "features" and training.data.dtype == np.float64
    assert training.data[1].tolist() == [2.0, 1.0, 1.5]  # '?' imputed with the most frequent value


def test_an_object_array_of_words_is_not_a_numeric_input():
    words = np.array([["a", "b"], ["c", "d"]], dtype=object)
    model = LogisticRegression().fit(np.array([[0.0, 1.0], [1.0, 0.0]]), [0, 1])
    with pytest.raises(KernelSideError, match="no 2-D numeric array with 2 columns"):
        infer_schema(model, {"words": words})
