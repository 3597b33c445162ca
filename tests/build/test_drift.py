"""Telling library drift from bugs in the notebook's own code, and the one retry it earns."""

import io
import subprocess

import pytest

from builder.build import build
from builder.build.drift import drift_suspect
from builder.config import build_settings
from builder.report import Reporter
from tests.conftest import notebook

PANDAS_FRAME = "File /env/lib/python3.11/site-packages/pandas/core/generic.py:6299, in NDFrame.__getattr__"
CELL_FRAME = "Cell In[4], line 2\n----> 2 total = compute(x)"


@pytest.mark.parametrize("ename, evalue, trace, expected", [
    ("ImportError", "cannot import name 'plot_roc_curve' from 'sklearn.metrics' (/env/sklearn/metrics/__init__.py)",
     CELL_FRAME, "'plot_roc_curve' is no longer in sklearn.metrics"),
    ("ModuleNotFoundError", "No module named 'sklearn.externals.six'", CELL_FRAME,
     "module sklearn.externals.six no longer exists"),
    ("AttributeError", "'DataFrame' object has no attribute 'append'", f"{CELL_FRAME}\n{PANDAS_FRAME}",
     "AttributeError raised inside pandas"),
    ("AttributeError", "module 'numpy' has no attribute 'float'.", CELL_FRAME, "AttributeError: module 'numpy'"),
    ("TypeError", "OneHotEncoder.__init__() got an unexpected keyword argument 'sparse'", CELL_FRAME,
     "TypeError: OneHotEncoder"),
], ids=["removed-function", "removed-module", "removed-method", "removed-alias", "removed-keyword"])
def test_failures_that_drift_explains_are_recognised(ename, evalue, trace, expected):
    assert drift_suspect(ename, evalue, trace).startswith(expected)


@pytest.mark.parametrize("ename, evalue, trace", [
    ("ZeroDivisionError", "division by zero", CELL_FRAME),
    ("KeyError", "'revenue'", CELL_FRAME),
    ("NameError", "name 'df' is not defined", CELL_FRAME),
    ("ModuleNotFoundError", "No module named 'mylocalhelpers'", CELL_FRAME),
    ("ValueError", "bad input", f"{CELL_FRAME}\nFile /repo/helpers.py:3, in compute"),
], ids=["arithmetic", "missing-column", "hidden-state", "own-module", "own-code"])
def test_failures_in_the_notebooks_own_code_are_not_drift(ename, evalue, trace):
    assert drift_suspect(ename, evalue, trace) is None


@pytest.mark.slow
def test_a_drift_failure_is_retried_once_with_older_libraries(make_repo, tmp_path):
    """Committed mid-2023 but written against scikit-learn 1.1: plot_confusion_matrix was removed in 1.2."""
    repo = make_repo({"train.ipynb": notebook(
        "import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
        "from sklearn.metrics import plot_confusion_matrix",
        "X_train = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.8, 0.3]])\n"
        "model = LogisticRegression().fit(X_train, [0, 1, 0, 1])")})
    stamp = {"GIT_COMMITTER_DATE": "2023-06-15T12:00:00+00:00", "GIT_AUTHOR_DATE": "2023-06-15T12:00:00+00:00",
             "PATH": "/usr/bin:/bin"}
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "train"], check=True, env=stamp)
    log = io.StringIO()
    meta = build(repo, tmp_path / "out", build_settings(), Reporter(stream=log))
    retried = meta["dependencies"]["retried"]
    assert "plot_confusion_matrix" in retried["first_failure"] and retried["first_as_of"] == "2023-06-15"
    assert meta["libraries"]["scikit-learn"].startswith("1.1.")
    assert "this looks like library drift" in log.getvalue()
