"""Records what the feature path is made of while the notebook runs: the code of every executed
cell, in order, and each model's last fit call (the matrix and target passed, and in which cell).

The fit is observed by wrapping ``fit`` on the scikit-learn estimator classes with ``predict`` that
are loaded before each cell runs; only calls made by the notebook's own code are recorded (not a
search's or a cross-validation's inner fits). The record keeps the estimator alive: a model the
notebook saved to disk and then replaced in its variable must still be found.

``train_test_split`` is wrapped the same way, to record which row positions each of the notebook's
splits drew: for a model fitted on arrays split without a fixed ``random_state``, they say which
rows of the table it was fitted on. The scikit-learn modules a cell imports are imported just before
it runs (not in a cell that installs packages), so that what it imports and uses at once is wrapped.
"""

from __future__ import annotations

import functools
import sys

_state = {"cell": 0, "cells": [], "fits": {}, "splits": []}


def install(shell) -> None:
    """Register the pre-cell hook that records the cell's code and wraps newly loaded model classes."""
    shell.events.register("pre_run_cell", lambda info=None: _before_cell(shell, info))


def cells() -> list[str]:
    """The Python code of every executed cell, in execution order (cell ordinal = position + 1)."""
    return list(_state["cells"])


def fit_of(estimator):
    """``(X, y, cell ordinal)`` of the notebook's last fit of the estimator, or None when not seen."""
    found = _state["fits"].get(id(estimator))
    return found[1:] if found is not None and found[0] is estimator else None


def fitted() -> list:
    """The estimators whose fit the notebook called."""
    return [entry[0] for entry in _state["fits"].values()]


def splits() -> list:
    """``(rows, train positions)`` of each of the notebook's ``train_test_split`` calls, in order."""
    return list(_state["splits"])


def _before_cell(shell, info) -> None:
    raw = getattr(info, "raw_cell", "") or ""
    try:
        code = shell.transform_cell(raw)
    except Exception:  # noqa: BLE001 - a cell IPython cannot transform fails on its own
        code = raw
    _state["cell"] += 1
    _state["cells"].append(code)
    _import_ahead(code)
    if "sklearn.base" in sys.modules:
        _wrap_models(sys.modules["sklearn.base"].BaseEstimator)
    if "sklearn.model_selection" in sys.modules:
        _wrap_split(shell.user_ns)


def _import_ahead(code: str) -> None:
    """The scikit-learn modules the cell imports, imported now, so that a model class or
    ``train_test_split`` imported and used in the same cell is wrapped; not in a cell that installs
    packages (the import would load the version before the install)."""
    import ast
    import importlib
    import re

    if re.search(r"\b(pip|conda|mamba)\b", code):
        return
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else \
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            if name.split(".")[0] == "sklearn" and name not in sys.modules:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - the cell's own import reports it
                    pass


def _wrap_split(namespace: dict) -> None:
    modules = [sys.modules.get("sklearn.model_selection"), sys.modules.get("sklearn.model_selection._split")]
    split = getattr(modules[0], "train_test_split", None)
    if split is None:
        return
    original = getattr(split, "__wrapped__", split) if getattr(split, "__nb2service_wrapped__", False) else split
    wrapped = split if original is not split else _recording_split(original)
    for module in modules:
        if module is not None and getattr(module, "train_test_split", None) is original:
            module.train_test_split = wrapped
    for name, value in list(namespace.items()):  # imported by an earlier cell
        if value is original:
            namespace[name] = wrapped


def _recording_split(split):
    @functools.wraps(split)
    def recorded_split(*arrays, **options):
        if not arrays or sys._getframe(1).f_globals.get("__name__") != "__main__":
            return split(*arrays, **options)
        import numpy as np

        try:
            rows = arrays[0].shape[0] if hasattr(arrays[0], "shape") else len(arrays[0])
            # one more array, the positions, split the same way: the rows drawn depend on the
            # number of rows, random_state and stratify only
            out = split(*arrays, np.arange(rows), **options)
        except Exception:  # noqa: BLE001 - the notebook's own call says what is wrong
            return split(*arrays, **options)
        _state["splits"].append((rows, out[-2]))
        return out[:-2]
    recorded_split.__nb2service_wrapped__ = True
    return recorded_split


def _wrap_models(base) -> None:
    stack = [base]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        fit = getattr(cls, "fit", None)
        if fit is None or getattr(fit, "__nb2service_wrapped__", False) or not hasattr(cls, "predict"):
            continue
        setattr(cls, "fit", _recording(fit))


def _recording(fit):
    @functools.wraps(fit)
    def recorded_fit(self, X, y=None, *args, **kwargs):
        result = fit(self, X, y, *args, **kwargs)
        if sys._getframe(1).f_globals.get("__name__") == "__main__":  # the notebook's code, not a library's
            _state["fits"][id(self)] = (self, X, y, _state["cell"])
        return result
    recorded_fit.__nb2service_wrapped__ = True
    return recorded_fit
