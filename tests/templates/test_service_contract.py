"""The probes, port and metrics path in the manifests are what the service really serves: checked
against the routes of the real flask app (``builder.serve.app.create_app``) on a tiny artifact, the
serving defaults in ``builder.config`` and the builder image's Dockerfile, not against a copied list."""

from __future__ import annotations

import re

import pytest

from builder import config
from tests.templates.manifests import ROOT, by_kind, pod_specs


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    from tests.serve.conftest import (
        write_artifact,  # the serve tests' own tiny-artifact factory
    )

    return write_artifact(tmp_path_factory.mktemp("contract") / "array", "array")


@pytest.fixture(scope="module")
def apps(artifact):
    """``(cold, warm)`` test clients: one app not warmed up yet, one ready."""
    from builder.serve.app import create_app

    cold = create_app(artifact, warm_up=False)
    warm = create_app(artifact)
    return cold, warm


def served_get_paths(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not rule.arguments}


def containers(all_workloads):
    for source, objects in all_workloads:
        for name, meta, spec in pod_specs(objects):
            for container in spec["containers"]:
                yield f"{source} {name}", meta, spec, container


def probe_port(container: dict, probe: dict) -> int:
    port = probe["httpGet"]["port"]
    if isinstance(port, str):
        [port] = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return port


def test_every_probe_path_is_a_get_route_of_the_app_on_the_port_the_service_listens_on(all_workloads, apps):
    cold, _ = apps
    served = served_get_paths(cold)
    for where, _, _, container in containers(all_workloads):
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            probe = container[kind]
            assert probe["httpGet"]["path"] in served, f"{where} {kind} {probe['httpGet']['path']} is not served"
            assert probe_port(container, probe) == config.DEFAULT_PORT, f"{where} {kind}"


def test_liveness_and_startup_answer_while_the_model_warms_up_and_readiness_waits_for_it(all_workloads, apps):
    cold, warm = apps
    cold_client, warm_client = cold.test_client(), warm.test_client()
    for where, _, _, container in containers(all_workloads):
        for kind in ("startupProbe", "livenessProbe"):
            path = container[kind]["httpGet"]["path"]
            assert cold_client.get(path).status_code == 200, f"{where} {kind} would restart a warming pod"
        ready = container["readinessProbe"]["httpGet"]["path"]
        assert cold_client.get(ready).status_code == 503, f"{where}: traffic before the model is warm"
        assert warm_client.get(ready).status_code == 200, f"{where}: never ready"


def test_the_container_port_and_port_variable_are_the_services_port(all_workloads):
    assert config.serve_settings({}).port == config.DEFAULT_PORT
    for where, _, _, container in containers(all_workloads):
        [port] = container["ports"]
        assert port["containerPort"] == config.DEFAULT_PORT, where
        env = {e["name"]: e.get("value") for e in container.get("env") or []}
        assert env.get("PORT") == str(config.DEFAULT_PORT), where


def test_the_builder_image_listens_on_all_interfaces_on_that_port():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"^EXPOSE {config.DEFAULT_PORT}\b", dockerfile, re.MULTILINE)
    assert re.search(rf"\bPORT={config.DEFAULT_PORT}\b", dockerfile)
    assert re.search(r"\bNB2SERVICE_HOST=0\.0\.0\.0\b", dockerfile), "the image would listen on 127.0.0.1 only"
    assert f'io.openshift.expose-services="{config.DEFAULT_PORT}:http"' in dockerfile


def test_the_metrics_path_everywhere_is_the_apps_prometheus_endpoint(all_workloads, apps):
    _, warm = apps
    client = warm.test_client()
    paths = set()
    for source, objects in all_workloads:
        for monitor in by_kind(objects, "ServiceMonitor"):
            paths |= {e["path"] for e in monitor["spec"]["endpoints"]}
        for obj in [*by_kind(objects, "Service"), *[{"metadata": m} for _, m, _ in pod_specs(objects)]]:
            notes = obj["metadata"].get("annotations") or {}
            paths.add(notes["prometheus.io/path"])
            assert int(notes["prometheus.io/port"]) == config.DEFAULT_PORT, source
    assert len(paths) == 1, f"several metrics paths: {paths}"
    response = client.get(paths.pop())
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert b"# TYPE nb2service_" in response.data


def test_timeouts_and_body_limits_in_front_of_the_service_are_no_tighter_than_its_own(all_workloads):
    for source, objects in all_workloads:
        for route in by_kind(objects, "Route"):
            timeout = route["metadata"]["annotations"]["haproxy.router.openshift.io/timeout"]
            assert int(timeout.rstrip("s")) > config.DEFAULT_REQUEST_TIMEOUT, source
        for ingress in by_kind(objects, "Ingress"):
            notes = ingress["metadata"]["annotations"]
            assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > config.DEFAULT_REQUEST_TIMEOUT
            size = notes["nginx.ingress.kubernetes.io/proxy-body-size"]
            assert int(size.rstrip("m")) * 1024 * 1024 >= config.DEFAULT_MAX_REQUEST_BYTES, source
        for name, _, spec in pod_specs(objects):
            pause = int(spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
            assert spec["terminationGracePeriodSeconds"] >= pause + config.DEFAULT_GRACEFUL_TIMEOUT, \
                f"{source} {name}: gunicorn would be killed before it drains"
