"""Operations endpoints: ``/`` (browsers go to the docs, API clients get KServe's liveness answer),
``/healthz`` (live), ``/readyz`` (ready), ``/model`` (metadata.json without filesystem paths) and
``/metrics`` (Prometheus). None of them is counted as a prediction."""

from flask import Blueprint, Response, redirect, request

from ...errors import NotReady
from ..metrics import CONTENT_TYPE
from ..public_metadata import public_metadata
from . import json_response, service

bp = Blueprint("health", __name__)


@bp.get("/")
def root():
    """A browser (text/html preferred over JSON) is sent to ``/docs``; anyone else gets
    ``{"status": "alive"}``, which KServe's V1 client reads in ``is_server_live()``."""
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return redirect("/docs", code=302)
    return json_response({"status": "alive"})


@bp.get("/healthz")
def healthz():
    return json_response({"status": "live"})


@bp.get("/readyz")
def readyz():
    runtime = service().runtime
    if not runtime.ready:
        raise NotReady("the model is loaded but not warmed up yet")
    return json_response({"status": "ready", "model": runtime.name, "version": runtime.version})


@bp.get("/model")
def model():
    return json_response(public_metadata(service().model.metadata))


@bp.get("/metrics")
def metrics():
    return Response(service().metrics.exposition(), 200, content_type=CONTENT_TYPE)
