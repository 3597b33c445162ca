"""``GET /report``: the model report (``builder.modelcard``), its notebook frames, its own stylesheet
and script, and ``/report/live.json`` for the live panels. Not counted as predictions.

Every response carries a Content-Security-Policy: the page may run only its own script and talk only
to its own origin; a rendered notebook runs no script at all, in a sandbox (an opaque origin).
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from werkzeug.exceptions import NotFound

from ...modelcard import page
from ..live import summarize
from . import json_response, service

bp = Blueprint("report", __name__)
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _secured(response: Response, csp: str) -> Response:
    response.headers["Content-Security-Policy"] = csp
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.get("/report")
def report():
    model = service().model
    return _secured(Response(page.service_page(model.root, model.metadata), 200, mimetype="text/html"),
                    page.PAGE_CSP)


@bp.get("/report/notebook/<int:index>")
def notebook(index: int):
    model = service().model
    path = page.notebook_file(model.root, model.metadata, index)
    if path is None:
        raise NotFound(f"no rendered notebook {index} in this artifact")
    return _secured(Response(path.read_bytes(), 200, mimetype="text/html"), page.NOTEBOOK_CSP)


@bp.get("/report/static/<name>")
def static(name: str):
    response = send_from_directory(page.STATIC, name, max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/report/live.json")
def live():
    s = service()
    features = [column.name for column in s.model.schema.columns]
    classes = (s.model.classes or []) if s.model.task == "classification" else None
    summary = summarize(s.metrics.families(), features, classes)
    return _secured(json_response(summary), "default-src 'none'; frame-ancestors 'none'")
