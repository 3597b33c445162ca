"""The OpenShift templates hang together: the builder is in the catalog, builds are incremental and
triggered, the Deployment follows its ImageStream tag, and every reference between objects
(Service, Route, HPA, PDB, ServiceMonitor) points at something that exists."""

from __future__ import annotations

import json
import re

import pytest

from tests.templates.conftest import MODEL_TEMPLATES, processed, template
from tests.templates.manifests import by_kind, one, selects


def test_the_builder_imagestream_tag_puts_the_builder_in_oc_new_app_and_the_catalog():
    objects = processed("builder.yaml")
    stream = one(objects, "ImageStream")
    [tag] = stream["spec"]["tags"]
    notes = tag["annotations"]
    assert set(notes["tags"].split(",")) >= {"builder", "python", "jupyter", "machine-learning"}
    assert notes["sampleRepo"] == "https://github.com/nb2service/nb2service"
    assert notes["sampleContextDir"] == "notebooks/churn"
    assert notes["description"] and notes["iconClass"]
    build = one(objects, "BuildConfig")
    assert build["spec"]["output"]["to"] == {"kind": "ImageStreamTag", "name": f"{stream['metadata']['name']}:{tag['name']}"}


def test_the_builder_sample_context_dir_is_a_notebook_repo_in_this_repository():
    from tests.templates.manifests import ROOT

    tag = one(processed("builder.yaml"), "ImageStream")["spec"]["tags"][0]
    sample = ROOT / tag["annotations"]["sampleContextDir"]
    assert list(sample.glob("*.ipynb")), f"{sample} holds no notebook"


def test_the_builder_is_built_with_the_docker_strategy_from_this_repos_dockerfile_and_base_image_argument():
    from tests.templates.manifests import ROOT

    build = one(processed("builder.yaml", BASE_IMAGE="localhost/base:1"), "BuildConfig")
    strategy = build["spec"]["strategy"]
    assert strategy["type"] == "Docker"
    dockerfile = ROOT / strategy["dockerStrategy"]["dockerfilePath"]
    assert dockerfile.is_file()
    assert {"name": "BASE_IMAGE", "value": "localhost/base:1"} in strategy["dockerStrategy"]["buildArgs"]
    assert re.search(r"^ARG BASE_IMAGE\b", dockerfile.read_text(), re.MULTILINE), "the Dockerfile takes no BASE_IMAGE"


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_the_model_build_uses_the_builder_incrementally_with_config_image_and_webhook_triggers(name):
    objects = processed(name, BUILDER_IMAGESTREAM="nb2service:1.0", BUILDER_NAMESPACE="openshift", GIT_REF="v2")
    build = one(objects, "BuildConfig")
    spec = build["spec"]
    assert spec["source"]["git"] == {"uri": "https://github.com/nb2service/nb2service", "ref": "v2"}
    assert spec["source"]["contextDir"] == "notebooks/churn"
    source = spec["strategy"]["sourceStrategy"]
    assert source["from"] == {"kind": "ImageStreamTag", "name": "nb2service:1.0", "namespace": "openshift"}
    assert source["incremental"] is True
    assert {"name": "NOTEBOOK", "value": "churn.ipynb"} in source["env"]
    assert {t["type"] for t in spec["triggers"]} == {"ConfigChange", "ImageChange", "GitHub", "Generic"}
    stream = one(objects, "ImageStream")
    assert spec["output"]["to"]["name"] == f"{stream['metadata']['name']}:latest"
    assert set(spec["resources"]["limits"]) == {"cpu", "memory"}


def image_triggers(deployment: dict) -> list[dict]:
    return json.loads(deployment["metadata"]["annotations"]["image.openshift.io/triggers"])


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_each_deployment_follows_a_tag_of_the_templates_imagestream_on_its_model_container(name):
    objects = processed(name)
    stream = one(objects, "ImageStream")["metadata"]["name"]
    for deployment in by_kind(objects, "Deployment"):
        [trigger] = image_triggers(deployment)
        assert trigger["from"]["kind"] == "ImageStreamTag"
        image_stream, tag = trigger["from"]["name"].split(":")
        assert image_stream == stream
        container = re.fullmatch(r'spec\.template\.spec\.containers\[\?\(@\.name=="([^"]+)"\)\]\.image',
                                 trigger["fieldPath"]).group(1)
        [target] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == container]
        assert target["image"] == f"{stream}:{tag}", "the image before the first trigger resolves locally"
    assert one(objects, "ImageStream")["spec"]["lookupPolicy"]["local"] is True


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_new_models_roll_out_without_dropping_requests(name):
    for deployment in by_kind(processed(name), "Deployment"):
        spec = deployment["spec"]
        assert spec["strategy"]["type"] == "RollingUpdate"
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        pod = spec["template"]["spec"]
        [container] = pod["containers"]
        assert container["readinessProbe"] and container["startupProbe"] and container["livenessProbe"]
        pause = container["lifecycle"]["preStop"]["exec"]["command"]
        assert pause[0] == "sleep" and pod["terminationGracePeriodSeconds"] > int(pause[1]) + 30


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_services_select_their_deployments_pods_on_the_named_container_port(name):
    objects = processed(name)
    deployments = by_kind(objects, "Deployment")
    for service in by_kind(objects, "Service"):
        chosen = [d for d in deployments if selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        assert len(chosen) == 1, f"Service {service['metadata']['name']} selects {len(chosen)} Deployments"
        ports = {p["name"] for c in chosen[0]["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_deployment_selectors_match_their_own_pod_labels(name):
    for deployment in by_kind(processed(name), "Deployment"):
        assert selects(deployment["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_the_route_terminates_tls_at_the_edge_and_points_at_a_service_port(name):
    objects = processed(name, ROUTE_HOST="churn.apps.example.com")
    route = one(objects, "Route")
    assert route["spec"]["host"] == "churn.apps.example.com"
    assert route["spec"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    services = {s["metadata"]["name"]: s for s in by_kind(objects, "Service")}
    assert route["spec"]["to"]["name"] in services
    port_names = {p["name"] for p in services[route["spec"]["to"]["name"]]["spec"]["ports"]}
    assert route["spec"]["port"]["targetPort"] in port_names


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_the_autoscaler_and_the_disruption_budget_cover_the_main_deployment(name):
    objects = processed(name)
    deployment = one(objects, "Deployment", "churn")
    hpa = one(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "churn"}
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
    assert hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    pdb = one(objects, "PodDisruptionBudget")
    assert selects(pdb["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])
    assert pdb["spec"]["maxUnavailable"] == 1, "a budget that never blocks a node drain"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert "cpu" in container["resources"]["requests"], "CPU utilization is a share of the request"


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_the_default_worker_count_is_two_per_cpu_of_the_limit(name):
    for param in template(name)["parameters"]:
        if param["name"] == "CPU_LIMIT":
            cpu = float(param["value"])
        if param["name"] == "WEB_CONCURRENCY":
            workers = int(param["value"])
    assert workers == 2 * cpu


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_prometheus_finds_every_pod_through_the_servicemonitor_and_the_scrape_annotations(name):
    objects = processed(name)
    services = by_kind(objects, "Service")
    monitor = one(objects, "ServiceMonitor")
    scraped = [s for s in services if selects(monitor["spec"]["selector"], s["metadata"].get("labels") or {})]
    assert scraped == services, "the ServiceMonitor misses a Service"
    for endpoint in monitor["spec"]["endpoints"]:
        for service in scraped:
            assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    for obj in [*services, *[d["spec"]["template"] for d in by_kind(objects, "Deployment")]]:
        notes = obj["metadata"]["annotations"]
        assert notes["prometheus.io/scrape"] == "true"
        assert notes["prometheus.io/path"] == monitor["spec"]["endpoints"][0]["path"]
