"""Where an artifact is served when its build environment is gone: recreated from requirements.lock
(the whole round trip through the real CLI and server is in test_portable.py)."""

from __future__ import annotations

import json
import shutil

import pytest

from builder.config import ServeSettings
from builder.errors import EnvironmentGone, EnvironmentNotRecreated
from builder.serve.environment import lock_lines, python_version, serving_environment


def _gone(artifact, tmp_path) -> dict:
    meta = json.loads((artifact / "metadata.json").read_text())
    meta["environment"] = {"python": str(tmp_path / "gone/bin/python"), "path": str(tmp_path / "gone"),
                           "lib": str(tmp_path / "gone/nb2service-lib")}
    return meta


def test_the_lock_is_installed_as_pinned_but_nb2service_itself_is_left_out():
    lock = "numpy==2.1.0\n\nnb2service==0.1.0\nscikit-learn==1.5.2\n# a comment\nNB2Service==0.1\n"
    assert lock_lines(lock) == ["numpy==2.1.0", "scikit-learn==1.5.2"]


def test_the_python_to_recreate_is_the_minor_version_that_fitted_the_model():
    assert python_version({"python": "3.11.7"}) == "3.11"
    assert python_version({"libraries": {"python": "3.12.1"}}) == "3.12"
    with pytest.raises(EnvironmentGone, match="records no Python version"):
        python_version({})


def test_a_vanished_environment_without_a_lock_names_the_fix(artifact_copy, tmp_path):
    artifact = artifact_copy("churn")
    (artifact / "requirements.lock").unlink()
    with pytest.raises(EnvironmentGone, match="is gone and .*requirements.lock is missing") as err:
        serving_environment(artifact, _gone(artifact, tmp_path), ServeSettings(cache_dir=tmp_path / "cache"), print)
    assert "nb2service build" in str(err.value) and err.value.exit_code == 8


def test_offline_with_a_package_uv_never_downloaded_is_a_clear_error(artifact_copy, tmp_path, monkeypatch):
    artifact = artifact_copy("churn")
    (artifact / "requirements.lock").write_text("nb2service-test-never-published==0.0.1\n")
    monkeypatch.setenv("UV_OFFLINE", "1")
    said = []
    settings = ServeSettings(cache_dir=tmp_path / "cache")
    with pytest.raises(EnvironmentNotRecreated) as err:
        serving_environment(artifact, _gone(artifact, tmp_path), settings, said.append)
    assert err.value.exit_code == 11
    assert "could not be recreated from requirements.lock" in str(err.value)
    assert "nb2service-test-never-published" in str(err.value) and "UV_OFFLINE=1" in str(err.value)
    assert "recreating it from requirements.lock (1 package," in said[0]
    assert not list((tmp_path / "cache" / "runtimes").glob("*/nb2service-runtime.json"))  # not taken as made


def test_a_recreated_environment_is_reused_and_gets_the_running_builder(artifact_copy, tmp_path):
    artifact = artifact_copy("array")
    (artifact / "requirements.lock").write_text("")  # nothing to install: only the interpreter and builder
    settings = ServeSettings(cache_dir=tmp_path / "cache")
    said = []
    first = serving_environment(artifact, _gone(artifact, tmp_path), settings, said.append)
    assert first.python.exists() and (first.lib / "builder" / "serve" / "environment.py").is_file()
    assert "recreating it from requirements.lock" in said[0] and said[1].startswith("---> recreated in")
    again = serving_environment(shutil.copytree(artifact, tmp_path / "moved"), _gone(artifact, tmp_path),
                                settings, said.append)
    assert again == first and "recreated earlier" in said[2]
