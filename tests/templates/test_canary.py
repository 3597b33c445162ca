"""The canary template: one Route, two weighted backends that add up to 100 and are both Services
of the template, each Service in front of its own Deployment following its own ImageStream tag."""

from __future__ import annotations

import copy
import json

import pytest

from tests.templates.conftest import processed
from tests.templates.manifests import by_kind, one, selects

CANARY = "model-service-canary.yaml"


def route_problems(objects: list[dict]) -> list[str]:
    """What is wrong with the canary Route among ``objects`` (empty when nothing is)."""
    problems = []
    route = one(objects, "Route")
    services = {s["metadata"]["name"] for s in by_kind(objects, "Service")}
    backends = [route["spec"]["to"], *route["spec"].get("alternateBackends", [])]
    if len(backends) != 2:
        problems.append(f"{len(backends)} backends, expected stable and canary")
    for backend in backends:
        if backend.get("kind") != "Service" or backend.get("name") not in services:
            problems.append(f"backend {backend.get('kind')}/{backend.get('name')} is not a Service of the template")
        if not isinstance(backend.get("weight"), int):
            problems.append(f"backend {backend.get('name')} has weight {backend.get('weight')!r}, not an integer")
    if len({b.get("name") for b in backends}) != len(backends):
        problems.append("two backends name the same Service")
    weights = [b.get("weight") for b in backends]
    if all(isinstance(w, int) for w in weights) and sum(weights) != 100:
        problems.append(f"weights {weights} add up to {sum(weights)}, not 100")
    return problems


@pytest.mark.parametrize("weights", [None, ("90", "10"), ("50", "50"), ("100", "0")],
                         ids=["defaults", "90-10", "50-50", "canary-off"])
def test_the_canary_route_weights_add_up_and_both_backends_are_services_of_the_template(weights):
    params = {} if weights is None else {"STABLE_WEIGHT": weights[0], "CANARY_WEIGHT": weights[1]}
    objects = processed(CANARY, **params)
    assert route_problems(objects) == []
    route = one(objects, "Route")
    if weights is None:
        assert (route["spec"]["to"]["weight"], route["spec"]["alternateBackends"][0]["weight"]) == (90, 10)


def test_the_route_check_catches_weights_that_do_not_add_up_and_a_backend_that_does_not_exist():
    assert route_problems(processed(CANARY, STABLE_WEIGHT="90", CANARY_WEIGHT="30")) == [
        "weights [90, 30] add up to 120, not 100"]
    objects = processed(CANARY)
    route = one(objects, "Route")
    route["spec"]["alternateBackends"][0]["name"] = "churn-canry"
    assert route_problems(objects) == ["backend Service/churn-canry is not a Service of the template"]
    objects = processed(CANARY)
    objects.remove(one(objects, "Service", "churn-canary"))
    assert any("not a Service of the template" in p for p in route_problems(objects))


def test_each_backend_service_selects_exactly_one_deployment_and_they_serve_different_tags():
    objects = processed(CANARY)
    route = one(objects, "Route")
    deployments = by_kind(objects, "Deployment")
    tags = []
    for backend in [route["spec"]["to"], *route["spec"]["alternateBackends"]]:
        service = one(objects, "Service", backend["name"])
        [deployment] = [d for d in deployments
                        if selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        [trigger] = json.loads(deployment["metadata"]["annotations"]["image.openshift.io/triggers"])
        tags.append(trigger["from"]["name"])
    assert tags == ["churn:stable", "churn:canary"]


def test_builds_go_to_the_candidate_tag_that_neither_deployment_serves_until_it_is_tagged():
    objects = processed(CANARY)
    output = one(objects, "BuildConfig")["spec"]["output"]["to"]["name"]
    assert output == "churn:latest"
    served = {json.loads(d["metadata"]["annotations"]["image.openshift.io/triggers"])[0]["from"]["name"]
              for d in by_kind(objects, "Deployment")}
    assert output not in served


def test_the_canary_and_stable_pods_differ_only_in_their_track_image_and_name():
    objects = processed(CANARY)
    stable = copy.deepcopy(one(objects, "Deployment", "churn")["spec"]["template"])
    canary = copy.deepcopy(one(objects, "Deployment", "churn-canary")["spec"]["template"])
    for pod in (stable, canary):
        for key in ("track", "deployment"):
            pod["metadata"]["labels"].pop(key)
        pod["spec"]["containers"][0].pop("image")
        pod["spec"].pop("topologySpreadConstraints", None)
    assert stable == canary, "the canary would not be comparable with the stable model"


def test_both_tracks_are_scraped_with_their_track_label_so_metrics_can_be_compared():
    objects = processed(CANARY)
    monitor = one(objects, "ServiceMonitor")
    assert monitor["spec"]["targetLabels"] == ["track"]
    tracks = {s["metadata"]["labels"]["track"] for s in by_kind(objects, "Service")
              if selects(monitor["spec"]["selector"], s["metadata"]["labels"])}
    assert tracks == {"stable", "canary"}
