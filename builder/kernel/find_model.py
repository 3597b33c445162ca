"""Stage 5: find the model the notebook trained, with no edits to the notebook.

In order, each step explained in the build summary:

1. an explicit choice (``--model-variable`` / ``MODEL_VARIABLE``, a name or an expression);
2. the file(s) the notebook wrote to ``S2I_PIPELINE_STAGE_SAVE_FILE`` (nachlass: several are chained
   into a Pipeline);
3. the model the notebook saved to disk during the run (``joblib.dump``/``pickle.dump``; the
   estimator inside a saved dict/tuple "bundle"); of several saved models, the best on the
   notebook's held-out data, else the last written;
4. a name that says the notebook chose it: ``best_*``, ``final_*``, ``chosen_*``, ``selected_*``,
   ``tuned_*``, ``*_best``, ``*_final`` (unless a ``for`` loop rebinds it);
5. a fitted search (GridSearchCV...), served through its best estimator;
6. a conventional name: ``model``, ``pipeline``, ``clf``, unless a loop rebinds it (``for model in
   models:`` leaves the last model compared in ``model``: weak evidence, see ``loops``);
7. the most recently fitted estimator.

Candidates are the fitted estimators among the kernel's variables, also inside dicts, lists and
tuples; a Pipeline wins over its own steps and a search over its best estimator, but an estimator
passed into a meta-estimator (RFE, SelectFromModel, calibration, bagging, stacking) stays a
candidate of its own (``estimators.components``). When several remain equally plausible (fitted
in the same cell, returned together in a tuple), the best on the notebook's held-out data is
served (``tie_break``), saying so; without held-out data the build fails, listing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import tracker
from .estimators import candidates, components, is_fitted_estimator
from .loops import LoopNames, loop_bound_names

HOW_TO_PICK = "name the model with --model-variable NAME or MODEL_VARIABLE=NAME"
CONVENTIONAL_NAMES = ("model", "pipeline", "clf")
#: Names that say the notebook chose this model among others.
CHOSEN_NAME = re.compile(r"^(best|final|chosen|selected|tuned)(_|$)|_(best|final)$", re.IGNORECASE)


class KernelSideError(Exception):
    """An error to be re-raised on the build side as ``kind`` (an ``builder.errors`` class name)."""

    def __init__(self, kind: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.kind, self.message, self.hint = kind, message, hint


@dataclass
class Choice:
    estimator: Any
    label: str
    reason: str
    candidates: list[str]
    #: How the candidates compared on held-out data, when that decided (``tie_break.Comparison``).
    comparison: dict | None = field(default=None)


def choose_model(namespace: dict, explicit: str | None = None, saved: list | None = None,
                 written: list[tuple[str, Any]] | None = None) -> Choice:
    """``saved``: nachlass stages, in order; ``written``: ``(path, loaded object)`` for each model
    file the notebook wrote during the run, oldest first."""
    found = list(candidates(namespace))
    labels = [label for label, _ in found]
    if explicit:
        return Choice(_explicit(namespace, explicit, labels), explicit, "named by --model-variable/MODEL_VARIABLE", labels)
    if saved:
        return Choice(_chain(saved), "S2I_PIPELINE_STAGE_SAVE_FILE",
                      f"saved by the notebook to S2I_PIPELINE_STAGE_SAVE_FILE ({len(saved)} stage(s))", labels)
    on_disk = _unique(_written_models(written or []))
    if len(on_disk) > 1:
        return _best_saved(on_disk, namespace, labels)
    if on_disk:
        label, est = on_disk[-1]
        return Choice(*_unwrap(est, label, "the model the notebook saved to disk during the run"), labels)
    if not found:
        raise KernelSideError(
            "ModelNotFound",
            "no fitted model found: after the run, no variable holds a fitted estimator (an object with "
            "fit and predict that scikit-learn considers fitted)",
            "keep the trained model in a variable (e.g. `model`), or save it to the path in S2I_PIPELINE_STAGE_SAVE_FILE",
        )
    top = _outermost(found)
    loops = loop_bound_names(namespace)
    chosen = [(label, est) for label, est in top if CHOSEN_NAME.search(label) and label not in loops.targets]
    if chosen:
        return _pick(chosen, namespace, labels, "models with names that say they were chosen",
                     lambda label: f"its name '{label}' says the notebook chose it")
    searches = [(label, est) for label, est in top if _is_search(est)]
    if searches:
        return _pick(searches, namespace, labels, "fitted searches", lambda label: "a fitted hyper-parameter search")
    for name in CONVENTIONAL_NAMES:
        named = [(label, est) for label, est in top if label == name]
        if named and name not in loops:
            return Choice(*_unwrap(named[0][1], name, f"the conventional name '{name}'"), labels)
    weak = _loop_note(top, loops)
    if len(_unique(top)) == 1:
        label, est = top[0]
        return Choice(*_unwrap(est, label, "the only fitted model" + weak), labels)
    return _pick(top, namespace, labels, "models", lambda label: "the most recently fitted model" + weak)


def _pick(pairs: list[tuple[str, Any]], namespace: dict, labels: list[str], what: str, why) -> Choice:
    """The most recently fitted of ``pairs``; several fitted in the same cell are settled on the
    notebook's held-out data, or are an error listing them."""
    latest = max(tracker.fitted_in(est) for _, est in pairs)
    newest = _unique([(label, est) for label, est in pairs if tracker.fitted_in(est) == latest])
    if len(newest) == 1:
        label, est = newest[0]
        return Choice(*_unwrap(est, label, why(label)), labels)
    from .tie_break import best_on_held_out

    comparison = best_on_held_out(newest, namespace)
    if comparison.winner is not None:
        label, est = comparison.winner
        reason = f"the best on held-out data of {len(newest)} equally plausible {what}: {comparison.summary}"
        return Choice(*_unwrap(est, label, reason), labels, comparison.to_json())
    listing = ", ".join(f"{label} ({type(est).__name__})" for label, est in newest)
    raise KernelSideError(
        "ModelNotFound",
        f"{len(newest)} equally plausible {what}, fitted in the same cell: {listing}; "
        f"they cannot be compared: {comparison.summary}",
        f"{HOW_TO_PICK}, e.g. MODEL_VARIABLE={newest[0][0]}",
    )


def _best_saved(on_disk: list[tuple[str, Any]], namespace: dict, labels: list[str]) -> Choice:
    """Several model files written: the best on held-out data, else the last written."""
    from .tie_break import best_on_held_out

    comparison = best_on_held_out(on_disk, namespace)
    if comparison.winner is not None:
        label, est = comparison.winner
        reason = f"the best on held-out data of the {len(on_disk)} models the notebook saved: {comparison.summary}"
        return Choice(*_unwrap(est, label, reason), labels, comparison.to_json())
    label, est = on_disk[-1]
    reason = (f"the last of the {len(on_disk)} models the notebook saved to disk during the run "
              f"(not compared on held-out data: {comparison.summary})")
    return Choice(*_unwrap(est, label, reason), labels, comparison.to_json())


def _loop_note(top: list[tuple[str, Any]], loops: LoopNames) -> str:
    rebound = [name for name in CONVENTIONAL_NAMES if name in loops and any(label == name for label, _ in top)]
    if not rebound:
        return ""
    return f" ('{rebound[0]}' was not taken for the model's name: a loop rebinds it)"


def _written_models(written: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """One estimator per model file the notebook wrote, oldest file first: the object itself, or
    the estimator inside a saved bundle (preferring a conventional key such as 'model')."""
    found = []
    for path, obj in written:
        if isinstance(obj, (dict, list, tuple)):
            inside = _outermost(list(candidates({"bundle": obj})))
            inside.sort(key=lambda pair: not any(f"[{name!r}]" in pair[0] for name in CONVENTIONAL_NAMES))
            found += [(f"saved {path}{label[len('bundle'):]}", est) for label, est in inside[:1]]
        elif is_fitted_estimator(obj):
            found.append((f"saved {path}", obj))
    return found


def _is_search(estimator: Any) -> bool:
    return hasattr(estimator, "cv_results_") and hasattr(estimator, "best_estimator_")


def _explicit(namespace: dict, expression: str, labels: list[str]) -> Any:
    try:
        value = namespace[expression] if expression.isidentifier() else eval(expression, {}, namespace)  # noqa: S307
    except Exception as exc:  # noqa: BLE001
        raise KernelSideError(
            "ModelNotFound",
            f"MODEL_VARIABLE={expression}: not found in the notebook's variables ({type(exc).__name__}: {exc})",
            f"fitted models found: {', '.join(labels) or 'none'}",
        )
    if not is_fitted_estimator(value):
        raise KernelSideError(
            "ModelNotFound",
            f"MODEL_VARIABLE={expression}: holds a {type(value).__name__}, not a fitted estimator",
            f"fitted models found: {', '.join(labels) or 'none'}",
        )
    return value


def _chain(stages: list) -> Any:
    if len(stages) == 1:
        return stages[0]
    from sklearn.pipeline import Pipeline

    return Pipeline([(f"stage{i}", stage) for i, stage in enumerate(stages)])


def _outermost(found: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Drop candidates that are part of another candidate (a pipeline's steps, a search's best)."""
    inner = set()
    for _, est in found:
        stack = list(components(est))
        while stack:
            part = stack.pop()
            if id(part) not in inner:
                inner.add(id(part))
                stack.extend(components(part))
    return [(label, est) for label, est in found if id(est) not in inner]


def _unique(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """One entry per object (several names may hold the same estimator)."""
    seen, out = set(), []
    for label, est in pairs:
        if id(est) not in seen:
            seen.add(id(est))
            out.append((label, est))
    return out


def _unwrap(estimator: Any, label: str, reason: str) -> tuple[Any, str, str]:
    """A fitted search (GridSearchCV...) is served through its refitted best estimator."""
    best = getattr(estimator, "best_estimator_", None)
    if best is not None and is_fitted_estimator(best):
        return best, f"{label}.best_estimator_", f"{reason}; a {type(estimator).__name__}, serving its best estimator"
    return estimator, label, reason
