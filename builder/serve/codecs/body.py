"""What every codec needs from a request body: its content type, JSON and CSV decoding."""

from __future__ import annotations

import csv
import io
import json

import orjson

from ...errors import RequestError, SchemaMismatch, UnsupportedMediaType

JSON = "application/json"
CSV = "text/csv"
URLENCODED = "application/x-www-form-urlencoded"
FORM = (URLENCODED, "multipart/form-data")
#: What curl -d sends when no Content-Type is given: said in the 415 where JSON was meant.
CURL_HINT = ("curl -d sends application/x-www-form-urlencoded unless told otherwise: "
             "add -H 'Content-Type: application/json'")
#: orjson's own nesting limit; deeper documents are refused with a 400 before any Python recursion.
MAX_JSON_DEPTH = 1024


def media_type(content_type: str | None, accepted: tuple[str, ...], *, strict_parameters: bool = False) -> str:
    """The mime type of ``content_type`` if it is one of ``accepted``, else ``UnsupportedMediaType``.

    A charset other than utf-8 is refused; with ``strict_parameters`` (MLflow) so is any parameter
    other than charset."""
    mime, *parameters = [part.strip() for part in (content_type or "").split(";")]
    mime = mime.lower()
    if mime not in accepted:
        got = f"'{content_type}'" if content_type else "no Content-Type"
        hint = f" ({CURL_HINT})" if mime == URLENCODED and JSON in accepted else ""
        raise UnsupportedMediaType(f"unsupported content type {got}; send one of: {', '.join(accepted)}{hint}",
                                   field="Content-Type")
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        key, value = key.strip().lower(), value.strip().strip('"').lower()
        if key == "charset" and value not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"unsupported charset '{value}'; send utf-8", field="Content-Type")
        if key not in ("charset", "boundary") and strict_parameters:
            raise UnsupportedMediaType(f"unrecognized content type parameter '{key}'", field="Content-Type")
    return mime


def is_json_text(data: bytes) -> bool:
    """Whether a body sent as a form is in fact a JSON document (curl -d '{...}' without a
    Content-Type): it starts with ``{`` or ``[``, which no urlencoded form does."""
    return data.lstrip()[:1] in (b"{", b"[")


def parse_json(data: bytes | str, what: str = "body"):
    if not data:
        raise RequestError(f"the {what} is empty: send a JSON document", field=what)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        problem = exc
    if "depth" in str(problem) or "recursion" in str(problem):  # orjson stops at 1024 levels, in C
        raise RequestError(f"the {what} nests JSON more than {MAX_JSON_DEPTH} levels deep", field=what)
    try:  # Python's json (what MLflow's client uses) writes NaN for missing values; orjson refuses it
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RequestError(f"the {what} is not valid JSON: {problem}", field=what) from None


def json_body(request):
    """The JSON document of a KServe V1 / V2 request: sent with no Content-Type (the protocols do
    not require one), as application/json, or as curl's default form type when it is JSON."""
    data = request.get_data()
    content_type = request.content_type
    if content_type and not (content_type.split(";")[0].strip().lower() == URLENCODED and is_json_text(data)):
        media_type(content_type, (JSON,))
    return parse_json(data)


def parse_csv(data: bytes, schema=None) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` from CSV with a header row; a blank line ends nothing, it is skipped.

    ``schema``: the model's inputs; a first line that names none of its columns and reads as data
    (a number, a known category, true/false; any line for a text model) is said to be no header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestError(f"the CSV body is not valid utf-8: {exc}", field="body") from None
    try:
        lines = [row for row in csv.reader(io.StringIO(text)) if row]
    except csv.Error as exc:
        raise RequestError(f"the CSV body cannot be read: {exc}", field="body") from None
    if not lines:
        raise RequestError("the CSV body is empty: send a header row and at least one row", field="body")
    header, rows = [h.strip() for h in lines[0]], lines[1:]
    if schema is not None and _reads_as_data(header, schema):
        first = ",".join(lines[0])
        raise SchemaMismatch(f"the CSV body has no header row: its first line ({first[:80]!r}) names none of the "
                             f"model's columns; start the body with the column names: {','.join(schema.names)}",
                             field="body")
    if not rows:
        raise SchemaMismatch("the batch is empty: the CSV body has a header row but no rows", field="instances")
    return header, rows


def _reads_as_data(header: list[str], schema) -> bool:
    if set(header) & set(schema.names):
        return False
    if schema.kind == "text":
        return True
    known = set().union(*(c.categories or () for c in schema.columns), {"true", "false", ""})
    for cell in header:
        try:
            float(cell)
            return True
        except ValueError:
            if cell.lower() in known or cell in known:
                return True
    return False


def dumps(value) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
