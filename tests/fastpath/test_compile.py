"""Compiling to ONNX at build time: what converts, how closely it agrees, and the fallback."""

import json

import numpy as np
import pytest

from builder.fastpath import ATOL, ONNX_FILE
from builder.fastpath.compile import compile_fast_path
from builder.model import ServedModel

from .conftest import FITTERS, compile_artifact, serve, write_pair

CONVERTED = ["churn", "array", "regressor", "forest", "forest_regressor"]


@pytest.mark.parametrize("kind", CONVERTED)
def test_the_model_compiles_to_onnx_and_agrees_with_scikit_learn_on_the_training_rows(pairs, kind):
    _, fast, info = pairs[kind]
    assert info["path"] == "onnx", info["reason"]
    assert (fast / ONNX_FILE).is_file() and info["rows"] > 0
    assert info["max_abs_diff"] <= ATOL and info["sha256"]


@pytest.mark.parametrize("kind", ["churn", "forest"])
def test_missing_strings_missing_numbers_and_unseen_categories_predict_as_in_scikit_learn(pairs, kind):
    plain, fast = pairs[kind][:2]
    rows = [{"tenure": 5, "charges": None, "contract": None, "zip": "99999", "paperless": True},
            {"tenure": 70, "charges": 33.5, "contract": "never-seen", "zip": None, "paperless": False},
            {"tenure": 0, "charges": 1e6, "contract": "monthly", "zip": "10001", "paperless": True}]
    want = ServedModel.load(plain).predict_records(rows, proba=True)
    got = ServedModel.load(fast).predict_records(rows, proba=True)
    assert got.predictions == want.predictions
    assert np.allclose(got.probabilities, want.probabilities, atol=ATOL, rtol=0)


def test_the_fast_path_serves_without_a_dataframe_or_the_scikit_learn_model(pairs):
    model = ServedModel.load(pairs["churn"][1])
    assert model.inference_path == "onnx" and model._estimator is None
    assert isinstance(model.schema.from_records(serve._rows("churn", serve._churn()[1])), dict)


def test_trees_see_inputs_exactly_as_scikit_learn_does(tmp_path):
    from sklearn.tree import DecisionTreeClassifier

    # scikit-learn's trees round the input to float32, then compare it with a double threshold.
    # Trained on two float32 values two steps apart, the threshold is the float32 value between
    # them; a double a quarter step above it rounds down onto it and goes left. Comparing doubles
    # would send it right; float32 thresholds would move other rows.
    low = np.float32(1000.0)
    step = float(np.spacing(low))
    X = np.array([[float(low)], [float(low) + 2 * step]] * 10)
    y = np.array([0, 1] * 10)
    model = DecisionTreeClassifier().fit(X, y)
    assert model.tree_.threshold[0] == float(low) + step
    rows = [[float(low)], [float(low) + 2 * step], [float(low) + 1.25 * step]]
    schema = {"input_kind": "array", "task": "classification", "classes": [0, 1], "predict_proba": True,
              "inputs": [{"name": "x0", "type": "number", "dtype": "float64", "nullable": False}]}
    assert model.predict(np.array(rows)).tolist() == [0, 1, 0]
    info = compile_fast_path(model, schema, rows, [0, 1, 0], model.predict_proba(np.array(rows)).tolist(), tmp_path)
    assert info["path"] == "onnx", info["reason"]  # so the ONNX form said [0, 1, 0] too


def test_a_text_pipeline_is_served_by_onnx_only_if_it_predicts_identically(pairs):
    plain, fast, info = pairs["text"]
    rows = ["win a free prize now", "see you at lunch", "", "MONEY!!! offer"]
    got = ServedModel.load(fast).predict_records(rows, proba=True)
    want = ServedModel.load(plain).predict_records(rows, proba=True)
    if info["path"] == "onnx":
        assert got.predictions == want.predictions
        assert np.allclose(got.probabilities, want.probabilities, atol=ATOL, rtol=0)
    else:
        assert not (fast / ONNX_FILE).exists() and info["reason"]
        assert ServedModel.load(fast).inference_path == "sklearn"


def test_a_label_mismatch_falls_back_to_scikit_learn_and_says_which_row(tmp_path):
    model, data = FITTERS["churn"]()
    out = write_pair(tmp_path, "churn")[0]  # the same model, served by scikit-learn
    meta = json.loads((out / "metadata.json").read_text())
    wrong = ["yes" if p == "no" else "no" for p in model.predict(data)]
    wrong[3:] = model.predict(data)[3:].tolist()
    info = compile_artifact(out, model, data, meta, predictions=wrong)
    assert info["path"] == "sklearn" and "row 0: label" in info["reason"]
    assert not (out / ONNX_FILE).exists()
    assert ServedModel.load(out).inference_path == "sklearn"


def test_probabilities_beyond_the_tolerance_fall_back_to_scikit_learn(tmp_path):
    model, data = FITTERS["churn"]()
    out = write_pair(tmp_path, "churn")[0]  # the same model, served by scikit-learn
    meta = json.loads((out / "metadata.json").read_text())
    shifted = (model.predict_proba(data) + [10 * ATOL, -10 * ATOL]).tolist()
    info = compile_artifact(out, model, data, meta, probabilities=shifted)
    assert info["path"] == "sklearn" and "probabilities differ" in info["reason"]
    assert info["max_abs_diff"] == pytest.approx(10 * ATOL, rel=1e-3)


def test_a_model_skl2onnx_cannot_convert_falls_back_and_says_why(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.linear_model import Ridge

    _, X = serve._regressor()
    model = make_pipeline(FunctionTransformer(lambda a: a * 2), Ridge()).fit(X, X["age"] * 2.0)
    out = serve.write_artifact(tmp_path / "regressor", "regressor")
    meta = json.loads((out / "metadata.json").read_text())
    info = compile_artifact(out, model, X, meta)
    assert info["path"] == "sklearn" and "skl2onnx cannot convert it" in info["reason"]


def test_datetime_inputs_are_not_converted(tmp_path):
    schema = {"input_kind": "dataframe", "task": "regression", "classes": None, "predict_proba": False,
              "inputs": [{"name": "when", "type": "datetime", "dtype": "datetime64[ns]"}]}
    info = compile_fast_path(object(), schema, [{"when": "2024-01-01"}], [1.0], None, tmp_path)
    assert info["path"] == "sklearn" and "column 'when' is a datetime" in info["reason"]


def test_a_changed_onnx_file_refuses_to_start(pairs, tmp_path):
    import shutil

    from builder.errors import ArtifactError

    fast = shutil.copytree(pairs["churn"][1], tmp_path / "tampered")
    with open(fast / ONNX_FILE, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ArtifactError, match="changed after the build"):
        ServedModel.load(fast)


def test_a_model_trained_with_none_for_missing_strings_is_served_by_scikit_learn(tmp_path):
    # OneHotEncoder learned None as a category; the ONNX form sees every missing string alike.
    artifact = serve.write_artifact(tmp_path / "churn-none", "churn")
    model, data = serve.FITTERS["churn"]()
    meta = json.loads((artifact / "metadata.json").read_text())
    info = compile_artifact(artifact, model, data, meta)
    assert info["path"] == "sklearn" and "None (not NaN)" in info["reason"] and "contract" in info["reason"]
    assert not (artifact / ONNX_FILE).exists()


@pytest.mark.parametrize("classes", [2, 3])
def test_a_forest_vote_split_evenly_gives_scikit_learns_label(tmp_path, classes):
    """Seen on a public churn notebook's forest: rows where half the trees vote each way are the
    first class in scikit-learn (its sum of the trees' votes, divided by their number, ties exactly
    and argmax takes the first); a sum of pre-divided votes, or 1 - p for the first of two classes,
    made 0.49999999999999967 against 0.5000000000000003 and the other label on 5 of 3,039 rows."""
    from sklearn.ensemble import RandomForestClassifier

    from builder.fastpath.runtime import OnnxModel
    from builder.model.inputs import InputSchema

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + rng.normal(0, 1.2, 400) > 0).astype(int) + (classes == 3) * (X[:, 1] > 1)
    model = RandomForestClassifier(n_estimators=100 if classes == 2 else 30, random_state=0).fit(X, y)  # pure leaves: votes
    grid = rng.normal(size=(20000, 3))
    proba = model.predict_proba(grid)
    top = np.sort(proba, axis=1)
    assert (top[:, -1] == top[:, -2]).sum() > 10  # tied votes occur among these rows
    schema = {"input_kind": "array", "task": "classification", "classes": model.classes_.tolist(),
              "predict_proba": True,
              "inputs": [{"name": f"x{i}", "type": "number", "dtype": "float64", "nullable": False} for i in range(3)]}
    rows = X.tolist()
    info = compile_fast_path(model, schema, rows, model.predict(X).tolist(), model.predict_proba(X).tolist(), tmp_path)
    assert info["path"] == "onnx", info
    fast = OnnxModel(tmp_path / ONNX_FILE, InputSchema.from_metadata(schema), "classification")
    labels, got = fast.run(grid, True)
    assert labels.tolist() == model.predict(grid).tolist()
    assert np.array_equal(got, proba)  # the same sums in the same order: the same doubles
