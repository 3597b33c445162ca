"""The default number of gunicorn workers (``WEB_CONCURRENCY`` when unset), from the CPU and memory
this process may use, container (cgroup v1 and v2) limits included.

Like sclorg's s2i-python-container: at most two workers per CPU, at least 43 MiB plus 40 MiB per
worker of memory, clamped to 1..12. The model is loaded before forking, so its memory is shared
and not counted per worker.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

MIN_WORKERS, MAX_WORKERS = 1, 12
BASE_MIB, PER_WORKER_MIB = 43, 40
UNLIMITED = 1 << 60  # cgroup v1 reports "no limit" as a huge number


def default_workers(cgroup_root: Path = Path("/sys/fs/cgroup"), proc_cgroup: Path = Path("/proc/self/cgroup")) -> int:
    """Two workers per usable CPU, fewer when memory is short, clamped to 1..12."""
    cpus = cpu_limit(cgroup_root, proc_cgroup)
    memory = memory_limit(cgroup_root, proc_cgroup)
    workers = 2 * cpus
    if memory is not None:
        workers = min(workers, (memory // (1024 * 1024) - BASE_MIB) // PER_WORKER_MIB)
    return max(MIN_WORKERS, min(MAX_WORKERS, workers))


def cpu_limit(cgroup_root: Path, proc_cgroup: Path) -> int:
    """CPUs this process may run on: its affinity, lowered by a cgroup CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    for folder in _cgroup_dirs(cgroup_root, proc_cgroup, "cpu"):
        quota = _cpu_quota(folder)
        if quota is not None:
            return max(1, min(cpus, math.ceil(quota)))
    return cpus


def memory_limit(cgroup_root: Path, proc_cgroup: Path) -> int | None:
    """Bytes this process may use: the cgroup limit, else the machine's memory."""
    for folder in _cgroup_dirs(cgroup_root, proc_cgroup, "memory"):
        for name in ("memory.max", "memory.limit_in_bytes"):
            raw = _read(folder / name)
            if raw is not None and raw != "max" and raw.isdigit() and int(raw) < UNLIMITED:
                return int(raw)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _cpu_quota(folder: Path) -> float | None:
    raw = _read(folder / "cpu.max")  # v2: "QUOTA PERIOD" or "max PERIOD"
    if raw is not None:
        quota, _, period = raw.partition(" ")
        if quota != "max" and quota.isdigit() and period.isdigit() and int(period) > 0:
            return int(quota) / int(period)
        return None
    quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")  # v1
    if quota and period and quota.lstrip("-").isdigit() and period.isdigit() and int(quota) > 0 < int(period):
        return int(quota) / int(period)
    return None


def _cgroup_dirs(root: Path, proc_cgroup: Path, controller: str) -> list[Path]:
    """The folders that may hold this process's limits: its own cgroup's, then the root's."""
    found = []
    for line in (_read(proc_cgroup) or "").splitlines():
        _, controllers, path = line.split(":", 2) if line.count(":") >= 2 else ("", "", "")
        path = path.lstrip("/")
        if controllers == "":  # v2 unified hierarchy
            found.append(root / path)
        elif controller in controllers.split(","):  # v1: e.g. "4:cpu,cpuacct:/docker/abc"
            for name in (controllers, controller):
                found.append(root / name / path)
                found.append(root / name)
    found.append(root)
    return [p for p in dict.fromkeys(found) if p.is_dir()]


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None
