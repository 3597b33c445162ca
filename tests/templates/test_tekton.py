"""The Tekton Task and Pipeline: every variable they use is declared, the Pipeline passes each Task
what it needs, and the Task builds the way the issue says (s2i --as-dockerfile, buildah)."""

from __future__ import annotations

import re

import pytest

from tests.templates.conftest import TEKTON
from tests.templates.manifests import ROOT, load

#: The interface of OpenShift Pipelines' git-clone Task (openshift-pipelines namespace, cluster
#: resolver), from its documentation (openshift-pipelines/task-git, docs/task-git-clone.md).
GIT_CLONE = {
    "params": {"URL": True, "REVISION": False, "REFSPEC": False, "SUBMODULES": False, "DEPTH": False,
               "SSL_VERIFY": False, "CRT_FILENAME": False, "SUBDIRECTORY": False,
               "SPARSE_CHECKOUT_DIRECTORIES": False, "DELETE_EXISTING": False, "HTTP_PROXY": False,
               "HTTPS_PROXY": False, "NO_PROXY": False, "VERBOSE": False, "USER_HOME": False},
    "workspaces": {"output": False, "ssh-directory": True, "basic-auth": True, "ssl-ca-directory": True},
    "results": {"COMMIT", "URL", "COMMITTER_DATE"},
}
VARIABLE = re.compile(r"\$\(([a-zA-Z0-9_.\-\[\]*]+)\)")


def doc(file: str) -> dict:
    [d] = load(TEKTON / file)
    return d


def task_interface(task: dict) -> dict:
    """``{"params": {name: required}, "workspaces": {name: optional}, "results": {...}}`` of a Task."""
    spec = task["spec"]
    return {"params": {p["name"]: "default" not in p for p in spec.get("params", [])},
            "workspaces": {w["name"]: bool(w.get("optional")) for w in spec.get("workspaces", [])},
            "results": {r["name"] for r in spec.get("results", [])}}


def variables(node) -> list[str]:
    """Every ``$(...)`` variable in the strings of ``node``."""
    if isinstance(node, str):
        return VARIABLE.findall(node)
    if isinstance(node, list):
        return [v for item in node for v in variables(item)]
    if isinstance(node, dict):
        return [v for value in node.values() for v in variables(value)]
    return []


def declared(interface: dict, var: str) -> bool:
    """Whether a Task variable such as ``params.IMAGE`` or ``workspaces.source.path`` exists."""
    kind, name, *rest = var.split(".")
    if kind == "params":
        return re.sub(r"\[\*\]$", "", name) in interface["params"]
    if kind == "workspaces":
        return name in interface["workspaces"] and rest[:1] in (["path"], ["bound"], ["claim"], ["volume"])
    if kind == "results":
        return name in interface["results"] and rest == ["path"]
    return kind == "context"


def undeclared_task_variables(task: dict) -> list[str]:
    interface = task_interface(task)
    return [var for var in variables(task["spec"]["steps"]) if not declared(interface, var)]


def test_every_variable_the_task_uses_is_declared_and_every_declared_param_is_used():
    task = doc("task-s2i-nb2service.yaml")
    assert undeclared_task_variables(task) == []
    used = {re.sub(r"\[\*\]$", "", v.split(".")[1]) for v in variables(task["spec"]["steps"]) if v.startswith("params.")}
    assert used == set(task_interface(task)["params"])
    written = {v.split(".")[1] for v in variables(task["spec"]["steps"]) if v.startswith("results.")}
    assert written == task_interface(task)["results"], "a declared result is never written"


def test_the_variable_check_catches_a_misspelt_param_and_an_unknown_workspace():
    task = doc("task-s2i-nb2service.yaml")
    task["spec"]["steps"][0]["script"] += "\necho $(params.NOTEBOK) $(workspaces.src.path)\n"
    assert undeclared_task_variables(task) == ["params.NOTEBOK", "workspaces.src.path"]


def test_the_task_mounts_only_volumes_it_declares():
    task = doc("task-s2i-nb2service.yaml")
    volumes = {v["name"] for v in task["spec"]["volumes"]}
    for step in task["spec"]["steps"]:
        assert {m["name"] for m in step.get("volumeMounts", [])} <= volumes, step["name"]


def test_the_task_generates_the_containerfile_with_s2i_and_builds_and_pushes_it_with_buildah():
    generate, build = doc("task-s2i-nb2service.yaml")["spec"]["steps"]
    s2i = re.search(r"^\s*s2i build .*?(?<!\\)\n", generate["script"], re.DOTALL | re.MULTILINE).group(0)
    out = re.search(r"--as-dockerfile (\S+)", s2i).group(1)
    assert "--context-dir" in s2i and "image:///usr/libexec/s2i" in s2i
    assert re.search(rf"buildah .*\bbud\b.*-f {re.escape(out)}\b", build["script"].replace("\\\n", " "))
    assert re.search(r"buildah .*\bpush\b.*--digestfile", build["script"].replace("\\\n", " "))
    assert generate["script"].startswith("#!/usr/bin/env bash\nset -euo pipefail")
    assert build["script"].startswith("#!/usr/bin/env bash\nset -euo pipefail")


def pipeline_problems(pipeline: dict, tasks: dict[str, dict]) -> list[str]:
    """What a PipelineRun of ``pipeline`` would fail on; ``tasks`` maps a taskRef to its interface."""
    spec = pipeline["spec"]
    params = {p["name"] for p in spec.get("params", [])}
    workspaces = {w["name"]: bool(w.get("optional")) for w in spec.get("workspaces", [])}
    names = [t["name"] for t in spec["tasks"]]
    problems = [f"undeclared {v}" for v in variables(spec) if v.startswith("params.") and v.split(".")[1] not in params]
    for task in spec["tasks"]:
        ref = task["taskRef"]
        key = ref.get("name") or {p["name"]: p["value"] for p in ref["params"]}["name"]
        interface = tasks[key]
        given = {p["name"] for p in task.get("params", [])}
        problems += [f"{task['name']}: unknown param {p}" for p in given - set(interface["params"])]
        problems += [f"{task['name']}: missing param {p}" for p, needed in interface["params"].items()
                     if needed and p not in given]
        bound = {w["name"]: w["workspace"] for w in task.get("workspaces", [])}
        for name, optional in interface["workspaces"].items():
            if name not in bound and not optional:
                problems.append(f"{task['name']}: workspace {name} not bound")
        for name, workspace in bound.items():
            if name not in interface["workspaces"] or workspace not in workspaces:
                problems.append(f"{task['name']}: bad workspace binding {name}={workspace}")
            elif workspaces[workspace] and not interface["workspaces"][name]:
                problems.append(f"{task['name']}: optional workspace {workspace} bound to required {name}")
        problems += [f"{task['name']}: runs after unknown {r}" for r in task.get("runAfter", []) if r not in names]
    for var in variables(spec):
        if var.startswith("tasks."):
            _, task_name, _, result = var.split(".")
            [task] = [t for t in spec["tasks"] if t["name"] == task_name] or [None]
            if task is None:
                problems.append(f"{var}: no task {task_name}")
            else:
                ref = task["taskRef"].get("name") or {p["name"]: p["value"] for p in task["taskRef"]["params"]}["name"]
                if result not in tasks[ref]["results"]:
                    problems.append(f"{var}: {ref} has no result {result}")
    return problems


def known_tasks() -> dict[str, dict]:
    return {"git-clone": GIT_CLONE, "s2i-nb2service": task_interface(doc("task-s2i-nb2service.yaml"))}


def test_the_pipeline_gives_each_task_what_it_needs_and_uses_only_what_exists():
    pipeline = doc("pipeline.yaml")
    assert pipeline_problems(pipeline, known_tasks()) == []
    local = {t["taskRef"].get("name") for t in pipeline["spec"]["tasks"]}
    assert "s2i-nb2service" in local and doc("task-s2i-nb2service.yaml")["metadata"]["name"] == "s2i-nb2service"


def test_the_pipeline_check_catches_a_missing_param_a_bad_binding_and_an_unknown_result():
    pipeline = doc("pipeline.yaml")
    build = pipeline["spec"]["tasks"][1]
    build["params"] = [p for p in build["params"] if p["name"] != "IMAGE"]
    build["workspaces"][0]["workspace"] = "sources"
    pipeline["spec"]["results"][0]["value"] = "$(tasks.build.results.DIGEST)"
    assert pipeline_problems(pipeline, known_tasks()) == [
        "build: missing param IMAGE", "build: bad workspace binding source=sources",
        "tasks.build.results.DIGEST: s2i-nb2service has no result DIGEST"]


def test_the_pipeline_clones_with_git_clone_then_builds_the_clone():
    tasks = doc("pipeline.yaml")["spec"]["tasks"]
    clone, build = tasks
    resolver = {p["name"]: p["value"] for p in clone["taskRef"]["params"]}
    assert clone["taskRef"]["resolver"] == "cluster" and resolver == {
        "kind": "task", "name": "git-clone", "namespace": "openshift-pipelines"}
    assert build["runAfter"] == [clone["name"]]
    shared = {w["name"]: w["workspace"] for w in clone["workspaces"]}["output"]
    assert {w["name"]: w["workspace"] for w in build["workspaces"]}["source"] == shared


def test_the_example_run_starts_the_pipeline_with_its_required_params_on_the_churn_example():
    run, pipeline = doc("pipelinerun.yaml"), doc("pipeline.yaml")
    assert run["spec"]["pipelineRef"]["name"] == pipeline["metadata"]["name"]
    declared = {p["name"]: "default" not in p for p in pipeline["spec"]["params"]}
    given = {p["name"]: p["value"] for p in run["spec"]["params"]}
    assert set(given) <= set(declared)
    assert {p for p, needed in declared.items() if needed} <= set(given)
    required_workspaces = {w["name"] for w in pipeline["spec"]["workspaces"] if not w.get("optional")}
    assert required_workspaces <= {w["name"] for w in run["spec"]["workspaces"]}
    assert list((ROOT / given["CONTEXT_DIR"]).glob("*.ipynb")), "the example run builds a folder with no notebook"


@pytest.mark.parametrize("file", ["task-s2i-nb2service.yaml", "pipeline.yaml"])
def test_the_default_builder_image_is_the_in_cluster_builder(file):
    [default] = [p["default"] for p in doc(file)["spec"]["params"] if p["name"] == "BUILDER_IMAGE"]
    assert default.endswith("/openshift/nb2service:latest")


def test_with_a_runtime_image_the_task_chains_the_app_image_as_image_containerfile_serving_does():
    import subprocess

    _, build = doc("task-s2i-nb2service.yaml")["spec"]["steps"]
    block = re.search(r"^\s*\{\n.*?^\s*\} > /gen-source/serving/Containerfile$", build["script"],
                      re.DOTALL | re.MULTILINE).group(0).replace("/gen-source/serving/Containerfile", "/dev/stdout")
    written = subprocess.run(["bash", "-c", f"app=APP; RUNTIME_IMAGE=RUNTIME\n{block}"], capture_output=True,
                             text=True, check=True).stdout
    reference = (ROOT / "image" / "Containerfile.serving").read_text()
    reference = reference.replace("${APP_IMAGE}", "APP").replace("${RUNTIME_IMAGE}", "RUNTIME")

    def instructions(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith(("#", "ARG"))]
    assert instructions(written) == instructions(reference)
    assert "RUNTIME_IMAGE" in task_interface(doc("task-s2i-nb2service.yaml"))["params"]
    assert "RUNTIME_IMAGE" in {p["name"] for p in doc("pipeline.yaml")["spec"]["params"]}
