"""Serve side: run ``model.onnx`` with onnxruntime on the arrays ``InputSchema`` decoded.

The input is what the schema builds with ``frames=False``: ``{column: 1-D array}`` for DataFrame
models (fed one input per column, or stacked into one matrix, as the ONNX model was made), a 2-D float array for array models, a list of strings for text models. Feeding it is a
reshape per column (strings: missing values replaced by ``MISSING_STRING``); no pandas, no
scikit-learn. One onnxruntime thread per worker, like the BLAS pools.
"""

from __future__ import annotations

from pathlib import Path

from . import MISSING_STRING, STACKED


class OnnxModel:
    """An ONNX session and how to feed it from decoded requests."""

    def __init__(self, path: Path | str, schema, task: str):
        import numpy as np
        import onnxruntime as ort

        self._np = np
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.kind = schema.kind
        self.task = task
        types = {c.name: c.type for c in schema.columns}
        self.inputs = [(i.name, types.get(i.name) == "string") for i in self.session.get_inputs()]
        self.stacked = [c.name for c in schema.columns] if self.inputs[0][0] == STACKED else None
        outputs = [o.name for o in self.session.get_outputs()]
        self.label = outputs[0]
        self.proba = "probabilities" if "probabilities" in outputs else None

    def feed(self, model_input) -> dict:
        np = self._np
        if self.kind == "array":
            return {self.inputs[0][0]: np.ascontiguousarray(model_input, dtype="float64")}
        if self.kind == "text":
            return {self.inputs[0][0]: np.array(model_input, dtype=object).reshape(-1, 1)}
        if self.stacked:
            return {STACKED: np.column_stack([model_input[name].astype("float64", copy=False) for name in self.stacked])}
        feed = {}
        for name, is_string in self.inputs:
            values = model_input[name]
            if is_string:
                out = np.empty((len(values), 1), dtype=object)
                out[:, 0] = [v if isinstance(v, str) else MISSING_STRING for v in values]
                feed[name] = out
            else:
                feed[name] = values.astype("float64", copy=False).reshape(-1, 1)
        return feed

    def run(self, model_input, want_proba: bool):
        """``(labels or values, probabilities or None)`` as numpy arrays.

        Raises ``ValueError`` where scikit-learn would have refused the input: a missing value that
        reaches a step which cannot take one makes NaN outputs here, an exception there."""
        np = self._np
        names = [self.label, self.proba] if self.proba else [self.label]
        results = self.session.run(names, self.feed(model_input))
        values = results[0]
        if self.task == "regression":
            values = values.reshape(-1)
        check = values if self.task == "regression" else (results[1] if self.proba else None)
        if check is not None and check.dtype.kind == "f" and np.isnan(check).any():
            raise ValueError("Input contains NaN")
        return values, (results[1] if want_proba and self.proba else None)
