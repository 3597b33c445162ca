"""Faults at start and hostile surroundings: a missing, truncated or tampered model file stops the start
with a clear message and a non-zero exit, and nothing listens; the service runs with the root
filesystem read-only apart from /tmp, as an arbitrary uid in group 0 (OpenShift's restricted SCC)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from tests.serve.test_end_to_end import NB2SERVICE, Server, _free_port

from .conftest import HERE


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _missing(artifact):
    (artifact / "model.joblib").unlink()


def _truncated(artifact):
    data = (artifact / "model.joblib").read_bytes()
    (artifact / "model.joblib").write_bytes(data[: len(data) // 2])


def _tampered(artifact):  # same size, one byte changed
    data = bytearray((artifact / "model.joblib").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (artifact / "model.joblib").write_bytes(bytes(data))


def _truncated_and_resigned(artifact):  # someone "fixed" the checksum too: the load itself must fail cleanly
    _truncated(artifact)
    meta = json.loads((artifact / "metadata.json").read_text())
    meta["model"]["sha256"] = _sha(artifact / "model.joblib")
    (artifact / "metadata.json").write_text(json.dumps(meta))


def _metadata_garbled(artifact):
    (artifact / "metadata.json").write_text("{not json")


FAULTS = {
    "missing": (_missing, "the model file is missing; refusing to start"),
    "truncated": (_truncated, "does not match metadata.json"),
    "tampered": (_tampered, "does not match metadata.json"),
    "truncated-with-matching-sha256": (_truncated_and_resigned, "cannot be loaded"),
    "metadata-garbled": (_metadata_garbled, "metadata.json: unreadable"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_broken_model_file_at_start_exits_non_zero_with_a_clear_message_and_never_serves(
        reliability_artifacts, tmp_path, fault):
    artifact = Path(shutil.copytree(reliability_artifacts["churn"], tmp_path / "churn"))
    damage, message = FAULTS[fault]
    damage(artifact)
    port = _free_port()
    result = subprocess.run([NB2SERVICE, "serve", str(artifact), "--port", str(port)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 8, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and message in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "Listening at" not in result.stderr + result.stdout
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing is listening


class ConfinedServer(Server):
    """``nb2service serve`` in a private mount namespace where / is read-only except /tmp, as uid 12345, gid 0."""

    UID = 12345

    def __init__(self, artifact: Path, log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.output = open(log, "w")
        confine = ("mount --bind /tmp /tmp && mount -o remount,bind,ro / && "
                   f'exec setpriv --reuid={self.UID} --regid=0 --clear-groups --inh-caps=-all "$@"')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PROMETHEUS"))}
        env.update(HOME="/", PYTHONPATH=str(HERE), PYTHONDONTWRITEBYTECODE="0")
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", confine, "sh",
             NB2SERVICE, "serve", str(artifact), "--port", str(self.port), "--workers", "2"],
            stdout=self.output, stderr=subprocess.STDOUT, env=env)
        self.probes = []


def _can_confine() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                            "mount --bind /tmp /tmp && mount -o remount,bind,ro /"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _can_confine(), reason="needs root and mount namespaces (unshare) to make / read-only")
def test_the_service_runs_on_a_read_only_root_filesystem_as_an_arbitrary_uid_in_group_0(
        reliability_artifacts, world_readable_copy, tmp_path):
    artifact = world_readable_copy(reliability_artifacts["churn"])
    for path in [artifact, *artifact.rglob("*")]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    server = ConfinedServer(artifact, tmp_path / "confined.log")
    try:
        server.wait_ready()
        status = Path(f"/proc/{server.proc.pid}/status").read_text()
        assert f"Uid:\t{ConfinedServer.UID}\t" in status and "Gid:\t0\t" in status
        root = next(line.split() for line in Path(f"/proc/{server.proc.pid}/mountinfo").read_text().splitlines()
                    if line.split()[4] == "/")
        assert root[5].startswith("ro"), root  # the root filesystem is read-only for the service
        rows = json.loads((artifact / "metadata.json").read_text())["examples"]
        for _ in range(20):  # both workers answer
            response = requests.post(server.url + "/predict", json={"instances": rows})
            assert response.status_code == 200, response.text
        assert "nb2service_requests_total" in requests.get(server.url + "/metrics").text
    finally:
        code = server.stop()
    log = server.log.read_text()
    assert code == 0, log[-3000:]
    assert "Read-only file system" not in log and "Permission denied" not in log, log[-3000:]
