"""What `s2i build --as-dockerfile` does, for machines without the s2i binary, and buildah around it.

``write_context`` lays out the build context the way s2i does (``upload/src``, ``upload/scripts``
from the repo's ``.s2i/bin``) and writes the Containerfile s2i writes (source-to-image's
pkg/build/strategies/dockerfile): an optional ``cached`` stage running save-artifacts in the
previous image, FROM the builder, ``USER 1001``, the build labels, ENV from ``.s2i/environment``
and ``-e``, ``COPY --chown=1001:0`` of scripts and source, RUN assemble, CMD run.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
SCRIPTS = "/usr/libexec/s2i"
USER = "1001"


def read_environment_file(path: Path) -> list[tuple[str, str]]:
    """``.s2i/environment``: KEY=VALUE lines; blank lines and ``#`` comments skipped (as s2i does)."""
    pairs = []
    if path.is_file():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                pairs.append((key.strip(), value))
    return pairs


def git_labels(repo: Path) -> dict[str, str]:
    """The labels s2i derives from the source's git checkout (empty when it is not one)."""
    fmt = {"id": "%H", "author": "%an <%ae>", "date": "%ad", "message": "%s"}
    labels = {}
    for key, spec in fmt.items():
        out = subprocess.run(["git", "-C", str(repo), "log", "-1", f"--format={spec}"], capture_output=True, text=True)
        if out.returncode != 0:
            return {}
        labels[f"io.openshift.s2i.build.commit.{key}"] = out.stdout.strip()
    ref = subprocess.run(["git", "-C", str(repo), "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True)
    labels["io.openshift.s2i.build.commit.ref"] = ref.stdout.strip()
    labels["io.openshift.s2i.build.source-location"] = str(repo)
    return labels


def _quote(value: str) -> str:
    return json.dumps(value)


def write_context(repo: Path, ctx: Path, builder: str, *, env: dict[str, str] | None = None,
                  incremental_from: str | None = None, user: str = USER) -> Path:
    """Lay out ``ctx`` as ``s2i build --as-dockerfile ctx/Containerfile REPO BUILDER`` would
    (``user``: s2i's ``--assemble-user``, 1001 by default)."""
    if ctx.exists():
        shutil.rmtree(ctx)
    src = ctx / "upload" / "src"
    shutil.copytree(repo, src, ignore=shutil.ignore_patterns(".nb2service", ".ipynb_checkpoints"))
    scripts = ctx / "upload" / "scripts"
    scripts.mkdir(parents=True)
    provided = set()
    if (repo / ".s2i" / "bin").is_dir():
        for script in (repo / ".s2i" / "bin").iterdir():
            shutil.copy2(script, scripts / script.name)
            provided.add(script.name)
    lines = []
    if incremental_from:
        lines += [f"FROM {incremental_from} as cached", f"USER {user}"]
        save = "/tmp/scripts/save-artifacts" if "save-artifacts" in provided else f"{SCRIPTS}/save-artifacts"
        if "save-artifacts" in provided:
            lines.append(f"COPY --chown={user}:0 upload/scripts/save-artifacts {save}")
        lines.append(f"RUN if [ -s {save} ]; then {save} > /tmp/artifacts.tar; else touch /tmp/artifacts.tar; fi")
    lines += [f"FROM {builder}", f"USER {user}"]
    if incremental_from:
        lines += [f"COPY --from=cached --chown={user}:0 /tmp/artifacts.tar /tmp/artifacts.tar",
                  "RUN if [ -s /tmp/artifacts.tar ]; then mkdir -p /tmp/artifacts; "
                  "tar -xf /tmp/artifacts.tar -C /tmp/artifacts; fi && \\\n    rm /tmp/artifacts.tar"]
    labels = {**git_labels(repo), "io.openshift.s2i.build.image": builder}
    lines.append("LABEL " + " \\\n      ".join(f"{_quote(k)}={_quote(v)}" for k, v in sorted(labels.items())))
    pairs = read_environment_file(repo / ".s2i" / "environment") + list((env or {}).items())
    if pairs:
        lines.append("ENV " + " \\\n    ".join(f"{k}={_quote(v)}" for k, v in pairs))
    if provided:
        lines.append(f"COPY --chown={user}:0 upload/scripts /tmp/scripts")
    lines.append(f"COPY --chown={user}:0 upload/src /tmp/src")
    assemble = "/tmp/scripts/assemble" if "assemble" in provided else f"{SCRIPTS}/assemble"
    run = "/tmp/scripts/run" if "run" in provided else f"{SCRIPTS}/run"
    lines += [f"RUN {assemble}", f"CMD {run}"]
    path = ctx / "Containerfile"
    path.write_text("\n".join(lines) + "\n")
    return path


def bud(ctx: Path, tag: str, *, build_args: dict[str, str] | None = None, volumes: list[str] = (),
        file: Path | None = None, timeout: int = 1200) -> tuple[subprocess.CompletedProcess, float]:
    """``buildah bud`` (chroot isolation, the host's CA bundle mounted for the package index)."""
    cmd = ["buildah", "bud", "--isolation", "chroot", "-f", str(file or ctx / "Containerfile"), "-t", tag,
           "-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    for volume in volumes:
        cmd += ["-v", volume]
    for key, value in (build_args or {}).items():
        cmd += ["--build-arg", f"{key}={value}"]
    start = time.monotonic()
    result = subprocess.run([*cmd, str(ctx)], capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextmanager
def running(image: str, *, user: str = "12345:0", ready_within: float = 120):
    """Run ``image``'s run script as ``user`` on a free host port; yield ``(base_url, logs)``."""
    name = subprocess.run(["buildah", "from", image], capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    log = Path(f"/tmp/{name}.log")
    with open(log, "w") as out:
        proc = subprocess.Popen(["buildah", "run", "--isolation", "chroot", "--user", user, "--env", f"PORT={port}",
                                 name, "--", f"{SCRIPTS}/run"], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"the service exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if http(f"{base}/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError(f"not ready within {ready_within} s:\n{log.read_text()[-3000:]}")
        yield base, log
    finally:
        stop(proc)
        subprocess.run(["buildah", "rm", name], capture_output=True)
        log.unlink(missing_ok=True)


def stop(proc: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM the run script's process group (gunicorn drains), then SIGKILL what is left."""
    import os
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def remove_image(tag: str) -> None:
    subprocess.run(["buildah", "rmi", "-f", tag], capture_output=True)


def run_in(image: str, *command: str, user: str = "1001") -> subprocess.CompletedProcess:
    """``command`` run in a new container of ``image`` as ``user`` (stdout and stderr captured)."""
    name = subprocess.run(["buildah", "from", image], capture_output=True, text=True, check=True).stdout.strip()
    try:
        return subprocess.run(["buildah", "run", "--isolation", "chroot", "--user", user, name, "--", *command],
                              capture_output=True, text=True, timeout=120)
    finally:
        subprocess.run(["buildah", "rm", name], capture_output=True)


def examples(image: str) -> list:
    """The example rows the build recorded in the image's model metadata."""
    return json.loads(read(image, "/opt/app-root/model/metadata.json"))["examples"]


@contextmanager
def mounted(image: str):
    """The root of a new container of ``image``, mounted on the host (read with host tools: no
    container runtime in between, so nothing left over from a previous container's run can fail it)."""
    container = _buildah("from", image)
    try:
        yield Path(_buildah("mount", container))
    finally:
        subprocess.run(["buildah", "umount", container], capture_output=True)
        subprocess.run(["buildah", "rm", container], capture_output=True)


def _buildah(*args: str) -> str:
    """``buildah ARGS``'s stdout, stripped; its stderr in the error when it fails."""
    done = subprocess.run(["buildah", *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"buildah {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


def read(image: str, path: str) -> str:
    """The text of ``path`` in ``image``."""
    with mounted(image) as root:
        return (root / path.lstrip("/")).read_text()


def listing(image: str, pattern: str) -> set[str]:
    """The names of the entries of the directories matching ``pattern`` (a glob) in ``image``."""
    with mounted(image) as root:
        return {entry.name for folder in root.glob(pattern.lstrip("/")) for entry in folder.iterdir()}
