"""Container tests for the S2I builder image (marker ``image``): they need buildah, debootstrap and
network access to PyPI and Debian, and take minutes, so they run only when asked:
``make test-image`` (or ``NB2SERVICE_IMAGE_TESTS=1 pytest tests/image``); ``make test`` skips them.

The builder image is built once per session from the checked-out code, FROM the local base image
(``image/make-base-image.sh``, reused between runs). Every image and container made here is removed
at the end, except that base image. Build times go to the terminal summary and
``build/image-test-timings.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from tests.image import s2i

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "notebooks"
BASE_IMAGE = os.environ.get("NB2SERVICE_BASE_IMAGE", "localhost/nb2service-base")
RUN_ID = uuid.uuid4().hex[:8]
SECRET_NAME = "AWS_SECRET_ACCESS_KEY"
SECRET = "nb2s3cr3t/wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TIMINGS: dict[str, float] = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "image: builds and runs the S2I builder image with buildah (make test-image)")


def pytest_collection_modifyitems(config, items):
    enabled = os.environ.get("NB2SERVICE_IMAGE_TESTS") == "1"
    skip = pytest.mark.skip(reason="container test: run with `make test-image` (NB2SERVICE_IMAGE_TESTS=1)")
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.image)
            if not enabled:
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("S2I build times (seconds)")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{name:48s} {seconds:7.1f}")
        out = ROOT / "build" / "image-test-timings.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(TIMINGS, indent=2) + "\n")


def tag(name: str) -> str:
    return f"localhost/nb2service-test-{name}:{RUN_ID}"


@pytest.fixture(scope="session")
def builder_image():
    """The builder image, built from this checkout FROM the cached local base image."""
    if shutil.which("buildah") is None:
        pytest.fail("buildah is not installed (make test-image installs it with apt-get)")
    subprocess.run([str(ROOT / "image" / "make-base-image.sh"), BASE_IMAGE], check=True)
    name = tag("builder")
    result, seconds = s2i.bud(ROOT, name, file=ROOT / "Dockerfile", build_args={"BASE_IMAGE": BASE_IMAGE})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    TIMINGS["builder image"] = seconds
    yield name
    s2i.remove_image(name)


@pytest.fixture(scope="session")
def built_images(builder_image, tmp_path_factory):
    """``build(repo, name, **kwargs)``: an app image built the --as-dockerfile way, removed at the end."""
    made = []

    def build(repo: Path, name: str, *, env=None, incremental_from=None, volumes=(), user="1001", expect_ok=True):
        ctx = tmp_path_factory.mktemp(f"ctx-{name}")
        s2i.write_context(repo, ctx, builder_image, env=env, incremental_from=incremental_from, user=user)
        image = tag(name)
        made.append(image)
        result, seconds = s2i.bud(ctx, image, volumes=list(volumes))
        TIMINGS[f"s2i build {name}"] = seconds
        log = result.stdout + result.stderr
        if expect_ok:
            assert result.returncode == 0, log[-6000:]
        return image, log, result.returncode

    yield build
    for image in made:
        s2i.remove_image(image)


@pytest.fixture(scope="session")
def local_build(tmp_path_factory):
    """``local_build(repo, env=None)``: ``nb2service build`` on the host, on a copy outside git (the
    image's build has no git history either); returns the artifact folder (built once per repo and env)."""
    made = {}

    def build(repo: Path, env: dict | None = None) -> Path:
        key = (str(repo), json.dumps(env, sort_keys=True))
        if key not in made:
            made[key] = _build(repo, env)
        return made[key]

    def _build(repo: Path, env: dict | None) -> Path:
        work = tmp_path_factory.mktemp(f"local-{repo.name}")
        src = work / "src"
        shutil.copytree(repo, src, ignore=shutil.ignore_patterns(".nb2service", ".s2i"))
        out = work / "artifact"
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "builder", "build", str(src), "-o", str(out)],
                              capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=ROOT)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        TIMINGS[f"local build {repo.name}"] = time.monotonic() - started
        return out

    return build


def local_predictions(artifact: Path, rows: list) -> dict:
    """Predict ``rows`` with a local artifact, in its own build environment, as the service decodes them."""
    meta = json.loads((artifact / "metadata.json").read_text())
    code = ("import json, sys; from builder.model.served import ServedModel; m = ServedModel.load(sys.argv[1]); "
            "p = m.predict_records(json.loads(sys.argv[2])); "
            "print(json.dumps({'predictions': p.predictions, 'probabilities': p.probabilities}))")
    env = {**os.environ, "PYTHONPATH": meta["environment"]["lib"]}
    proc = subprocess.run([meta["environment"]["python"], "-c", code, str(artifact), json.dumps(rows)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def iris_with_s2i_features(tmp_path_factory) -> Path:
    """iris-numpy plus what S2I users bring: .s2i/environment, a .s2i/bin/assemble and a .s2i/bin/run
    calling ours (as sclorg's images document it, through $STI_SCRIPTS_PATH; run exec's), and a
    first cell that needs a build secret (it checks a hash, so the value never enters the notebook)."""
    repo = tmp_path_factory.mktemp("iris-s2i") / "iris-numpy"
    shutil.copytree(EXAMPLES / "iris-numpy", repo)
    (repo / ".s2i" / "bin").mkdir(parents=True)
    (repo / ".s2i" / "environment").write_text("# kept in the image: no secrets here\nMODEL_VARIABLE=clf\n")
    assemble = repo / ".s2i" / "bin" / "assemble"
    assemble.write_text("#!/bin/bash\nset -euo pipefail\necho '---> custom assemble: before'\n"
                        "\"$STI_SCRIPTS_PATH/assemble\"\necho '---> custom assemble: after'\n")
    assemble.chmod(0o755)
    run = repo / ".s2i" / "bin" / "run"
    run.write_text("#!/bin/bash\nset -euo pipefail\necho '---> custom run'\nexec \"$STI_SCRIPTS_PATH/run\"\n")
    run.chmod(0o755)
    path = next(repo.glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        f"import hashlib, os\nassert hashlib.sha256(os.environ['{SECRET_NAME}'].encode()).hexdigest() == '{digest}'"))
    nbformat.write(nb, path)
    return repo


@pytest.fixture(scope="session")
def secrets_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("secrets")
    (folder / SECRET_NAME).write_text(SECRET + "\n")
    folder.chmod(0o755)  # readable by the build's uid, as a Kubernetes secret volume is
    (folder / SECRET_NAME).chmod(0o644)
    return folder


EXAMPLE_BUILDS = {
    # name: (repo, Containerfile user for assemble, with the secret mounted)
    "churn": (None, "1001", False),
    "iris-numpy": ("iris_with_s2i_features", "1001", True),
    "diabetes-regression": (None, "100001", False),  # assemble as an arbitrary uid in group 0
    "text-classifier": (None, "1001", False),
}


@pytest.fixture(scope="session")
def app_images(request, built_images, secrets_dir):
    cache = {}

    def get(name: str):
        if name not in cache:
            fixture, user, secret = EXAMPLE_BUILDS[name]
            repo = request.getfixturevalue(fixture) if fixture else EXAMPLES / name
            volumes = [f"{secrets_dir}:/opt/app-root/secrets:ro"] if secret else []
            cache[name] = built_images(repo, name, volumes=volumes, user=user)[:2]
        return cache[name]

    return get
