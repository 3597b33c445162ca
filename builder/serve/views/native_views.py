"""``POST /predict``: nb2service's own format (see ``codecs.native``).

``POST /predict/engineered`` takes the same bodies in the inputs the model was fitted on (the
notebook's training matrix) when the service's default inputs are raw records (``features.py``);
otherwise it is the same as ``/predict``.

``POST /explain`` takes ``/predict``'s input and answers per-feature contributions
(``builder.model.explain``)."""

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


@bp.post("/predict/engineered")
def predict_engineered():
    s = service()
    decoded = native.decode(request, s.model.engineered_schema)
    prediction = s.dataplane.predict(decoded.model_input, engineered=True)
    return json_response(native.encode(prediction, s.model.classes, decoded.seldon))


@bp.post("/explain")
def explain():
    s = service()
    decoded = native.decode(request, s.model.schema)
    return json_response(explanation_body(*s.dataplane.explain(decoded.model_input)))


def explanation_body(explanation, predictions, error) -> dict:
    return {"method": explanation.method, "explained_output": explanation.output, "outputs": explanation.outputs,
            "features": explanation.features, "additivity_error": error,
            "explanations": explanation.rows(predictions)}
