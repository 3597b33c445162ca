"""The served model's figures on held-out data (``builder.model.evaluate``), computed through the
path that serves (ONNX when the artifact has it), as the build's checking process does."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn import metrics as sk

from builder.kernel.harvest import _rows
from builder.kernel.infer_schema import infer_schema
from builder.model.evaluate import EVALUATION_FILE, compute_metrics, evaluate
from tests.fastpath.conftest import FITTERS, write_pair


def _job(tmp_path, kind: str, y_true: list, source: str = "held-out"):
    model, data = FITTERS[kind]()
    _, training = infer_schema(model, {"X_train": data})
    rows = tmp_path / f"{kind}-rows.json"
    rows.write_text(json.dumps({"data": {"source": source, "variables": {"X": "X_test", "y": "y_test"},
                                         "rows": len(y_true)},
                                "rows": _rows(training, len(y_true)), "y_true": y_true}))
    return model, data, rows


def test_a_classifier_served_by_onnx_is_evaluated_through_onnx_with_sklearns_metrics(tmp_path):
    model, data = FITTERS["forest"]()
    y_true = np.where((data["tenure"] < 20) & (data["contract"] == "monthly"), "yes", "no").tolist()
    y_true[:10] = ["no" if v == "yes" else "yes" for v in y_true[:10]]  # some mistakes to count
    _, fast, info = write_pair(tmp_path, "forest")
    assert info["path"] == "onnx"
    _, _, rows = _job(tmp_path, "forest", y_true)
    evaluation = evaluate(fast, rows)
    assert evaluation["path"] == "onnx" and evaluation["task"] == "classification"
    predicted, proba = model.predict(data).tolist(), model.predict_proba(data)
    expected = {"accuracy": sk.accuracy_score(y_true, predicted),
                "balanced_accuracy": sk.balanced_accuracy_score(y_true, predicted),
                "f1_macro": sk.f1_score(y_true, predicted, average="macro"),
                "roc_auc": sk.roc_auc_score([v == "yes" for v in y_true], proba[:, 1]),
                "log_loss": sk.log_loss(y_true, proba, labels=["no", "yes"])}
    assert evaluation["metrics"] == pytest.approx(expected, rel=1e-6)
    assert evaluation["confusion_matrix"] == {"labels": ["no", "yes"],
                                              "matrix": sk.confusion_matrix(y_true, predicted, labels=["no", "yes"]).tolist()}
    meta = json.loads((fast / "metadata.json").read_text())
    assert meta["evaluation"] == evaluation and meta["inference"]["path"] == "onnx"
    plots = json.loads((fast / EVALUATION_FILE).read_text())
    assert plots["y_true"] == y_true and plots["y_pred"] == predicted and plots["classes"] == ["no", "yes"]
    assert np.allclose(plots["proba"], proba)


def test_a_multiclass_model_gets_one_vs_rest_roc_auc(tmp_path):
    y_true = np.repeat([0, 1, 2], 30).tolist()
    plain, _, _ = write_pair(tmp_path, "array")
    model, data, rows = _job(tmp_path, "array", y_true)
    evaluation = evaluate(plain, rows)
    assert evaluation["path"] == "sklearn"
    assert evaluation["metrics"]["roc_auc"] == pytest.approx(
        sk.roc_auc_score(y_true, model.predict_proba(data), multi_class="ovr"))
    assert len(evaluation["confusion_matrix"]["matrix"]) == 3


def test_a_regressor_gets_r2_mae_rmse_and_no_confusion_matrix(tmp_path):
    model, data = FITTERS["regressor"]()
    y_true = (model.predict(data) + np.linspace(-3, 3, len(data))).tolist()
    plain, _, _ = write_pair(tmp_path, "regressor")
    _, _, rows = _job(tmp_path, "regressor", y_true)
    evaluation = evaluate(plain, rows)
    predicted = model.predict(data)
    assert evaluation["metrics"] == pytest.approx({
        "r2": sk.r2_score(y_true, predicted), "mae": sk.mean_absolute_error(y_true, predicted),
        "rmse": math.sqrt(sk.mean_squared_error(y_true, predicted))})
    assert "confusion_matrix" not in evaluation


def test_no_evaluation_data_records_the_reason_and_no_figures(tmp_path):
    plain, _, _ = write_pair(tmp_path, "regressor")
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps({"data": {"source": "none", "variables": {}, "rows": 0, "reason": "no X_test"},
                                "rows": [], "y_true": []}))
    evaluation = evaluate(plain, rows)
    assert evaluation["metrics"] == {} and evaluation["data"]["reason"] == "no X_test"
    assert not (plain / EVALUATION_FILE).exists()


def test_a_metric_that_cannot_be_computed_is_left_out_with_a_note():
    metrics, matrix, notes = compute_metrics("classification", ["a", "a"], ["a", "b"], [[0.9, 0.1], [0.4, 0.6]],
                                             ["a", "b"])
    assert metrics["accuracy"] == 0.5 and "roc_auc" not in metrics
    assert any(n.startswith("roc_auc not computed") for n in notes)
    assert matrix == {"labels": ["a", "b"], "matrix": [[1, 1], [0, 0]]}
