"""The images as a container runtime runs them: the image's own Entrypoint + Cmd as PID 1 of a new
PID namespace, as an arbitrary uid (tests/image/pid1.py); a stop with a request in flight; what the
app image carries; and the slim serving image (image/Containerfile.runtime) made by the chained
build (image/Containerfile.serving) and by S2I's runtime-image flow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.image import pid1, s2i
from tests.image.conftest import BASE_IMAGE, ROOT, TIMINGS, tag

#: Stray state a build must not leave in an app image (onnxruntime telemetry, kernel and plotting
#: caches, the build's locks), relative to its root.
STRAY = ["opt/app-root/src/.cache/Microsoft", "opt/app-root/src/.ipython", "opt/app-root/src/.cache/matplotlib",
         "opt/app-root/src/.config/matplotlib", "opt/app-root/src/.cache/nb2service", "opt/app-root/src/.cache/pip",
         "opt/app-root/src/.local/share/jupyter", "root/.cache"]


@pytest.mark.parametrize("form", ["shell", "exec"])
def test_sigterm_to_pid1_lets_the_request_in_flight_finish_and_everything_exits_0(form, app_images, tmp_path):
    """The app image's own Cmd (shell form, as `s2i --as-dockerfile`, OpenShift and Tekton write it;
    exec form, as `s2i build` with a docker daemon commits it) under its Entrypoint, as PID 1."""
    image, _ = app_images("churn")
    rows = s2i.examples(image)
    if form == "exec":
        image = pid1.derive(image, tag("churn-exec-cmd"), cmd=["/usr/libexec/s2i/run"])
    try:
        times = pid1.stop_in_flight(image, tmp_path / "run.log", rows)
    finally:
        if form == "exec":
            s2i.remove_image(image)
    print(f"{form}-form Cmd: {pid1.describe(times)}")
    assert times["init"] == "dumb-init"
    pid1.assert_drained(times, rows)


def test_a_repos_own_run_script_that_execs_ours_stops_the_same_way(app_images, tmp_path):
    """iris-numpy brings .s2i/bin/run (`exec "$STI_SCRIPTS_PATH/run"`): its image's Cmd is that script,
    in shell form. Without `exec` the server would be a child of the script's bash, which dies at
    the SIGTERM, and dumb-init would end the container mid-drain (docs/s2i.md)."""
    image, _ = app_images("iris-numpy")
    assert pid1.image_config(image)["Cmd"] == ["/bin/sh", "-c", "/tmp/scripts/run"]
    rows = s2i.examples(image)
    times = pid1.stop_in_flight(image, tmp_path / "run.log", rows)
    print(f"a repo's own run: {pid1.describe(times)}")
    assert "---> custom run" in times["log"]
    assert times["init"] == "dumb-init"
    pid1.assert_drained(times, rows)


def test_the_app_image_starts_with_a_clean_log_and_holds_no_stray_build_state(app_images, tmp_path):
    image, build_log = app_images("churn")
    container = subprocess.run(["buildah", "from", image], capture_output=True, text=True, check=True).stdout.strip()
    root = Path(subprocess.run(["buildah", "mount", container], capture_output=True, text=True, check=True).stdout.strip())
    try:
        stray = [p for p in STRAY if (root / p).exists()]
        in_tmp = sorted(p.name for p in (root / "tmp").iterdir())
    finally:
        subprocess.run(["buildah", "umount", container], capture_output=True)
        subprocess.run(["buildah", "rm", container], capture_output=True)
    assert stray == [] and in_tmp == [], (stray, in_tmp)
    with pid1.run_as_pid1(image, tmp_path / "run.log") as run:
        run.wait_ready(180)
    log = (tmp_path / "run.log").read_text()
    for phrase in ("telemetry", "Failed to persist", "WARNING", "Traceback"):
        assert phrase.lower() not in log.lower(), log[-3000:]


# ---- the slim serving image ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def runtime_image():
    name = tag("runtime")
    result, seconds = s2i.bud(ROOT, name, file=ROOT / "image" / "Containerfile.runtime",
                              build_args={"BASE_IMAGE": BASE_IMAGE})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    TIMINGS["runtime image"] = seconds
    yield name
    s2i.remove_image(name)


@pytest.fixture(scope="session")
def chained_image(app_images, runtime_image):
    """churn's app image through the chained build (image/Containerfile.serving)."""
    app, _ = app_images("churn")
    name = tag("churn-serving")
    result, seconds = s2i.bud(ROOT / "image", name, file=ROOT / "image" / "Containerfile.serving",
                              build_args={"APP_IMAGE": app, "RUNTIME_IMAGE": runtime_image})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    TIMINGS["chained serving build churn"] = seconds
    yield name, result.stdout + result.stderr
    s2i.remove_image(name)


def s2i_runtime_build(app: str, runtime: str, name: str) -> str:
    """What `s2i build --runtime-image RUNTIME` does after assemble (source-to-image's
    pkg/build/strategies/sti: downloadFilesFromBuilderImageStep, startRuntimeImageAndUploadFilesStep,
    commitImageStep), with buildah: a container of the runtime image gets the paths its
    ``io.openshift.s2i.assemble-input-files`` label names, copied from the built app under its
    WORKDIR; its assemble-runtime runs as its ``io.openshift.s2i.assemble-runtime-user``; the container
    is committed with Cmd = the run script (exec form) and the runtime image's user and entrypoint."""
    config = pid1.image_config(runtime)
    labels = config["Labels"]
    workdir = config["WorkingDir"]
    container = subprocess.run(["buildah", "from", runtime], capture_output=True, text=True, check=True).stdout.strip()
    try:
        for mapping in labels["io.openshift.s2i.assemble-input-files"].split(";"):
            source, _, destination = mapping.rpartition(":")
            target = str(Path(workdir) / destination / Path(source).name)
            subprocess.run(["buildah", "copy", "--from", app, container, source, target], check=True,
                           capture_output=True)
        user = labels["io.openshift.s2i.assemble-runtime-user"]
        scripts = labels["io.openshift.s2i.scripts-url"].removeprefix("image://")
        out = subprocess.run(["buildah", "run", "--isolation", "chroot", "--user", user, container, "--", "/bin/sh",
                              "-c", f"{scripts}/assemble-runtime"], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        subprocess.run(["buildah", "config", "--cmd", json.dumps([f"{scripts}/run"]), container], check=True,
                       capture_output=True)
        subprocess.run(["buildah", "commit", "-q", container, name], check=True, capture_output=True)
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
    return out.stdout + out.stderr


def image_size(image: str) -> int:
    out = subprocess.run(["podman", "image", "inspect", "--format", "{{.Size}}", image], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip())


def site_packages(image: str) -> set[str]:
    return s2i.listing(image, "/opt/app-root/lib/python3*/site-packages")


def answers(base: str, rows: list) -> dict:
    got = {}
    for path, body in [("/predict", {"instances": rows}), ("/invocations", {"dataframe_records": rows}),
                       ("/v1/models/churn:predict", {"instances": rows})]:
        got[path] = s2i.http(base + path, body)
    for path in ("/openapi.json", "/model", "/readyz", "/v2/models/churn"):
        got[path] = s2i.http(base + path)
    got["/metrics"] = (s2i.http(base + "/metrics")[0], "")
    return got


def test_the_serving_image_is_at_most_half_the_app_image_answers_the_same_and_stops_cleanly(
        app_images, chained_image, runtime_image, builder_image, tmp_path):
    app, _ = app_images("churn")
    serving, build_log = chained_image
    sizes = {"builder": image_size(builder_image), "app (churn)": image_size(app),
             "runtime": image_size(runtime_image), "serving (churn, chained build)": image_size(serving)}
    for name, size in sizes.items():
        TIMINGS[f"image size MB: {name}"] = round(size / 1e6)
    print("image sizes (MB):", {k: round(v / 1e6) for k, v in sizes.items()})
    assert sizes["serving (churn, chained build)"] <= sizes["app (churn)"] / 2
    packages = {p.lower() for p in site_packages(serving)}
    # churn serves its verified ONNX form: onnxruntime and numpy, not scikit-learn, pandas or scipy
    assert {"onnxruntime", "numpy", "gunicorn", "flask"} <= packages
    assert not {"matplotlib", "ipykernel", "skl2onnx", "onnx", "jupyter_client", "uv", "sklearn", "pandas",
                "scipy", "pip"} & packages, packages

    rows = s2i.examples(app)
    with s2i.running(app, user="12345:0") as (base, _):
        want = answers(base, rows)
    with pid1.run_as_pid1(serving, tmp_path / "serving.log") as run:
        run.wait_ready(120)
        got = answers(run.base, rows)
        assert json.loads(got["/model"][1])["inference"]["path"] == "onnx"
    assert got == want
    times = pid1.stop_in_flight(serving, tmp_path / "stop.log", rows)
    assert times["status"] == "200" and times["code"] == 0 and times["exited"] - times["answered"] < 2, times


def test_s2i_runtime_image_flow_prunes_the_app_root_in_its_own_layer(app_images, runtime_image, chained_image, tmp_path):
    app, _ = app_images("churn")
    name = tag("churn-s2i-runtime")
    try:
        log = s2i_runtime_build(app, runtime_image, name)
        assert "---> Keeping what serving /opt/app-root/model needs" in log
        assert site_packages(name) == site_packages(chained_image[0])
        rows = s2i.examples(name)
        with pid1.run_as_pid1(name, tmp_path / "run.log") as run:
            run.wait_ready(120)
            status, body = s2i.http(run.base + "/predict", {"instances": rows})
        assert status == 200 and len(json.loads(body)["predictions"]) == len(rows)
        TIMINGS["image size MB: serving (churn, s2i runtime flow)"] = round(image_size(name) / 1e6)
    finally:
        s2i.remove_image(name)


def test_nb2service_export_gives_a_context_that_buildah_builds_into_the_same_serving_image(
        local_build, runtime_image, chained_image, tmp_path):
    """A model built on this machine, exported, built with plain buildah (no S2I): it serves the
    local build's answers as uid 12345:0, laid out and started like the chained build's image."""
    from tests.image.conftest import EXAMPLES, local_predictions

    artifact = local_build(EXAMPLES / "churn")
    context = tmp_path / "context"
    proc = subprocess.run([sys.executable, "-m", "builder", "export", str(artifact), "-o", str(context)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "podman build -t churn" in proc.stdout
    assert {p.name for p in context.iterdir()} == {"Containerfile", "serving-requirements.txt", "app-root"}
    name = tag("churn-exported")
    try:
        result, seconds = s2i.bud(context, name, build_args={"RUNTIME_IMAGE": runtime_image})
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        TIMINGS["exported context build churn"] = seconds
        TIMINGS["image size MB: serving (churn, nb2service export)"] = round(image_size(name) / 1e6)
        ours, chained = pid1.image_config(name), pid1.image_config(chained_image[0])
        for key in ("Entrypoint", "Cmd", "User", "WorkingDir", "ExposedPorts"):
            assert ours.get(key) == chained.get(key), key
        packages = {p.lower() for p in site_packages(name)}
        assert {"onnxruntime", "numpy", "gunicorn"} <= packages
        assert not {"sklearn", "matplotlib", "pip", "skl2onnx"} & packages, packages
        rows = json.loads((artifact / "metadata.json").read_text())["examples"][:5]
        with pid1.run_as_pid1(name, tmp_path / "run.log") as run:
            run.wait_ready(120)
            status, body = s2i.http(run.base + "/predict", {"instances": rows})
        assert status == 200, body
        assert json.loads(body)["predictions"] == local_predictions(artifact, rows)["predictions"]
    finally:
        s2i.remove_image(name)
