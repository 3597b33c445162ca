"""Finding the notebook's held-out data for the chosen model, on plain namespaces."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from builder.kernel.held_out import evaluation_data, held_out_word

RNG = np.random.default_rng(1)
FRAME = pd.DataFrame({"age": RNG.integers(18, 80, 300), "income": RNG.normal(50, 10, 300),
                      "score": RNG.normal(size=300)})
TARGET = pd.Series((FRAME["income"] + 5 * FRAME["score"] > 50).map({True: "yes", False: "no"}), name="bought")


def split():
    X_train, X_test, y_train, y_test = train_test_split(FRAME, TARGET, test_size=0.25, random_state=0)
    return {"df": FRAME, "X": FRAME, "y": TARGET, "X_train": X_train, "X_test": X_test, "y_train": y_train,
            "y_test": y_test}


@pytest.mark.parametrize("name, word", [("X_test", "test"), ("Xtest", "test"), ("x_val", "val"),
                                        ("test_features", "test"), ("X_test_scaled", "test"), ("XTest", "test"),
                                        ("X_train", None), ("contest", None), ("X_valid2", "valid")])
def test_held_out_names(name, word):
    assert held_out_word(name) == word


def test_the_test_part_of_the_split_is_found_for_a_dataframe_model():
    ns = split()
    model = LogisticRegression().fit(ns["X_train"], ns["y_train"])
    data = evaluation_data(model, {**ns, "y_pred": model.predict(ns["X_test"]), "model": model})
    assert data.source == "held-out" and data.variables == {"X": "X_test", "y": "y_test"}
    assert len(data.target) == 75 and data.target == ns["y_test"].tolist()
    assert list(data.inputs.data.index) == list(ns["X_test"].index)


def test_a_target_with_another_index_is_not_paired_with_the_inputs():
    ns = split()
    model = LogisticRegression().fit(ns["X_train"], ns["y_train"])
    ns["y_test"] = ns["y_test"].reset_index(drop=True)  # same length, other rows
    assert evaluation_data(model, ns).source == "training"


def test_the_scaled_twin_of_the_training_array_is_used_for_a_model_fitted_on_it():
    ns = split()
    scaler = StandardScaler().fit(ns["X_train"])
    ns.update(X_train_s=scaler.transform(ns["X_train"]), X_test_s=scaler.transform(ns["X_test"]))
    model = LogisticRegression().fit(ns["X_train_s"], ns["y_train"])
    data = evaluation_data(model, ns)
    assert data.variables == {"X": "X_test_s", "y": "y_test"}
    assert model.score(data.inputs.data, data.target) == model.score(ns["X_test_s"], ns["y_test"])


def test_training_rows_under_a_test_name_are_not_held_out_and_say_so():
    ns = split()
    model = LogisticRegression().fit(ns["X_train"], ns["y_train"])
    ns.update(X_test=ns["X_train"].copy(), y_test=ns["y_train"].copy())
    data = evaluation_data(model, ns)
    assert data.source == "training" and data.variables == {"X": "X_train", "y": "y_train"}
    assert "no variable such as X_test/y_test" in data.reason


def test_labels_the_model_never_predicts_are_not_its_target():
    ns = split()
    model = LogisticRegression().fit(ns["X_train"], ns["y_train"])
    ns["y_test"] = (ns["y_test"] == "yes").astype(int)  # encoded elsewhere: not this model's classes
    ns["y_train"] = ns["y_train"].map({"yes": 1, "no": 0})
    ns["y"] = ns["y"].map({"yes": 1, "no": 0})
    data = evaluation_data(model, ns)
    assert data.source == "none" and "no held-out data" in data.reason


def test_a_regressor_fitted_on_all_the_data_is_evaluated_on_training_data_labelled_so():
    X = RNG.normal(size=(50, 2))
    y = X @ [1.0, 2.0]
    model = LinearRegression().fit(X, y)
    data = evaluation_data(model, {"X": X, "y": y, "predictions": model.predict(X)})
    assert data.source == "training" and data.variables == {"X": "X", "y": "y"} and len(data.target) == 50


def test_text_models_find_their_test_texts():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    texts = [f"good {i}" if i % 2 else f"bad {i}" for i in range(40)]
    labels = [i % 2 for i in range(40)]
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(texts[:30], labels[:30])
    ns = {"train_texts": texts[:30], "test_texts": texts[30:], "train_labels": labels[:30], "test_labels": labels[30:]}
    data = evaluation_data(model, ns)
    assert data.source == "held-out" and data.variables == {"X": "test_texts", "y": "test_labels"}


def test_a_renumbered_training_frame_does_not_make_the_test_rows_look_like_training_rows():
    ns = split()
    ns["X_train"] = ns["X_train"].reset_index(drop=True)  # as SMOTE's fit_resample returns it
    ns["y_train"] = ns["y_train"].reset_index(drop=True)
    model = LogisticRegression().fit(ns["X_train"], ns["y_train"])
    assert evaluation_data(model, ns).variables == {"X": "X_test", "y": "y_test"}


def test_test_texts_that_repeat_training_texts_are_still_held_out_by_their_index():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    messages = pd.Series(["free prize now", "see you later", "call me", "win cash"] * 50)  # many duplicates
    labels = pd.Series([1, 0, 0, 1] * 50)
    X_train, X_test, y_train, y_test = train_test_split(messages, labels, test_size=0.2, random_state=0)
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(X_train, y_train)
    ns = {"X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test}
    assert evaluation_data(model, ns).variables == {"X": "X_test", "y": "y_test"}
    ns["X_test"], ns["y_test"] = X_train.iloc[:40], y_train.iloc[:40]  # training rows under a test name
    assert evaluation_data(model, ns).source == "training"
