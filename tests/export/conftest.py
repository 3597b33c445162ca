"""Artifacts made in code for the export tests (as tests/serve makes them), once per session."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.serve.conftest import write_artifact


@pytest.fixture(scope="session")
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
