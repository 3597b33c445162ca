"""Reload an artifact in a fresh process and check it predicts what the in-kernel model did.

Run by the build as ``python -m builder.model.verify ARTIFACT EXPECTED.json`` in the build
environment; prints one JSON object: ``{"ok": bool, "rows": n, "problem": str | null}``. When the
build compiled a fast path (``builder.fastpath``), its ONNX form is checked too, within the fast
path's stated tolerance.
"""

from __future__ import annotations

import json
import sys

#: Probabilities and regression outputs may differ by this much (relative) after the round trip;
#: labels must be identical.
RTOL = 1e-9
ATOL = 1e-12


def compare(expected: dict, model, rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """Return a description of the first difference, or None when the predictions agree."""
    import numpy as np

    rows = expected["rows"]
    got = model.predict_records(rows, proba=expected.get("probabilities") is not None)
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


def main(argv: list[str]) -> int:
    from . import ServedModel
    from ..errors import NB2ServiceError

    root, expected_path = argv
    with open(expected_path) as fh:
        expected = json.load(fh)
    try:
        model = ServedModel.load(root, fast=False)
        problem = compare(expected, model)
        if problem is None and (model.metadata.get("inference") or {}).get("path") == "onnx":
            from ..fastpath import ATOL as FAST_ATOL, RTOL as FAST_RTOL

            fast = ServedModel.load(root)
            problem = compare(expected, fast, FAST_RTOL, FAST_ATOL)
            problem = f"the ONNX fast path: {problem}" if problem else None
    except NB2ServiceError as exc:
        problem = str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure to reload is the finding we report
        problem = f"{type(exc).__name__}: {exc}"
    print(json.dumps({"ok": problem is None, "rows": len(expected["rows"]), "problem": problem}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
