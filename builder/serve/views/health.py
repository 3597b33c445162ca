"""Operations endpoints: ``/healthz`` (live), ``/readyz`` (ready), ``/model`` (metadata.json) and
``/metrics`` (Prometheus). None of them is counted as a prediction."""

from flask import Blueprint, Response

from ...errors import NotReady
from ..metrics import CONTENT_TYPE
from . import json_response, service

bp = Blueprint("health", __name__)


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
    return json_response(service().model.metadata)


@bp.get("/metrics")
def metrics():
    return Response(service().metrics.exposition(), 200, content_type=CONTENT_TYPE)
