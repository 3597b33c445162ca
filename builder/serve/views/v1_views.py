"""KServe V1: ``GET /v1/models/{name}`` and ``POST /v1/models/{name}:predict``."""

from flask import Blueprint, request

from ...errors import ModelNameNotFound, RequestError
from ..codecs.body import json_body
from . import json_response, service

bp = Blueprint("v1", __name__, url_prefix="/v1")


def _runtime(name: str):
    runtime = service().runtime
    if name != runtime.name:
        raise ModelNameNotFound(f"model '{name}' not found; this server serves '{runtime.name}'", field="model_name")
    return runtime


@bp.get("/models")
def models():
    """KServe V1's model list."""
    return json_response({"models": [service().runtime.name]})


@bp.get("/models/<name>")
def model(name):
    runtime = _runtime(name)
    return json_response({"name": runtime.name, "ready": runtime.ready}, 200 if runtime.ready else 503)


@bp.post("/models/<name>:predict", endpoint="predict")
def predict(name):
    runtime = _runtime(name)
    body = json_body(request)
    key = "instances" if isinstance(body, dict) and "instances" in body else "inputs"
    rows = body.get(key) if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise RequestError('the body must be {"instances": [...]} (a list of rows or records)', field="instances")
    prediction = service().dataplane.predict(runtime.model.schema.from_records(rows))
    return json_response({"predictions": prediction.predictions})
