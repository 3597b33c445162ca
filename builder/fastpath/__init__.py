"""The fast inference path: the fitted model compiled to ONNX at build time, run by onnxruntime on
numpy arrays built straight from the input schema (no DataFrame, no scikit-learn per call).

- ``convert``: scikit-learn -> ONNX in double precision, one named input per column
  (build side; needs skl2onnx).
- ``compile``: convert, then check the ONNX model against the scikit-learn model on the training
  rows; write ``model.onnx`` only when labels are identical and every probability or regression
  output is within ``ATOL + RTOL * |expected|`` (build side).
- ``runtime``: ``OnnxModel`` loads ``model.onnx`` and predicts on decoded requests (serve side;
  needs only onnxruntime and numpy).

``metadata.json`` says which path serves and why, under ``inference``::

    {"path": "onnx" | "sklearn", "reason": str, "file": "model.onnx", "sha256": ..., "rows": n,
     "max_abs_diff": x, "tolerance": {"atol": ..., "rtol": ...}, "seconds": ..., "libraries": {...}}

A model that cannot be converted, or whose ONNX form disagrees with it, is served by scikit-learn:
the build succeeds either way and says why.
"""

from __future__ import annotations

ONNX_FILE = "model.onnx"
#: ONNX outputs (probabilities, regression values) may differ from scikit-learn's by at most
#: ATOL + RTOL * |expected| (double precision throughout); labels must be identical.
ATOL = 1e-6
RTOL = 1e-9
#: Stands for a missing string in an ONNX string tensor (which cannot hold None or NaN).
MISSING_STRING = "\x00nb2service:missing\x00"
#: The one input of a model fitted on an all-numeric DataFrame without a ColumnTransformer: the
#: columns stacked in schema order.
STACKED = "nb2service_columns"
ONNX = "onnx"
SKLEARN = "sklearn"


def inference_path(metadata: dict) -> str:
    """Which path the artifact asks to be served by (``sklearn`` for artifacts built before this)."""
    info = metadata.get("inference") or {}
    return ONNX if info.get("path") == ONNX else SKLEARN
