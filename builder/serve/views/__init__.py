"""Views: thin adapters per protocol (decode with a codec, call the data plane, encode)."""

from __future__ import annotations

from flask import Response, current_app

from ..codecs.body import dumps


def service():
    return current_app.extensions["nb2service"]


def json_response(body, status: int = 200) -> Response:
    return Response(dumps(body), status, mimetype="application/json")
