"""The native ``POST /predict`` format, and KServe V1's ``{"instances": [...]}``.

Accepted bodies: ``{"instances": [...]}``; a list of records (or rows, or strings for text models);
one record; Seldon Core v1's ``{"data": {"names": [...], "ndarray": [[...]]}}``; the nachlass form
field ``json_args`` holding any of these as JSON (never a pickle); ``text/csv`` with a header row.
Answer: ``{"predictions": [...]}`` plus ``probabilities`` (``{class: p}`` per row) for classifiers
with ``predict_proba``; Seldon requests also get Seldon's ``data`` shape back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import RequestError
from .body import CSV, FORM, JSON, is_json_text, media_type, parse_csv, parse_json

ACCEPTED = (JSON, CSV, *FORM)


@dataclass
class Decoded:
    model_input: Any
    rows: int
    seldon: bool = False


def decode(request, schema) -> Decoded:
    """Model input from a flask request."""
    mime = media_type(request.content_type, ACCEPTED)
    if mime == CSV:
        header, rows = parse_csv(request.get_data(), schema)
        return Decoded(schema.from_rows(rows, header), len(rows))
    if mime in FORM:
        data = request.get_data()  # cached: request.form still reads it
        if is_json_text(data):  # curl -d '{...}' without a Content-Type: JSON all the same
            return decode_json(parse_json(data), schema)
        raw = request.form.get("json_args")
        if raw is None:
            raise RequestError("the body is neither JSON nor a form with the field 'json_args'; send JSON with "
                               "'Content-Type: application/json' (or a form whose field json_args holds the JSON)",
                               field="json_args")
        return decode_json(parse_json(raw, "json_args"), schema)
    return decode_json(parse_json(request.get_data()), schema)


def decode_json(body, schema) -> Decoded:
    if isinstance(body, dict) and "instances" in body:
        rows = body["instances"]
        return Decoded(schema.from_records(_listed(rows, "instances")), len(rows))
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "ndarray" in body["data"]:
        data = body["data"]
        names = data.get("names") or None
        if names is not None and not isinstance(names, list):
            raise RequestError("'data.names' must be a list of column names", field="data.names")
        rows = _listed(data["ndarray"], "data.ndarray")
        return Decoded(schema.from_rows(rows, names), len(rows), seldon=True)
    if isinstance(body, list):
        return Decoded(schema.from_records(body), len(body))
    if isinstance(body, (dict, str)):
        return Decoded(schema.from_records([body]), 1)
    raise RequestError("expected {\"instances\": [...]}, a list of records or one record", field="body")


def encode(prediction, classes: list | None, seldon: bool = False) -> dict:
    out: dict = {"predictions": prediction.predictions}
    if prediction.probabilities is not None:
        names = [str(c) for c in classes]
        out["probabilities"] = [dict(zip(names, row)) for row in prediction.probabilities]
    if seldon:
        if prediction.probabilities is not None:
            out["data"] = {"names": [str(c) for c in classes], "ndarray": prediction.probabilities}
        else:
            out["data"] = {"names": ["prediction"], "ndarray": prediction.predictions}
    return out


def error_body(error) -> dict:
    return {"error": error.message, "field": getattr(error, "field", None)}


def _listed(value, field: str) -> list:
    if not isinstance(value, list):
        raise RequestError(f"'{field}' must be a list of rows, got {type(value).__name__}", field=field)
    return value
