"""An image run the way a container runtime runs it, without one: the image's own Entrypoint + Cmd
as PID 1 of a new PID namespace, over the image's root (``buildah mount``), as an arbitrary uid.

``unshare --pid --fork --mount-proc=ROOT/proc`` makes the namespace (and a mount namespace, where
/dev is bound in), ``chroot --userspec=UID:GID ROOT`` enters the root as that user, and
``env -i -C WORKDIR <image Env>`` gives the process exactly the image's environment. Each step
exec's the next, so PID 1 in the namespace is the image's Entrypoint (or, without one, its Cmd):
what CRI-O, runc and crun start. A signal sent from outside to that PID 1 is delivered only if it
handles the signal (the kernel's rule for a namespace's init), as in a pod.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from tests.image import s2i


def image_config(image: str) -> dict:
    out = subprocess.run(["buildah", "inspect", "--type", "image", image], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["OCIv1"]["config"]


def with_cmd(image: str, cmd: list[str], tag: str) -> str:
    """``image`` with its Cmd replaced (as ``s2i build`` without --as-dockerfile commits it: exec form)."""
    container = subprocess.run(["buildah", "from", image], capture_output=True, text=True, check=True).stdout.strip()
    try:
        subprocess.run(["buildah", "config", "--cmd", json.dumps(cmd), container], check=True, capture_output=True)
        subprocess.run(["buildah", "commit", "-q", container, tag], check=True, capture_output=True)
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
    return tag


class Pid1:
    """The running image: ``proc`` is ``unshare`` on the host, ``init`` the host pid of its PID 1."""

    def __init__(self, proc: subprocess.Popen, log: Path, port: int, argv: list[str]):
        self.proc, self.log, self.port, self.argv = proc, log, port, argv
        self.base = f"http://127.0.0.1:{port}"
        self.init = self._child(proc.pid)

    @staticmethod
    def _child(pid: int, within: float = 10) -> int:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if children:
                return int(children[0])
            time.sleep(0.02)
        raise AssertionError("unshare started no PID 1")

    def comm(self) -> str:
        return Path(f"/proc/{self.init}/comm").read_text().strip()

    def sigterm(self) -> None:
        """SIGTERM to PID 1 (from outside its namespace: delivered only if PID 1 handles it)."""
        os.kill(self.init, signal.SIGTERM)

    def wait_workers(self, count: int, within: float = 60) -> None:
        """Wait until gunicorn has booted ``count`` workers (a stop is tested on a settled server)."""
        deadline = time.monotonic() + within
        while self.log.read_text().count("Booting worker") < count and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)

    def wait_ready(self, within: float = 120) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the image's command exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if s2i.http(f"{self.base}/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"not ready within {within} s:\n{self.log.read_text()[-3000:]}")


@contextmanager
def run_as_pid1(image: str, log: Path, *, user: str = "12345:0", env: dict | None = None):
    """Run ``image``'s Entrypoint + Cmd as PID 1 of a new PID namespace; yield a ``Pid1``.
    Whatever is left is killed at the end (SIGKILL to the namespace's init ends them all)."""
    config = image_config(image)
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    port = s2i.free_port()
    environment = [e for e in config.get("Env", []) if not e.startswith("PORT=")] + [f"PORT={port}"]
    environment += [f"{k}={v}" for k, v in (env or {}).items()]
    container = subprocess.run(["buildah", "from", image], capture_output=True, text=True, check=True).stdout.strip()
    root = subprocess.run(["buildah", "mount", container], capture_output=True, text=True, check=True).stdout.strip()
    enter = ["chroot", f"--userspec={user}", root, "/usr/bin/env", "-i", "-C", config.get("WorkingDir") or "/",
             *environment, *argv]
    inner = f"mount --rbind /dev {shlex.quote(root)}/dev && exec {shlex.join(enter)}"
    out = open(log, "w")
    proc = subprocess.Popen(["unshare", "--pid", "--fork", f"--mount-proc={root}/proc", "/bin/sh", "-c", inner],
                            stdout=out, stderr=subprocess.STDOUT)
    try:
        running = Pid1(proc, log, port, argv)
        yield running
    finally:
        if proc.poll() is None:
            try:
                os.kill(running.init, signal.SIGKILL)
            except (OSError, NameError):
                proc.kill()
            proc.wait(30)
        out.close()
        subprocess.run(["buildah", "umount", container], capture_output=True)
        subprocess.run(["buildah", "rm", container], capture_output=True)
