"""Repairs after a failed cell: install a module the code never names; move only the drifting library back."""

import datetime as dt

import pytest
from packaging.version import Version

from builder.build.drift import drift_suspect, failing_library
from builder.build.releases import Release, ReleaseHistory
from builder.build.repair import Repair, add_module, apply, binary_mismatch, missing_module, move_back, patch_forward
from builder.errors import NotebookExecutionError

D = dt.date.fromisoformat
SKLEARN = [Release(Version(v), D(day), ">=3.8") for v, day in [
    ("1.0.2", "2021-12-25"), ("1.1.3", "2022-10-25"), ("1.2.2", "2023-03-08"), ("1.3.2", "2023-10-23"),
    ("1.4.2", "2024-04-09"), ("1.5.2", "2024-09-11")]]
CELL = "Cell In[2], line 1"


def failure(ename, evalue, trace=CELL):
    err = NotebookExecutionError(f"nb.ipynb, cell 2 failed: {ename}: {evalue}")
    err.ename, err.evalue, err.trace = ename, evalue, trace
    err.drift = drift_suspect(ename, evalue, trace)
    err.library = failing_library(ename, evalue, trace) if err.drift else None
    err.headline = f"nb.ipynb, cell 2: {ename}: {evalue}"
    return err


@pytest.mark.parametrize("ename, evalue, dist", [
    ("ModuleNotFoundError", "No module named 'matplotlib'", "matplotlib"),  # %matplotlib inline, never imported
    ("ImportError", "Missing optional dependency 'tabulate'.  Use pip or conda to install tabulate.", "tabulate"),
    ("ImportError", "Missing optional dependency 'openpyxl'.  Use pip or conda to install openpyxl.", "openpyxl"),
    ("ImportError", "Missing optional dependency 'Jinja2'. DataFrame.style requires jinja2.", "jinja2"),
    ("ImportError", "Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'.", "pyarrow"),
    ("NameError", "name 'pkg_resources' is not defined", "setuptools"),
    ("ModuleNotFoundError", "No module named 'pkg_resources'", "setuptools"),
    ("ValueError", "Mime type rendering requires nbformat>=4.2.0 but it is not installed", "nbformat"),
    # tqdm.notebook headless without Jupyter's widgets: an ImportError that names no module
    ("ImportError", "IProgress not found. Please update jupyter and ipywidgets. See "
                    "https://ipywidgets.readthedocs.io/en/stable/user_install.html", "ipywidgets"),
], ids=["magic", "tabulate", "read_excel", "style", "to_parquet", "pkg_resources-name", "pkg_resources", "nbformat",
        "tqdm-notebook"])
def test_a_module_the_code_never_names_is_installed_once(ename, evalue, dist):
    assert missing_module(ename, evalue) == dist
    repair = add_module(failure(ename, evalue), ["pandas"], tried=set())
    assert repair.distribution == dist and "installing it" in repair.reason
    assert add_module(failure(ename, evalue), ["pandas"], tried={dist}) is None  # once per module


def test_modules_that_map_to_nothing_or_are_already_there_are_not_repairs():
    assert missing_module("ModuleNotFoundError", "No module named 'my_helpers_xyz'") is None
    assert add_module(failure("ModuleNotFoundError", "No module named 'matplotlib'"), ["matplotlib>=3"], set()) is None
    assert missing_module("KeyError", "'revenue'") is None


class FakeProbe:
    def __init__(self, has):
        self.has, self.asked = has, []

    def newest_with(self, dist, older, module, name):
        for release in sorted(older, key=lambda r: r.version, reverse=True):
            self.asked.append(str(release.version))
            if self.has(release.version):
                return release.version
        return None


def test_a_removed_name_moves_only_its_library_to_the_newest_release_that_has_it():
    err = failure("ImportError", "cannot import name 'plot_roc_curve' from 'sklearn.metrics' (/env/x.py)")
    probe = FakeProbe(lambda v: v < Version("1.2"))
    repair = move_back(err, {"scikit-learn": "1.5.2", "pandas": "2.2.3"}, D("2024-10-01"),
                       ReleaseHistory(known={"scikit-learn": SKLEARN}), probe, tried=set())
    assert repair.line == "scikit-learn==1.1.3"
    assert "no longer has sklearn.metrics.plot_roc_curve" in repair.reason
    assert apply(["pandas", "scikit-learn>=1.0"], repair) == ["pandas", "scikit-learn==1.1.3"]


def test_other_drift_moves_the_library_to_its_release_of_a_year_before():
    trace = f"{CELL}\nFile /env/lib/python3.11/site-packages/sklearn/utils/_param_validation.py:95, in validate"
    err = failure("InvalidParameterError", "The 'max_features' parameter of RandomForestRegressor must be ... "
                  "Got 'auto' instead.", trace)
    repair = move_back(err, {"scikit-learn": "1.5.2"}, D("2024-10-01"), ReleaseHistory(known={"scikit-learn": SKLEARN}),
                       None, tried=set())
    assert repair == Repair("scikit-learn", "scikit-learn==1.2.2", repair.reason) and "a year before" in repair.reason
    assert move_back(err, {"scikit-learn": "1.5.2"}, None, ReleaseHistory(known={"scikit-learn": SKLEARN}), None,
                     tried={"scikit-learn"}) is None


def test_a_release_without_a_wheel_for_this_python_is_never_the_target():
    import sys
    here = f"cp{sys.version_info[0]}{sys.version_info[1]}-cp{sys.version_info[0]}{sys.version_info[1]}"
    pandas = [Release(Version("1.4.2"), D("2022-04-02"), ">=3.8", ("cp38-cp38",)),
              Release(Version("1.5.3"), D("2023-01-19"), ">=3.8", (here,)),
              Release(Version("2.0.0"), D("2023-04-03"), ">=3.8", (here,))]
    trace = f"{CELL}\nFile /env/lib/python3.11/site-packages/pandas/core/groupby/groupby.py:1490, in _agg_py_fallback"
    err = failure("TypeError", "Could not convert abc to numeric", trace)
    repair = move_back(err, {"pandas": "2.0.0"}, D("2023-04-02"), ReleaseHistory(known={"pandas": pandas}), None, set())
    assert repair.line == "pandas==1.5.3" and "older series that installs here" in repair.reason


def test_a_release_is_chosen_for_the_environments_python_not_the_builders():
    """The environment runs the notebook's recorded Python (3.12): a release with wheels for 3.12
    alone is a target, one with wheels for the builder's Python alone is not."""
    pandas = [Release(Version("1.5.3"), D("2023-01-19"), ">=3.8", ("cp311-cp311",)),
              Release(Version("2.1.1"), D("2023-09-20"), ">=3.9", ("cp312-cp312",)),
              Release(Version("2.2.0"), D("2024-01-19"), ">=3.9", ("cp312-cp312",))]
    trace = f"{CELL}\nFile /env/lib/python3.12/site-packages/pandas/core/groupby/groupby.py:1490, in _agg_py_fallback"
    err = failure("TypeError", "Could not convert abc to numeric", trace)
    history = ReleaseHistory(known={"pandas": pandas})
    repair = move_back(err, {"pandas": "2.2.0"}, D("2024-02-01"), history, None, set(), python=(3, 12))
    assert repair.line == "pandas==2.1.1"


def test_the_notebooks_own_errors_get_no_repair():
    own = failure("KeyError", "'revenue'")
    assert own.drift is None and add_module(own, [], set()) is None
    assert move_back(own, {"pandas": "2.2.3"}, None, ReleaseHistory(known={}), None, set()) is None


def test_an_extension_built_for_numpy_1_moves_numpy_below_2():
    err = failure("ImportError", "numpy.core.multiarray failed to import",
                  f"{CELL}\nFile /env/lib/python3.11/site-packages/pandas/__init__.py:22\n"
                  "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.0")
    repair = binary_mismatch(err, {"numpy": "2.0.0", "pandas": "1.5.3"}, ReleaseHistory(known={}), set())
    assert repair.line == "numpy<2" and "built for numpy 1" in repair.reason


def test_an_extension_built_for_numpy_2_moves_to_its_last_release_before_numpy_2():
    trace = (f"{CELL}\nFile /env/lib/python3.11/site-packages/catboost/__init__.py:1\n"
             "File /env/lib/python3.11/site-packages/catboost/core.py:45")
    err = failure("ValueError", "numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C "
                  "header, got 88 from PyObject", trace)
    catboost = [Release(Version(v), D(day), None) for v, day in [("1.2.5", "2024-04-22"), ("1.2.7", "2024-09-08")]]
    repair = binary_mismatch(err, {"numpy": "1.26.4", "catboost": "1.2.7"}, ReleaseHistory(known={"catboost": catboost}),
                             set())
    assert repair.line == "catboost==1.2.5" and "last release before numpy 2" in repair.reason


def test_a_syntax_error_from_a_newer_python_says_which_python_the_notebook_was_written_for():
    import sys

    from builder.build.execute import newer_python_hint
    newer = f"{sys.version_info[0]}.{sys.version_info[1] + 1}.2"
    assert newer_python_hint("SyntaxError", newer).startswith(f"written for Python {newer[:-2]}")
    assert newer_python_hint("SyntaxError", "3.8.10") is None and newer_python_hint("KeyError", newer) is None


def test_the_newer_python_hint_says_why_that_python_was_not_used():
    from builder.build.execute import newer_python_hint
    from builder.interpreters import Interpreter

    running = Interpreter("/usr/bin/python3.11", "3.11.7", "cpython-311", "the build's own Python", "3.12.4",
                          "the notebook records Python 3.12.4, but no Python 3.12 was found here (...): install one")
    hint = newer_python_hint("SyntaxError", "3.12.4", running)
    assert hint.startswith("written for Python 3.12") and "runs Python 3.11" in hint and hint.endswith("install one")
    on_312 = Interpreter("/opt/python3.12", "3.12.1", "cpython-312", "pyenv", "3.12.4", "the notebook records 3.12.4")
    assert newer_python_hint("SyntaxError", "3.12.4", on_312) is None  # a real syntax error: no such hint


def test_a_library_bug_moves_the_innermost_library_to_the_newest_patch_of_its_series():
    trace = (f"{CELL}\nFile /env/lib/python3.11/site-packages/seaborn/distributions.py:1418, in histplot\n"
             "File /env/lib/python3.11/site-packages/matplotlib/cbook/__init__.py:1749, in _safe_first_finite")
    err = failure("StopIteration", "", trace)
    matplotlib = [Release(Version(v), D(day), ">=3.8") for v, day in [
        ("3.6.1", "2022-10-08"), ("3.6.2", "2022-11-03"), ("3.6.3", "2023-01-11"), ("3.7.0", "2023-02-13")]]
    repair = patch_forward(err, {"matplotlib": "3.6.1", "seaborn": "0.12.0"},
                           ReleaseHistory(known={"matplotlib": matplotlib, "seaborn": []}), set())
    assert repair.line == "matplotlib==3.6.3" and "newest patch release of its series" in repair.reason
    # an API change is not a bug a patch release fixes
    assert patch_forward(failure("AttributeError", "'DataFrame' object has no attribute 'append'", trace),
                         {"matplotlib": "3.6.1"}, ReleaseHistory(known={"matplotlib": matplotlib}), set()) is None
