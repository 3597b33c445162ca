"""Notebook parameters as papermill does them: the cell tagged `parameters` keeps its defaults, values
from `--param NAME=VALUE` and NB2SERVICE_PARAM_<NAME> are injected after it with their types, the
executed notebook shows them and metadata.json records them; mistakes stop the build early."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from builder.build.parameters import parse_value
from builder.config import build_settings
from builder.errors import UsageError
from tests.conftest import notebook

NB2SERVICE = str(Path(sys.executable).parent / "nb2service")
DEFAULTS = 'n_estimators = 10\nlearning_rate = 0.5\nlabel = "base"\nfeatures = ["a"]\nuse_bias = False\nlimit = None'
TRAIN = ("from sklearn.linear_model import LogisticRegression\n"
         "import numpy as np\n"
         "X_train = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])\n"
         "model = LogisticRegression(C=learning_rate, fit_intercept=use_bias).fit(X_train, [0, 1, 0, 1])")
CHECK = ("assert (n_estimators, learning_rate, label, features, use_bias, limit) == "
         "(200, 0.5, 'weekly', ['a', 'b'], True, {'rows': 5}), "
         "(n_estimators, learning_rate, label, features, use_bias, limit)\n"
         "assert type(n_estimators) is int and type(use_bias) is bool")


@pytest.mark.parametrize("text, value", [
    ("200", 200), ("-3", -3), ("0.25", 0.25), ("1e-3", 0.001), ("True", True), ("false", False), ("None", None),
    ("weekly", "weekly"), ("2025-01-01", "2025-01-01"), ('["a", "b"]', ["a", "b"]), ('{"rows": 5}', {"rows": 5}),
    ('"42"', "42"), ("", ""),
], ids=lambda v: repr(v))
def test_values_are_typed_as_papermill_types_them(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_a_value_that_looks_like_json_but_is_not_is_refused():
    with pytest.raises(UsageError, match="looks like JSON"):
        parse_value("[1, 2")


def test_the_command_line_overrides_the_environment_per_name():
    settings = build_settings({"NB2SERVICE_PARAM_label": "env", "NB2SERVICE_PARAM_n_estimators": "5"})
    settings = settings.with_options(params=("label=cli",))
    assert sorted(settings.parameters) == [("label", "cli", "--param"),
                                          ("n_estimators", "5", "NB2SERVICE_PARAM_n_estimators")]
    with pytest.raises(UsageError, match="NAME=VALUE"):
        settings.with_options(params=("no equals sign",))


def _cli(repo, out, *args, env=None):
    import os

    return subprocess.run([NB2SERVICE, "build", str(repo), "-o", str(out), "--no-install", *args],
                          capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})


def test_a_build_injects_the_parameters_after_the_tagged_cell_and_records_them(make_repo, tmp_path):
    repo = make_repo({"train.ipynb": notebook("import numpy as np", DEFAULTS, CHECK, TRAIN, tags={1: ["parameters"]})})
    out = tmp_path / "out"
    result = _cli(repo, out, "--param", "n_estimators=200", "--param", 'features=["a", "b"]',
                  "--param", "use_bias=True", "--param", 'limit={"rows": 5}',
                  env={"NB2SERVICE_PARAM_label": "weekly", "NB2SERVICE_PARAM_n_estimators": "7"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "n_estimators=200 (--param)" in result.stdout and "label='weekly' (NB2SERVICE_PARAM_label)" in result.stdout
    assert "n_estimators = 200 (--param; default 10)" in result.stdout  # the build summary
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["parameters"]["values"] == {"n_estimators": 200, "features": ["a", "b"], "use_bias": True,
                                            "limit": {"rows": 5}, "label": "weekly"}
    assert meta["parameters"]["sources"]["label"] == "NB2SERVICE_PARAM_label"
    assert meta["parameters"]["sources"]["n_estimators"] == "--param"
    assert meta["parameters"]["defaults"]["n_estimators"] == "10"
    assert meta["parameters"]["notebooks"] == ["train.ipynb"]
    executed = nbformat.read(out / meta["notebooks"][0]["executed"], as_version=4)
    sources = [c.source for c in executed.cells]
    injected = executed.cells[2]
    assert sources[1] == DEFAULTS and injected.metadata["tags"] == ["injected-parameters"]
    assert "n_estimators = 200" in injected.source and "limit = {'rows': 5}" in injected.source
    assert (repo / "train.ipynb").read_text().count("injected") == 0, "the source notebook is left alone"


def test_without_parameters_nothing_is_injected_and_metadata_says_none(make_repo, tmp_path):
    repo = make_repo({"train.ipynb": notebook("import numpy as np", DEFAULTS, TRAIN, tags={1: ["parameters"]})})
    result = _cli(repo, tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "out" / "metadata.json").read_text())["parameters"] is None


@pytest.mark.parametrize("case", ["unknown-name", "no-parameters-cell"])
def test_a_parameter_that_would_have_no_effect_stops_the_build_with_exit_2(make_repo, tmp_path, case):
    tags = {1: ["parameters"]} if case == "unknown-name" else None
    repo = make_repo({"train.ipynb": notebook("import numpy as np", DEFAULTS, TRAIN, tags=tags)})
    result = _cli(repo, tmp_path / "out", "--param", "n_estimator=3")
    assert result.returncode == 2, result.stdout + result.stderr
    message = result.stdout + result.stderr
    if case == "unknown-name":
        assert "parameter 'n_estimator' (--param) is not set in the 'parameters' cell" in message
        assert "n_estimators" in message  # the hint lists the real ones
    else:
        assert "no cell of train.ipynb is tagged 'parameters'" in message
    assert not (tmp_path / "out").exists()
