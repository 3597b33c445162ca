"""The artifact's ``features.py`` (the notebook's feature engineering, ``builder.features``) loaded
for serving, after the sha256 of it and of its ``features.joblib`` were checked."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

from ..errors import ArtifactError, RequestError
from .artifact import REBUILD, sha256_file

VERIFIED = "verified"
_counter = itertools.count()


def load_features(root: Path, info: dict, *, check: bool = True):
    """``features(raw) -> model input`` from ``root/features.py`` (a ``columnar.Replay``: on numpy
    columns where the build found that identical, else pandas); ``check``: compare sha256s."""
    from ..features.columnar import USED, Replay

    root = Path(root)
    for key in ("file", "state"):
        path = root / info[key]
        if not path.is_file():
            raise ArtifactError(f"{path}: missing; the artifact serves raw records through it", hint=REBUILD)
        if check and sha256_file(path) != info.get("sha256", {}).get(key):
            raise ArtifactError(f"{path}: changed after the build (sha256 does not match metadata.json); "
                                "refusing to start", hint=REBUILD)
    spec = importlib.util.spec_from_file_location(f"nb2service_features_{next(_counter)}", root / info["file"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Replay(module.features, module._f, (info.get("columnar") or {}).get("status") == USED)


def run_features(features, frame):
    """``features(frame)``; the notebook dropping a request's row is the client's 400."""
    from ..features.runtime import RowsDropped

    try:
        return features(frame)
    except RowsDropped as exc:
        raise RequestError(str(exc), field="instances") from None


def record_hashes(root: Path, info: dict) -> None:
    info["sha256"] = {key: sha256_file(Path(root) / info[key]) for key in ("file", "state")}
