"""Every file in templates/ parses, and every object in it validates: Kubernetes kinds against the
Kubernetes schemas, the others against schemas/ (the templates' objects after `oc process`)."""

from __future__ import annotations

import copy

import pytest

from tests.templates.conftest import MODEL_TEMPLATES, OPENSHIFT, processed
from tests.templates.manifests import (
    TEMPLATES,
    ManifestError,
    load,
    name_of,
    validate,
    yaml_files,
)

FILES = yaml_files()


def test_the_templates_folder_holds_every_kind_of_manifest_the_issue_asks_for():
    kinds = {(doc["apiVersion"], doc["kind"]) for path in FILES for doc in load(path)}
    for expected in [("template.openshift.io/v1", "Template"), ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
                     ("kustomize.config.k8s.io/v1alpha1", "Component"), ("tekton.dev/v1", "Task"),
                     ("tekton.dev/v1", "Pipeline"), ("apps/v1", "Deployment"), ("v1", "Service"),
                     ("autoscaling/v2", "HorizontalPodAutoscaler"), ("policy/v1", "PodDisruptionBudget"),
                     ("networking.k8s.io/v1", "Ingress"), ("monitoring.coreos.com/v1", "ServiceMonitor")]:
        assert expected in kinds, f"no {expected} under {TEMPLATES}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_file_parses_as_yaml_into_kubernetes_objects(path):
    docs = load(path)
    assert docs, f"{path} is empty"
    for doc in docs:
        assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), f"{path}: {str(doc)[:80]}"


def kustomize_input(path, doc: dict) -> bool:
    """A base's or an overlay's resource or patch: validated as rendered (test_kustomize.py), since
    a base's selectors are filled and an overlay's patches completed only by kustomize."""
    rel = path.relative_to(TEMPLATES).parts
    return rel[0] == "kubernetes" and rel[1] in ("base", "overlays") and doc["kind"] != "Kustomization"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_object_in_every_file_validates_against_its_schema(path):
    """Templates are validated whole here, and object by object once processed (below)."""
    for doc in load(path):
        if not kustomize_input(path, doc):
            validate(doc)


@pytest.mark.parametrize("name", ["builder.yaml", *MODEL_TEMPLATES])
def test_every_object_of_a_processed_template_validates_against_its_schema(name):
    objects = processed(name)
    assert objects
    for obj in objects:
        validate(obj)


def test_the_kubernetes_validator_refuses_a_misspelt_field_and_a_wrong_type():
    [deployment] = [o for o in processed("model-service.yaml") if o["kind"] == "Deployment"]
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(ManifestError, match="readinesProbe"):
        validate(typo)
    wrong = copy.deepcopy(deployment)
    wrong["spec"]["replicas"] = "2"  # what `${REPLICAS}` instead of `${{REPLICAS}}` gives
    with pytest.raises(ManifestError, match="replicas"):
        validate(wrong)


def test_the_extension_schemas_refuse_a_misspelt_field_and_a_missing_required_one():
    [build] = [o for o in processed("model-service.yaml") if o["kind"] == "BuildConfig"]
    typo = copy.deepcopy(build)
    typo["spec"]["strategy"]["sourceStrategy"]["incremntal"] = True
    with pytest.raises(ManifestError, match="incremntal"):
        validate(typo)
    [route] = [o for o in processed("model-service.yaml") if o["kind"] == "Route"]
    missing = copy.deepcopy(route)
    del missing["spec"]["to"]
    with pytest.raises(ManifestError, match="'to' is a required property"):
        validate(missing)
    unknown = {"apiVersion": "route.openshift.io/v2", "kind": "Route", "metadata": {"name": "x"}}
    with pytest.raises(ManifestError, match="no schema"):
        validate(unknown)


def test_object_names_are_unique_per_kind_in_each_processed_template():
    for name in ["builder.yaml", *MODEL_TEMPLATES]:
        names = [name_of(o) for o in processed(name)]
        assert len(names) == len(set(names)), f"{OPENSHIFT / name}: duplicate objects {names}"
