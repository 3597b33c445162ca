"""A real server: `nb2service serve` (gunicorn) on an ephemeral 127.0.0.1 port, started as a user
starts it, waited for until ready, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

NB2SERVICE = str(Path(sys.executable).parent / "nb2service")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, artifact: Path, log: Path, workers: int = 1, env: dict | None = None,
                 args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.output = open(log, "w")
        self.proc = subprocess.Popen([NB2SERVICE, "serve", str(artifact), "--port", str(self.port), "--workers",
                                      str(workers), *args], stdout=self.output, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})
        self.probes: list = []

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                status = requests.get(self.url + "/readyz", timeout=2).status_code
            except requests.ConnectionError:
                status = None
            self.probes.append(status)
            if status == 200:
                return
            time.sleep(0.1)
        pytest.fail(f"not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        finally:
            self.output.close()


class LazyServers(dict):
    """``servers[key]``: one default server for ``sources[key]``, started on first use and shared by
    the tests that only send requests; ``stop_all()`` at the end of their scope."""

    def __init__(self, sources, logs: Path):
        super().__init__()
        self._sources, self._logs = sources, logs

    def __missing__(self, key):
        server = self[key] = Server(self._sources[key], self._logs / f"{key}.log")
        server.wait_ready()
        return server

    def stop_all(self) -> None:
        for server in self.values():
            server.stop()
