"""An image run the way a container runtime runs it, without one: the image's own Entrypoint + Cmd
(or a pod's ``command``/``args`` over them) as PID 1 of a new PID namespace, over the image's root
(``buildah mount``), as an arbitrary uid; and a stop (SIGTERM to that PID 1) with a request in flight.

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
import socket
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from tests.image import s2i


def image_config(image: str) -> dict:
    out = subprocess.run(["buildah", "inspect", "--type", "image", image], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["OCIv1"]["config"]


def derive(image: str, tag: str, *, cmd: list[str] | None = None, env: dict | None = None,
           as_root: str | None = None) -> str:
    """``image`` changed and committed as ``tag``: ``as_root`` (a shell script) run in it as root, then
    its Cmd replaced with ``cmd`` (exec form, as ``s2i build`` without --as-dockerfile commits it)
    and ``env`` added to its Env. The rest of its config (Entrypoint, User, WorkingDir) is kept."""
    container = subprocess.run(["buildah", "from", image], capture_output=True, text=True, check=True).stdout.strip()
    try:
        if as_root:
            subprocess.run(["buildah", "run", "--isolation", "chroot", "--user", "0", container, "--", "/bin/sh", "-c",
                            as_root], check=True, capture_output=True)
        options = ["--cmd", json.dumps(cmd)] if cmd is not None else []
        for key, value in (env or {}).items():
            options += ["--env", f"{key}={value}"]
        if options:
            subprocess.run(["buildah", "config", *options, container], check=True, capture_output=True)
        subprocess.run(["buildah", "commit", "-q", container, tag], check=True, capture_output=True)
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
    return tag


def container_argv(config: dict, command: list[str] | None = None, args: list[str] | None = None) -> list[str]:
    """What a Kubernetes container runs, from the image's config and the pod's ``command``/``args``:
    ``command`` replaces the Entrypoint and drops the image's Cmd; ``args`` replaces the Cmd
    (kubernetes.io, "Define a Command and Arguments for a Container")."""
    if command is not None:
        return [*command, *(args or [])]
    return [*(config.get("Entrypoint") or []), *(args if args is not None else config.get("Cmd") or [])]


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
def run_as_pid1(image: str, log: Path, *, user: str = "12345:0", env: dict | None = None,
                command: list[str] | None = None, args: list[str] | None = None):
    """Run ``image``'s Entrypoint + Cmd (or a pod's ``command``/``args`` over them, see
    ``container_argv``) as PID 1 of a new PID namespace; yield a ``Pid1``.
    Whatever is left is killed at the end (SIGKILL to the namespace's init ends them all)."""
    config = image_config(image)
    argv = container_argv(config, command, args)
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


# ---- a stop with a request in flight -------------------------------------------------------------

def slow_request(run: Pid1, rows: list) -> dict:
    """A /predict request held in flight by its client across a SIGTERM to PID 1: half the body,
    the signal, 1.5 s, the rest. Returns the answer and the times."""
    body = json.dumps({"instances": rows}).encode()
    times = {}
    with socket.create_connection(("127.0.0.1", run.port), timeout=20) as conn:
        started = time.monotonic()
        conn.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:len(body) // 2])
        time.sleep(0.3)
        run.sigterm()
        times["signalled"] = time.monotonic()
        time.sleep(1.5)
        times["alive_after_1.5s"] = run.proc.poll() is None
        conn.sendall(body[len(body) // 2:])
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    times["answered"] = time.monotonic()
    times["own"] = times["answered"] - started
    head, _, payload = response.partition(b"\r\n\r\n")
    times["status"] = head.split(b" ")[1].decode() if head else None
    times["body"] = json.loads(payload) if payload else None
    return times


def stop_in_flight(image: str, log: Path, rows: list, *, command: list[str] | None = None,
                   args: list[str] | None = None) -> dict:
    """Run ``image`` as PID 1 (uid 12345:0; ``command``/``args`` as in a pod), stop it with a
    request in flight; returns the times, PID 1's name (``init``), the argv and the log."""
    with run_as_pid1(image, log, env={"WEB_CONCURRENCY": "2"}, command=command, args=args) as run:
        run.wait_ready(180)
        run.wait_workers(2)
        init = run.comm()
        times = slow_request(run, rows)
        code = run.proc.wait(30)
        times.update(code=code, exited=time.monotonic(), init=init, argv=run.argv)
    times["log"] = log.read_text()
    return times


def describe(times: dict) -> str:
    return (f"{times['argv']}: PID 1 is {times['init']}; the in-flight request took {times['own']:.2f} s and was "
            f"answered {times['answered'] - times['signalled']:.2f} s after SIGTERM ({times['status']}); everything "
            f"exited {times['code']} {times['exited'] - times['signalled']:.2f} s after SIGTERM")


def assert_drained(times: dict, rows: list) -> None:
    """The stop drained: the request in flight was answered in full, then everything exited 0 within
    2 s, and gunicorn's master logged that it handled the SIGTERM."""
    assert times["alive_after_1.5s"], "the server exited with a request in flight"
    assert times["status"] == "200" and len(times["body"]["predictions"]) == len(rows), times
    assert times["code"] == 0, times["log"][-2000:]
    assert times["exited"] - times["answered"] < 2, times["log"][-2000:]
    assert "Handling signal: term" in times["log"] and "Shutting down: Master" in times["log"], times["log"][-2000:]
