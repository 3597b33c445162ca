"""scikit-learn's bundled datasets (``load_iris``, ``load_diabetes``, ``load_wine``...) as loaded
tables: the table is the loader's frame (the features and the target, one row per sample), and a
request's records are given back to the notebook in the shape the loader returned.

The loader's result takes one of four shapes: a ``Bunch`` with frames (``as_frame=True``) or with
arrays, or a ``(X, y)`` pair of frames or of arrays (``return_X_y=True``). ``frame_of`` makes the
table and a ``spec`` of that shape; ``rebuild`` makes the same shape from a table of records.
Only loaders whose data ships with scikit-learn: the ``fetch_*`` ones download theirs.
"""

from __future__ import annotations

#: The loaders whose data ships inside scikit-learn (no download).
LOADERS = {"load_iris", "load_diabetes", "load_wine", "load_breast_cancer", "load_digits", "load_linnerud"}
TARGET = "target"


def is_bundle(value) -> bool:
    """Whether ``value`` looks like what a bundled loader returns."""
    if isinstance(value, tuple):
        return len(value) == 2 and all(hasattr(v, "shape") for v in value)
    return hasattr(value, "data") and hasattr(value, "target") and hasattr(value, "keys")


def frame_of(value, names=None):
    """``(table, spec)`` for a loader's result; ``names``: the feature names when the result does
    not carry them (``return_X_y=True`` without ``as_frame``)."""
    import numpy as np
    import pandas as pd

    pair = isinstance(value, tuple)
    data, target = value if pair else (value["data"], value["target"])
    as_frame = isinstance(data, pd.DataFrame)
    if as_frame:
        features = [str(c) for c in data.columns]
        targets = [str(c) for c in target.columns] if isinstance(target, pd.DataFrame) else [str(target.name or TARGET)]
        table = value["frame"] if not pair and value.get("frame") is not None else pd.concat([data, target], axis=1)
        dtypes = None
    else:
        data, target = np.asarray(data), np.asarray(target)
        known = names if names is not None else None if pair else value.get("feature_names")
        features = [str(c) for c in known] if known is not None else [f"x{j}" for j in range(data.shape[1])]
        targets = [TARGET] if target.ndim == 1 else [f"{TARGET}_{j}" for j in range(target.shape[1])]
        table = pd.DataFrame(data, columns=features)
        for j, name in enumerate(targets):
            table[name] = target if target.ndim == 1 else target[:, j]
        dtypes = [str(data.dtype), str(target.dtype)]
    extra = {} if pair else {k: v for k, v in value.items() if k not in ("data", "target", "frame")}
    spec = {"pair": pair, "as_frame": as_frame, "features": features, "targets": targets, "target_frame":
            len(targets) > 1 or (as_frame and isinstance(target, pd.DataFrame)), "dtypes": dtypes, "extra": extra}
    return table, spec


def rebuild(table, spec: dict):
    """The loader's result, in the shape ``spec`` recorded, made from ``table``'s rows."""
    data = table[spec["features"]]
    target = table[spec["targets"]] if spec["target_frame"] else table[spec["targets"][0]]
    if not spec["as_frame"]:
        data, target = data.to_numpy(dtype=spec["dtypes"][0]), target.to_numpy(dtype=spec["dtypes"][1])
    if spec["pair"]:
        return data, target
    from sklearn.utils import Bunch

    return Bunch(**spec["extra"], data=data, target=target, frame=table if spec["as_frame"] else None)
