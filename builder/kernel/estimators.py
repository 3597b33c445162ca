"""Recognising fitted estimators among the kernel's variables."""

from __future__ import annotations

import sys
from itertools import islice
from typing import Any, Iterator


def is_fitted_estimator(obj: Any) -> bool:
    """True for an instance with ``fit`` and ``predict`` that scikit-learn considers fitted."""
    if isinstance(obj, type) or not (hasattr(obj, "predict") and hasattr(obj, "fit")):
        return False
    if "sklearn" not in sys.modules:
        return False
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(obj)
    except (NotFittedError, TypeError, AttributeError, ValueError):
        return False
    except Exception:  # noqa: BLE001 - a third-party object misbehaving is simply not a model
        return False
    return True


def candidates(namespace: dict) -> Iterator[tuple[str, Any]]:
    """``(label, estimator)`` for each fitted estimator in the namespace, looking one level into
    dicts, lists and tuples (a "bundle"); labels are how to name it (``bundle['model']``)."""
    for name, value in list(namespace.items()):
        if name.startswith("_") or name in {"In", "Out", "exit", "quit", "get_ipython"}:
            continue
        if isinstance(value, dict):
            for key, item in islice(value.items(), 100):
                if is_fitted_estimator(item):
                    yield f"{name}[{key!r}]", item
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(islice(value, 100)):
                if is_fitted_estimator(item):
                    yield f"{name}[{i}]", item
        elif is_fitted_estimator(value):
            yield name, value


#: Where an estimator keeps its own parts: pipeline and union steps (fitted in place)...
COMPOSED = ("steps", "transformer_list")
#: ...and what it fitted itself: a ColumnTransformer's transformers, a search's refitted best
#: estimator, a meta-estimator's fitted clones.
FITTED_PARTS = ("transformers_", "best_estimator_", "estimator_", "estimators_", "final_estimator_", "regressor_")


def components(estimator: Any) -> list[Any]:
    """The estimators that are parts of ``estimator``: pipeline steps, fitted transformers, a
    search's best estimator, a meta-estimator's fitted clones.

    An estimator passed into a meta-estimator (``RFE(lr)``, ``SelectFromModel(rf)``,
    ``CalibratedClassifierCV(svc)``, bagging, stacking) is not one of its parts: the meta-estimator
    fits a clone, so ``lr`` itself, when fitted, is a candidate of its own and is not hidden behind
    the selector (bagging keeps the object it was given as ``estimator_``: that is not a part either)."""
    passed_in = {id(v) for v in _estimators_in(list(_params(estimator).values()))}
    found = [v for attr in COMPOSED for v in _estimators_in([getattr(estimator, attr, None)])]
    for attr in FITTED_PARTS:
        found += [v for v in _estimators_in([getattr(estimator, attr, None)]) if id(v) not in passed_in]
    return [v for v in found if v is not estimator]


def _params(estimator: Any) -> dict:
    try:
        return estimator.get_params(deep=False)
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator
        return {}


def _estimators_in(values: list) -> list[Any]:
    """The estimators among ``values``, looking into lists, tuples (``(name, est)`` steps) and dicts."""
    found = []
    for value in values:
        if isinstance(value, dict):
            found += _estimators_in(list(value.values()))
        elif isinstance(value, (list, tuple)):
            found += _estimators_in([v for v in value if not isinstance(v, str)])
        elif hasattr(value, "fit") and not isinstance(value, type):
            found.append(value)
    return found


def fingerprint(estimator: Any) -> tuple:
    """Changes whenever the estimator (or one inside it) is fitted again."""
    parts = []
    for obj in [estimator, *components(estimator)]:
        try:
            attrs = vars(obj)
        except TypeError:
            continue
        parts.extend((id(obj), k, id(v)) for k, v in attrs.items() if k.endswith("_") and not k.startswith("__"))
    return tuple(sorted(parts))
