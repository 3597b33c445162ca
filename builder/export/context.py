"""``nb2service export ARTIFACT -o DIR``: a container build context that ``podman build``,
``docker build`` or ``buildah bud`` turns into the serving image the S2I runtime path makes, for
users with no S2I.

    DIR/Containerfile             FROM the nb2service runtime image (build arg RUNTIME_IMAGE)
    DIR/serving-requirements.txt  the distributions serving the model imports, as installed (``needs``)
    DIR/app-root/model/           the artifact; metadata.json's ``environment`` names the image's
    DIR/app-root/nb2service-lib/  the serving code

The image build installs those exact versions into ``/opt/app-root`` (from the package index:
``PIP_INDEX_URL`` build args work), copies the model and the serving code, then prunes the app
root as S2I's assemble-runtime does, in a stage of its own: the result has the layout, user,
entrypoint and command of the S2I runtime path's image.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..errors import ArtifactError, UsageError
from ..model.artifact import read_metadata, verify_model_file
from .prune import PACKAGE_PARENT, distributions

APP_ROOT = "/opt/app-root"
DEFAULT_RUNTIME_IMAGE = "nb2service-runtime"

CONTAINERFILE = """\
# Written by `nb2service export` for the model {name} (version {version}).
#   podman build -t {name} .        (or docker build / buildah bud; --build-arg RUNTIME_IMAGE=...)
# The runtime image is nb2service's image/Containerfile.runtime (`make runtime-image`).
ARG RUNTIME_IMAGE={runtime}
FROM ${{RUNTIME_IMAGE}} AS install
USER 0
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
COPY serving-requirements.txt /tmp/serving-requirements.txt
RUN python3 -c 'import sys; v = sys.version_info[:2]; assert v == ({major}, {minor}), \\
        f"the model was built with Python {major}.{minor}; this runtime image has Python {{v[0]}}.{{v[1]}}"' \\
    && python3 -m venv {app_root} \\
    && {app_root}/bin/pip install --quiet --no-cache-dir --disable-pip-version-check --no-deps \\
         -r /tmp/serving-requirements.txt
COPY app-root/ {app_root}/
RUN /usr/libexec/s2i/assemble-runtime

FROM ${{RUNTIME_IMAGE}}
COPY --from=install --chown=1001:0 {app_root} {app_root}
LABEL io.nb2service.model.name="{name}" io.nb2service.model.version="{version}"
CMD ["/usr/libexec/s2i/run"]
"""


def export(artifact: Path, out: Path, *, runtime_image: str = DEFAULT_RUNTIME_IMAGE) -> dict:
    """Write the build context for ``artifact`` into ``out`` (new or empty); returns a summary."""
    artifact = Path(artifact).resolve()
    meta = read_metadata(artifact)
    verify_model_file(artifact, meta)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not empty", hint="give a new folder with -o")
    python = (meta.get("libraries") or {}).get("python") or ""
    try:
        major, minor = (int(p) for p in python.split(".")[:2])
    except ValueError:
        raise ArtifactError(f"{artifact}/metadata.json does not record the Python version the model was built with",
                            hint="rebuild it with this nb2service")
    dists = distributions(artifact, meta)
    out.mkdir(parents=True, exist_ok=True)
    pins = [f"{d['name']}=={d['version']}" for d in dists]
    (out / "serving-requirements.txt").write_text("\n".join(pins) + "\n")
    shutil.copytree(artifact, out / "app-root" / "model")
    shutil.copytree(PACKAGE_PARENT / "builder", out / "app-root" / "nb2service-lib" / "builder",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    moved = {**meta, "environment": {**(meta.get("environment") or {}), "python": f"{APP_ROOT}/bin/python",
                                     "path": APP_ROOT, "lib": f"{APP_ROOT}/nb2service-lib"}}
    (out / "app-root" / "model" / "metadata.json").write_text(json.dumps(moved, indent=2) + "\n")
    name = meta.get("name", "model")
    (out / "Containerfile").write_text(CONTAINERFILE.format(
        name=name, version=meta.get("version", ""), runtime=runtime_image, app_root=APP_ROOT, major=major,
        minor=minor))
    return {"context": str(out), "name": name, "requirements": pins}
