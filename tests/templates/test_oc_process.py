"""The `oc process` helper behaves as OpenShift's template processor, and the real templates
process: required parameters refused when missing, generated secrets, typed values."""

from __future__ import annotations

import random
import re

import pytest

from tests.templates.conftest import MODEL_TEMPLATES, SAMPLE, processed, template
from tests.templates.manifests import by_kind, one
from tests.templates.oc_process import TemplateError, generate, process, references


def tiny(**extra) -> dict:
    return {
        "apiVersion": "template.openshift.io/v1", "kind": "Template", "metadata": {"name": "t"},
        "labels": {"app": "${NAME}"},
        "message": "made ${NAME}",
        "parameters": [
            {"name": "NAME", "required": True},
            {"name": "COUNT", "value": "3"},
            {"name": "FLAG", "value": "true"},
            {"name": "WORDS", "value": "not json"},
            {"name": "TOKEN", "generate": "expression", "from": "tok-[a-f0-9]{8}"},
            *extra.get("parameters", []),
        ],
        "objects": [{
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "${NAME}-config", "namespace": "hard-coded", "labels": {"${NAME}/role": "x"}},
            "data": {"both": "${NAME}:${COUNT}", "count": "${{COUNT}}", "flag": "${{FLAG}}", "words": "${{WORDS}}",
                     "embedded": "n=${{COUNT}}", "undeclared": "${NOPE}", "token": "${TOKEN}"},
        }],
    }


def test_string_references_are_replaced_anywhere_in_a_string_and_in_map_keys():
    [obj] = process(tiny(), {"NAME": "churn"})["items"]
    assert obj["metadata"]["name"] == "churn-config"
    assert obj["data"]["both"] == "churn:3"
    assert obj["metadata"]["labels"]["churn/role"] == "x"


def test_an_exact_double_brace_reference_becomes_a_json_value_and_a_non_json_value_stays_a_string():
    [obj] = process(tiny(), {"NAME": "churn"})["items"]
    assert obj["data"]["count"] == 3 and obj["data"]["flag"] is True
    assert obj["data"]["words"] == "not json"
    assert obj["data"]["embedded"] == "n=${{COUNT}}"  # not substituted inside a longer string, as oc does


def test_references_to_undeclared_parameters_are_left_alone_and_unknown_given_parameters_are_refused():
    [obj] = process(tiny(), {"NAME": "churn"})["items"]
    assert obj["data"]["undeclared"] == "${NOPE}"
    with pytest.raises(TemplateError, match="unknown parameter name.*NOPE"):
        process(tiny(), {"NAME": "churn", "NOPE": "1"})


def test_a_missing_required_parameter_is_refused_naming_it():
    with pytest.raises(TemplateError, match="parameter NAME is required"):
        process(tiny())
    with pytest.raises(TemplateError, match="parameter NAME is required"):
        process(tiny(), {"NAME": ""})


def test_generated_values_follow_the_expression_and_a_given_value_wins():
    [obj] = process(tiny(), {"NAME": "a"})["items"]
    assert re.fullmatch(r"tok-[a-f0-9]{8}", obj["data"]["token"])
    [obj] = process(tiny(), {"NAME": "a", "TOKEN": "mine"})["items"]
    assert obj["data"]["token"] == "mine"
    assert process(tiny(), {"NAME": "a"}, seed=1) != process(tiny(), {"NAME": "a"}, seed=2)


def test_the_generator_understands_ranges_and_classes_and_refuses_a_reversed_range():
    rng = random.Random(0)
    assert re.fullmatch(r"[a-zA-Z0-9]{40}", generate("[a-zA-Z0-9]{40}", rng))
    assert re.fullmatch(r"x[0-9]{5}y", generate(r"x[\d]{5}y", rng))
    assert re.fullmatch(r"[a-zA-Z0-9]{6}", generate(r"[\a]{6}", rng))
    with pytest.raises(TemplateError, match="invalid range"):
        generate("[z-a]{3}", rng)


def test_hard_coded_namespaces_are_dropped_and_template_labels_and_message_are_applied():
    result = process(tiny(), {"NAME": "churn"})
    [obj] = result["items"]
    assert obj["metadata"]["namespace"] == ""
    assert obj["metadata"]["labels"]["app"] == "churn"
    assert result["message"] == "made churn"


@pytest.mark.parametrize("name", ["builder.yaml", *MODEL_TEMPLATES])
def test_every_parameter_a_template_declares_is_used_and_every_one_it_uses_is_declared(name):
    doc = template(name)
    declared = {p["name"] for p in doc["parameters"]}
    used = references(doc)
    assert used - declared == set(), f"{name} uses undeclared parameters"
    assert declared - used == set(), f"{name} declares unused parameters"


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_the_model_templates_refuse_to_process_without_each_required_parameter_that_has_no_default(name):
    doc = template(name)
    needed = [p["name"] for p in doc["parameters"] if p.get("required") and not p.get("value")]
    assert needed == ["APPLICATION_NAME", "GIT_URL"]
    for missing in needed:
        given = {k: v for k, v in SAMPLE.items() if k != missing}
        with pytest.raises(TemplateError, match=f"parameter {missing} is required"):
            process(doc, given)


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_required_parameters_with_defaults_cannot_be_emptied(name):
    with pytest.raises(TemplateError, match="parameter WEB_CONCURRENCY is required"):
        # An empty WEB_CONCURRENCY would reach gunicorn, which reads it with int() at import.
        processed(name, WEB_CONCURRENCY="")


@pytest.mark.parametrize("name", ["builder.yaml", *MODEL_TEMPLATES])
def test_webhook_secrets_are_generated_per_processing_and_referenced_by_the_build_triggers(name):
    objects = processed(name)
    secrets = {s["metadata"]["name"]: s for s in by_kind(objects, "Secret")}
    build = one(objects, "BuildConfig")
    webhooks = [t for t in build["spec"]["triggers"] if t["type"] in ("GitHub", "Generic")]
    assert {t["type"] for t in webhooks} == {"GitHub", "Generic"}
    values = set()
    for trigger in webhooks:
        ref = trigger[trigger["type"].lower()]["secretReference"]["name"]
        assert ref in secrets, f"{name}: trigger {trigger['type']} names a missing Secret {ref}"
        value = secrets[ref]["stringData"]["WebHookSecretKey"]
        assert re.fullmatch(r"[a-zA-Z0-9]{40}", value)
        values.add(value)
    assert len(values) == 2, "the two webhooks share a secret"


@pytest.mark.parametrize("name", MODEL_TEMPLATES)
def test_numeric_parameters_become_integers_where_the_api_wants_integers(name):
    objects = processed(name, REPLICAS="3", MIN_REPLICAS="3", MAX_REPLICAS="9", CPU_TARGET_UTILIZATION="60")
    deployment = one(objects, "Deployment", "churn")
    hpa = one(objects, "HorizontalPodAutoscaler")
    assert deployment["spec"]["replicas"] == 3
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 9)
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
