"""The check that decides whether raw records are served: ``features.py``, loaded from the
artifact as the service loads it, must rebuild the model's training matrix from raw records.

On up to 500 training rows (``builder.kernel.replay`` wrote them with their index): the records,
decoded by the raw input schema as a request would be, go through ``features()`` all at once (as a
DataFrame, and as the ``{column: array}`` the service passes) and each row alone; every result must
be the training matrix's row with the same index (identical for encodings, integers and strings;
floats within a relative ``RTOL``), and the model's predictions on the batch's result must equal
the kernel's. Any difference or exception: the service keeps the engineered inputs and
metadata.json says why (the row, the column, the statements that may use the whole table).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

RTOL = 1e-9
#: Statements that compute over the whole table or depend on row order: named in the reason when
#: the per-row results differ.
WHOLE_TABLE = re.compile(r"\.(groupby|rank|shift|rolling|expanding|cumsum|cumprod|cummax|cummin|diff|pct_change|"
                         r"qcut|factorize|sample|drop_duplicates|duplicated|nlargest|nsmallest)\(|\.cat\.codes|"
                         r"\bpd\.cut\(|\.reset_index\(")


def check_features(root: Path, meta: dict, model, check: dict) -> dict:
    """``meta["features"]`` updated: status ``verified`` or ``not verified`` with the reason."""
    from ..errors import NB2ServiceError
    from .features import load_features, record_hashes
    from .inputs import InputSchema

    info = meta["features"]
    try:
        features = load_features(root, info, check=False)
        schema = InputSchema.from_metadata({"input_kind": "dataframe", "inputs": info["inputs"]})
        problem = _compare_all(root, features, schema, check, info) or _compare_predictions(features, schema, check, model)
    except NB2ServiceError as exc:
        problem = exc.message
    except Exception as exc:  # noqa: BLE001 - any failure is the finding we report
        problem = f"{type(exc).__name__}: {exc}{_where(exc, root, info)}"
    if problem:
        info.update(status="not verified", reason=problem, rows=len(check["records"]))
        return info
    from .verify_columnar import check_columnar

    try:
        info["columnar"] = check_columnar(features, schema, check, lambda exc: _where(exc, root, info))
    except Exception as exc:  # noqa: BLE001 - the check failing only keeps pandas serving
        info["columnar"] = {"status": "not used", "reason": f"the check failed: {type(exc).__name__}: {exc}"}
    record_hashes(root, info)
    info.update(status="verified", rows=len(check["records"]),
                reason=f"{len(check['records'])} training rows, each alone and all at once, rebuilt the training "
                       "matrix with the same index; predictions identical")
    return info


def _frame(schema, records: list, index: list):
    frame = schema.from_records(records)
    frame.index = index
    return frame


def _compare_all(root, features, schema, check: dict, info: dict) -> str | None:
    records, index, matrix = check["records"], check["index"], check["matrix"]
    batch = features(_frame(schema, records, index))
    problem = _compare(batch, matrix, index, "all rows at once")
    if problem:
        return problem + _suspects(root, info)
    # as the service calls it: the records decoded to {column: array}, the rows numbered 0..n-1
    schema.frames = False
    try:
        served = features(schema.from_records(records))
    finally:
        schema.frames = True
    if hasattr(served, "iloc"):  # a frame (a text model's list of strings has no index to set)
        served.index = index
    problem = _compare(served, matrix, index, "all rows at once, decoded as the service decodes a request")
    if problem:
        return problem + _suspects(root, info)
    for i in range(len(records)):
        one = features(_frame(schema, records[i:i + 1], index[i:i + 1]))
        problem = _compare(one, _rows(matrix, i), index[i:i + 1], f"row {index[i]!r} alone")
        if problem:
            return problem + _suspects(root, info)
    return None


def _compare_predictions(features, schema, check: dict, model) -> str | None:
    import numpy as np

    batch = features(_frame(schema, check["records"], check["index"]))
    got = model.estimator.predict(batch)
    want = check["predictions"]
    if np.asarray(want).dtype.kind in "fc":
        same = np.allclose(np.asarray(got, float), np.asarray(want, float), rtol=RTOL, atol=1e-12)
    else:
        same = list(got) == list(want)
    if not same:
        return "the model's predictions on the replayed features differ from the notebook's"
    if check.get("probabilities") is not None:
        if not np.allclose(model.estimator.predict_proba(batch), check["probabilities"], rtol=RTOL, atol=1e-12):
            return "the model's probabilities on the replayed features differ from the notebook's"
    return None


def _rows(matrix, i: int):
    return matrix.iloc[i:i + 1] if hasattr(matrix, "iloc") else matrix[i:i + 1]


def _compare(got, want, index: list, what: str) -> str | None:
    """The first difference between the replayed ``got`` and the training matrix ``want``."""
    import numpy as np
    import pandas as pd

    if isinstance(want, pd.DataFrame):
        if not isinstance(got, pd.DataFrame):
            return f"{what}: features() returned a {type(got).__name__}, the model was fitted on a DataFrame"
        if list(got.columns) != list(want.columns):
            missing = [c for c in want.columns if c not in got.columns]
            return f"{what}: the columns differ from the training matrix's (missing {missing[:5]})"
        if list(got.index) != list(want.index):
            return f"{what}: the rows come back with index {list(got.index)[:3]}, the training matrix's is {index[:3]}"
        for name in want.columns:
            problem = _column(got[name].to_numpy(), want[name].to_numpy(), list(want.index))
            if problem:
                return f"{what}, column '{name}': {problem}"
        return None
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"{what}: features() gives shape {got.shape}, the training matrix's is {want.shape}"
    for j in range(want.shape[1] if want.ndim == 2 else 1):
        problem = _column(got[:, j] if got.ndim == 2 else got, want[:, j] if want.ndim == 2 else want, index)
        if problem:
            return f"{what}, column {j}: {problem}"
    return None


def _column(got, want, index: list) -> str | None:
    for i, (a, b) in enumerate(zip(got.tolist(), want.tolist())):
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
        if numbers and (isinstance(a, float) or isinstance(b, float)):
            if (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=RTOL, abs_tol=0.0):
                continue
        elif a == b and type(a) is type(b) or a is None and b is None:
            continue
        elif a == b:
            return f"row {index[i]!r}: {a!r} ({type(a).__name__}) where the training matrix has {b!r} " \
                   f"({type(b).__name__})"
        return f"row {index[i]!r}: {a!r} where the training matrix has {b!r}"
    return None


def _where(exc: BaseException, root: Path, info: dict) -> str:
    """`` at features.py line N: `statement` `` for the innermost frame of features.py."""
    import traceback

    path = str(Path(root) / info["file"])
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
    return f" (features.py line {frames[-1].lineno}: `{(frames[-1].line or '').strip()}`)" if frames else ""


def _suspects(root: Path, info: dict) -> str:
    code = (Path(root) / info["file"]).read_text()
    found = [line.strip() for line in code.splitlines() if WHOLE_TABLE.search(line) and not line.strip().startswith("#")]
    if not found:
        return ""
    return ("; statements that use the whole table or the row order, which one row alone cannot reproduce: "
            + " | ".join(f"`{line}`" for line in found[:3]))
