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


def components(estimator: Any) -> list[Any]:
    """The estimators inside ``estimator``: pipeline steps, transformers, a search's best estimator."""
    found = []
    try:
        params = estimator.get_params(deep=True)
    except Exception:  # noqa: BLE001
        params = {}
    for value in params.values():
        if hasattr(value, "fit") and value is not estimator and not isinstance(value, type):
            found.append(value)
    for attr in ("best_estimator_", "estimator_", "estimators_", "steps", "named_steps"):
        value = getattr(estimator, attr, None)
        if isinstance(value, list):
            found.extend(v[1] if isinstance(v, tuple) else v for v in value)
        elif hasattr(value, "fit"):
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
