"""Records what the feature path is made of while the notebook runs: the code of every executed
cell, in order, and each model's last fit call (the matrix and target passed, and in which cell).

The fit is observed by wrapping ``fit`` on the scikit-learn estimator classes with ``predict`` that
are loaded before each cell runs; only the outermost call is recorded (a search's inner fits are
not), and an estimator's record disappears with the estimator (a weak reference).
"""

from __future__ import annotations

import functools
import sys
import weakref

_state = {"cell": 0, "cells": [], "fits": weakref.WeakKeyDictionary(), "depth": 0}


def install(shell) -> None:
    """Register the pre-cell hook that records the cell's code and wraps newly loaded model classes."""
    shell.events.register("pre_run_cell", lambda info=None: _before_cell(shell, info))


def cells() -> list[str]:
    """The Python code of every executed cell, in execution order (cell ordinal = position + 1)."""
    return list(_state["cells"])


def fit_of(estimator):
    """``(X, y, cell ordinal)`` of the estimator's last outermost fit, or None when not seen."""
    try:
        return _state["fits"].get(estimator)
    except TypeError:  # an unhashable estimator
        return None


def fitted() -> list:
    """The estimators whose fit was recorded and that still exist."""
    return list(_state["fits"].keys())


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
        outermost = _state["depth"] == 0
        _state["depth"] += 1
        try:
            result = fit(self, X, y, *args, **kwargs)
        finally:
            _state["depth"] -= 1
        if outermost:
            try:
                _state["fits"][self] = (X, y, _state["cell"])
            except TypeError:
                pass
        return result
    recorded_fit.__nb2service_wrapped__ = True
    return recorded_fit
