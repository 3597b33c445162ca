"""Telling library drift from bugs in the notebook's own code, and the one retry it earns."""

import io
import subprocess

import pytest

from builder.build import build
from builder.build.drift import drift_suspect, execution_order_hint, failing_library
from builder.build.execute import cell_name
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


COLUMN_LOOKUP = (f"{CELL_FRAME}\nFile /env/lib/python3.11/site-packages/pandas/core/frame.py:3761, in "
                 "DataFrame.__getitem__(self, key)\nFile /env/lib/python3.11/site-packages/pandas/core/indexes/"
                 "base.py:3655, in Index.get_loc(self, key)\n-> 3655     raise KeyError(key) from err")
OLD_IPYTHON_LOOKUP = ("<ipython-input-3-5f1c> in <module>\n----> 1 df['revenue']\n"
                      "/usr/local/lib/python3.7/dist-packages/pandas/core/frame.py in __getitem__(self, key)\n"
                      "/usr/local/lib/python3.7/dist-packages/pandas/core/indexes/base.py in get_loc(self, key)")
READ_CSV = (f"{CELL_FRAME}\nFile /env/lib/python3.11/site-packages/pandas/io/common.py:873, in get_handle\n"
            "--> 873 handle = open(handle, ioargs.mode)")
STYLE = (f"{CELL_FRAME}\nFile /env/lib/python3.11/site-packages/matplotlib/style/core.py:137, in use(style)\n"
         "--> 137 raise IOError(")


def test_where_the_exception_was_raised_decides_not_its_type():
    # a renamed matplotlib style is drift; a data file that is not in the repo is the notebook's own problem
    assert drift_suspect("OSError", "'seaborn' is not a valid package style", STYLE) == "OSError raised inside matplotlib"
    assert drift_suspect("FileNotFoundError", "[Errno 2] No such file or directory: 'data.csv'", READ_CSV) is None
    assert failing_library("ImportError", "cannot import name 'plot_roc_curve' from 'sklearn.metrics' (/x)",
                           CELL_FRAME) == "sklearn"
    assert failing_library("AttributeError", "'DataFrame' object has no attribute 'append'",
                           f"{CELL_FRAME}\n{PANDAS_FRAME}") == "pandas"


@pytest.mark.parametrize("ename, evalue, trace", [
    ("ZeroDivisionError", "division by zero", CELL_FRAME),
    ("KeyError", "'revenue'", CELL_FRAME),
    ("KeyError", "'revenue'", COLUMN_LOOKUP),
    ("KeyError", "'revenue'", OLD_IPYTHON_LOOKUP),
    ("NameError", "name 'df' is not defined", CELL_FRAME),
    ("ModuleNotFoundError", "No module named 'mylocalhelpers'", CELL_FRAME),
    ("ValueError", "bad input", f"{CELL_FRAME}\nFile /repo/helpers.py:3, in compute"),
], ids=["arithmetic", "missing-key", "missing-column", "missing-column-ipython7", "hidden-state", "own-module",
        "own-code"])
def test_failures_in_the_notebooks_own_code_are_not_drift(ename, evalue, trace):
    assert drift_suspect(ename, evalue, trace) is None


def test_saved_execution_counts_explain_a_notebook_that_only_worked_out_of_order():
    assert "out of order (In [7] comes before In [3])" in execution_order_hint([1, 2, 7, 3, 4, 5, 6])
    assert "no longer in the notebook (In [3], In [4]:" in execution_order_hint([1, 2, 5, 6])
    assert execution_order_hint([1, 2, 3, 4]) is None and execution_order_hint([None, None]) is None
    assert "2 code cell(s) were never run" in execution_order_hint([1, 2, None, None])


def test_a_cell_is_named_by_position_and_by_its_saved_in_number():
    from pathlib import Path
    assert cell_name(Path("nb.ipynb"), 90, 48) == "nb.ipynb, cell 91 (In [48] in the saved notebook)"
    assert cell_name(Path("nb.ipynb"), 2, None) == "nb.ipynb, cell 3 (never run in the saved notebook)"


@pytest.mark.slow
def test_a_removed_name_moves_only_its_library_back(make_repo, tmp_path):
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
    [repair] = meta["dependencies"]["repairs"]
    assert "plot_confusion_matrix" in repair["after"] and repair["requirement"] == "scikit-learn==1.1.3"
    assert meta["libraries"]["scikit-learn"] == "1.1.3"
    assert meta["dependencies"]["resolution"]["as_of"] == "2023-06-15"  # the rest stays as of the date
    assert "repair 1/3" in log.getvalue()


@pytest.mark.slow
def test_without_git_the_notebook_dates_itself_and_a_magics_module_is_installed(make_repo, tmp_path):
    """No .git (as in S2I): Python 3.10.9 in the notebook's metadata dates it; %matplotlib inline needs
    matplotlib although the code never imports it; !pip lines would install under the same date and stack."""
    nb = notebook("%matplotlib inline\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression",
                  # the notebook's own !pip lines keep the build's stack and date
                  "import os\nassert 'numpy==' in open(os.environ['PIP_CONSTRAINT']).read()\n"
                  "assert os.environ['UV_EXCLUDE_NEWER'] == '2023-03-07T00:00:00Z'\n"
                  # scikit-learn's downloads go to the build's scratch folder, not HOME (outside the repo)
                  "from sklearn.datasets import get_data_home\nassert get_data_home().startswith(os.environ['SCIKIT_LEARN_DATA'])",
                  "X_train = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.8, 0.3]])\n"
                  "model = LogisticRegression().fit(X_train, [0, 1, 0, 1])")
    nb.metadata["language_info"] = {"name": "python", "version": "3.10.9"}
    repo = make_repo({"train.ipynb": nb})
    log = io.StringIO()
    meta = build(repo, tmp_path / "out", build_settings(), Reporter(stream=log))
    resolution = meta["dependencies"]["resolution"]
    assert resolution["as_of"] == "2023-03-06" and "Python 3.10.9 (metadata.language_info.version)" in \
        resolution["as_of_reason"]
    # and it runs on the Python it records when one is installed (pyenv's 3.10 on the CI image)
    from builder.build.environment import find_uv
    from builder.interpreters import find
    assert meta["python"].startswith("3.10.") or find((3, 10), find_uv()) is None, meta["environment"]
    assert resolution["evidence"]["clues"][0]["earliest"] == "2022-12-06"
    [repair] = meta["dependencies"]["repairs"]
    assert repair["distribution"] == "matplotlib" and "No module named 'matplotlib'" in repair["after"]
    assert meta["libraries"]["scikit-learn"] == "1.2.1"
