"""MLflow's scoring protocol: ``POST /invocations`` as MLflow's own server and clients speak it.

JSON bodies hold exactly one of ``dataframe_split``, ``dataframe_records``, ``instances``,
``inputs``, plus optional ``params``; ``text/csv`` holds a header row; MLflow 3's
``application/vnd.apache.parquet`` holds a DataFrame written by ``DataFrame.to_parquet()`` (read when
the serving environment has pyarrow or fastparquet, else a 415 that says so). The reply is
``{"predictions": [...]}``; ``params: {"predict_method": "predict_proba"}`` (as MLflow's sklearn
flavour takes it) answers with the probabilities. Errors: ``{"error_code", "message"}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import RequestError, UnsupportedMediaType
from .body import CSV, JSON, media_type, parse_csv, parse_json

PARQUET = "application/vnd.apache.parquet"

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
METHODS = ("predict", "predict_proba")


@dataclass
class Decoded:
    model_input: Any
    rows: int
    proba: bool = False


def decode(request, schema) -> Decoded:
    mime = media_type(request.content_type, (JSON, CSV, PARQUET), strict_parameters=True)
    if mime == CSV:
        header, rows = parse_csv(request.get_data(), schema)
        return Decoded(schema.from_rows(rows, header), len(rows))
    if mime == PARQUET:
        columns, rows = read_parquet(request.get_data())
        return Decoded(schema.from_columns(columns), rows)
    body = parse_json(request.get_data())
    if not isinstance(body, dict):
        raise RequestError(f"the body must be a JSON object with one of the keys {', '.join(FORMATS)}; "
                           f"got a {type(body).__name__}", field="body")
    keys = [k for k in FORMATS if k in body]
    if len(keys) != 1:
        found = ", ".join(keys) if keys else ", ".join(map(str, body)) or "none"
        raise RequestError(f"the body must hold exactly one of {', '.join(FORMATS)} (found: {found})", field="body")
    key = keys[0]
    model_input, rows = _DECODERS[key](body[key], schema)
    return Decoded(model_input, rows, proba=_wants_proba(body.get("params")))


def read_parquet(data: bytes) -> tuple[dict, int]:
    """``({column: values}, rows)`` from a Parquet body, read by pandas."""
    import io

    import pandas as pd

    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except ImportError as exc:  # neither pyarrow nor fastparquet where the model runs
        raise UnsupportedMediaType("this service cannot read Parquet: its environment (the notebook's) has neither "
                                   "pyarrow nor fastparquet; send JSON or text/csv, or add pyarrow to the notebook's "
                                   f"requirements and rebuild ({exc})", field="Content-Type") from None
    except Exception as exc:  # noqa: BLE001 - any reader failure is a body that is not Parquet
        raise RequestError(f"the body is not a Parquet DataFrame (write it with DataFrame.to_parquet()): "
                           f"{type(exc).__name__}: {exc}", field="body") from None
    columns = {str(name): frame[name].tolist() for name in frame.columns}
    return columns, len(frame)


def _split(value, schema):
    if not isinstance(value, dict) or "data" not in value:
        raise RequestError("'dataframe_split' must be an object {\"columns\": [...], \"data\": [[...]]} "
                           "(pandas' orient='split')", field="dataframe_split")
    columns, data = value.get("columns"), value["data"]
    if columns is not None and not isinstance(columns, list):
        raise RequestError("'dataframe_split.columns' must be a list of column names", field="dataframe_split.columns")
    if not isinstance(data, list):
        raise RequestError("'dataframe_split.data' must be a list of rows", field="dataframe_split.data")
    if columns is not None and data and not isinstance(data[0], list):  # one row given flat
        data = [data] if len(columns) > 1 or schema.kind == "text" else [[v] for v in data]
    return schema.from_rows(data, columns, "dataframe_split.columns"), len(data)


def _records(value, schema):
    if not isinstance(value, list):
        raise RequestError("'dataframe_records' must be a list of objects (pandas' orient='records')",
                           field="dataframe_records")
    return schema.from_records(value), len(value)


def _rows_or_columns(value, schema, field: str, expected: str):
    """``instances`` and ``inputs``: a list of rows/records, or an object of columns."""
    if isinstance(value, dict):
        return _columns(value, schema, field)
    if not isinstance(value, list):
        raise RequestError(f"'{field}' must be {expected}", field=field)
    return schema.from_records(value), len(value)


def _instances(value, schema):
    return _rows_or_columns(value, schema, "instances", "a list of rows or records")


def _inputs(value, schema):
    return _rows_or_columns(value, schema, "inputs", "a list of rows or an object of columns")


def _columns(value: dict, schema, field: str):
    lengths = {len(v) if isinstance(v, list) else 1 for v in value.values()}
    return schema.from_columns(value), max(lengths, default=0)


_DECODERS = {"dataframe_split": _split, "dataframe_records": _records, "instances": _instances, "inputs": _inputs}


def _wants_proba(params) -> bool:
    if params is None:
        return False
    if not isinstance(params, dict):
        raise RequestError(f"'params' must be an object, got {type(params).__name__}", field="params")
    method = params.get("predict_method", "predict")
    if method not in METHODS:
        raise RequestError(f"params.predict_method must be one of {', '.join(METHODS)}, got {method!r}",
                           field="params.predict_method")
    return method == "predict_proba"


def encode(prediction, proba: bool) -> dict:
    return {"predictions": prediction.probabilities if proba else prediction.predictions}


def error_body(error) -> dict:
    return {"error_code": error.error_code, "message": error.message}
