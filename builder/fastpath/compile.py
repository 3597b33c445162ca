"""Build side: compile the fitted model to ONNX and keep it only if it predicts what the model does.

Called by the build's checks (``builder.model.verify``) in a fresh process of the build
environment, after the reloaded model passed its own check: converts the model and checks the ONNX
form on the training rows the kernel wrote (``rows``, ``predictions``, ``probabilities``: the same
JSON rows, decoded by the same ``InputSchema``, as a request would be). Returns what goes into
``metadata["inference"]``. Never fails the build: any problem is the reason the artifact is served
by scikit-learn instead.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from . import ATOL, ONNX, ONNX_FILE, RTOL, SKLEARN


def compile_fast_path(model, schema: dict, rows: list, predictions: list, probabilities: list | None,
                      out: Path) -> dict:
    """Write ``out/model.onnx`` when the ONNX form agrees with ``predictions`` / ``probabilities``
    (the scikit-learn model's answers on ``rows``); return what goes into ``metadata["inference"]``."""
    started = time.perf_counter()
    target = Path(out) / ONNX_FILE
    info = {"path": SKLEARN, "rows": len(rows), "tolerance": {"atol": ATOL, "rtol": RTOL}}
    try:
        info.update(_compile(model, schema, rows, predictions, probabilities, target))
    except Exception as exc:  # noqa: BLE001 - whatever goes wrong, scikit-learn serves and we say why
        info["reason"] = f"the ONNX form could not be checked ({type(exc).__name__}: {str(exc)[:300]})"
    if info["path"] != ONNX:
        target.unlink(missing_ok=True)
    info["seconds"] = round(time.perf_counter() - started, 3)
    info["libraries"] = _libraries()
    return info


def _compile(model, schema, rows, predictions, probabilities, target: Path) -> dict:
    try:
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError as exc:
        return {"reason": f"the fast path needs skl2onnx and onnxruntime in the build environment ({exc})"}
    from .convert import Unsupported, to_onnx

    try:
        proto = to_onnx(model, schema)
    except Unsupported as exc:
        return {"reason": str(exc)}
    target.write_bytes(proto.SerializeToString())
    problem, diff = check(target, schema, rows, predictions, probabilities)
    if problem:
        return {"reason": f"the ONNX form disagrees with the model: {problem}", "max_abs_diff": diff}
    return {"path": ONNX, "reason": f"{len(rows)} training rows: identical labels, outputs within "
                                     f"{ATOL:g} + {RTOL:g}*|value|", "max_abs_diff": diff,
            "file": ONNX_FILE, "sha256": _sha256(target)}


def check(onnx_path: Path, schema: dict, rows: list, predictions: list, probabilities: list | None):
    """``(problem or None, max_abs_diff)``: the ONNX model at ``onnx_path`` against the expected answers."""
    from ..model.inputs import InputSchema
    from ..model.served import to_jsonable
    from .runtime import OnnxModel

    decoder = InputSchema.from_metadata(schema)
    decoder.frames = False
    fast = OnnxModel(onnx_path, decoder, schema["task"])
    values, proba = fast.run(decoder.from_records(rows), probabilities is not None)
    return compare(to_jsonable(values), to_jsonable(proba) if proba is not None else None,
                   predictions, probabilities, regression=schema["task"] == "regression")


def compare(got, got_proba, want, want_proba, *, regression: bool):
    """``(problem or None, max_abs_diff)`` between the fast path's answers and scikit-learn's."""
    import numpy as np

    diff = 0.0
    if regression:
        a, b = np.asarray(got, dtype="float64"), np.asarray(want, dtype="float64")
        if a.shape != b.shape:
            return f"{a.shape[0]} outputs for {b.shape[0]} rows", None
        diff = _max_abs(a, b)
        if not np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True):
            row = int(np.argmax(np.abs(a - b)))
            return f"row {row}: {a[row]!r} instead of {b[row]!r} (max abs difference {diff:.3g})", diff
        return None, diff
    if json.dumps(got) != json.dumps(want):
        bad = next((i for i, (a, b) in enumerate(zip(got, want)) if json.dumps(a) != json.dumps(b)), None)
        if bad is None:
            return f"{len(got)} labels for {len(want)} rows", None
        return f"row {bad}: label {got[bad]!r} instead of {want[bad]!r}", None
    if want_proba is not None:
        a, b = np.asarray(got_proba, dtype="float64"), np.asarray(want_proba, dtype="float64")
        if a.shape != b.shape:
            return f"probabilities of shape {a.shape} instead of {b.shape}", None
        diff = _max_abs(a, b)
        if not np.allclose(a, b, rtol=RTOL, atol=ATOL):
            return f"probabilities differ by up to {diff:.3g} (tolerance {ATOL:g})", diff
    return None, diff


def _max_abs(a, b) -> float:
    import numpy as np

    both = ~(np.isnan(a) | np.isnan(b))
    return float(np.max(np.abs(a[both] - b[both]), initial=0.0))


def _sha256(path: Path) -> str:
    from ..model.artifact import sha256_file

    return sha256_file(path)


def _libraries() -> dict:
    import importlib.metadata as md

    found = {}
    for name in ("skl2onnx", "onnx", "onnxruntime"):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return found
