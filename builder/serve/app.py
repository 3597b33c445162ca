"""The flask app factory: ``create_app(artifact, settings)`` loads the model once and wires every
protocol's views to one data plane.

Errors are turned into responses here, in one place: an ``NB2ServiceError`` becomes JSON with its
HTTP status, in the error shape of the protocol whose endpoint was called (native, MLflow, V2, V1);
any other exception is a 500 whose traceback is logged and never sent.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..config import ServeSettings
from ..errors import ArtifactError, NB2ServiceError, NotReady, PayloadTooLarge, PredictionFailed, RequestError
from .codecs import mlflow, native, v2
from .codecs.body import dumps
from .dataplane import DataPlane
from .metrics import Metrics, value_buckets
from .openapi import openapi_document
from .prediction_log import REQUEST_ID, PredictionLog
from .runtime import ModelRuntime
from .views import docs, health, mlflow_views, native_views, report, v1_views, v2_views

log = logging.getLogger("nb2service.serve")
EXTENSION = "nb2service"
ERROR_SHAPES = {"mlflow": mlflow.error_body, "v2": v2.error_body, "v1": v2.error_body}


class Service:
    """What the views share: the runtime (model, name, readiness), the data plane and the metrics."""

    def __init__(self, runtime: ModelRuntime, dataplane: DataPlane, metrics: Metrics, settings: ServeSettings):
        self.runtime = runtime
        self.model = runtime.model
        self.dataplane = dataplane
        self.metrics = metrics
        self.settings = settings
        self.openapi = openapi_document(runtime)  # generated once, at start


def create_app(artifact: Path | str, settings: ServeSettings | None = None, *, warm_up: bool = True) -> Flask:
    """Load the artifact's model (checking its sha256), warm it up and return the flask app."""
    settings = settings or ServeSettings()
    try:
        runtime = ModelRuntime.load(artifact, settings.model_name)
        if warm_up:
            runtime.warm_up()
        runtime.model.schema.strict = settings.strict  # after the warm-up, which predicts on training rows
        runtime.model.engineered_schema.strict = settings.strict  # /predict/engineered (the same one without raw inputs)
    except NB2ServiceError:
        raise
    except Exception as exc:  # a model file that matches its sha256 yet does not unpickle (EOFError, ...)
        raise ArtifactError(f"{artifact}: the model cannot be loaded ({type(exc).__name__}: {exc}); refusing to start",
                            hint="rebuild it with `nb2service build SRC -o DIR`") from exc
    buckets = value_buckets(runtime.warmup_predictions) if runtime.model.task == "regression" else None
    metrics = Metrics(runtime.model.metadata, runtime.name, multiprocess_dir=settings.metrics_dir,
                      value_buckets=buckets, inference_path=runtime.model.inference_path)
    metrics.ready.set(1 if runtime.ready else 0)
    runtime.on_ready.append(lambda: metrics.ready.set(1))
    logged = PredictionLog(settings, runtime, metrics.registry) if settings.log_predictions > 0 else None
    dataplane = DataPlane(runtime, metrics, drift=settings.drift, prediction_log=logged)
    service = Service(runtime, dataplane, metrics, settings)

    app = Flask(__name__)
    app.debug = False  # never debug mode in production, even with FLASK_DEBUG=1 in the environment
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = settings.max_request_bytes
    app.extensions[EXTENSION] = service
    for blueprint in (native_views.bp, mlflow_views.bp, v2_views.bp, v1_views.bp, health.bp, docs.bp,
                      report.bp):
        app.register_blueprint(blueprint)
    _count_predictions(app, service)
    _handle_errors(app, service)
    return app


def _count_predictions(app: Flask, service: Service) -> None:
    """Requests to prediction endpoints (and only those) are counted and timed by endpoint and status."""
    @app.before_request
    def start_clock():
        g.nb2service_started = time.perf_counter()
        if request.endpoint in PREDICTION_ENDPOINTS and not service.runtime.ready:
            raise NotReady("the model is still loading; retry shortly")

    @app.after_request
    def count(response):
        rule = request.url_rule
        if rule is not None and request.endpoint in PREDICTION_ENDPOINTS:
            service.metrics.record_request(rule.rule, response.status_code,
                                           time.perf_counter() - g.nb2service_started)
        if "nb2service_request_id" in g:  # the id a logged prediction went out under
            response.headers[REQUEST_ID] = g.nb2service_request_id
        return response


PREDICTION_ENDPOINTS = {"native.predict", "native.predict_engineered", "mlflow.invocations", "v2.infer",
                        "v2.infer_version", "v1.predict", "native.explain", "v2.explain", "v2.explain_version"}


def _handle_errors(app: Flask, service: Service) -> None:
    def respond(error: NB2ServiceError) -> Response:
        shape = ERROR_SHAPES.get(request.blueprint, native.error_body)
        return Response(dumps(shape(error)), error.http_status, mimetype="application/json")

    @app.errorhandler(NB2ServiceError)
    def service_error(error: NB2ServiceError):
        if isinstance(error, RequestError) and error.http_status == 400:
            service.metrics.validation_failures.labels(error.field or "body").inc()
        if isinstance(error, PredictionFailed):
            log.error("the model failed on a %s request", request.path, exc_info=error.__cause__ or error)
        return respond(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, RequestEntityTooLarge):
            return respond(PayloadTooLarge(f"the request body is larger than the limit of "
                                           f"{service.settings.max_request_bytes} bytes "
                                           "(NB2SERVICE_MAX_REQUEST_BYTES)", field="body"))
        wrapped = RequestError(f"{error.name}: {error.description}", field=None)
        wrapped.http_status = error.code or 500
        if error.code == 404:
            wrapped.error_code = "RESOURCE_DOES_NOT_EXIST"
        response = respond(wrapped)
        if error.code == 405:
            response.headers["Allow"] = ", ".join(getattr(error, "valid_methods", None) or [])
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return respond(PredictionFailed(f"internal error: {type(error).__name__}"))
