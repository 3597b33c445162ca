"""The chained build template (templates/openshift/serving-image.yaml) hangs together with the model
template and with the runtime image it builds FROM."""

from __future__ import annotations

import re

from tests.templates.conftest import processed, template
from tests.templates.oc_process import process
from tests.templates.manifests import ROOT, by_kind, one, validate


def objects(**params) -> list[dict]:
    return process(template("serving-image.yaml"), {"APPLICATION_NAME": "churn", **params})["items"]


def runtime_label(name: str) -> str:
    text = (ROOT / "image" / "Containerfile.runtime").read_text()
    return re.search(rf'{re.escape(name)}="([^"]*)"', text).group(1)


def test_every_object_of_the_serving_image_template_is_valid():
    for obj in objects():
        validate(obj)


def test_the_chained_build_follows_the_model_image_and_builds_from_the_runtime_image():
    made = objects(RUNTIME_NAME="nb2service-runtime")
    model_stream = one(processed("model-service.yaml"), "ImageStream", "churn")  # what model-service makes
    build = one(made, "BuildConfig", "churn-serving")
    spec = build["spec"]
    [source] = spec["source"]["images"]
    assert source["from"] == {"kind": "ImageStreamTag", "name": f"{model_stream['metadata']['name']}:latest"}
    strategy = spec["strategy"]["dockerStrategy"]
    assert strategy["from"] == {"kind": "ImageStreamTag", "name": "nb2service-runtime:latest"}
    assert strategy["imageOptimizationPolicy"] == "SkipLayers"  # pruned files end up in no layer
    assert {"type": "ImageChange", "imageChange": {"from": source["from"]}} in spec["triggers"]
    assert spec["output"]["to"]["name"] == "churn-serving:latest"
    assert one(made, "ImageStream", "churn-serving")
    dockerfile = spec["source"]["dockerfile"]
    assert "/usr/libexec/s2i/assemble-runtime" in dockerfile and 'CMD ["/usr/libexec/s2i/run"]' in dockerfile


def test_the_chained_build_copies_exactly_what_the_runtime_image_says_it_takes():
    build = one(objects(), "BuildConfig", "churn-serving")
    [source] = build["spec"]["source"]["images"]
    copied = sorted(p["sourcePath"] for p in source["paths"])
    label = runtime_label("io.openshift.s2i.assemble-input-files")
    assert copied == sorted(m.rpartition(":")[0] for m in label.split(";"))
    assert {p["destinationDir"] for p in source["paths"]} == {"app-root"}


def test_the_runtime_image_is_built_from_this_repos_containerfile_with_the_base_image_argument():
    builds = {b["metadata"]["name"]: b for b in by_kind(objects(BASE_IMAGE="localhost/base:1"), "BuildConfig")}
    strategy = builds["nb2service-runtime"]["spec"]["strategy"]["dockerStrategy"]
    containerfile = ROOT / strategy["dockerfilePath"]
    assert containerfile.is_file()
    assert {"name": "BASE_IMAGE", "value": "localhost/base:1"} in strategy["buildArgs"]
    assert re.search(r"^ARG BASE_IMAGE\b", containerfile.read_text(), re.MULTILINE)
    for script in ("run", "assemble-runtime", "usage"):
        assert (ROOT / "s2i" / "runtime" / script).is_file()
