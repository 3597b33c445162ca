"""Loading and validating the deployment manifests in ``templates/``.

Kubernetes-native objects are validated against the Kubernetes OpenAPI-derived JSON schemas that
``kubernetes-validate`` ships (strict: unknown fields fail), for the oldest and the newest
Kubernetes release we support. The OpenShift, Tekton, Prometheus Operator and kustomize kinds are
validated against the trimmed schemas in ``schemas/`` (see its README for their sources).
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml
from packaging.version import Version
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

#: Kubernetes releases every native object must validate against: OpenShift 4.14's and the newest.
KUBERNETES_VERSIONS = ("1.27", kubernetes_validate.utils.latest_version())
#: API groups whose kinds are validated against the schemas in ``schemas/``.
EXTENSION_GROUPS = ("template.openshift.io", "image.openshift.io", "build.openshift.io", "route.openshift.io",
                    "tekton.dev", "monitoring.coreos.com", "kustomize.config.k8s.io")


#: libyaml's loader when PyYAML was built with it (ten times faster), else the pure Python one.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ManifestError(AssertionError):
    """A manifest that does not validate; the message names the object and the problem."""


#: YAML files under ``templates/`` that are not Kubernetes objects: Prometheus' and Grafana's own
#: configuration (checked by promtool and tests/templates/test_monitoring.py).
NOT_KUBERNETES = ("monitoring/rules.yaml", "monitoring/grafana-provisioning.yaml")


def yaml_files() -> list[Path]:
    """Every YAML file under ``templates/`` that holds Kubernetes objects."""
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".yaml", ".yml")
                  and str(p.relative_to(TEMPLATES)) not in NOT_KUBERNETES)


def load(path: Path) -> list[dict]:
    """The YAML documents of a file (empty documents dropped)."""
    with path.open() as f:
        return [doc for doc in yaml.load_all(f, Loader=LOADER) if doc is not None]


def name_of(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('name') or meta.get('generateName') or '?'}"


def group_of(obj: dict) -> str:
    api_version = obj.get("apiVersion", "")
    return api_version.split("/")[0] if "/" in api_version else ""


def is_extension(obj: dict) -> bool:
    return group_of(obj) in EXTENSION_GROUPS


@functools.cache
def extension_schemas() -> dict[str, dict]:
    """``"apiVersion kind"`` -> JSON Schema, from every file in ``schemas/`` (``$defs`` shared per file)."""
    schemas = {}
    for path in sorted(SCHEMAS.glob("*.yaml")):
        content = yaml.load(path.read_text(), Loader=LOADER)
        defs = content.pop("$defs", {})
        for key, schema in content.items():
            schemas[key] = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs, **schema}
    return schemas


def validate(obj: dict) -> None:
    """Validate one object: Kubernetes schemas for native kinds, ``schemas/`` for the others."""
    if not isinstance(obj, dict) or "apiVersion" not in obj or "kind" not in obj:
        raise ManifestError(f"not a Kubernetes object (no apiVersion/kind): {str(obj)[:80]}")
    if is_extension(obj):
        key = f"{obj['apiVersion']} {obj['kind']}"
        schema = extension_schemas().get(key)
        if schema is None:
            raise ManifestError(f"{name_of(obj)}: no schema for {key} in {SCHEMAS}")
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(obj), key=lambda e: list(e.path))
        if errors:
            raise ManifestError(f"{name_of(obj)}: " + "; ".join(
                f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]))
        return
    for version in KUBERNETES_VERSIONS:
        validator = kubernetes_validator(version, obj["apiVersion"], obj["kind"])
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
        if errors:
            raise ManifestError(f"{name_of(obj)} (Kubernetes {version}): " + "; ".join(
                f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]))


@functools.cache
def _schema_folder(version: str):
    """kubernetes-validate's strict schemas for the newest release not newer than ``version``."""
    wanted = Version(version)
    available = [v for v in kubernetes_validate.utils.all_versions() if Version(v).release[:2] <= wanted.release[:2]]
    assert available, f"kubernetes-validate has no schemas for Kubernetes {version} or older"
    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{available[-1]}-local-strict"
    definitions = Resource.from_contents(json.loads((folder / "_definitions.json").read_text()))
    return folder, definitions @ Registry()


@functools.cache
def kubernetes_validator(version: str, api_version: str, kind: str) -> jsonschema.Draft202012Validator:
    """A validator for ``kind`` in ``api_version`` (the schema files and layout of kubernetes-validate,
    loaded once per kind instead of once per object)."""
    folder, registry = _schema_folder(version)
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = folder / f"{kind.lower()}-{group_version}.json"
    if not path.is_file():
        raise ManifestError(f"no Kubernetes {version} schema for {api_version} {kind}")
    schema = json.loads(path.read_text())
    return jsonschema.Draft202012Validator(schema, registry=Resource.from_contents(schema) @ registry)


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o.get("kind") == kind]


def one(objects: list[dict], kind: str, name: str | None = None) -> dict:
    """The single object of ``kind`` (named ``name`` when given)."""
    found = [o for o in by_kind(objects, kind) if name is None or o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}{' ' + name if name else ''}, found {[name_of(o) for o in found]}"
    return found[0]


def selects(selector: dict, labels: dict) -> bool:
    """Whether ``selector`` (a label map, or a LabelSelector with matchLabels) matches ``labels``."""
    match = selector.get("matchLabels", selector) if "matchExpressions" not in selector else None
    assert match is not None, "matchExpressions are not used in these manifests"
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def pod_specs(objects: list[dict]) -> list[tuple[str, dict, dict]]:
    """``(name, pod template metadata, pod spec)`` of every workload among ``objects``."""
    found = []
    for obj in objects:
        if obj.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            template = obj["spec"]["template"]
            found.append((name_of(obj), template.get("metadata") or {}, template["spec"]))
        elif obj.get("kind") == "Pod":
            found.append((name_of(obj), obj.get("metadata") or {}, obj["spec"]))
    return found
