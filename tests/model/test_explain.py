"""Explanations (builder.model.explain) on fitted scikit-learn models of many shapes: contributions
plus base value give the model's own output to 1e-6, raw inputs get the sum of the columns they
produced, and models with no exact method are refused with a 501."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.kernel.infer_schema import infer_schema
from builder.kernel.explain_reference import reference
from builder.model.explain import Explainer, ExplanationUnavailable, column_origins
from builder.model.inputs import InputSchema


def _data():
    rng = np.random.default_rng(3)
    n = 240
    X = pd.DataFrame({"age": rng.integers(18, 80, n), "income": rng.normal(50, 15, n).round(1),
                      "plan": rng.choice(["basic", "plus", "pro"], n), "region": rng.choice(["n", "s"], n)})
    score = (X["age"] - 50) / 10 + (X["plan"] == "pro") * 2 - (X["income"] - 50) / 20
    return X, {"binary": np.where(score > 0, "churn", "stay"),
               "multi": np.where(score > 1, "high", np.where(score > -1, "mid", "low")),
               "value": score * 3 + rng.normal(size=n)}


def _pipeline(final, scale=True):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = make_pipeline(SimpleImputer(), StandardScaler()) if scale else "passthrough"
    pre = ColumnTransformer([("num", numeric, ["age", "income"]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan", "region"])])
    return Pipeline([("pre", pre), ("model", final)])


def _models():
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import ElasticNet, LinearRegression, LogisticRegression, Ridge, SGDClassifier
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeRegressor

    return {
        "logistic-binary": (_pipeline(LogisticRegression(max_iter=1000)), "binary", "decision_function"),
        "logistic-multiclass": (_pipeline(LogisticRegression(max_iter=1000)), "multi", "decision_function"),
        "linear-svc": (_pipeline(LinearSVC()), "binary", "decision_function"),
        "sgd": (_pipeline(SGDClassifier(random_state=0)), "multi", "decision_function"),
        "ols": (_pipeline(LinearRegression()), "value", "predict"),
        "ridge-unscaled": (_pipeline(Ridge(), scale=False), "value", "predict"),
        "elastic-net": (_pipeline(ElasticNet(alpha=0.01)), "value", "predict"),
        "forest-binary": (_pipeline(RandomForestClassifier(n_estimators=10, random_state=0)), "binary", "predict_proba"),
        "extra-trees-multiclass": (_pipeline(ExtraTreesClassifier(n_estimators=10, random_state=0)), "multi",
                                   "predict_proba"),
        "boosting-binary": (_pipeline(GradientBoostingClassifier(n_estimators=15)), "binary", "decision_function"),
        "boosting-regressor": (_pipeline(GradientBoostingRegressor(n_estimators=15)), "value", "predict"),
        "forest-regressor": (_pipeline(RandomForestRegressor(n_estimators=10, random_state=0)), "value", "predict"),
        "tree-regressor": (_pipeline(DecisionTreeRegressor(max_depth=4)), "value", "predict"),
    }


def _fitted(model, target):
    X, targets = _data()
    model.fit(X, targets[target])
    schema, _ = infer_schema(model, {"X_train": X})
    meta = {**schema, "explain": reference(model, X)}
    return model, X, meta, InputSchema.from_metadata(meta)


def _model_output(model, X, output):
    return np.asarray(getattr(model, output)(X), dtype="float64").reshape(len(X), -1)


@pytest.mark.parametrize("name", list(_models()))
def test_contributions_plus_base_value_give_the_models_own_output_per_raw_input(name):
    model, target, output = _models()[name]
    model, X, meta, schema = _fitted(model, target)
    explanation, error = Explainer(model, schema, meta).checked(X.iloc[:40])
    assert explanation.output == output
    assert explanation.features == ["age", "income", "plan", "region"]
    expected = _model_output(model, X.iloc[:40], output)
    if output == "predict_proba" or (output == "decision_function" and expected.shape[1] > 1):
        assert explanation.outputs == [str(c) for c in model.classes_]
    contributions = np.asarray(explanation.contributions)  # [row][output][feature]
    total = np.asarray(explanation.base_values) + contributions.sum(axis=2)
    assert total.shape == expected.shape
    assert np.abs(total - expected).max() < 1e-6 and error < 1e-6


def test_a_linear_contribution_is_the_coefficient_times_the_centred_value_summed_over_its_columns():
    model, X, meta, schema = _fitted(_pipeline(_models()["ols"][0].steps[-1][1]), "value")
    explanation = Explainer(model, schema, meta).explain(X.iloc[:5])
    pre, final = model.steps[0][1], model.steps[-1][1]
    design = pre.transform(X.iloc[:5])
    mean = pre.transform(X).mean(axis=0)
    names = list(pre.get_feature_names_out())
    plan = [j for j, n in enumerate(names) if n.startswith("cat__plan_")]
    assert len(plan) == 3
    by_hand = (final.coef_[plan] * (design[:, plan] - mean[plan])).sum(axis=1)
    assert np.allclose([row[0][2] for row in explanation.contributions], by_hand, atol=1e-9)
    assert np.allclose(explanation.base_values, final.intercept_ + final.coef_ @ mean, atol=1e-9)
    # centred on the training mean: contributions average to zero over the training rows
    full = Explainer(model, schema, meta).explain(X)
    assert np.abs(np.asarray(full.contributions).mean(axis=0)).max() < 1e-9


def test_without_a_recorded_reference_linear_contributions_centre_on_zero_and_still_add_up():
    model, X, meta, schema = _fitted(_models()["logistic-binary"][0], "binary")
    explanation, error = Explainer(model, schema, {**meta, "explain": None}).checked(X.iloc[:10])
    assert error < 1e-6
    assert np.allclose(explanation.base_values, model.steps[-1][1].intercept_[0])


def test_columns_mixing_several_inputs_are_explained_in_the_models_input_space():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures

    pre = ColumnTransformer([("poly", PolynomialFeatures(2), ["age", "income"]), ("cat", OneHotEncoder(), ["plan"])])
    model, X, meta, schema = _fitted(Pipeline([("pre", pre), ("model", Ridge())]), "value")
    explanation, error = Explainer(model, schema, meta).checked(X.iloc[:10])
    assert "poly__age income" in explanation.features and "cat__plan_pro" in explanation.features
    assert error < 1e-6


def test_the_origin_of_each_column_follows_the_column_transformer_and_one_hot_encoders():
    model, X, _, schema = _fitted(_models()["ols"][0], "value")
    origins = column_origins([model.steps[0][1]], schema.names)
    assert origins == ["age", "income", "plan", "plan", "plan", "region", "region"]


@pytest.mark.parametrize("case", ["neighbours", "rbf-svm", "poisson", "multiclass-boosting"])
def test_models_without_an_exact_method_are_refused_with_501(case):
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import PoissonRegressor
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    final, target = {"neighbours": (KNeighborsClassifier(), "binary"), "rbf-svm": (SVC(), "binary"),
                     "poisson": (PoissonRegressor(), "value"),
                     "multiclass-boosting": (GradientBoostingClassifier(n_estimators=5), "multi")}[case]
    X, targets = _data()
    y = targets[target] - targets[target].min() + 1 if case == "poisson" else targets[target]
    model = _pipeline(final).fit(X, y)
    schema, _ = infer_schema(model, {"X_train": X})
    meta = {**schema, "explain": reference(model, X)}
    with pytest.raises(ExplanationUnavailable) as caught:
        Explainer(model, InputSchema.from_metadata(meta), meta).checked(X.iloc[:5])
    assert caught.value.http_status == 501
    assert type(final).__name__ in str(caught.value)


def test_huge_inputs_still_add_up_within_floating_point_precision_of_the_terms():
    """Found by make fuzz: values of 1e47 give terms whose float sum cannot be exact to 1e-6."""
    model, X, meta, schema = _fitted(_models()["logistic-binary"][0], "binary")
    huge = X.iloc[:3].copy()
    huge["income"] = [1.8e47, -1.2e75, 55.0]
    explanation, error = Explainer(model, schema, meta).checked(huge)
    assert np.asarray(explanation.values)[2] == pytest.approx(_model_output(model, huge, "decision_function")[2])
    assert error < 1e-9 * 1e76
