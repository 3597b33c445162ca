"""The Kubernetes "restricted" Pod Security Standard, checked field by field, plus what OpenShift's
``restricted-v2`` SCC adds and what nb2service's manifests promise on top (read-only root
filesystem with a writable ``/tmp``).

The rules are those of https://kubernetes.io/docs/concepts/security/pod-security-standards/ (the
"baseline" controls, which "restricted" includes, then the "restricted" ones), written from the
standard's tables; each violation names the field. "Containers" means containers, initContainers
and ephemeralContainers.
"""

from __future__ import annotations

BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                         "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                           "projected", "secret"}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _containers(spec: dict):
    for field in CONTAINER_LISTS:
        for i, container in enumerate(spec.get(field) or []):
            yield f"spec.{field}[{i}]", container, container.get("securityContext") or {}


def baseline_violations(meta: dict, spec: dict) -> list[str]:
    """Violations of the baseline controls."""
    found = []
    pod_sc = spec.get("securityContext") or {}
    if (pod_sc.get("windowsOptions") or {}).get("hostProcess"):
        found.append("spec.securityContext.windowsOptions.hostProcess must be unset or false")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            found.append(f"spec.{field} must be unset or false")
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            found.append(f"spec.volumes[{volume.get('name')}]: hostPath volumes are forbidden")
    for name, value in (meta.get("annotations") or {}).items():
        if name.startswith(APPARMOR_ANNOTATION) and not (value == "runtime/default" or value.startswith("localhost/")):
            found.append(f"annotation {name} must be runtime/default or localhost/*")
    for where, sc in [("spec.securityContext", pod_sc)] + [(p + ".securityContext", s) for p, _, s in _containers(spec)]:
        apparmor = (sc.get("appArmorProfile") or {}).get("type")
        if apparmor not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"{where}.appArmorProfile.type must be RuntimeDefault or Localhost")
        selinux = sc.get("seLinuxOptions") or {}
        if selinux.get("type", "") not in SELINUX_TYPES:
            found.append(f"{where}.seLinuxOptions.type {selinux['type']!r} is not allowed")
        for field in ("user", "role"):
            if selinux.get(field):
                found.append(f"{where}.seLinuxOptions.{field} must be unset")
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"{where}.seccompProfile.type must not be Unconfined")
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            found.append(f"spec.securityContext.sysctls: {sysctl.get('name')} is not a safe sysctl")
    for where, container, sc in _containers(spec):
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            found.append(f"{where}.securityContext.windowsOptions.hostProcess must be unset or false")
        if sc.get("privileged"):
            found.append(f"{where}.securityContext.privileged must be unset or false")
        added = set((sc.get("capabilities") or {}).get("add") or [])
        if added - BASELINE_CAPABILITIES:
            found.append(f"{where}.securityContext.capabilities.add: {sorted(added - BASELINE_CAPABILITIES)} "
                         "are beyond the baseline set")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"{where}.ports: hostPort must be unset or 0")
        if sc.get("procMount", "Default") != "Default":
            found.append(f"{where}.securityContext.procMount must be Default")
    return found


def restricted_violations(meta: dict, spec: dict) -> list[str]:
    """Violations of the restricted standard (baseline included)."""
    found = baseline_violations(meta, spec)
    pod_sc = spec.get("securityContext") or {}
    for volume in spec.get("volumes") or []:
        types = set(volume) - {"name"}
        if not types <= RESTRICTED_VOLUME_TYPES:
            found.append(f"spec.volumes[{volume.get('name')}]: {sorted(types - RESTRICTED_VOLUME_TYPES)} "
                         "volumes are not allowed")
    pod_non_root = pod_sc.get("runAsNonRoot") is True
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost")
    if pod_sc.get("runAsUser") == 0:
        found.append("spec.securityContext.runAsUser must not be 0")
    if pod_sc.get("runAsNonRoot") is False:
        found.append("spec.securityContext.runAsNonRoot must not be false")
    for where, _, sc in _containers(spec):
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{where}.securityContext.allowPrivilegeEscalation must be false")
        if sc.get("runAsNonRoot") is False or not (pod_non_root or sc.get("runAsNonRoot") is True):
            found.append(f"{where}.securityContext.runAsNonRoot must be true (here or in the pod's securityContext)")
        if sc.get("runAsUser") == 0:
            found.append(f"{where}.securityContext.runAsUser must not be 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp not in (None, "RuntimeDefault", "Localhost") or (seccomp is None and not pod_seccomp):
            found.append(f"{where}.securityContext.seccompProfile.type must be RuntimeDefault or Localhost "
                         "(here or in the pod's securityContext)")
        capabilities = sc.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"{where}.securityContext.capabilities.drop must include ALL")
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"{where}.securityContext.capabilities.add may only hold NET_BIND_SERVICE")
    return found


def openshift_restricted_v2_violations(meta: dict, spec: dict) -> list[str]:
    """What ``restricted-v2`` refuses beyond the standard: fixed ids, which the SCC assigns from the
    project's range (a manifest naming one fails in most projects)."""
    found = []
    pod_sc = spec.get("securityContext") or {}
    for field in ("runAsUser", "runAsGroup", "fsGroup", "supplementalGroups"):
        if pod_sc.get(field) not in (None, []):
            found.append(f"spec.securityContext.{field} must be left to the SCC")
    for where, _, sc in _containers(spec):
        for field in ("runAsUser", "runAsGroup"):
            if sc.get(field) is not None:
                found.append(f"{where}.securityContext.{field} must be left to the SCC")
    return found


def hardening_violations(meta: dict, spec: dict) -> list[str]:
    """nb2service's own promises: a read-only root filesystem with a writable emptyDir on /tmp,
    and no service account token in a pod that does not call the API."""
    found = []
    empty_dirs = {v["name"] for v in spec.get("volumes") or [] if "emptyDir" in v}
    for where, container, sc in _containers(spec):
        if sc.get("readOnlyRootFilesystem") is not True:
            found.append(f"{where}.securityContext.readOnlyRootFilesystem must be true")
        tmp = [m for m in container.get("volumeMounts") or [] if m.get("mountPath") == "/tmp"]
        if not tmp or tmp[0]["name"] not in empty_dirs or tmp[0].get("readOnly"):
            found.append(f"{where}: /tmp must be a writable emptyDir mount")
    if spec.get("automountServiceAccountToken") is not False:
        found.append("spec.automountServiceAccountToken must be false")
    return found


def all_violations(meta: dict, spec: dict) -> list[str]:
    return (restricted_violations(meta, spec) + openshift_restricted_v2_violations(meta, spec)
            + hardening_violations(meta, spec))
