"""The Open Inference Protocol (KServe V2) REST endpoints (see ``codecs.v2``)."""

from flask import Blueprint, request

from ... import __version__
from ...errors import ModelNameNotFound, NotReady, UnsupportedMediaType
from ..codecs import v2
from ..codecs.body import JSON, media_type, parse_json
from . import json_response, service

bp = Blueprint("v2", __name__, url_prefix="/v2")


def _runtime(name: str, version: str | None = None):
    runtime = service().runtime
    if not runtime.matches(name, version):
        what = f"model '{name}'" + (f" version '{version}'" if version else "")
        raise ModelNameNotFound(f"{what} not found; this server serves '{runtime.name}' version "
                                f"'{runtime.version}'", field="model_name")
    return runtime


@bp.get("/health/live")
def live():
    return json_response({"live": True})


@bp.get("/health/ready")
def ready():
    if not service().runtime.ready:
        raise NotReady("the model is still loading")
    return json_response({"ready": True})


@bp.get("")
@bp.get("/")
def server_metadata():
    return json_response({"name": "nb2service", "version": __version__, "extensions": []})


@bp.get("/models/<name>")
@bp.get("/models/<name>/versions/<version>")
def model_metadata(name, version=None):
    runtime = _runtime(name, version)
    model = runtime.model
    return json_response(v2.model_metadata(runtime.name, runtime.version, model.schema, model.classes, model.has_proba))


@bp.get("/models/<name>/ready")
@bp.get("/models/<name>/versions/<version>/ready")
def model_ready(name, version=None):
    runtime = _runtime(name, version)
    if not runtime.ready:
        raise NotReady(f"model '{name}' is still loading")
    return json_response({"name": runtime.name, "ready": True})


@bp.post("/models/<name>/infer", endpoint="infer")
@bp.post("/models/<name>/versions/<version>/infer", endpoint="infer_version")
def infer(name, version=None):
    runtime = _runtime(name, version)
    s = service()
    if "Inference-Header-Content-Length" in request.headers:
        raise UnsupportedMediaType("the binary tensor data extension is not supported: send JSON tensors "
                                   "(tritonclient: binary_data=False)", field="Content-Type")
    if request.content_type:  # the protocol does not require one; tritonclient sends none
        media_type(request.content_type, (JSON,))
    decoded = v2.decode(parse_json(request.get_data()), runtime.model.schema, runtime.model.has_proba)
    prediction = s.dataplane.predict(decoded.model_input, proba="predict_proba" in decoded.outputs)
    return json_response(v2.encode(prediction, decoded, runtime.name, runtime.version, runtime.model.classes))
