"""templates/monitoring: the alert rules pass `promtool check rules` and their unit tests (each alert
fires and stays quiet where it should), the PrometheusRule carries the same rules, the Grafana
dashboard's queries are valid PromQL over its own variables, and every metric name the rules and the
dashboard use is one a real `nb2service serve` exports on /metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.templates.conftest import kustomize_path
from tests.templates.manifests import LOADER, TEMPLATES, load, validate

MONITORING = TEMPLATES / "monitoring"
RULES = MONITORING / "rules.yaml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
UNIT_TESTS = Path(__file__).resolve().parent / "monitoring" / "rules_test.yaml"
METRIC = re.compile(r"\bnb2service_[a-z0-9_]+")


def promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.fail("promtool is needed to check the alert rules: apt-get install prometheus (Debian's package "
                    "has it; .ci/run installs it)")
    return found


def run_promtool(*args) -> str:
    result = subprocess.run([promtool(), *map(str, args)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"promtool {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def rules() -> dict:
    return yaml.load(RULES.read_text(), Loader=LOADER)


def alerts() -> list[dict]:
    return [rule for group in rules()["groups"] for rule in group["rules"] if "alert" in rule]


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels() -> list[dict]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def dashboard_queries() -> list[str]:
    """Every PromQL expression in the dashboard: panel targets, annotations, variable queries."""
    board = dashboard()
    queries = [t["expr"] for p in panels() for t in p["targets"]]
    queries += [a["expr"] for a in board["annotations"]["list"] if "expr" in a]
    for var in board["templating"]["list"]:
        if var["type"] == "query":
            queries.append(re.fullmatch(r"label_values\((.+), *\w+\)", var["query"]["query"]).group(1))
    return queries


# ---- the alert rules -----------------------------------------------------------------------------

def test_the_rules_file_and_the_prometheusrule_pass_promtool_check_rules_and_hold_the_same_rules(tmp_path):
    run_promtool("check", "rules", RULES)
    [rule] = load(MONITORING / "prometheusrule.yaml")
    validate(rule)
    assert rule["spec"] == rules(), "prometheusrule.yaml and rules.yaml differ: edit both"
    extracted = tmp_path / "from-prometheusrule.yaml"
    extracted.write_text(yaml.safe_dump(rule["spec"]))
    assert "SUCCESS: 6 rules found" in run_promtool("check", "rules", extracted)


def test_the_issue_s_alerts_exist_each_with_a_severity_a_summary_and_a_runbook_line():
    by_name = {rule["alert"]: rule for rule in alerts()}
    for name in ("NB2ServiceErrorShareHigh", "NB2ServiceLatencyP99High", "NB2ServiceInputDrift",
                 "NB2ServiceNoReadyReplica", "NB2ServiceModelVersionChanged"):
        assert name in by_name, f"no {name} alert"
    docs = (Path(TEMPLATES).parent / "docs" / "operations.md").read_text().lower()
    for name, rule in by_name.items():
        notes = rule["annotations"]
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        assert notes["summary"] and notes["description"] and len(notes["runbook"]) > 40, name
        anchor = notes["runbook_url"].rsplit("#", 1)[1]
        assert f"### {anchor}" in docs, f"{name}: docs/operations.md has no section for {notes['runbook_url']}"
    assert "feature" in by_name["NB2ServiceInputDrift"]["expr"], "drift is alerted per feature"


def test_promtool_unit_tests_fire_and_keep_quiet_every_alert(tmp_path):
    spec = yaml.load(UNIT_TESTS.read_text(), Loader=LOADER)
    fixed = {rule["alert"]: {k: rule["annotations"][k] for k in ("runbook", "runbook_url")} for rule in alerts()}
    fired, quiet = set(), set()
    for test in spec["tests"]:
        for case in test["alert_rule_test"]:
            (fired if case["exp_alerts"] else quiet).add(case["alertname"])
            for alert in case["exp_alerts"]:
                alert["exp_annotations"].update(fixed[case["alertname"]])
    assert fired == quiet == set(fixed), "every alert needs a case that fires it and one that does not"
    spec["rule_files"] = [str(RULES)]
    (tmp_path / "rules_test.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    run_promtool("test", "rules", tmp_path / "rules_test.yaml")


def test_a_broken_rule_would_fail_the_unit_tests(tmp_path):
    """The unit tests can fail: with the drift threshold raised above the fired case's share, they do."""
    broken = RULES.read_text().replace("> 0.1\n", "> 0.5\n")
    assert broken != RULES.read_text()
    (tmp_path / "rules.yaml").write_text(broken)
    spec = yaml.load(UNIT_TESTS.read_text(), Loader=LOADER)
    spec["rule_files"] = [str(tmp_path / "rules.yaml")]
    (tmp_path / "rules_test.yaml").write_text(yaml.safe_dump(spec))
    result = subprocess.run([promtool(), "test", "rules", str(tmp_path / "rules_test.yaml")], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode != 0 and "NB2ServiceInputDrift" in result.stdout + result.stderr


# ---- the dashboard -------------------------------------------------------------------------------

def test_the_dashboard_asks_for_its_datasource_and_every_query_uses_it():
    board = dashboard()
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert "__inputs" not in board, "provisioned dashboards cannot use __inputs; the datasource is a variable"
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    for panel in panels():
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        for t in panel["targets"]:
            assert t["datasource"]["uid"] == "${datasource}", panel["title"]
            assert 'namespace=~"$namespace"' in t["expr"] and 'job=~"$job"' in t["expr"], panel["title"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))


def test_the_dashboard_panels_do_not_overlap_and_cover_what_the_issue_lists():
    cells = set()
    for panel in dashboard()["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine
    text = json.dumps([(p["title"], [t["expr"] for t in p["targets"]]) for p in panels()])
    for needed in ("nb2service_requests_total", 'status=~\\"5..\\"', "histogram_quantile(0.5,",
                   "histogram_quantile(0.95,", "histogram_quantile(0.99,", "nb2service_predicted_class_total",
                   "nb2service_predicted_value_bucket", "sum by (feature, signal)", "nb2service_ready",
                   "nb2service_start_time_seconds", "nb2service_model_info"):
        assert needed in text, f"the dashboard shows nothing with {needed}"


def test_every_dashboard_query_is_valid_promql(tmp_path):
    """promtool parses each query (Grafana's variables replaced as Grafana would) as a recording rule."""
    recorded = []
    for i, query in enumerate(dashboard_queries()):
        expr = (query.replace("$__rate_interval", "1m").replace("$namespace", ".*").replace("$job", ".*"))
        assert "$" not in expr, f"an unknown Grafana variable in {query}"
        recorded.append({"record": f"dashboard:query_{i}", "expr": expr})
    (tmp_path / "queries.yaml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recorded}]}))
    run_promtool("check", "rules", tmp_path / "queries.yaml")


def test_the_monitoring_kustomization_renders_the_rule_and_the_dashboard_configmap():
    objects = kustomize_path(MONITORING)
    kinds = {o["kind"]: o for o in objects}
    assert set(kinds) == {"PrometheusRule", "ConfigMap"}
    config_map = kinds["ConfigMap"]
    validate(config_map)
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["nb2service.json"]) == dashboard()
    provider = yaml.safe_load((MONITORING / "grafana-provisioning.yaml").read_text())
    assert provider["apiVersion"] == 1 and provider["providers"][0]["type"] == "file"


# ---- the names against a live server -------------------------------------------------------------

@pytest.fixture(scope="module")
def live_metrics(tmp_path_factory) -> dict[str, set[str]]:
    """Sample names on /metrics of real servers (`nb2service serve`, gunicorn, two workers) on a
    classifier and a regressor, after the traffic that makes every series appear: predictions, a
    refused request, out-of-range values and a prediction log whose sink is down: ``{sample name:
    label names}``."""
    from tests.serve.conftest import examples, write_artifact
    from tests.serve.live import Server

    root = tmp_path_factory.mktemp("monitoring")
    names: dict[str, set[str]] = {}
    for kind, drifted in (("churn", {"tenure": 10_000}), ("regressor", {"age": 10_000})):
        artifact = write_artifact(root / kind, kind)
        server = Server(artifact, root / f"{kind}.log", workers=2,
                        env={"NB2SERVICE_LOG_PREDICTIONS": "1", "NB2SERVICE_LOG_SINK": "http://127.0.0.1:9/",
                             "NB2SERVICE_LOG_TIMEOUT": "0.5"})
        try:
            server.wait_ready()
            rows = examples(artifact)
            for _ in range(3):
                assert requests.post(server.url + "/predict", json=rows, timeout=10).status_code == 200
            assert requests.post(server.url + "/predict", json=[{**rows[0], **drifted}], timeout=10).status_code == 200
            assert requests.post(server.url + "/predict", json=[{"nothing": 1}], timeout=10).status_code == 400
            text = ""
            for _ in range(50):  # the log's sender thread reports its failures asynchronously
                text = requests.get(server.url + "/metrics", timeout=10).text
                if "nb2service_prediction_log_dropped_total{" in text:
                    break
                time.sleep(0.1)
        finally:
            server.stop()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                names.setdefault(sample.name, set()).update(sample.labels)
    return names


def test_every_metric_the_rules_and_the_dashboard_use_is_exported_by_a_real_server(live_metrics):
    live_metric_names = set(live_metrics)
    used = set(METRIC.findall(RULES.read_text())) | set(METRIC.findall(" ".join(dashboard_queries())))
    missing = sorted(used - live_metric_names)
    assert not missing, f"used but not exported: {missing}; exported: {sorted(live_metric_names)}"
    assert {"nb2service_ready", "nb2service_predicted_class_total", "nb2service_predicted_value_bucket",
            "nb2service_drift_rows_total", "nb2service_prediction_log_dropped_total"} <= used


def test_every_servicemonitor_keeps_the_services_own_endpoint_label(all_workloads, live_metrics):
    """The Prometheus Operator labels each target `endpoint` (the port name); the service's request
    metrics carry their own `endpoint` label, which the rules and the dashboard group by. Without
    honorLabels Prometheus would rename ours exported_endpoint and every `by (endpoint)` would break."""
    assert "endpoint" in live_metrics["nb2service_requests_total"]
    assert "by (namespace, job, endpoint)" in RULES.read_text()
    monitors = [m for _, objects in all_workloads for m in objects if m["kind"] == "ServiceMonitor"]
    assert len(monitors) >= 3
    for monitor in monitors:
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint.get("honorLabels") is True, monitor["metadata"]["name"]
