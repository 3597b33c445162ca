"""The artifact directory: ``metadata.json``, the model file and the checks made before loading."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import ArtifactError

METADATA_FILE = "metadata.json"
MODEL_FILE = "model.joblib"
#: Where ``nb2service build SRC`` writes the artifact when no ``-o`` is given, relative to SRC.
IN_REPO = Path(".nb2service") / "artifact"
REBUILD = "rebuild it with `nb2service build SRC -o DIR`"


def locate_artifact(src: Path) -> Path:
    """The artifact ``src`` names: ``src`` itself when it holds metadata.json, else the one a build of
    the repo ``src`` wrote (``src/.nb2service/artifact``). Raises ``ArtifactError`` when neither is there."""
    src = Path(src)
    if (src / METADATA_FILE).exists() or (src / IN_REPO).is_dir():
        return src if (src / METADATA_FILE).exists() else src / IN_REPO
    if not src.is_dir():
        raise ArtifactError(f"{src}: no such directory",
                            hint="give the notebook repo you built, or the artifact folder (build -o)")
    raise ArtifactError(f"{src}: no artifact here: neither {src / METADATA_FILE} nor a built {src / IN_REPO}",
                        hint=f"build it first: nb2service build {src}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_metadata(root: Path) -> dict:
    """Read ``root/metadata.json`` or raise ``ArtifactError`` saying what is wrong."""
    path = Path(root) / METADATA_FILE
    if not Path(root).is_dir():
        raise ArtifactError(f"{root}: no such artifact directory", hint=REBUILD)
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; {root} is not a built nb2service artifact", hint=REBUILD)
    except (ValueError, OSError) as exc:
        raise ArtifactError(f"{path}: unreadable ({exc})", hint=REBUILD)
    for key in ("model", "inputs", "input_kind", "task"):
        if key not in meta:
            raise ArtifactError(f"{path}: incomplete, '{key}' is missing", hint=REBUILD)
    return meta


def write_metadata(root: Path, meta: dict) -> None:
    """Write ``root/metadata.json`` (the build writes it, and the build's checks add their verdicts)."""
    (Path(root) / METADATA_FILE).write_text(json.dumps(meta, indent=2, default=str) + "\n")


def verify_model_file(root: Path, meta: dict) -> Path:
    """Return the model file's path after checking its sha256 against metadata.json."""
    model = meta["model"]
    path = Path(root) / model.get("file", MODEL_FILE)
    if not path.is_file():
        raise ArtifactError(f"{path}: the model file is missing; refusing to start", hint=REBUILD)
    actual = sha256_file(path)
    if actual != model.get("sha256"):
        raise ArtifactError(
            f"{path}: sha256 {actual[:16]}… does not match metadata.json ({str(model.get('sha256'))[:16]}…); "
            "the model file was changed after the build, refusing to start",
            hint=REBUILD,
        )
    return path
