"""The build's checks on a written artifact, in a fresh process of the build environment.

1. Reload the artifact as the service will (sha256 checked, joblib) and compare its predictions
   with what the in-kernel model predicted: labels identical, probabilities and regression outputs
   within ``RTOL``/``ATOL``.
2. Compile the ONNX fast path (``builder.fastpath.compile``, checked there on more training rows)
   and, when it is kept, load the artifact again the way the service will and compare once more;
   a fast path that disagrees is dropped and scikit-learn serves, saying why.
3. Evaluate the artifact, loaded as served, on the notebook's held-out data (``evaluate``).

Run by the build as ``python -m builder.model.verify`` in the build environment, started when the
notebook starts running: it imports the libraries the checks need while the notebook runs (the
slow part of a fresh process), then reads one job from stdin, a JSON line
``{"artifact": DIR, "expected": EXPECTED.json, "fast_rows": ROWS.json | null, "evaluation_rows":
ROWS.json | null}`` (an empty line: nothing to check). It updates ``inference`` and ``evaluation``
in metadata.json and prints one JSON object:
``{"ok": bool, "rows": n, "problem": str | null, "inference": {...}, "evaluation": {...} | null}``.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

#: Probabilities and regression outputs may differ by this much (relative) after the round trip;
#: labels must be identical.
RTOL = 1e-9
ATOL = 1e-12
#: What the checks import, loaded while the notebook still runs. A missing one is not an error here:
#: the check that needs it says so.
WARM_UP = ("numpy", "pandas", "joblib", "sklearn.pipeline", "sklearn.compose", "sklearn.preprocessing",
           "sklearn.impute", "sklearn.metrics", "onnxruntime", "skl2onnx", "builder.fastpath.convert", "builder.fastpath.runtime")


def compare(expected: dict, model, rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """Return a description of the first difference, or None when the predictions agree."""
    import numpy as np

    rows = expected["rows"]
    got = model.predict_records(rows, proba=expected.get("probabilities") is not None, engineered=True)
    want = expected["predictions"]
    if model.task == "regression":
        if not np.allclose(np.asarray(got.predictions, float), np.asarray(want, float), rtol=rtol, atol=atol,
                           equal_nan=True):
            return f"regression outputs differ beyond rtol={rtol}: first rows {got.predictions[:3]} vs {want[:3]}"
    elif got.predictions != want:
        bad = next(i for i, (a, b) in enumerate(zip(got.predictions, want)) if a != b)
        return f"row {bad}: reloaded model predicts {got.predictions[bad]!r}, the notebook's model {want[bad]!r}"
    if expected.get("probabilities") is not None:
        if not np.allclose(np.asarray(got.probabilities), np.asarray(expected["probabilities"]), rtol=rtol, atol=atol):
            return f"probabilities differ beyond rtol={rtol}"
    return None


def check(root: Path, expected: dict, fast_rows: Path | None, features_check: Path | None = None,
          evaluation_rows: Path | None = None) -> dict:
    """The checks on the artifact at ``root``; ``fast_rows`` None: no fast path is tried;
    ``features_check``: the rows ``features.py`` is checked on (``builder.kernel.replay``);
    ``evaluation_rows`` None: no evaluation."""
    from ..errors import NB2ServiceError
    from . import ServedModel

    verdict = {"ok": False, "rows": len(expected["rows"]), "problem": None,
               "inference": {"path": "sklearn", "reason": "not compiled"}, "evaluation": None}
    try:
        model = ServedModel.load(root, fast=False)
        verdict["problem"] = compare(expected, model)
    except NB2ServiceError as exc:
        verdict["problem"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure to reload is the finding we report
        verdict["problem"] = f"{type(exc).__name__}: {exc}"
    if verdict["problem"] is None:
        verdict["ok"] = True
        if features_check is not None:
            verdict["features"] = raw_inputs(root, model, features_check)
        if fast_rows is not None:
            verdict["inference"] = fast_path(root, model, expected, fast_rows, features_check)
        if evaluation_rows is not None and Path(evaluation_rows).is_file():
            from .evaluate import evaluate

            verdict["evaluation"] = evaluate(root, Path(evaluation_rows))
    return verdict


def raw_inputs(root: Path, model, features_check: Path) -> dict:
    """Check ``features.py`` (``verify_features``); when verified, the raw records become the
    default inputs in metadata.json and the training matrix's move under ``engineered``."""
    import joblib

    from .artifact import write_metadata
    from .verify_features import check_features

    meta = model.metadata
    try:
        check = joblib.load(features_check)
    except Exception as exc:  # noqa: BLE001 - reported as the reason the engineered inputs serve
        meta["features"].update(status="not verified", reason=f"the check's rows are unreadable: {exc}")
    else:
        check_features(root, meta, model, check)
    info = meta["features"]
    examples = info.pop("examples", [])
    if info["status"] == "verified":
        meta["engineered"] = {"input_kind": meta["input_kind"], "inputs": meta["inputs"],
                              "examples": meta["examples"]}
        meta.update(input_kind="dataframe", inputs=info["inputs"],
                    examples=examples if meta["examples"] else [])
    write_metadata(root, meta)
    return info


def fast_path(root: Path, model, expected: dict, rows_path: Path, features_check: Path | None = None) -> dict:
    """Compile the fast path into ``root``, record it in metadata.json, check it as served (with
    raw records too when they are served)."""
    from ..fastpath import ATOL as FAST_ATOL, ONNX, ONNX_FILE, RTOL as FAST_RTOL, SKLEARN
    from ..fastpath.compile import compile_fast_path
    from . import ServedModel
    from .artifact import write_metadata
    from .served import engineered_view

    meta = model.metadata
    try:
        rows = json.loads(Path(rows_path).read_text())
        info = compile_fast_path(model.estimator, engineered_view(meta), rows["rows"], rows["predictions"],
                                 rows.get("probabilities"), root)
    except Exception as exc:  # noqa: BLE001 - reported as the reason scikit-learn serves
        info = {"path": SKLEARN, "reason": f"the fast path was not compiled ({type(exc).__name__}: {str(exc)[:300]})"}
    meta["inference"] = info
    write_metadata(root, meta)
    if info["path"] == ONNX:
        try:
            served = ServedModel.load(root)
            problem = compare(expected, served, FAST_RTOL, FAST_ATOL)
            if problem is None and served.raw_inputs:
                problem = compare_raw(features_check, served, FAST_RTOL, FAST_ATOL)
        except Exception as exc:  # noqa: BLE001 - same as a disagreement: scikit-learn serves
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            info.update(path=SKLEARN, reason=f"the ONNX form, loaded as served, disagrees with the model: {problem}")
            (Path(root) / ONNX_FILE).unlink(missing_ok=True)
            write_metadata(root, meta)
    return info


def compare_raw(features_check: Path, model, rtol: float, atol: float) -> str | None:
    """The served model on raw records (features, then the fast path) against the kernel."""
    import joblib

    check = joblib.load(features_check)
    expected = {"rows": check["records"], "predictions": _plain(check["predictions"]),
                "probabilities": _plain(check["probabilities"]) if check.get("probabilities") is not None else None}
    got = model.predict_records(expected["rows"], proba=expected["probabilities"] is not None)
    import numpy as np

    if model.task == "regression":
        if not np.allclose(np.asarray(got.predictions, float), np.asarray(expected["predictions"], float),
                           rtol=rtol, atol=atol):
            return "on raw records, regression outputs differ"
    elif got.predictions != expected["predictions"]:
        return "on raw records, the labels differ"
    return None


def _plain(values) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def warm_up() -> None:
    for name in WARM_UP:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S110 - see WARM_UP
            pass


def main() -> int:
    warm_up()
    line = sys.stdin.readline().strip()
    if not line:
        return 0
    job = json.loads(line)
    with open(job["expected"]) as fh:
        expected = json.load(fh)
    fast_rows = Path(job["fast_rows"]) if job.get("fast_rows") else None
    features = Path(job["features"]) if job.get("features") else None
    evaluation_rows = Path(job["evaluation_rows"]) if job.get("evaluation_rows") else None
    print(json.dumps(check(Path(job["artifact"]), expected, fast_rows, features, evaluation_rows), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
