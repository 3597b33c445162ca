"""The stop on a base that behaves like Red Hat's UBI where it matters to PID 1 (docs/s2i.md,
"On a UBI base"): no UBI image can be pulled here, so the churn app image is changed the way a
UBI 9 / ubi9/python-311 base differs from the Debian default: ``/bin/sh`` is bash (no dash), no
procps, and the python image's ``BASH_ENV``/``ENV``/``PROMPT_COMMAND`` (every non-interactive bash
sources the venv's activate script) and ``STI_SCRIPTS_PATH``. The default user 1001 in group 0 and
``HOME=/opt/app-root/src`` are already the same. Then the stop is tested as in
test_serving_image.py, with the container's command as a pod gives it (tests/image/pid1.py)."""

from __future__ import annotations

import pytest

from tests.image import pid1, s2i
from tests.image.conftest import tag

ACTIVATE = "/opt/app-root/bin/activate"
UBI_ENV = {"BASH_ENV": ACTIVATE, "ENV": ACTIVATE, "PROMPT_COMMAND": f". {ACTIVATE}",
           "STI_SCRIPTS_PATH": "/usr/libexec/s2i", "STI_SCRIPTS_URL": "image:///usr/libexec/s2i"}
# bash owns /usr/bin/sh on RHEL (bash.spec); Debian's dash goes, and procps is absent (as in ubi-minimal)
AS_UBI = "set -e; ln -sfn bash /usr/bin/sh; rm -f /usr/bin/dash; ! command -v ps"
RUN = "/usr/libexec/s2i/run"


@pytest.fixture(scope="module")
def ubi_like(app_images):
    app, _ = app_images("churn")
    image = pid1.derive(app, tag("churn-ubi-like"), env=UBI_ENV, as_root=AS_UBI)
    yield image, s2i.examples(app)
    s2i.remove_image(image)


def test_the_ubi_like_image_has_bash_as_sh_and_sources_bash_env(ubi_like):
    image, _ = ubi_like
    probe = s2i.run_in(image, "/bin/sh", "-c", 'echo "sh=$BASH_VERSION"; command -v ps dash || echo "no ps, no dash"',
                       user="12345:0")
    assert probe.returncode == 0 and "sh=5." in probe.stdout and "no ps, no dash" in probe.stdout, probe
    # a non-interactive bash (the entrypoint, s2i's run) sources BASH_ENV: the venv is active in it
    probe = s2i.run_in(image, "/bin/bash", "-c", 'echo "venv=$VIRTUAL_ENV"', user="12345:0")
    assert "venv=/opt/app-root" in probe.stdout, probe


@pytest.mark.parametrize("how, pod, init", [
    ("the image's Cmd, shell form", {}, "dumb-init"),
    ("Deployment args, exec form", {"args": [RUN]}, "dumb-init"),
    # `command:` replaces the Entrypoint: no dumb-init, PID 1 is /bin/sh, and bash exec's a lone command
    ("Deployment command /bin/sh -c", {"command": ["/bin/sh", "-c", RUN]}, "not a shell"),
])
def test_on_a_ubi_like_base_sigterm_to_pid1_lets_the_request_in_flight_finish_and_everything_exits_0(
        how, pod, init, ubi_like, tmp_path):
    image, rows = ubi_like
    times = pid1.stop_in_flight(image, tmp_path / "run.log", rows, **pod)
    print(f"UBI-like base, {how}: {pid1.describe(times)}")
    if init == "not a shell":
        assert times["init"] not in {"sh", "bash", "dash"}, times["init"]
    else:
        assert times["init"] == init
    pid1.assert_drained(times, rows)
