"""process_* metrics for the master and its workers, read from a /proc laid out as Linux lays it out."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from builder.serve.process_metrics import ServerProcesses, children

TICKS = os.sysconf("SC_CLK_TCK")


def _process(proc: Path, pid: int, ppid: int, rss_pages: int, cpu_ticks: int, fds: int, children_listed=None):
    folder = proc / str(pid)
    (folder / "fd").mkdir(parents=True)
    for fd in range(fds):
        (folder / "fd" / str(fd)).touch()
    # pid (comm) state ppid ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24): /proc/PID/stat
    fields = ["S", str(ppid)] + ["0"] * 9 + [str(cpu_ticks), "0"] + ["0"] * 6 + ["500", "123456789", str(rss_pages)]
    (folder / "stat").write_text(f"{pid} (gunicorn: worker) " + " ".join(fields) + " 0 0\n")
    (folder / "limits").write_text("Limit  Soft Limit  Hard Limit  Units\nMax open files  1024  4096  files\n")
    if children_listed is not None:
        (folder / "task" / str(pid)).mkdir(parents=True)
        (folder / "task" / str(pid) / "children").write_text(" ".join(map(str, children_listed)) + " ")


@pytest.fixture
def proc(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "stat").write_text("cpu 1 2 3\nbtime 1700000000\n")
    return proc


def _samples(collector) -> dict:
    registry = CollectorRegistry()
    registry.register(collector)
    found = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            found[(sample.name, sample.labels["role"], sample.labels["pid"])] = sample.value
    return found


@pytest.mark.parametrize("listed", [True, False], ids=["children-file", "scan-without-children-file"])
def test_the_master_and_each_child_are_described_with_pid_and_role(proc, listed):
    _process(proc, 10, 1, rss_pages=100, cpu_ticks=250, fds=3, children_listed=[11, 12] if listed else None)
    _process(proc, 11, 10, rss_pages=200, cpu_ticks=100, fds=5)
    _process(proc, 12, 10, rss_pages=300, cpu_ticks=50, fds=7)
    _process(proc, 13, 1, rss_pages=1, cpu_ticks=1, fds=1)  # not the master's: left out
    assert children(10, proc) == [11, 12]
    samples = _samples(ServerProcesses(master=10, proc=proc))
    page = resource.getpagesize()
    assert samples[("process_resident_memory_bytes", "master", "10")] == 100 * page
    assert samples[("process_resident_memory_bytes", "worker", "12")] == 300 * page
    assert samples[("process_cpu_seconds_total", "master", "10")] == pytest.approx(250 / TICKS)
    assert samples[("process_open_fds", "worker", "11")] == 5
    assert samples[("process_max_fds", "worker", "11")] == 1024
    assert samples[("process_start_time_seconds", "master", "10")] == pytest.approx(1700000000 + 500 / TICKS)
    assert {pid for (_, _, pid) in samples} == {"10", "11", "12"}


def test_a_worker_that_exits_between_listing_and_reading_is_left_out(proc):
    _process(proc, 10, 1, rss_pages=100, cpu_ticks=1, fds=1, children_listed=[11, 99])
    _process(proc, 11, 10, rss_pages=200, cpu_ticks=1, fds=1)
    samples = _samples(ServerProcesses(master=10, proc=proc))
    assert {pid for (_, _, pid) in samples} == {"10", "11"}


def test_outside_gunicorn_this_process_is_described():
    samples = _samples(ServerProcesses())
    assert {(role, pid) for (_, role, pid) in samples} == {("master", str(os.getpid()))}
