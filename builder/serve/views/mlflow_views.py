"""MLflow's scoring server endpoints: ``POST /invocations``, ``GET /ping``, ``/health``, ``/version``."""

from flask import Blueprint, Response, request

from ... import __version__
from ...errors import NotReady
from ..codecs import mlflow
from . import json_response, service

bp = Blueprint("mlflow", __name__)


@bp.post("/invocations")
def invocations():
    s = service()
    decoded = mlflow.decode(request, s.model.schema)
    prediction = s.dataplane.predict(decoded.model_input, proba=decoded.proba)
    return json_response(mlflow.encode(prediction, decoded.proba))


@bp.get("/ping")
@bp.get("/health")
def ping():
    if not service().runtime.ready:
        raise NotReady("the model is still loading")
    return Response("\n", 200, mimetype="application/json")


@bp.get("/version")
def version():
    return Response(__version__, 200, mimetype="application/json")
