"""The kustomize base and the example overlay render with `kubectl kustomize`, validate, and the
overlay's prefix, labels, image and patches reach every object and every reference."""

from __future__ import annotations

import pytest

from tests.templates.conftest import KUSTOMIZATIONS
from tests.templates.manifests import by_kind, one, selects, validate


@pytest.mark.parametrize("folder", KUSTOMIZATIONS)
def test_the_kustomization_renders_and_every_object_validates(rendered, folder):
    objects = rendered[folder]
    for obj in objects:
        validate(obj)
    kinds = sorted(o["kind"] for o in objects)
    expected = ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"]
    if folder == "overlays/example":
        expected += ["Ingress", "ServiceMonitor"]
    assert kinds == sorted(expected)


@pytest.mark.parametrize("folder", KUSTOMIZATIONS)
def test_every_reference_between_the_rendered_objects_resolves(rendered, folder):
    objects = rendered[folder]
    deployment = one(objects, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selects(deployment["spec"]["selector"], pod_labels)
    service = one(objects, "Service")
    assert selects(service["spec"]["selector"], pod_labels)
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= {
        p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert one(objects, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert selects(one(objects, "PodDisruptionBudget")["spec"]["selector"], pod_labels)
    for ingress in by_kind(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] == service["metadata"]["name"]
                assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    for monitor in by_kind(objects, "ServiceMonitor"):
        assert selects(monitor["spec"]["selector"], service["metadata"]["labels"])


def test_the_overlay_names_labels_and_places_everything_and_sets_the_image_and_patches(rendered):
    objects = rendered["overlays/example"]
    for obj in objects:
        assert obj["metadata"]["name"] == "churn-model", obj["kind"]
        assert obj["metadata"]["namespace"] == "ml-models"
        assert obj["metadata"]["labels"]["app.kubernetes.io/instance"] == "churn"
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "churn"
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.com/ml/churn:1.0.0"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["WEB_CONCURRENCY"] == "4" and container["resources"]["limits"]["cpu"] == "2"
    assert env["PORT"] == "8080", "the strategic merge patch replaced the base's env instead of merging"
    assert container["startupProbe"] and container["readinessProbe"], "the patch dropped the probes"
    assert one(objects, "HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 10
    ingress = one(objects, "Ingress")
    assert [r["host"] for r in ingress["spec"]["rules"]] == ["churn.ml.example.com"]
    assert ingress["spec"]["tls"][0]["hosts"] == ["churn.ml.example.com"]


def test_the_overlay_service_monitor_selects_only_its_own_instance(rendered):
    objects = rendered["overlays/example"]
    monitor = one(objects, "ServiceMonitor")
    other_instance = dict(one(objects, "Service")["metadata"]["labels"], **{"app.kubernetes.io/instance": "other"})
    assert not selects(monitor["spec"]["selector"], other_instance)


def test_the_base_leaves_the_image_to_an_overlay(rendered):
    [container] = one(rendered["base"], "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "nb2service-model"
