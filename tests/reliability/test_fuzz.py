"""Fuzzing with schemathesis: the service's own /openapi.json (through the WSGI app, fast) and the Open
Inference Protocol's REST spec on the V2 paths (through the real gunicorn). No 5xx, only documented
statuses, responses matching the documents, every 4xx a JSON error body.

CI sends at least 150 generated requests per endpoint family (native, MLflow, V2, V1); ``make fuzz``
(``NB2SERVICE_RELIABILITY_SCALE=full``) at least 1,100 per family, for the churn, array and text models.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import requests
import yaml

from .conftest import FULL, scale
from .fuzzing import fuzz

pytestmark = pytest.mark.slow
SPEC = Path(__file__).resolve().parents[1] / "reference" / "open_inference_rest.yaml"
BUDGET = scale(150, 1100)


def _schemathesis():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import schemathesis
    return schemathesis


def _report(tally) -> str:
    lines = [f"requests per family: {dict(tally.requests)}", f"statuses: {sorted(tally.statuses.items())}"]
    lines += [f"- {detail}" for detail in tally.failures.values()]
    return "\n".join(lines)


@pytest.mark.parametrize("kind", scale(["churn"], ["churn", "array", "text"]))
def test_fuzzing_the_service_s_own_openapi_document_finds_no_server_error_and_only_documented_answers(
        reliability_artifacts, kind):
    from builder.serve.app import create_app

    app = create_app(reliability_artifacts[kind])
    runtime = app.extensions["nb2service"].runtime
    schema = _schemathesis().openapi.from_wsgi("/openapi.json", app)
    tally = fuzz(schema, BUDGET, lambda case: case.call(), derandomize=not FULL,
                 fixed={"model_name": runtime.name, "model_version": runtime.version})
    print(_report(tally))
    assert not tally.failures, _report(tally)
    for name in ("native", "mlflow", "v2", "v1"):
        assert tally.requests[name] >= BUDGET, _report(tally)
    assert tally.statuses[("native", 200)] and tally.statuses[("v2", 200)], "the fuzzer never reached the model"


def reference_spec() -> dict:
    """The Open Inference REST spec with its ``${NAME}`` path segments read as the templates they mean."""
    spec = yaml.safe_load(SPEC.read_text())
    spec["paths"] = {path.replace("${", "{"): item for path, item in spec["paths"].items()}
    return spec


def test_fuzzing_the_v2_paths_against_the_open_inference_spec_on_the_real_server(reliability_artifacts, start_server):
    artifact = reliability_artifacts["churn"]
    meta = json.loads((artifact / "metadata.json").read_text())
    server = start_server(artifact, workers=2)
    session = requests.Session()
    schema = _schemathesis().openapi.from_dict(reference_spec())
    tally = fuzz(schema, BUDGET, lambda case: case.call(base_url=server.url, session=session), derandomize=not FULL,
                 fixed={"MODEL_NAME": meta["name"], "MODEL_VERSION": meta["version"]},
                 random_names=False)  # the spec documents no 404; unknown names are fuzzed through our own document
    print(_report(tally))
    assert not tally.failures, _report(tally)
    assert tally.requests["v2"] >= BUDGET and tally.statuses[("v2", 200)], _report(tally)
    assert "Worker exiting" not in server.log.read_text()
