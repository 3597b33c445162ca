"""``POST /predict``: nb2service's own format (see ``codecs.native``)."""

from flask import Blueprint, request

from ..codecs import native
from . import json_response, service

bp = Blueprint("native", __name__)


@bp.post("/predict")
def predict():
    s = service()
    decoded = native.decode(request, s.model.schema)
    prediction = s.dataplane.predict(decoded.model_input)
    return json_response(native.encode(prediction, s.model.classes, decoded.seldon))
