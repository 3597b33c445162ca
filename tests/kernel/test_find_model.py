"""Model detection, on plain namespaces (the kernel's ``user_ns`` is a dict)."""

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from builder.kernel import tracker
from builder.kernel.find_model import KernelSideError, choose_model

X = np.arange(40, dtype=float).reshape(20, 2)
y = np.array([0, 1] * 10)


@pytest.fixture(autouse=True)
def fresh_tracker(monkeypatch):
    monkeypatch.setattr(tracker, "_state", {"cell": 0, "fitted_in": {}, "fingerprints": {}})


def run_cells(*cells, namespace=None):
    """Run each cell's code in one namespace, recording after each as the kernel hook does (and
    keeping the cells' code in ``In``, as IPython does)."""
    ns = {"np": np, "X": X, "y": y, "In": [""], **(namespace or {})}
    for code in cells:
        ns["In"].append(code)
        exec(code, {"LogisticRegression": LogisticRegression, "DummyClassifier": DummyClassifier,
                    "Pipeline": Pipeline, "StandardScaler": StandardScaler, "GridSearchCV": GridSearchCV,
                    "LinearRegression": LinearRegression, "ColumnTransformer": ColumnTransformer}, ns)
        tracker.record(ns)
    return ns


def test_a_variable_named_model_wins_over_a_later_fit():
    ns = run_cells("model = LogisticRegression().fit(X, y)", "other = DummyClassifier().fit(X, y)")
    choice = choose_model(ns)
    assert choice.estimator is ns["model"] and "conventional name 'model'" in choice.reason


def test_the_most_recently_fitted_model_wins():
    ns = run_cells("baseline = DummyClassifier().fit(X, y)", "clf = LogisticRegression().fit(X, y)")
    assert choose_model(ns).label == "clf"


def test_refitting_an_earlier_model_makes_it_the_most_recent():
    ns = run_cells("a = DummyClassifier().fit(X, y)", "b = LogisticRegression().fit(X, y)", "a.fit(X, y)")
    assert choose_model(ns).label == "a"


def test_a_pipeline_wins_over_its_own_steps():
    ns = run_cells("scaler = StandardScaler(); lr = LogisticRegression()\n"
                   "pipe = Pipeline([('s', scaler), ('lr', lr)]).fit(X, y)")
    choice = choose_model(ns)
    assert choice.label == "pipe" and choice.estimator is ns["pipe"]


def test_a_search_is_served_through_its_best_estimator():
    ns = run_cells("search = GridSearchCV(LogisticRegression(), {'C': [0.1, 1.0]}, cv=2).fit(X, y)")
    choice = choose_model(ns)
    assert choice.estimator is ns["search"].best_estimator_ and "best estimator" in choice.reason


def test_two_models_fitted_in_the_same_cell_are_ambiguous_and_listed_with_how_to_pick():
    ns = run_cells("lr = LogisticRegression().fit(X, y); dummy = DummyClassifier().fit(X, y)")
    with pytest.raises(KernelSideError) as err:
        choose_model(ns)
    assert "lr (LogisticRegression)" in err.value.message and "dummy (DummyClassifier)" in err.value.message
    assert "MODEL_VARIABLE" in err.value.hint


def test_an_explicit_variable_wins_and_may_index_a_bundle():
    ns = run_cells("bundle = {'model': LogisticRegression().fit(X, y)}", "later = DummyClassifier().fit(X, y)")
    assert choose_model(ns, explicit="bundle['model']").estimator is ns["bundle"]["model"]


def test_an_explicit_variable_that_is_not_a_fitted_model_is_an_error_listing_the_candidates():
    ns = run_cells("clf = LogisticRegression().fit(X, y); unfitted = LogisticRegression()")
    with pytest.raises(KernelSideError, match="not a fitted estimator") as err:
        choose_model(ns, explicit="unfitted")
    assert "clf" in err.value.hint


def test_unfitted_estimators_and_classes_are_not_models():
    ns = run_cells("est = LogisticRegression(); cls = LogisticRegression")
    with pytest.raises(KernelSideError, match="no fitted model"):
        choose_model(ns)


def test_saved_pipeline_stages_are_chained_in_order():
    scaler = StandardScaler().fit(X)
    lr = LogisticRegression().fit(scaler.transform(X), y)
    choice = choose_model({}, saved=[scaler, lr])
    assert [name for name, _ in choice.estimator.steps] == ["stage0", "stage1"]
    assert list(choice.estimator.predict(X)) == list(lr.predict(scaler.transform(X)))


def test_conventional_names_win_over_a_later_fit_in_their_order():
    ns = run_cells("best_model = LogisticRegression().fit(X, y)", "clf = LogisticRegression().fit(X, y)",
                   "scratch = DummyClassifier().fit(X, y)")
    assert choose_model(ns).label == "best_model"


def test_a_fitted_search_wins_over_conventional_names_and_serves_its_best_estimator():
    ns = run_cells("search = GridSearchCV(LogisticRegression(), {'C': [0.1, 1.0]}, cv=2).fit(X, y)",
                   "clf = DummyClassifier().fit(X, y)")
    choice = choose_model(ns)
    assert choice.label == "search.best_estimator_" and choice.estimator is ns["search"].best_estimator_


def test_the_model_saved_to_disk_wins_over_everything_in_the_namespace():
    ns = run_cells("model = DummyClassifier().fit(X, y)", "saved = LogisticRegression().fit(X, y)")
    written = [("models/model.joblib", ns["saved"])]
    choice = choose_model(ns, written=written)
    assert choice.estimator is ns["saved"] and choice.label == "saved models/model.joblib"
    assert "saved to disk" in choice.reason


def test_the_estimator_inside_a_saved_bundle_is_served():
    ns = run_cells("lr = LogisticRegression().fit(X, y)")
    bundle = {"scaler": StandardScaler().fit(X), "model": ns["lr"], "columns": ["a", "b"]}
    choice = choose_model(ns, written=[("bundle.pkl", bundle), ("notes.pkl", {"accuracy": 0.9})])
    assert choice.estimator is ns["lr"] and choice.label == "saved bundle.pkl['model']"


def test_estimators_inside_namespace_bundles_are_candidates():
    ns = run_cells("results = {'lr': LogisticRegression().fit(X, y)}")
    assert choose_model(ns).label == "results['lr']"


# ---- the model people meant (issue 14) ----------------------------------------------------------

RNG = np.random.default_rng(0)
FEATURES = RNG.normal(size=(200, 3))
LABELS = (FEATURES[:, 0] + 0.3 * RNG.normal(size=200) > 0).astype(int)
SPLIT = {"X_train": FEATURES[:150], "X_test": FEATURES[150:], "y_train": LABELS[:150], "y_test": LABELS[150:]}
MODELS = ("from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier\n"
          "from sklearn.tree import DecisionTreeClassifier\n")


def test_a_best_model_chosen_in_a_loop_wins_over_the_model_the_loop_left_behind():
    ns = run_cells(MODELS + "models = {'rf': RandomForestClassifier(n_estimators=10, random_state=0),\n"
                   "          'gb': GradientBoostingClassifier(random_state=0)}",
                   "best_score, best_model = 0, None\n"
                   "for name, model in models.items():\n"
                   "    model.fit(X_train, y_train)\n"
                   "    score = model.score(X_test, y_test)\n"
                   "    if score > best_score:\n"
                   "        best_score, best_model = score, model",
                   "best_model = models['rf']",
                   namespace=SPLIT)
    choice = choose_model(ns)
    assert choice.label == "best_model" and "says the notebook chose it" in choice.reason
    assert type(ns["model"]).__name__ == "GradientBoostingClassifier"  # what the old rule served


def test_a_name_a_loop_rebinds_is_not_taken_as_the_conventional_name():
    ns = run_cells(MODELS + "tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X_train, y_train)",
                   "for model in [DecisionTreeClassifier(max_depth=2, random_state=0)]:\n"
                   "    model.fit(X_train, y_train)",
                   "tree.fit(X_train, y_train)", namespace=SPLIT)
    choice = choose_model(ns)
    assert choice.label == "tree" and "a loop rebinds it" in choice.reason


def test_an_estimator_refit_after_rfe_is_served_not_the_selector():
    ns = run_cells("from sklearn.feature_selection import RFE\n"
                   "lr = LogisticRegression()\nrfe = RFE(lr, n_features_to_select=2).fit(X_train, y_train)",
                   "lr.fit(X_train, y_train)", namespace=SPLIT)
    choice = choose_model(ns)
    assert choice.estimator is ns["lr"] and "rfe" in choice.candidates


@pytest.mark.parametrize("meta", [
    "from sklearn.feature_selection import SelectFromModel as M; meta = M(inner).fit(X_train, y_train)",
    "from sklearn.calibration import CalibratedClassifierCV as M; meta = M(inner, cv=3).fit(X_train, y_train)",
    "from sklearn.ensemble import BaggingClassifier as M; meta = M(inner, n_estimators=3).fit(X_train, y_train)",
    "from sklearn.ensemble import StackingClassifier as M\n"
    "meta = M([('a', inner), ('b', DummyClassifier())], cv=3).fit(X_train, y_train)",
], ids=["SelectFromModel", "CalibratedClassifierCV", "Bagging", "Stacking"])
def test_an_estimator_passed_into_a_meta_estimator_stays_a_candidate_of_its_own(meta):
    ns = run_cells("inner = LogisticRegression()", meta, "inner.fit(X_train, y_train)", namespace=SPLIT)
    assert choose_model(ns).estimator is ns["inner"]


def test_models_fitted_in_the_same_cell_are_settled_on_held_out_data():
    ns = run_cells(MODELS + "lr = LogisticRegression().fit(X_train, y_train)\n"
                   "stump = DummyClassifier(strategy='constant', constant=0).fit(X_train, y_train)",
                   namespace=SPLIT)
    choice = choose_model(ns)
    assert choice.label == "lr" and "best on held-out data" in choice.reason and "X_test/y_test" in choice.reason
    assert choice.comparison["metric"] == "accuracy" and [s["label"] for s in choice.comparison["scores"]] == ["lr", "stump"]


def test_models_returned_together_in_a_tuple_are_settled_on_held_out_data():
    ns = run_cells("def train(X, y):\n"
                   "    return DummyClassifier().fit(X, y), LogisticRegression().fit(X, y)",
                   "models = train(X_train, y_train)", namespace=SPLIT)
    assert choose_model(ns).label == "models[1]"


def test_models_that_score_the_same_stay_ambiguous():
    ns = run_cells("a = LogisticRegression().fit(X_train, y_train); b = LogisticRegression(C=1.0).fit(X_train, y_train)",
                   namespace=SPLIT)
    with pytest.raises(KernelSideError, match="score the same on held-out data"):
        choose_model(ns)


def test_of_several_saved_models_the_best_on_held_out_data_is_served():
    ns = run_cells("good = LogisticRegression().fit(X_train, y_train)",
                   "bad = DummyClassifier(strategy='constant', constant=0).fit(X_train, y_train)", namespace=SPLIT)
    choice = choose_model(ns, written=[("forest.joblib", ns["good"]), ("baseline.joblib", ns["bad"])])
    assert choice.estimator is ns["good"] and "2 models the notebook saved" in choice.reason


def test_without_held_out_data_the_last_saved_model_is_served_saying_why():
    ns = run_cells("good = LogisticRegression().fit(X, y)", "bad = DummyClassifier().fit(X, y)")
    choice = choose_model(ns, written=[("a.joblib", ns["good"]), ("b.joblib", ns["bad"])])
    assert choice.estimator is ns["bad"] and "not compared on held-out data" in choice.reason


def test_models_tied_on_accuracy_are_settled_by_balanced_accuracy_saying_so():
    # 8 negatives, 2 positives: always-0 gets 8 right; the tree gets 7 negatives and 1 positive right
    held_out = {"X_train": np.arange(10.0).reshape(-1, 1), "y_train": np.array([0] * 9 + [1]),
                "X_test": np.array([[0.5]] * 7 + [[9.5], [9.5], [0.5]]), "y_test": np.array([0] * 8 + [1, 1])}
    ns = run_cells("from sklearn.tree import DecisionTreeClassifier\n"
                   "majority = DummyClassifier(strategy='constant', constant=0).fit(X_train, y_train)\n"
                   "tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)", namespace=held_out)
    choice = choose_model(ns)
    scores = {s["label"]: s["scores"] for s in choice.comparison["scores"]}
    assert scores["majority"]["accuracy"] == scores["tree"]["accuracy"] == 0.8
    assert choice.label == "tree" and "tied on accuracy with majority, balanced_accuracy decided" in choice.reason
