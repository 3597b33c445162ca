"""Which Python the build environment is made with: the notebook's recorded one when installed and
supported, else the build's own, always saying why (builder/interpreters.py). The build that uses
an installed Python 3.12 end to end is in tests/test_corpus.py."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pytest

from builder import interpreters
from builder.build.environment import find_uv

OWN = "{}.{}".format(*sys.version_info[:2])


@pytest.fixture
def no_pythons_here(tmp_path, monkeypatch):
    """A machine where nothing but the build's own Python can be found: an empty pyenv root, an
    empty PATH, no uv."""
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    return tmp_path / "pyenv"


def fake_install(root: Path, version: str, target: str) -> Path:
    """A pyenv-style install of ``version`` whose executable is ``target``."""
    short = ".".join(version.split(".")[:2])
    path = root / "versions" / version / "bin" / f"python{short}"
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    return path


def test_a_notebook_that_records_the_builds_own_python_runs_on_it():
    chosen = interpreters.choose(f"{OWN}.4", find_uv())
    assert chosen.path == sys.executable and chosen.version == platform.python_version()
    assert chosen.reason == f"the notebook records Python {OWN}.4, the build's own"


def test_a_notebook_that_records_no_python_runs_on_the_builds_own():
    chosen = interpreters.choose(None, find_uv())
    assert chosen.path == sys.executable and "records no Python version" in chosen.reason


@pytest.mark.parametrize("recorded", ["3.9.16", "3.7.12", "3.14.0", "2.7.18"])
def test_a_python_outside_the_supported_range_is_not_used_and_the_build_says_why(recorded):
    chosen = interpreters.choose(recorded, find_uv())
    assert chosen.path == sys.executable and chosen.recorded == recorded
    assert "outside the versions nb2service's in-environment code supports (3.10 to 3.13)" in chosen.reason


def test_no_install_and_an_existing_environment_keep_their_own_python(tmp_path):
    assert interpreters.choose("3.12.4", find_uv(), install=False).path == sys.executable
    existing = tmp_path / "app-root"
    (existing / "bin").mkdir(parents=True)
    (existing / "bin" / "python").symlink_to(sys.executable)
    chosen = interpreters.choose("3.12.4", find_uv(), existing=existing)
    assert chosen.path == str(existing / "bin" / "python") and chosen.version == platform.python_version()
    assert f"NB2SERVICE_ENV {existing} is an existing environment on Python {OWN}" in chosen.reason


def test_a_candidate_that_is_not_the_version_its_name_says_is_not_used(no_pythons_here):
    fake_install(no_pythons_here, "3.12.9", sys.executable)  # named 3.12, runs the build's own
    wanted = (3, 12) if sys.version_info[:2] != (3, 12) else (3, 13)
    assert interpreters.find(wanted, uv=None) is None
    chosen = interpreters.choose("{}.{}.4".format(*wanted), None)
    assert chosen.path == sys.executable
    assert "no Python {}.{} was found here".format(*wanted) in chosen.reason
    assert "uv python install {}.{}".format(*wanted) in chosen.reason


@pytest.fixture(scope="module")
def newer_python():
    """An installed Python other than the build's own (3.12, or 3.13 when the build runs 3.12)."""
    wanted = (3, 12) if sys.version_info[:2] != (3, 12) else (3, 13)
    found = interpreters.find(wanted, find_uv())
    if found is None:
        pytest.skip("no Python {}.{} installed here (uv python find, pyenv, PATH)".format(*wanted))
    return found


def test_a_pyenv_install_is_found_when_its_shims_fail_newest_patch_first(newer_python, no_pythons_here):
    short = newer_python.short
    fake_install(no_pythons_here, f"{short}.0", newer_python.path)
    newest_real = fake_install(no_pythons_here, f"{short}.50", newer_python.path)
    fake_install(no_pythons_here, f"{short}.99", sys.executable)  # claims the version, is not it
    chosen = interpreters.choose(f"{short}.4", None)
    assert chosen.path == str(newest_real) and chosen.found == "pyenv" and chosen.series == newer_python.series
    assert chosen.reason == f"the notebook records Python {short}.4"
    assert chosen.to_json()["supported"] == "3.10-3.13"
