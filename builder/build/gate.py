"""Stage 8: the test step. The new model's evaluation (``builder.model.evaluate``) must meet the
bounds the user set before the artifact replaces the previous one.

- ``--min-score METRIC=VALUE`` (``NB2SERVICE_MIN_SCORE``): a score metric (accuracy,
  balanced_accuracy, f1_macro, roc_auc, r2) must be at least VALUE; an error metric (log_loss, mae,
  rmse) at most VALUE.
- ``--no-regression[=TOLERANCE]`` (``NB2SERVICE_NO_REGRESSION``): no score metric both artifacts
  have may fall more than TOLERANCE below the previous artifact's (default 0): the one at OUT, or
  ``--previous DIR`` (an S2I incremental build passes the one ``save-artifacts`` kept).

Only figures on held-out data can pass a gate: figures on the training data, or none, fail it,
saying why. A failing gate raises ``GateFailed`` (exit 9) naming the metric, the value and the
threshold or previous value; the build then leaves the previous artifact untouched.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ArtifactError, GateFailed
from ..model.artifact import read_metadata
from ..model.evaluate import HIGHER_IS_BETTER


def run_gate(meta: dict, min_scores: tuple, no_regression: float | None, previous: Path | None) -> dict | None:
    """Check ``meta["evaluation"]``; return the ``gate`` record for metadata.json (None when no
    gate was asked for), or raise ``GateFailed``."""
    if not min_scores and no_regression is None:
        return None
    evaluation = meta.get("evaluation") or {}
    metrics = evaluation.get("metrics") or {}
    record = {"min_scores": dict(min_scores), "no_regression": no_regression, "checks": [], "passed": False}
    _require_held_out(evaluation)
    failures = []
    for metric, bound in min_scores:
        value = metrics.get(metric)
        if value is None:
            raise GateFailed(f"the gate asks for {metric} {_word(metric)} {bound:g}, but {metric} was not computed "
                             f"for this {evaluation.get('task', '')} model"
                             f"{': ' + '; '.join(evaluation.get('notes', [])) if evaluation.get('notes') else ''}",
                             hint=f"computed: {', '.join(f'{k}={v:.4g}' for k, v in metrics.items()) or 'nothing'}")
        passed = value >= bound if metric in HIGHER_IS_BETTER else value <= bound
        record["checks"].append({"metric": metric, "value": value, "threshold": bound, "passed": passed})
        if not passed:
            failures.append(f"{metric} {value:.4f} on held-out data is {'below' if metric in HIGHER_IS_BETTER else 'above'}"
                            f" the threshold {bound:g}")
    if no_regression is not None:
        failures += _compare_with_previous(evaluation, metrics, no_regression, previous, record)
    if failures:
        where = f" (previous artifact: {previous})" if previous is not None else ""
        raise GateFailed("the model did not pass the build's test step; the previous artifact is left in place"
                         f"{where}:\n  - " + "\n  - ".join(failures),
                         hint="see the evaluation in the build log; change the thresholds with --min-score / "
                              "--no-regression (NB2SERVICE_MIN_SCORE / NB2SERVICE_NO_REGRESSION)")
    record["passed"] = True
    return record


def _require_held_out(evaluation: dict) -> None:
    data = evaluation.get("data") or {}
    if data.get("source") == "held-out" and evaluation.get("metrics"):
        return
    if data.get("source") == "held-out":
        why = evaluation.get("problem") or "no metric could be computed"
    elif data.get("source") == "training":
        why = (f"only the training data ({data['variables'].get('X')}/{data['variables'].get('y')}) was found, and "
               "figures on the rows a model was fitted on say nothing about new data")
    else:
        why = data.get("reason") or "no evaluation data was found"
    raise GateFailed(f"the gate needs the model's figures on held-out data: {why}",
                     hint="keep the test part of the split in variables (X_test, y_test from train_test_split)")


def _compare_with_previous(evaluation: dict, metrics: dict, tolerance: float, previous: Path | None,
                           record: dict) -> list[str]:
    if previous is None or not (Path(previous) / "metadata.json").is_file():
        record["previous"] = None
        record["note"] = "no previous artifact: nothing to compare with"
        return []
    try:
        before = read_metadata(Path(previous))
    except ArtifactError as exc:
        raise GateFailed(f"--no-regression: the previous artifact cannot be read: {exc.message}") from None
    old = before.get("evaluation") or {}
    record["previous"] = {"path": str(previous), "version": before.get("version"), "built_at": before.get("built_at"),
                          "metrics": old.get("metrics") or {}}
    if (old.get("data") or {}).get("source") != "held-out" or not old.get("metrics"):
        record["note"] = "the previous artifact has no figures on held-out data: nothing to compare with"
        return []
    if old.get("task") != evaluation.get("task"):
        raise GateFailed(f"--no-regression: the previous artifact is a {old.get('task')} model, this one a "
                         f"{evaluation.get('task')} model; their figures cannot be compared",
                         hint="build into a new output folder, or drop --no-regression for this build")
    failures = []
    for metric in sorted(HIGHER_IS_BETTER & set(metrics) & set(old["metrics"])):
        value, was = metrics[metric], old["metrics"][metric]
        passed = value >= was - tolerance
        record["checks"].append({"metric": metric, "value": value, "previous": was, "tolerance": tolerance,
                                 "passed": passed})
        if not passed:
            failures.append(f"{metric} {value:.4f} on held-out data fell below the previous artifact's {was:.4f} "
                            f"(version {before.get('version')}, tolerance {tolerance:g})")
    return failures


def gate_lines(gate: dict | None) -> list[str]:
    """The summary's lines for the gate."""
    if gate is None:
        return ["not asked for (--min-score, --no-regression)"]
    lines = []
    for check in gate["checks"]:
        against = (f"threshold {check['threshold']:g}" if "threshold" in check
                   else f"previous {check['previous']:.4f}, tolerance {check['tolerance']:g}")
        lines.append(f"{check['metric']} {check['value']:.4f} ({against}): {'pass' if check['passed'] else 'FAIL'}")
    if gate.get("note"):
        lines.append(gate["note"])
    return lines


def _word(metric: str) -> str:
    return ">=" if metric in HIGHER_IS_BETTER else "<="


def evaluation_lines(evaluation: dict | None) -> list[str]:
    """The summary's lines for the evaluation: where the data came from and the figures."""
    if not evaluation:
        return ["not evaluated"]
    data = evaluation.get("data") or {}
    variables = data.get("variables") or {}
    if data.get("source") == "none":
        return [f"none: {data.get('reason', 'no evaluation data found')}"]
    where = "held-out data" if data.get("source") == "held-out" else "ON TRAINING DATA (not a test score)"
    rows = f"{data.get('rows')} rows" + (f" of {data['total_rows']}" if data.get("total_rows") else "")
    lines = [f"{where}: {variables.get('X')}/{variables.get('y')}, {rows}, through the {evaluation.get('path')} path"]
    if evaluation.get("problem"):
        lines.append(evaluation["problem"])
    figures = ", ".join(f"{k} {v:.4f}" for k, v in (evaluation.get("metrics") or {}).items())
    if figures:
        lines.append(figures)
    lines += evaluation.get("notes", [])
    return lines
