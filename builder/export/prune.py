"""Prune an app root (``/opt/app-root``: the artifact's environment, ``nb2service-lib`` and
``model``) down to what serving the model needs, in place: the S2I runtime image runs this in its
``assemble-runtime`` after the built app root was copied in, so the serving image's layer holds only
the kept files.

    python -m builder.export.prune /opt/app-root/model

Kept: the interpreter links and ``pyvenv.cfg``, the files of the distributions ``needs`` found
(with their bytecode), ``nb2service-lib`` and the artifact. Everything else in the environment goes:
the kernel, the ONNX converter, the notebook's plotting libraries, pip, the console scripts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..config import process_environment
from ..errors import ArtifactError
from ..model.artifact import read_metadata

PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent  # the folder holding ``builder``


def distributions(artifact: Path, meta: dict) -> list[dict]:
    """``needs`` run in the artifact's environment, in a fresh process."""
    env_info = meta.get("environment") or {}
    env = process_environment()
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_PARENT), env_info.get("lib") or ""])
    proc = subprocess.run([env_info["python"], "-m", "builder.export.needs", str(artifact)], capture_output=True,
                          text=True, env=env)
    if proc.returncode != 0:
        raise ArtifactError(f"loading {artifact} to see what serving it imports failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def prune(artifact: Path) -> dict:
    """Delete from the artifact's environment every file serving does not need; returns
    ``{"kept": [name==version...], "removed_files": n, "removed_bytes": n}``."""
    artifact = Path(artifact).resolve()
    meta = read_metadata(artifact)
    env_info = meta.get("environment") or {}
    if not env_info.get("path"):
        raise ArtifactError(f"{artifact} was built in the interpreter running nb2service (--python), not in an "
                            "environment of its own: there is nothing to prune", hint="rebuild it without --python")
    root = Path(env_info["path"]).resolve()
    dists = distributions(artifact, meta)
    keep = set()
    for dist in dists:
        for name in dist["files"]:
            path = Path(name).resolve()
            keep.add(path)
            if path.suffix == ".py":  # its bytecode, so an image run by any uid starts fast
                keep.update(p.resolve() for p in path.parent.glob(f"__pycache__/{path.stem}.*.pyc"))
    removed = size = 0
    for folder in [*root.glob("lib/python3*/site-packages"), root / "bin"]:
        for path in sorted(folder.rglob("*"), reverse=True):  # files before their folders
            if path.is_symlink() and path.parent == root / "bin" and path.name.startswith("python"):
                continue
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif path.resolve() not in keep:
                size += path.lstat().st_size
                path.unlink()
                removed += 1
    return {"kept": [f"{d['name']}=={d['version']}" for d in dists], "removed_files": removed, "removed_bytes": size}


def main() -> None:
    print(json.dumps(prune(Path(sys.argv[1]))))


if __name__ == "__main__":
    main()
