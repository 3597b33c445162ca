"""The build's checks on a written artifact (``builder.model.verify``), in process and through the
``Checker`` process the build starts before the notebook runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from builder.build.environment import BuildEnvironment
from builder.build.package import Checker
from builder.errors import VerificationError
from builder.fastpath import ONNX_FILE
from builder.kernel.harvest import _raw, _rows
from builder.kernel.infer_schema import infer_schema
from builder.model import ServedModel, verify
from tests.fastpath.conftest import FITTERS, write_pair

ROOT = Path(__file__).resolve().parents[2]


def _answers(kind: str, n: int) -> dict:
    """The rows a build checks on and the model's answers, as the kernel writes them."""
    model, data = FITTERS[kind]()
    _, training = infer_schema(model, {"X_train": data})
    raw = _raw(training, n)
    return {"rows": _rows(training, n), "predictions": model.predict(raw).tolist(),
            "probabilities": model.predict_proba(raw).tolist()}


@pytest.fixture
def churn(tmp_path):
    """A churn artifact as the build leaves it before the checks (missing strings as NaN, as
    pandas reads them from a CSV), and the kernel's two files."""
    artifact = write_pair(tmp_path, "churn")[0]  # served by scikit-learn: no model.onnx yet
    expected, fast_rows = tmp_path / "expected.json", tmp_path / "fast-path-rows.json"
    expected.write_text(json.dumps(_answers("churn", 50)))
    fast_rows.write_text(json.dumps(_answers("churn", 120)))
    return artifact, expected, fast_rows


def _metadata(artifact: Path) -> dict:
    return json.loads((artifact / "metadata.json").read_text())


def test_a_faithful_artifact_passes_and_gets_its_fast_path_recorded(churn):
    artifact, expected, fast_rows = churn
    verdict = verify.check(artifact, json.loads(expected.read_text()), fast_rows)
    assert verdict["ok"] and verdict["problem"] is None and verdict["rows"] == 50, verdict["problem"]
    assert verdict["inference"]["path"] == "onnx" and (artifact / ONNX_FILE).is_file()
    assert _metadata(artifact)["inference"] == verdict["inference"]
    assert ServedModel.load(artifact).inference_path == "onnx"


def test_a_reloaded_model_that_predicts_differently_fails_naming_the_row(churn):
    artifact, expected, fast_rows = churn
    answers = json.loads(expected.read_text())
    answers["predictions"][7] = "maybe"
    verdict = verify.check(artifact, answers, fast_rows)
    assert not verdict["ok"] and "row 7" in verdict["problem"] and "'maybe'" in verdict["problem"]
    assert verdict["inference"]["path"] == "sklearn" and not (artifact / ONNX_FILE).exists()


def test_without_fast_path_rows_scikit_learn_serves(churn):
    artifact, expected, _ = churn
    verdict = verify.check(artifact, json.loads(expected.read_text()), None)
    assert verdict["ok"] and verdict["inference"]["path"] == "sklearn"
    assert not (artifact / ONNX_FILE).exists()


def test_a_fast_path_that_disagrees_once_loaded_as_served_is_dropped(churn):
    # The ONNX form agrees on the compile rows, but not with the answers of the second check:
    # the artifact falls back to scikit-learn, says why, and keeps no model.onnx.
    artifact, expected, fast_rows = churn
    answers = json.loads(expected.read_text())
    answers["probabilities"][3] = [0.5, 0.5]
    model = ServedModel.load(artifact, fast=False)
    info = verify.fast_path(artifact, model, answers, fast_rows)
    assert info["path"] == "sklearn" and "loaded as served, disagrees" in info["reason"]
    assert not (artifact / ONNX_FILE).exists()
    assert _metadata(artifact)["inference"]["path"] == "sklearn"
    assert ServedModel.load(artifact).inference_path == "sklearn"


def _env(python: str = sys.executable) -> BuildEnvironment:
    return BuildEnvironment(Path(python), None, "test", True, ROOT)


def test_the_checker_process_checks_the_artifact_and_fills_in_the_inference_path(churn):
    artifact, expected, fast_rows = churn
    meta = _metadata(artifact)
    with Checker(_env()) as checker:
        verdict = checker.check(artifact, expected, fast_rows, meta)
    assert verdict["ok"] and meta["inference"]["path"] == "onnx"
    assert _metadata(artifact)["inference"]["sha256"] == meta["inference"]["sha256"]


def test_the_checker_process_fails_the_build_when_the_model_predicts_differently(churn):
    artifact, expected, fast_rows = churn
    answers = json.loads(expected.read_text())
    answers["predictions"][0] = "maybe"
    expected.write_text(json.dumps(answers))
    with Checker(_env()) as checker, pytest.raises(VerificationError, match="row 0") as caught:
        checker.check(artifact, expected, fast_rows, {})
    assert "does not behave like the notebook's" in str(caught.value)


def test_a_checker_that_crashes_is_reported_with_its_stderr(churn, tmp_path):
    artifact, expected, fast_rows = churn
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'ImportError: no module named joblib' >&2\nexit 3\n")
    python.chmod(0o755)
    with Checker(_env(str(python))) as checker, pytest.raises(VerificationError) as caught:
        checker.check(artifact, expected, fast_rows, {})
    assert "crashed (exit 3)" in str(caught.value) and "no module named joblib" in str(caught.value)


def test_a_checker_left_unused_by_a_failed_build_is_stopped():
    with Checker(_env()) as checker:
        process = checker._proc
    assert process.poll() is not None
