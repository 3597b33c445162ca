"""The build's test step (``builder.build.gate``) on evaluation records, and its settings."""

from __future__ import annotations

import json

import pytest

from builder.build.gate import gate_lines, run_gate
from builder.config import build_settings
from builder.errors import GateFailed, UsageError


def evaluation(source="held-out", task="classification", **metrics):
    return {"data": {"source": source, "variables": {"X": "X_test", "y": "y_test"}, "rows": 50,
                     **({"reason": "no X_test"} if source == "none" else {})},
            "task": task, "metrics": metrics, "path": "onnx"}


def previous(tmp_path, **metrics):
    folder = tmp_path / "previous"
    folder.mkdir()
    meta = {"model": {}, "inputs": [], "input_kind": "dataframe", "task": "classification", "version": "abc123",
            "evaluation": evaluation(**metrics)}
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def test_no_gate_asked_for_records_nothing():
    assert run_gate({"evaluation": evaluation(accuracy=0.1)}, (), None, None) is None


def test_scores_at_or_above_their_thresholds_pass_and_error_metrics_are_ceilings():
    meta = {"evaluation": evaluation(task="regression", r2=0.8, rmse=12.0)}
    gate = run_gate(meta, (("r2", 0.8), ("rmse", 15.0)), None, None)
    assert gate["passed"] and [c["passed"] for c in gate["checks"]] == [True, True]
    assert gate_lines(gate)[0] == "r2 0.8000 (threshold 0.8): pass"


def test_a_score_below_its_threshold_fails_naming_the_metric_value_and_threshold():
    with pytest.raises(GateFailed) as err:
        run_gate({"evaluation": evaluation(accuracy=0.71, f1_macro=0.9)}, (("accuracy", 0.9), ("f1_macro", 0.5)),
                 None, None)
    assert "accuracy 0.7100 on held-out data is below the threshold 0.9" in str(err.value)
    assert "previous artifact is left in place" in str(err.value) and err.value.exit_code == 9


def test_an_error_metric_above_its_ceiling_fails():
    with pytest.raises(GateFailed, match="rmse 20.0000 on held-out data is above the threshold 15"):
        run_gate({"evaluation": evaluation(task="regression", rmse=20.0)}, (("rmse", 15.0),), None, None)


def test_a_metric_that_was_not_computed_fails_saying_what_was():
    with pytest.raises(GateFailed, match="roc_auc was not computed") as err:
        run_gate({"evaluation": evaluation(accuracy=0.9)}, (("roc_auc", 0.8),), None, None)
    assert "accuracy=0.9" in str(err.value)


@pytest.mark.parametrize("source, phrase", [("training", "only the training data"), ("none", "no X_test")])
def test_figures_not_on_held_out_data_never_pass_a_gate(source, phrase):
    with pytest.raises(GateFailed, match=phrase):
        run_gate({"evaluation": evaluation(source=source, accuracy=1.0)}, (("accuracy", 0.5),), None, None)


def test_no_regression_without_a_previous_artifact_passes_saying_so(tmp_path):
    gate = run_gate({"evaluation": evaluation(accuracy=0.8)}, (), 0.0, tmp_path / "nothing-here")
    assert gate["passed"] and gate["note"] == "no previous artifact: nothing to compare with"


def test_no_regression_fails_when_a_score_falls_below_the_previous_one(tmp_path):
    before = previous(tmp_path, accuracy=0.90, roc_auc=0.95, log_loss=0.3)
    with pytest.raises(GateFailed) as err:
        run_gate({"evaluation": evaluation(accuracy=0.85, roc_auc=0.96, log_loss=0.9)}, (), 0.01, before)
    message = str(err.value)
    assert "accuracy 0.8500 on held-out data fell below the previous artifact's 0.9000" in message
    assert "version abc123, tolerance 0.01" in message and "roc_auc" not in message.split("hint")[0]


def test_no_regression_passes_within_the_tolerance_and_records_the_previous_figures(tmp_path):
    before = previous(tmp_path, accuracy=0.90)
    gate = run_gate({"evaluation": evaluation(accuracy=0.895)}, (), 0.01, before)
    assert gate["previous"]["version"] == "abc123" and gate["checks"][0]["previous"] == 0.90


def test_the_options_and_their_environment_variables():
    settings = build_settings({"NB2SERVICE_MIN_SCORE": "accuracy=0.9, rmse=5", "NB2SERVICE_NO_REGRESSION": "0.02",
                               "NB2SERVICE_PREVIOUS_ARTIFACT": "/tmp/prev"})
    assert settings.min_scores == (("accuracy", 0.9), ("rmse", 5.0)) and settings.no_regression == 0.02
    assert str(settings.previous_artifact) == "/tmp/prev"
    assert build_settings({"NB2SERVICE_NO_REGRESSION": "true"}).no_regression == 0.0
    assert build_settings({"NB2SERVICE_NO_REGRESSION": "off"}).no_regression is None
    with pytest.raises(UsageError, match="METRIC one of accuracy"):
        build_settings({"NB2SERVICE_MIN_SCORE": "precision=0.9"})
    with pytest.raises(UsageError, match="expected a tolerance"):
        build_settings({"NB2SERVICE_NO_REGRESSION": "-1"})


def test_s2i_save_artifacts_hands_the_next_build_the_previous_models_figures(tmp_path):
    """What an incremental S2I build does: save-artifacts (in the previous image) tars the model's
    metadata.json as previous-artifact/, s2i restores it into /tmp/artifacts, assemble points
    NB2SERVICE_PREVIOUS_ARTIFACT at it and the gate compares with it."""
    import os
    import subprocess
    import tarfile
    from pathlib import Path

    model = previous(tmp_path, accuracy=0.90)
    (tmp_path / "home" / ".cache" / "uv").mkdir(parents=True)
    script = Path(__file__).resolve().parents[2] / "s2i" / "bin" / "save-artifacts"
    tar = tmp_path / "artifacts.tar"
    with open(tar, "wb") as out:
        subprocess.run(["bash", str(script)], stdout=out, check=True,
                       env={**os.environ, "HOME": str(tmp_path / "home"), "NB2SERVICE_ARTIFACT": str(model)})
    with tarfile.open(tar) as archive:
        assert "previous-artifact/metadata.json" in archive.getnames() and "uv" in archive.getnames()
        archive.extractall(tmp_path / "artifacts", filter="data")
    restored = tmp_path / "artifacts" / "previous-artifact"
    with pytest.raises(GateFailed, match="fell below the previous artifact's 0.9000"):
        run_gate({"evaluation": evaluation(accuracy=0.5)}, (), 0.0, restored)
    assembled = (script.parent / "assemble").read_text()
    assert "export NB2SERVICE_PREVIOUS_ARTIFACT=/tmp/artifacts/previous-artifact" in assembled
