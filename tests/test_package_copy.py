"""The copy of ``builder`` an environment imports nb2service from (builder/package_copy.py)."""

from pathlib import Path

from builder import package_copy


def _package(tmp_path: Path, body: str) -> Path:
    pkg = tmp_path / "src" / "builder"
    (pkg / "serve").mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "serve" / "app.py").write_text(body)
    (pkg / "serve" / "__pycache__").mkdir(exist_ok=True)
    (pkg / "serve" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"stale")
    return pkg


def test_a_newer_version_gets_its_own_folder_and_leaves_the_one_a_server_runs_from(tmp_path, monkeypatch):
    env = tmp_path / "env"
    env.mkdir()
    monkeypatch.setattr(package_copy, "PACKAGE_DIR", _package(tmp_path, "VERSION = 1\n"))
    first = package_copy.versioned_copy(env)
    assert (first / "builder" / "serve" / "app.py").read_text() == "VERSION = 1\n"
    assert not (first / "builder" / "serve" / "__pycache__").exists()
    assert package_copy.versioned_copy(env) == first  # same code: the same folder, not copied again

    monkeypatch.setattr(package_copy, "PACKAGE_DIR", _package(tmp_path, "VERSION = 2\n"))
    second = package_copy.versioned_copy(env)
    assert second != first
    assert (second / "builder" / "serve" / "app.py").read_text() == "VERSION = 2\n"
    assert (first / "builder" / "serve" / "app.py").read_text() == "VERSION = 1\n"
    assert not list(env.glob(".*.partial"))


def test_the_images_one_build_environment_keeps_the_fixed_path(tmp_path, monkeypatch):
    env = tmp_path / "app-root"
    env.mkdir()
    monkeypatch.setattr(package_copy, "PACKAGE_DIR", _package(tmp_path, "VERSION = 1\n"))
    assert package_copy.fixed_copy(env) == env / "nb2service-lib"
    monkeypatch.setattr(package_copy, "PACKAGE_DIR", _package(tmp_path, "VERSION = 2\n"))
    lib = package_copy.fixed_copy(env)
    assert (lib / "builder" / "serve" / "app.py").read_text() == "VERSION = 2\n"
