"""What a serving image must hold, found by serving the artifact in a fresh process
(``builder.export.needs``): the serving runtime and what loading the model imports, nothing the
build alone used."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve.conftest import ROOT, write_artifact

BUILD_ONLY = {"ipykernel", "jupyter-client", "nbclient", "nbformat", "skl2onnx", "onnx", "uv", "dulwich"}


def needs(artifact: Path) -> dict[str, dict]:
    proc = subprocess.run([sys.executable, "-m", "builder.export.needs", str(artifact)], capture_output=True,
                          text=True, cwd=ROOT, check=True)
    return {d["name"].lower().replace("_", "-"): d for d in json.loads(proc.stdout)}


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("needs")
    plain = write_artifact(root / "plain", "array")
    # the same model behind a step whose function lives in matplotlib: unpickling it imports matplotlib
    import joblib
    import matplotlib.mlab
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    plotted = write_artifact(root / "needs-matplotlib", "array")
    model = make_pipeline(FunctionTransformer(matplotlib.mlab.detrend_none), joblib.load(plotted / "model.joblib"))
    joblib.dump(model, plotted / "model.joblib")
    meta = json.loads((plotted / "metadata.json").read_text())
    meta["model"]["sha256"] = hashlib.sha256((plotted / "model.joblib").read_bytes()).hexdigest()
    (plotted / "metadata.json").write_text(json.dumps(meta))
    return {"plain": plain, "needs-matplotlib": plotted}


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
