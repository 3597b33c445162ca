"""Every pod the manifests create meets the Kubernetes "restricted" Pod Security Standard, passes
OpenShift's restricted-v2 SCC and runs with a read-only root filesystem; and the checker catches
each rule broken one at a time."""

from __future__ import annotations

import copy

import pytest

from tests.templates.conftest import MODEL_TEMPLATES, processed
from tests.templates.manifests import pod_specs
from tests.templates.restricted import all_violations, restricted_violations


def test_every_pod_of_every_template_and_kustomization_passes_all_checks(all_workloads):
    checked = 0
    for source, objects in all_workloads:
        for name, meta, spec in pod_specs(objects):
            assert all_violations(meta, spec) == [], f"{source} {name}"
            checked += 1
    assert checked == 5, "2 templates with 1 and 2 Deployments, 2 kustomizations with 1 each"


def good_pod() -> tuple[dict, dict]:
    [(_, meta, spec)] = pod_specs(processed(MODEL_TEMPLATES[0]))
    return copy.deepcopy(meta), copy.deepcopy(spec)


def container_sc(spec: dict) -> dict:
    return spec["containers"][0]["securityContext"]


BREAKS = {
    "privileged": (lambda m, s: container_sc(s).update(privileged=True), "privileged must be unset or false"),
    "host network": (lambda m, s: s.update(hostNetwork=True), "spec.hostNetwork"),
    "host PID": (lambda m, s: s.update(hostPID=True), "spec.hostPID"),
    "host path volume": (lambda m, s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "hostPath"),
    "host port": (lambda m, s: s["containers"][0]["ports"][0].update(hostPort=8080), "hostPort"),
    "privilege escalation allowed": (lambda m, s: container_sc(s).pop("allowPrivilegeEscalation"),
                                     "allowPrivilegeEscalation must be false"),
    "capabilities not dropped": (lambda m, s: container_sc(s).pop("capabilities"), "drop must include ALL"),
    "capability added": (lambda m, s: container_sc(s)["capabilities"].update(add=["SYS_ADMIN"]),
                         "beyond the baseline set"),
    "baseline capability added": (lambda m, s: container_sc(s)["capabilities"].update(add=["CHOWN"]),
                                  "may only hold NET_BIND_SERVICE"),
    "may run as root": (lambda m, s: (s["securityContext"].pop("runAsNonRoot"), container_sc(s).pop("runAsNonRoot")),
                        "runAsNonRoot must be true"),
    "container allows root": (lambda m, s: container_sc(s).update(runAsNonRoot=False), "runAsNonRoot must be true"),
    "runs as uid 0": (lambda m, s: container_sc(s).update(runAsUser=0), "runAsUser must not be 0"),
    "no seccomp profile": (lambda m, s: (s["securityContext"].pop("seccompProfile"), container_sc(s).pop("seccompProfile")),
                           "seccompProfile.type must be RuntimeDefault"),
    "unconfined seccomp": (lambda m, s: container_sc(s).update(seccompProfile={"type": "Unconfined"}),
                           "must not be Unconfined"),
    "unsafe sysctl": (lambda m, s: s["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "1"}]),
                      "not a safe sysctl"),
    "selinux user": (lambda m, s: container_sc(s).update(seLinuxOptions={"user": "system_u"}), "seLinuxOptions.user"),
    "unmasked proc": (lambda m, s: container_sc(s).update(procMount="Unmasked"), "procMount"),
    "apparmor unconfined": (lambda m, s: m.setdefault("annotations", {}).update(
        {"container.apparmor.security.beta.kubernetes.io/model": "unconfined"}), "apparmor"),
    "disallowed volume type": (lambda m, s: s["volumes"].append({"name": "n", "nfs": {"server": "x", "path": "/"}}),
                               "volumes are not allowed"),
    "fixed uid": (lambda m, s: s["securityContext"].update(runAsUser=1001), "runAsUser must be left to the SCC"),
    "fixed fsGroup": (lambda m, s: s["securityContext"].update(fsGroup=0), "fsGroup must be left to the SCC"),
    "writable root filesystem": (lambda m, s: container_sc(s).update(readOnlyRootFilesystem=False),
                                 "readOnlyRootFilesystem must be true"),
    "no writable /tmp": (lambda m, s: s["containers"][0].pop("volumeMounts"), "/tmp must be a writable emptyDir"),
    "service account token mounted": (lambda m, s: s.pop("automountServiceAccountToken"),
                                      "automountServiceAccountToken must be false"),
}


@pytest.mark.parametrize("rule", list(BREAKS))
def test_the_checker_reports_each_rule_broken_on_its_own(rule):
    meta, spec = good_pod()
    assert all_violations(meta, spec) == []
    breaker, message = BREAKS[rule]
    breaker(meta, spec)
    found = all_violations(meta, spec)
    assert any(message.lower() in v.lower() for v in found), found


def test_the_checker_applies_container_rules_to_init_containers_too():
    meta, spec = good_pod()
    spec["initContainers"] = [{"name": "init", "image": "busybox"}]
    found = restricted_violations(meta, spec)
    assert "spec.initContainers[0].securityContext.allowPrivilegeEscalation must be false" in found
    assert "spec.initContainers[0].securityContext.capabilities.drop must include ALL" in found


def test_pod_level_run_as_non_root_and_seccomp_cover_containers_that_do_not_set_them():
    meta, spec = good_pod()
    container_sc(spec).pop("runAsNonRoot")
    container_sc(spec).pop("seccompProfile")
    assert restricted_violations(meta, spec) == []
