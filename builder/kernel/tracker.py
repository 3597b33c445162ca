"""Records, after every cell, which fitted estimators appeared or were fitted again.

This gives "most recently fitted" a meaning without touching the notebook: estimators fitted in a
later cell are more recent; estimators fitted in the same cell are equally recent.
"""

from __future__ import annotations

from .estimators import candidates, fingerprint

_state = {"cell": 0, "fitted_in": {}, "fingerprints": {}}


def install(shell) -> None:
    """Register the post-cell hook on the IPython shell."""
    shell.events.register("post_run_cell", lambda result: record(shell.user_ns))


def record(namespace: dict) -> None:
    _state["cell"] += 1
    for _, estimator in candidates(namespace):
        key = id(estimator)
        fp = fingerprint(estimator)
        if _state["fingerprints"].get(key) != fp:
            _state["fingerprints"][key] = fp
            _state["fitted_in"][key] = _state["cell"]


def fitted_in(estimator) -> int:
    """The cell counter at which ``estimator`` was last seen (re)fitted; 0 when never seen."""
    return _state["fitted_in"].get(id(estimator), 0)
