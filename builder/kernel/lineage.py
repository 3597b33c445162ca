"""Records what the feature path is made of while the notebook runs: the code of every executed
cell, in order, and each model's last fit call (the matrix and target passed, and in which cell).

The fit is observed by wrapping ``fit`` on the scikit-learn estimator classes with ``predict`` that
are loaded before each cell runs; only calls made by the notebook's own code are recorded (not a
search's or a cross-validation's inner fits). The record keeps the estimator alive: a model the
notebook saved to disk and then replaced in its variable must still be found.
"""

from __future__ import annotations

import functools
import sys

_state = {"cell": 0, "cells": [], "fits": {}}


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


def _before_cell(shell, info) -> None:
    raw = getattr(info, "raw_cell", "") or ""
    try:
        code = shell.transform_cell(raw)
    except Exception:  # noqa: BLE001 - a cell IPython cannot transform fails on its own
        code = raw
    _state["cell"] += 1
    _state["cells"].append(code)
    if "sklearn.base" in sys.modules:
        _wrap_models(sys.modules["sklearn.base"].BaseEstimator)


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
