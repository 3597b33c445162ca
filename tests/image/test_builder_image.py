"""The S2I builder image, exercised the way `s2i build --as-dockerfile` + buildah use it."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.image import s2i
from tests.image.conftest import EXAMPLE_BUILDS, EXAMPLES, SECRET, SECRET_NAME, TIMINGS, local_predictions


SHOULD_FAIL = {
    "fail-cell-raises": ["sales_model.ipynb, cell 4 failed: KeyError: 'revenue'", "traceback:"],
    "fail-no-model": ["no fitted model found"],
    "fail-two-models": ["2 equally plausible models", "MODEL_VARIABLE="],
    "fail-invalid-json": ["model.ipynb: not valid notebook JSON"],
    "fail-several-notebooks": ["2 notebooks and no choice", "train_a.ipynb", "train_b.ipynb"],
}


def inspect(image: str) -> dict:
    out = subprocess.run(["buildah", "inspect", "--type", "image", image], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# ---- the builder image ---------------------------------------------------------------------------

def test_the_builder_image_advertises_its_scripts_port_and_user(builder_image):
    config = inspect(builder_image)["OCIv1"]["config"]
    labels = config["Labels"]
    assert labels["io.openshift.s2i.scripts-url"] == "image:///usr/libexec/s2i"
    assert labels["io.openshift.expose-services"] == "8080:http"
    assert {"builder", "python", "jupyter", "machine-learning"} <= set(labels["io.openshift.tags"].split(","))
    assert labels["io.k8s.description"] and labels["io.k8s.display-name"]
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["User"] == "1001" and config["WorkingDir"] == "/opt/app-root/src"
    env = dict(e.split("=", 1) for e in config["Env"])
    assert env["HOME"] == "/opt/app-root/src" and env["NB2SERVICE_ENV"] == "/opt/app-root"
    assert env["STI_SCRIPTS_PATH"] == "/usr/libexec/s2i"  # as on sclorg's images: repos' own scripts call it


def test_the_builder_image_keeps_tool_and_app_apart_and_no_package_cache(builder_image):
    probe = s2i.run_in(builder_image, "/bin/sh", "-c",
                   "ls /usr/libexec/s2i; command -v nb2service; /opt/app-root/bin/python -c 'import sklearn, scipy, "
                   "pandas, numpy, ipykernel, flask, gunicorn, prometheus_client, orjson, joblib; print(\"app ok\")'; "
                   "/opt/app-root/bin/python -c 'import builder' 2>/dev/null || echo 'no tool in app'; "
                   "ls -d /root/.cache /opt/app-root/src/.cache /tmp/uv-cache /tmp/nb2service-src 2>/dev/null; true")
    out = probe.stdout.split()
    assert {"assemble", "run", "save-artifacts", "usage"} <= set(out)
    assert "/opt/nb2service/bin/nb2service" in out
    assert "app ok" in probe.stdout and "no tool in app" in probe.stdout
    assert not [p for p in out if p.endswith((".cache", "uv-cache", "nb2service-src"))], probe.stdout


def test_usage_says_how_to_build_and_call_the_service(builder_image):
    usage = s2i.run_in(builder_image, "/usr/libexec/s2i/usage")
    assert usage.returncode == 0
    for phrase in ("s2i build", "oc new-app", "--as-dockerfile", "NOTEBOOK", "/predict", "secrets"):
        assert phrase in usage.stdout


# ---- example repos: build, run as an arbitrary uid, predict like the local build ----------------

def probabilities_as_rows(answer: dict) -> list | None:
    probs = answer.get("probabilities")
    return [list(row.values()) for row in probs] if probs is not None else None


@pytest.mark.parametrize("name", sorted(EXAMPLE_BUILDS))
def test_an_example_repo_builds_into_a_service_that_predicts_like_the_local_build(name, app_images, local_build):
    image, log = app_images(name)
    assert "---> Building the notebook into /opt/app-root/model" in log
    local = local_build(EXAMPLES / name)
    meta = json.loads((local / "metadata.json").read_text())
    rows = meta["examples"][:5]
    with s2i.running(image, user="12345:0") as (base, _):
        assert s2i.http(f"{base}/readyz")[0] == 200
        status, body = s2i.http(f"{base}/predict", {"instances": rows})
        assert status == 200, body
        served = json.loads(body)
        status, metrics = s2i.http(f"{base}/metrics")
        assert status == 200 and "nb2service_" in metrics
        status, model = s2i.http(f"{base}/model")
        assert json.loads(model)["model"]["sha256"]
    expected = local_predictions(local, rows)
    if meta["task"] == "regression":
        assert served["predictions"] == pytest.approx(expected["predictions"], rel=1e-9)
    else:
        assert served["predictions"] == expected["predictions"]
    if expected["probabilities"] is not None:
        for got, want in zip(probabilities_as_rows(served), expected["probabilities"]):
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_s2i_environment_and_a_custom_assemble_calling_ours_work(app_images):
    _, log = app_images("iris-numpy")
    assert log.index("---> custom assemble: before") < log.index("---> Building the notebook") \
        < log.index("---> custom assemble: after")
    assert f"---> Build secret {SECRET_NAME}" in log
    assert "clf" in log  # MODEL_VARIABLE from .s2i/environment chose the model


def test_a_build_secret_ends_up_nowhere_in_the_image(app_images, tmp_path):
    image, log = app_images("iris-numpy")
    assert SECRET not in log
    assert SECRET not in json.dumps(inspect(image))  # env, labels, history
    dump = tmp_path / "image"
    subprocess.run(["buildah", "push", "--quiet", "--disable-compression", image, f"dir:{dump}"], check=True,
                   capture_output=True)
    needle = SECRET.encode()
    for blob in dump.iterdir():
        with open(blob, "rb") as fh:
            tail = b""
            while chunk := fh.read(1 << 24):
                assert needle not in tail + chunk, f"the secret is in {blob.name}"
                tail = chunk[-len(needle):]


# ---- incremental builds --------------------------------------------------------------------------

def test_an_incremental_build_reuses_the_saved_package_cache(app_images, built_images):
    first, _ = app_images("churn")
    # UV_OFFLINE: the rebuild may take packages only from what save-artifacts restored
    # NB2SERVICE_NO_REGRESSION: the test step compares with the previous image's model (same seed)
    _, log, _ = built_images(EXAMPLES / "churn", "churn-incremental", incremental_from=first,
                             env={"UV_OFFLINE": "1", "NB2SERVICE_NO_REGRESSION": "0.001"})
    assert "---> Restoring the package cache of the previous build" in log
    assert "installing" in log and "ERROR" not in log
    assert "---> The previous build's model figures are in /tmp/artifacts/previous-artifact" in log
    assert "gate: accuracy" in log and "previous" in log
    TIMINGS["s2i build churn (first) vs incremental ratio"] = (
        TIMINGS["s2i build churn-incremental"] / TIMINGS["s2i build churn"])


# ---- should-fail repos ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SHOULD_FAIL))
def test_a_should_fail_repo_fails_the_image_build_with_its_message(name, built_images):
    _, log, code = built_images(EXAMPLES / name, name, expect_ok=False)
    assert code != 0
    assert "ERROR: " in log
    for phrase in SHOULD_FAIL[name]:
        assert phrase in log
    assert "Successfully tagged" not in log

