"""The build environment: its cache key and how index settings reach the installer."""

import sys

from builder.build import environment
from builder.build.environment import environment_key, prepare_environment
from builder.config import BuildSettings, IndexSettings, build_settings


def test_the_cache_key_ignores_order_but_not_content_or_index():
    base = environment_key(["pandas", "scikit-learn>=1.3"], IndexSettings())
    assert environment_key(["scikit-learn>=1.3", "pandas"], IndexSettings()) == base
    assert environment_key(["pandas", "scikit-learn>=1.4"], IndexSettings()) != base
    assert environment_key(["pandas", "scikit-learn>=1.3"], IndexSettings(index_url="https://mirror/simple")) != base


def test_pip_index_variables_are_read_and_passed_to_uv(monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.example/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://a.example/simple https://b.example/simple")
    monkeypatch.setenv("PIP_TRUSTED_HOST", "mirror.example")
    index = build_settings().index
    assert index.installer_args("--allow-insecure-host") == [
        "--index-url", "https://mirror.example/simple", "--extra-index-url", "https://a.example/simple",
        "--extra-index-url", "https://b.example/simple", "--allow-insecure-host", "mirror.example"]


def test_no_install_uses_this_interpreter_and_creates_nothing(tmp_path):
    env = prepare_environment(["pandas"], BuildSettings(install=False, cache_dir=tmp_path))
    assert env.python == environment.Path(sys.executable) and env.root is None
    assert not any(tmp_path.iterdir())


def test_a_half_made_cached_environment_is_made_again(tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(environment, "_create", lambda root, lines, index, log, keep_existing, base: (
        made.append((root, keep_existing)), (root / "bin").mkdir(parents=True, exist_ok=True), (root / "bin" / "python").touch()))
    settings = BuildSettings(cache_dir=tmp_path)
    first = prepare_environment(["pandas"], settings, log=lambda m: None)
    second = prepare_environment(["pandas"], settings, log=lambda m: None)
    assert (first.reused, second.reused) == (False, True) and len(made) == 1
    (first.root / environment.MARKER).unlink()  # as if the install had been interrupted
    third = prepare_environment(["pandas"], settings, log=lambda m: None)
    assert third.reused is False and made[-1] == (first.root, False)
    assert (third.lib / "builder" / "model" / "served.py").is_file()
