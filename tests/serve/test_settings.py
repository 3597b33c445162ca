"""Serving settings from the environment, worker counts from cgroup limits, gunicorn options."""

import pytest

from builder.config import ServeSettings, serve_settings
from builder.errors import UsageError
from builder.serve.gunicorn_app import gunicorn_options
from builder.serve.workers import default_workers


def test_defaults_serve_on_localhost_8080_with_one_blas_thread():
    settings = serve_settings({})
    assert (settings.host, settings.port, settings.workers, settings.model_name) == ("127.0.0.1", 8080, None, None)
    assert settings.thread_environment() == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_s2i_and_gunicorn_names_are_read_as_they_are():
    settings = serve_settings({"PORT": "9000", "WEB_CONCURRENCY": "3", "MODEL_NAME": "m", "GUNICORN_CMD_ARGS": "--keep-alive 5",
                               "NB2SERVICE_TIMEOUT": "5", "NB2SERVICE_MAX_REQUEST_BYTES": "1000",
                               "OMP_NUM_THREADS": "4"})
    assert (settings.port, settings.workers, settings.model_name, settings.timeout) == (9000, 3, "m", 5)
    assert settings.max_request_bytes == 1000 and settings.thread_environment()["OMP_NUM_THREADS"] == "4"


def test_command_line_options_override_the_environment():
    assert serve_settings({"PORT": "9000"}).with_options(port=7000, host=None).port == 7000


@pytest.mark.parametrize("env, words", [
    ({"PORT": "http"}, "PORT='http' is not a whole number"),
    ({"PORT": "70000"}, "not a TCP port"),
    ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY=0 must be at least 1"),
    ({"NB2SERVICE_DRIFT": "maybe"}, "not a yes/no value"),
], ids=["port-not-a-number", "port-out-of-range", "no-workers", "drift-not-a-flag"])
def test_bad_values_are_usage_errors_naming_the_variable(env, words):
    with pytest.raises(UsageError, match=words):
        serve_settings(env)


def _cgroup(tmp_path, files: dict, proc: str = "0::/\n"):
    root = tmp_path / "cgroup"
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "proc").write_text(proc)
    return root, tmp_path / "proc"


def test_workers_follow_a_cgroup_v2_cpu_quota(tmp_path, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    root, proc = _cgroup(tmp_path, {"cpu.max": "150000 100000\n", "memory.max": "max\n"})
    assert default_workers(root, proc) == 4  # ceil(1.5) CPUs, two workers each


def test_workers_are_capped_by_a_cgroup_v1_memory_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    root, proc = _cgroup(tmp_path, {"memory/docker/x/memory.limit_in_bytes": str(200 * 1024 * 1024)},
                         proc="4:memory:/docker/x\n1:cpu,cpuacct:/docker/x\n")
    assert default_workers(root, proc) == 3  # (200 MiB - 43) / 40


def test_workers_are_clamped_to_1_through_12(tmp_path, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)))
    root, proc = _cgroup(tmp_path, {"memory.max": str(64 * 1024 ** 3)})
    assert default_workers(root, proc) == 12
    root2, proc2 = _cgroup(tmp_path / "small", {"memory.max": str(50 * 1024 ** 2)})
    assert default_workers(root2, proc2) == 1


def test_gunicorn_preloads_and_gunicorn_cmd_args_override_our_settings_but_not_our_command_line():
    settings = ServeSettings(port=8000, workers=2, gunicorn_cmd_args="--workers 5 --bind 0.0.0.0:9000 --keep-alive 7")
    options = gunicorn_options(settings, "m")
    assert options["preload_app"] is True and options["workers"] == 5 and options["bind"] == ["0.0.0.0:9000"]
    assert options["keepalive"] == 7
    explicit = gunicorn_options(settings, "m", frozenset({"port", "workers"}))
    assert explicit["bind"] == ["127.0.0.1:8000"] and explicit["workers"] == 2


@pytest.mark.parametrize("args", ["--no-such-option", "app:app"], ids=["unknown-option", "an-app"])
def test_bad_gunicorn_cmd_args_are_refused_early(args):
    with pytest.raises(UsageError, match="GUNICORN_CMD_ARGS"):
        gunicorn_options(ServeSettings(gunicorn_cmd_args=args), "m")


def test_serving_reexecutes_in_the_build_environment_with_its_lib_on_pythonpath(artifacts, tmp_path):
    import json
    import sys

    from builder.serve.environment import serving_environment
    from builder.serve.launch import build_env_command

    meta = json.loads((artifacts["churn"] / "metadata.json").read_text())
    assert serving_environment(artifacts["churn"], meta, ServeSettings(), print) is None  # already there
    other = tmp_path / "venv" / "bin" / "python"
    other.parent.mkdir(parents=True)
    other.symlink_to(sys.executable)
    (tmp_path / "lib").mkdir()
    meta["environment"] = {"python": str(other), "path": str(tmp_path / "venv"), "lib": str(tmp_path / "lib")}
    env = serving_environment(artifacts["churn"], meta, ServeSettings(), print)
    settings = ServeSettings(port=9, model_name="churn-v2")
    python, argv, env_vars = build_env_command(artifacts["churn"], env, settings, frozenset({"port", "model_name"}))
    assert python == str(other) and argv[1:3] == ["-m", "builder.serve"]
    assert argv[-4:] == ["--model-name", "churn-v2", "--port", "9"]  # the options as the CLI spells them
    assert env_vars["PYTHONPATH"].split(":")[0] == str(tmp_path / "lib")


def test_an_empty_web_concurrency_means_the_default_and_never_reaches_gunicorn(monkeypatch, tmp_path):
    import os

    from builder.serve.launch import prepare_process

    monkeypatch.setenv("WEB_CONCURRENCY", "")
    settings = serve_settings()
    assert settings.workers is None
    prepare_process(settings.with_options(metrics_dir=str(tmp_path / "metrics")))
    assert "WEB_CONCURRENCY" not in os.environ  # gunicorn reads it at import and crashes on ""
