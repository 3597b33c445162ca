"""``process_*`` metrics (memory, CPU, open files, start time) for every process of the server.

prometheus_client's multiprocess mode leaves its process collector out: a worker answering
``/metrics`` would describe only itself. This collector reads ``/proc`` (through prometheus_client's
own ``ProcessCollector``, once per process) for gunicorn's master and each of its live workers,
at scrape time, and labels each series with the process's ``pid`` and ``role`` (``master`` or
``worker``). Series of a replaced worker disappear with it and its successor starts its own, so
``sum(rate(process_cpu_seconds_total[5m]))`` is the server's CPU use and
``sum(process_resident_memory_bytes)`` an upper bound of its memory (the model's pages, shared
after the fork, are counted in each process).

Outside gunicorn (the flask test client, ``flask run``) the one process is described, as ``master``.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client.metrics_core import Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

PROC = Path("/proc")


class ServerProcesses(Collector):
    """``process_*`` for the master whose pid is ``master`` (None: this process) and its children."""

    def __init__(self, master: int | None = None, proc: Path = PROC):
        self.master = master
        self.proc = proc

    def processes(self) -> list[tuple[int, str]]:
        """``[(pid, role)]``: the master, then its live children."""
        if self.master is None:
            return [(os.getpid(), "master")]
        return [(self.master, "master"), *((pid, "worker") for pid in children(self.master, self.proc))]

    def collect(self):
        families: dict[str, Metric] = {}
        for pid, role in self.processes():
            for family in ProcessCollector(pid=lambda pid=pid: pid, proc=str(self.proc), registry=None).collect():
                merged = families.get(family.name)
                if merged is None:
                    merged = families[family.name] = Metric(family.name, family.documentation, family.type)
                for sample in family.samples:
                    merged.add_sample(sample.name, {**sample.labels, "pid": str(pid), "role": role}, sample.value)
        return list(families.values())


def children(pid: int, proc: Path = PROC) -> list[int]:
    """The live child processes of ``pid`` (gunicorn's workers, for its master)."""
    listed = proc / str(pid) / "task" / str(pid) / "children"
    try:
        return [int(p) for p in listed.read_text().split()]
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN: look at every process's parent
        pass
    found = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_bytes()
            except OSError:
                continue
            fields = stat.rsplit(b")", 1)[-1].split()
            if len(fields) > 1 and int(fields[1]) == pid:  # state, then the parent's pid
                found.append(int(entry.name))
    return sorted(found)
