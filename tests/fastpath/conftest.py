"""Artifacts made in code, each in two forms: served by scikit-learn (as ``nb2service build`` made
them before the fast path) and with the verified ONNX fast path compiled by ``builder.fastpath``.

The models are those of tests/serve (a churn-like ColumnTransformer pipeline with numbers, strings
and missing values, an array classifier, a regressor, a text pipeline) plus tree ensembles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from builder.fastpath.compile import compile_fast_path
from builder.kernel.harvest import _raw, _rows
from builder.kernel.infer_schema import infer_schema
from tests.serve import conftest as serve

KINDS = ("churn", "array", "regressor", "text", "forest", "forest_regressor")


def _churn(classifier=None):
    """tests/serve's churn pipeline, with missing strings as NaN (as pandas reads them from a CSV;
    a None in an object column is a category of its own to OneHotEncoder, not a missing value)."""
    import numpy as np

    model, X = serve._churn()
    X = X.copy()
    X["contract"] = X["contract"].astype(object).where(X["contract"].notna(), np.nan)
    if classifier is not None:
        model.steps[-1] = ("clf", classifier)
    y = np.where((X["tenure"] < 20) & (X["contract"] == "monthly"), "yes", "no")
    return model.fit(X, y), X


def _forest():
    from sklearn.ensemble import RandomForestClassifier

    return _churn(RandomForestClassifier(n_estimators=30, random_state=0))


def _forest_regressor():
    import numpy as np
    from sklearn.ensemble import RandomForestRegressor

    _, X = serve._regressor()
    y = 3 * X["age"] + 10 * X["bmi"] + np.random.default_rng(3).normal(size=len(X))
    return RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y), X


FITTERS = {**serve.FITTERS, "churn": _churn, "forest": _forest, "forest_regressor": _forest_regressor}


def write_pair(root: Path, kind: str) -> tuple[Path, Path, dict]:
    """``(sklearn_artifact, fast_artifact, inference)`` for ``kind``: the same model file twice,
    the second with ``model.onnx`` and ``metadata["inference"]`` as the build writes them."""
    model, data = FITTERS[kind]()
    original = serve.FITTERS.get(kind)
    serve.FITTERS[kind] = lambda: (model, data)  # write_artifact fits by kind: hand it this model
    try:
        plain = serve.write_artifact(root / f"{kind}-sklearn", kind)
    finally:
        if original is None:
            del serve.FITTERS[kind]
        else:
            serve.FITTERS[kind] = original
    fast = Path(shutil.copytree(plain, root / f"{kind}-onnx"))
    meta = json.loads((fast / "metadata.json").read_text())
    info = compile_artifact(fast, model, data, meta)
    return plain, fast, info


def compile_artifact(out: Path, model, data, meta: dict, **overrides) -> dict:
    """Compile ``model`` into ``out`` checked on its training rows (``overrides`` replaces the
    expected answers, to inject a mismatch) and record the verdict in metadata.json."""
    _, training = infer_schema(model, {"X_train": data})
    raw = _raw(training, 2000)
    expected = {"predictions": model.predict(raw).tolist(),
                "probabilities": model.predict_proba(raw).tolist() if meta.get("predict_proba") else None}
    expected.update(overrides)
    info = compile_fast_path(model, meta, _rows(training, 2000), expected["predictions"], expected["probabilities"], out)
    meta["inference"] = info
    (out / "metadata.json").write_text(json.dumps(meta, indent=2))
    return info


@pytest.fixture(scope="session")
def pairs(tmp_path_factory) -> dict:
    """``pairs[kind]`` -> (sklearn artifact, fast artifact, inference info); made once per session."""
    root = tmp_path_factory.mktemp("fastpath")

    class Pairs(dict):
        def __missing__(self, kind):
            self[kind] = write_pair(root, kind)
            return self[kind]
    return Pairs()
