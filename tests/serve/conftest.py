"""Artifacts made in code: tiny scikit-learn models dumped with joblib next to a metadata.json
written the way ``nb2service build`` writes it (schema inferred by the build's own code)."""

from __future__ import annotations

import hashlib
import json
import math
import platform
import shutil
import sys
from pathlib import Path

import pytest

from builder.kernel.infer_schema import infer_schema
from builder.kernel.explain_reference import reference

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("churn", "array", "regressor", "text")
#: Variables the serving code reads; each test starts without them.
SERVE_ENV = ["NB2SERVICE_HOST", "NB2SERVICE_TIMEOUT", "NB2SERVICE_GRACEFUL_TIMEOUT", "NB2SERVICE_MAX_REQUEST_BYTES",
             "NB2SERVICE_BLAS_THREADS", "NB2SERVICE_ACCESS_LOG", "NB2SERVICE_DRIFT", "NB2SERVICE_STRICT_INPUTS",
             "PROMETHEUS_MULTIPROC_DIR",
             "NB2SERVICE_LOG_PREDICTIONS", "NB2SERVICE_LOG_SINK", "NB2SERVICE_LOG_MASK", "NB2SERVICE_LOG_QUEUE",
             "NB2SERVICE_LOG_TIMEOUT", "POD_NAMESPACE",
             "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]


@pytest.fixture(autouse=True)
def clean_serve_environment(monkeypatch):
    for name in SERVE_ENV:
        monkeypatch.delenv(name, raising=False)


def _churn():
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame({
        "tenure": rng.integers(0, 72, n),
        "charges": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(20, 120, n).round(2)),
        "contract": pd.Series(rng.choice(["monthly", "yearly", "two-year"], n), dtype=object),
        "zip": pd.Series(rng.choice(["02134", "10001", "94105"], n), dtype=object),
        "paperless": rng.random(n) < 0.5,
    })
    X.loc[X.index[::17], "contract"] = None
    y = np.where((X["tenure"] < 20) & (X["contract"] == "monthly"), "yes", "no")
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["tenure", "charges"]),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                              OneHotEncoder(handle_unknown="ignore")), ["contract", "zip"]),
        ("bool", "passthrough", ["paperless"]),
    ])
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))]).fit(X, y)
    return model, X


def _array():
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 4)) + np.repeat(np.eye(3, 4) * 3, 30, axis=0)
    y = np.repeat([0, 1, 2], 30)
    return LogisticRegression(max_iter=500).fit(X, y), X


def _regressor():
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(2)
    X = pd.DataFrame({"age": rng.integers(20, 80, 60), "bmi": rng.uniform(18, 40, 60)})
    y = 3 * X["age"] + 10 * X["bmi"] + rng.normal(size=60)
    return Ridge().fit(X, y), X


def _text():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = ["win money now", "cheap pills offer", "meeting at noon", "lunch tomorrow?", "free prize claim",
             "project update attached", "you won a lottery", "see you at the office"] * 3
    labels = ["spam", "spam", "ham", "ham", "spam", "ham", "spam", "ham"] * 3
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(texts, labels), texts


def _forest():
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    model, X = _churn()
    X = X.fillna({"charges": 60.0, "contract": "monthly"})
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["contract", "zip"])], remainder="passthrough")
    forest = Pipeline([("pre", pre), ("clf", RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0))])
    return forest.fit(X, model.predict(X)), X


def _boosted():
    from sklearn.ensemble import GradientBoostingRegressor

    _, X = _regressor()
    return GradientBoostingRegressor(n_estimators=20, random_state=0).fit(X, X["age"] * 2 - X["bmi"]), X


def _neighbours():
    from sklearn.neighbors import KNeighborsClassifier

    _, X = _array()
    return KNeighborsClassifier().fit(X, (X[:, 0] > 1).astype(int)), X


#: Every model kind write_artifact can make; KINDS are the ones the session fixture builds.
FITTERS = {"churn": _churn, "array": _array, "regressor": _regressor, "text": _text, "forest": _forest,
           "boosted": _boosted, "neighbours": _neighbours}


def _rows(kind: str, data, n: int = 3) -> list:
    if kind == "text":
        return list(data[:n])
    if hasattr(data, "iloc"):
        return [{k: (None if isinstance(v, float) and math.isnan(v) else (v.item() if hasattr(v, "item") else v))
                 for k, v in row.items()} for row in data.iloc[:n].to_dict(orient="records")]
    return [[float(v) for v in row] for row in data[:n].tolist()]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_artifact(out: Path, kind: str, *, examples: bool = True, python: str | None = None) -> Path:
    """Fit the ``kind`` model and write an artifact folder at ``out``."""
    import joblib
    import numpy as np
    import pandas as pd
    import sklearn

    model, data = FITTERS[kind]()
    schema, training = infer_schema(model, {"X_train": data})
    out.mkdir(parents=True)
    joblib.dump(model, out / "model.joblib")
    (out / "requirements.lock").write_text(f"scikit-learn=={sklearn.__version__}\n")
    sha = _sha(out / "model.joblib")
    meta = {
        "nb2service_version": "0.1.0", "name": kind, "version": sha[:12], "built_at": "2025-01-01T00:00:00+00:00",
        "notebooks": [{"path": f"{kind}.ipynb", "sha256": "ab" * 32}], "git": None,
        "model": {"file": "model.joblib", "sha256": sha, "variable": "model", "reason": "the only model",
                  "class": f"{type(model).__module__}.{type(model).__qualname__}", "steps": [], "candidates": []},
        **schema,
        "examples": _rows(training.kind, training.data) if examples else [],
        "libraries": {"scikit-learn": sklearn.__version__, "numpy": np.__version__, "pandas": pd.__version__,
                      "python": platform.python_version()},
        "environment": {"python": python or sys.executable, "path": None, "lib": str(ROOT), "key": "test",
                        "reused": True},
        "dependencies": {}, "lock": "requirements.lock",
        "explain": reference(model, data),
    }
    (out / "metadata.json").write_text(json.dumps(meta, indent=2))
    return out


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> dict[str, Path]:
    """One artifact per kind, made once per session: treat them as read-only."""
    root = tmp_path_factory.mktemp("artifacts")
    return {kind: write_artifact(root / kind, kind) for kind in KINDS}


@pytest.fixture
def artifact_copy(artifacts, tmp_path):
    """A private copy of a session artifact, to tamper with."""
    def copy(kind: str) -> Path:
        return Path(shutil.copytree(artifacts[kind], tmp_path / kind))
    return copy


@pytest.fixture(scope="session")
def clients(artifacts):
    """``clients[kind]``: a flask test client on a warmed-up app, shared by the session."""
    from builder.serve.app import create_app

    class Clients(dict):
        def __missing__(self, kind):
            self[kind] = create_app(artifacts[kind]).test_client()
            return self[kind]
    return Clients()


@pytest.fixture
def fresh_client(artifacts):
    """A new app (fresh metrics) for ``kind``: ``fresh_client("churn", settings=..., warm_up=False)``."""
    from builder.serve.app import create_app

    def make(kind: str, **kwargs):
        return create_app(artifacts[kind], **kwargs).test_client()
    return make


def examples(artifact: Path) -> list:
    return json.loads((artifact / "metadata.json").read_text())["examples"]


def local_predict(artifact: Path, rows: list, proba: bool = False):
    """What the model predicts in this process, for comparing with the service's answers."""
    from builder.model import ServedModel

    prediction = ServedModel.load(artifact).predict_records(rows, proba=proba)
    return prediction.probabilities if proba else prediction.predictions


@pytest.fixture(scope="session")
def live(artifacts, tmp_path_factory):
    """``live[kind]``: `nb2service serve` (gunicorn, one worker) on the session's artifact of ``kind``,
    started on first use and shared by the session's tests that only send requests."""
    from .live import LazyServers

    servers = LazyServers(artifacts, tmp_path_factory.mktemp("live"))
    yield servers
    servers.stop_all()


@pytest.fixture
def start_server(tmp_path):
    """A server of one's own: ``start_server(artifact, workers=2, env={...}, args=("--strict",))``."""
    from .live import Server

    started = []

    def start(artifact: Path, **kwargs):
        server = Server(artifact, tmp_path / f"server-{len(started)}.log", **kwargs)
        started.append(server)
        server.wait_ready()
        return server
    yield start
    for server in started:
        server.stop()
