"""The Open Inference Protocol (KServe V2) REST endpoints (see ``codecs.v2``)."""

from flask import Blueprint, Response, request

from ... import __version__
from ...errors import ModelNameNotFound, NotReady
from ..codecs import binary, v2
from ..codecs.body import json_body, media_type
from . import json_response, service
from .native_views import explanation_body

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
    # Triton's name for the binary tensor data extension (codecs.binary), as its server lists it
    return json_response({"name": "nb2service", "version": __version__, "extensions": ["binary_tensor_data"]})


@bp.get("/models")
def models():
    """The served models' names, as KServe's ``GET /v2/models`` lists them."""
    return json_response({"models": [service().runtime.name]})


@bp.post("/repository/index")
def repository_index():
    """MLServer's (and Triton's) model repository index: one entry per model with its state."""
    runtime = service().runtime
    return json_response([{"name": runtime.name, "version": runtime.version,
                           "state": "READY" if runtime.ready else "LOADING", "reason": ""}])


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
    header_length = request.headers.get(binary.HEADER)
    if header_length is None:
        body = json_body(request)
    else:  # the binary tensor data extension (tritonclient's default)
        if request.content_type:
            media_type(request.content_type, ("application/octet-stream", "application/json"))
        body = binary.read_request(request.get_data(), header_length)
    decoded = v2.decode(body, runtime.model.schema, runtime.model.has_proba)
    prediction = s.dataplane.predict(decoded.model_input, proba="predict_proba" in decoded.outputs)
    answer = v2.encode(prediction, decoded, runtime.name, runtime.version, runtime.model.classes)
    wanted = binary.wanted(body)
    if not wanted:
        return json_response(answer)
    body, header_length = binary.write_response(answer, wanted)
    return Response(body, 200, mimetype="application/octet-stream", headers={binary.HEADER: str(header_length)})


@bp.post("/models/<name>/explain", endpoint="explain")
@bp.post("/models/<name>/versions/<version>/explain", endpoint="explain_version")
def explain(name, version=None):
    """The V2 form of ``/explain``: a V2 inference request (JSON) in, the explanation with the model's
    name, version and the request's id out."""
    runtime = _runtime(name, version)
    body = json_body(request)
    decoded = v2.decode(body, runtime.model.schema, runtime.model.has_proba)
    answer = explanation_body(*service().dataplane.explain(decoded.model_input))
    request_id = body.get("id") if isinstance(body, dict) else None
    return json_response({"model_name": runtime.name, "model_version": runtime.version,
                          **({"id": request_id} if request_id is not None else {}), **answer})
