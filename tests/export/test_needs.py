"""What a serving image must hold, found by serving the artifact in a fresh process
(``builder.export.needs``): the serving runtime and what loading the model imports, nothing the
build alone used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.serve.conftest import ROOT

BUILD_ONLY = {"ipykernel", "jupyter-client", "nbclient", "nbformat", "skl2onnx", "onnx", "uv", "dulwich"}


def needs(artifact: Path) -> dict[str, dict]:
    proc = subprocess.run([sys.executable, "-m", "builder.export.needs", str(artifact)], capture_output=True,
                          text=True, cwd=ROOT, check=True)
    return {d["name"].lower().replace("_", "-"): d for d in json.loads(proc.stdout)}


def test_a_scikit_learn_model_needs_the_serving_runtime_and_scikit_learn_but_nothing_the_build_used(artifacts):
    found = needs(artifacts["plain"])
    assert {"scikit-learn", "numpy", "scipy", "joblib", "flask", "gunicorn", "prometheus-client", "orjson",
            "swagger-ui-bundle", "werkzeug"} <= set(found)
    assert not (BUILD_ONLY | {"matplotlib", "pytest"}) & set(found), sorted(found)
    assert "nb2service" not in found  # the serving code is copied with the app root, not installed
    sklearn = found["scikit-learn"]
    assert any(f.endswith("sklearn/linear_model/_logistic.py") for f in sklearn["files"])
    assert not any("/tests/" in f for f in sklearn["files"]), "scikit-learn's test suite came along"


def test_a_model_that_needs_a_library_to_unpickle_brings_it(artifacts):
    found = needs(artifacts["needs-matplotlib"])
    assert "matplotlib" in found and "scikit-learn" in found
    assert not BUILD_ONLY & set(found)
