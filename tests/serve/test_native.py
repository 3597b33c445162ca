"""POST /predict: nb2service's own format, Seldon's, nachlass' form field and CSV."""

import io
import json

import pytest

from .conftest import KINDS, examples, local_predict


@pytest.mark.parametrize("kind", KINDS)
def test_instances_are_predicted_as_the_model_predicts_in_process(clients, artifacts, kind):
    rows = examples(artifacts[kind])
    response = clients[kind].post("/predict", json={"instances": rows})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["predictions"] == local_predict(artifacts[kind], rows)


def test_classifiers_answer_probabilities_per_class_in_class_order(clients, artifacts):
    rows = examples(artifacts["churn"])
    body = clients["churn"].post("/predict", json=rows).get_json()
    expected = local_predict(artifacts["churn"], rows, proba=True)
    assert [list(p.keys()) for p in body["probabilities"]] == [["no", "yes"]] * len(rows)
    assert [v for p in body["probabilities"] for v in p.values()] == pytest.approx([v for row in expected for v in row])


def test_regressors_answer_without_probabilities(clients, artifacts):
    body = clients["regressor"].post("/predict", json={"age": 40, "bmi": 25.0}).get_json()
    assert set(body) == {"predictions"} and len(body["predictions"]) == 1


def test_one_record_is_a_batch_of_one(clients, artifacts):
    row = examples(artifacts["churn"])[1]
    body = clients["churn"].post("/predict", json=row).get_json()
    assert body["predictions"] == local_predict(artifacts["churn"], [row])


def test_array_models_take_rows_as_lists(clients, artifacts):
    rows = examples(artifacts["array"])
    assert clients["array"].post("/predict", json=rows).get_json()["predictions"] == local_predict(artifacts["array"], rows)


def test_seldon_ndarray_with_names_in_any_order_is_answered_in_seldon_shape_too(clients, artifacts):
    rows = examples(artifacts["churn"])
    names = ["zip", "tenure", "charges", "contract", "paperless"]
    body = clients["churn"].post("/predict", json={"data": {"names": names, "ndarray": [[r[n] for n in names] for r in rows]}})
    body = body.get_json()
    assert body["predictions"] == local_predict(artifacts["churn"], rows)
    assert body["data"]["names"] == ["no", "yes"] and len(body["data"]["ndarray"]) == len(rows)


@pytest.mark.parametrize("ndarray", [[1.5, 2.0, 0.025, 3.0], [[1.5, 2.0], 0.025], ["x0", [1.0]]])
def test_an_array_model_given_rows_that_are_not_lists_answers_400_naming_the_field(clients, ndarray):
    # Found by the fuzzer: a flat ndarray of numbers was a 500 (TypeError) on the array fast path.
    response = clients["array"].post("/predict", json={"data": {"names": False, "ndarray": ndarray}})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == "data"


@pytest.mark.parametrize("names", [[{"a": 1}], [["tenure"]], [1, 2, 3, 4, 5]])
def test_seldon_names_that_are_not_strings_are_a_400_naming_the_field(clients, names):
    # Found by the fuzzer: a dict or a list among data.names was a 500 (unhashable type).
    response = clients["churn"].post("/predict", json={"data": {"names": names, "ndarray": [[1] * len(names)]}})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == "data.names" and "must be strings" in response.get_json()["error"]


def test_a_null_is_decoded_as_the_training_data_held_missing_strings(artifacts):
    # tests/serve's churn frame holds None (not NaN) in its object column 'contract', which
    # OneHotEncoder learned as a category: a JSON null must predict what None did in the notebook.
    import joblib
    import pandas as pd

    from builder.model import ServedModel

    artifact = artifacts["churn"]
    contract = next(c for c in json.loads((artifact / "metadata.json").read_text())["inputs"] if c["name"] == "contract")
    assert contract["missing_value"] == "None"
    row = {"tenure": 5, "charges": 50.0, "contract": None, "zip": "10001", "paperless": True}
    frame = pd.DataFrame({k: pd.Series([v], dtype=object if k == "contract" else None) for k, v in row.items()})
    model = joblib.load(artifact / "model.joblib")
    served = ServedModel.load(artifact).predict_records([row], proba=True)
    assert served.probabilities == model.predict_proba(frame).tolist()


def test_the_nachlass_form_field_json_args_holds_json(clients, artifacts):
    rows = examples(artifacts["churn"])
    response = clients["churn"].post("/predict", data={"json_args": json.dumps(rows)})
    assert response.status_code == 200
    assert response.get_json()["predictions"] == local_predict(artifacts["churn"], rows)


def test_a_pickle_in_json_args_is_refused_as_invalid_json(clients):
    import pickle

    payload = pickle.dumps([{"tenure": 1}]).decode("latin-1")
    response = clients["churn"].post("/predict", data={"json_args": payload})
    assert response.status_code == 400 and response.get_json()["field"] == "json_args"


def test_csv_with_a_header_row_gives_the_same_answer_as_json(clients, artifacts):
    rows = examples(artifacts["churn"])
    names = list(rows[0])
    text = ",".join(names) + "\n" + "\n".join(",".join("" if r[n] is None else str(r[n]) for n in names) for r in rows)
    response = clients["churn"].post("/predict", data=text, content_type="text/csv")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["predictions"] == clients["churn"].post("/predict", json=rows).get_json()["predictions"]


def test_zip_codes_stay_strings_with_their_leading_zero(clients, artifacts):
    row = dict(examples(artifacts["churn"])[0], zip="02134")
    as_number = dict(row, zip=2134)
    a = clients["churn"].post("/predict", json=[row]).get_json()
    b = clients["churn"].post("/predict", json=[as_number]).get_json()
    assert a["probabilities"] != b["probabilities"]  # "2134" is a category never seen, "02134" one seen


def test_extra_columns_are_ignored(clients, artifacts):
    rows = examples(artifacts["churn"])
    body = clients["churn"].post("/predict", json=[dict(r, unused="x") for r in rows]).get_json()
    assert body["predictions"] == local_predict(artifacts["churn"], rows)


BAD = [
    ("malformed-json", b'{"instances": [', "application/json", 400, "body", "not valid JSON"),
    ("empty-body", b"", "application/json", 400, "body", "empty"),
    ("empty-batch", b'{"instances": []}', "application/json", 400, "instances", "empty"),
    ("missing-column", b'[{"tenure": 3}]', "application/json", 400, "charges", "missing 4 columns in row 0: 'charges' (number), 'contract' (string), 'zip' (string), 'paperless' (boolean)"),
    ("uncastable", b'[{"tenure": "abc", "charges": 1, "contract": "monthly", "zip": "1", "paperless": true}]',
     "application/json", 400, "tenure", "expected a number"),
    ("instances-not-a-list", b'{"instances": 3}', "application/json", 400, "instances", "must be a list"),
    ("number-body", b"3", "application/json", 400, "body", "expected"),
    ("form-without-json-args", b"x=1", "application/x-www-form-urlencoded", 400, "json_args", "json_args"),
    ("csv-header-only", b"tenure,charges\n", "text/csv", 400, "instances", "no rows"),
    ("empty-csv", b"", "text/csv", 400, "body", "empty"),
    ("wrong-content-type", b"<x/>", "application/xml", 415, "Content-Type", "unsupported content type"),
    ("latin-1-charset", b"[]", "application/json; charset=latin-1", 415, "Content-Type", "charset"),
]


@pytest.mark.parametrize("body, content_type, status, field, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_a_client_error_naming_the_field(clients, body, content_type, status, field, words):
    response = clients["churn"].post("/predict", data=body, content_type=content_type)
    assert response.status_code == status
    error = response.get_json()
    assert error["field"] == field and words in error["error"]


def test_text_models_refuse_non_strings_naming_the_input(clients):
    response = clients["text"].post("/predict", json=[3])
    assert response.status_code == 400 and response.get_json()["field"] == "text"


def test_a_body_over_the_limit_is_413(fresh_client):
    from builder.config import ServeSettings

    client = fresh_client("churn", settings=ServeSettings(max_request_bytes=100))
    response = client.post("/predict", data=io.BytesIO(b"[" + b" " * 200 + b"]"), content_type="application/json")
    assert response.status_code == 413 and "larger than the limit of 100 bytes" in response.get_json()["error"]


def test_an_exception_inside_the_model_is_a_500_without_the_traceback(fresh_client, artifacts, caplog):
    client = fresh_client("churn")

    class Exploding:
        def predict(self, X):
            raise ZeroDivisionError("secret internals")

    client.application.extensions["nb2service"].model.estimator = Exploding()
    response = client.post("/predict", json=examples(artifacts["churn"]))
    assert response.status_code == 500
    assert response.get_json()["error"] == "the model failed to predict: ZeroDivisionError"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "secret internals" in caplog.text  # the traceback is logged


def test_missing_values_the_model_cannot_take_are_a_client_error(fresh_client, artifacts):
    client = fresh_client("array")
    response = client.post("/predict", json=[[None, 1, 2, 3]])
    assert response.status_code == 400
    assert response.get_json()["field"] == "x0" and "missing values" in response.get_json()["error"]


def test_an_unknown_path_is_a_json_404(clients):
    response = clients["churn"].get("/nope")
    assert response.status_code == 404 and "error" in response.get_json()


@pytest.mark.parametrize("kind, body", [
    ("churn", "61,106.07,monthly,94105,false\n3,80.5,yearly,10001,true\n"),
    ("array", "5.1,3.5,1.4,0.2\n"),
    ("text", "win money now\nlunch tomorrow?\n"),
], ids=["dataframe", "array", "text"])
def test_csv_without_its_header_row_is_told_so_with_the_header_to_send(clients, kind, body):
    response = clients[kind].post("/predict", data=body, content_type="text/csv")
    assert response.status_code == 400 and "the CSV body has no header row" in response.get_json()["error"]
    names = clients[kind].get("/model").get_json()["inputs"]
    assert ",".join(c["name"] for c in names) in response.get_json()["error"]


def test_csv_with_a_header_of_other_names_is_told_which_columns_are_missing(clients):
    response = clients["array"].post("/predict", data="sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n",
                                     content_type="text/csv")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("missing 4 columns: 'x0' (number)")
