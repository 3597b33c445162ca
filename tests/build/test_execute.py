"""Running notebooks headless: magics, skip tags, timeouts, working directory, nachlass stages.

These use ``--no-install`` (the test interpreter) so each costs one kernel start, not an install.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import nbformat
import pytest

from builder.build import build
from builder.config import build_settings
from builder.errors import ModelNotFound, NotebookExecutionError
from builder.report import Reporter
from tests.conftest import notebook

FIT = ("from sklearn.linear_model import LogisticRegression\n"
       "import numpy as np\n"
       "X_train = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])\n"
       "y_train = np.array([0, 1, 0, 1])\n"
       "model = LogisticRegression().fit(X_train, y_train)")


def run_build(repo, tmp_path, **options):
    settings = build_settings().with_options(install=False, **options)
    out = tmp_path / "out"
    meta = build(repo, out, settings, Reporter(stream=io.StringIO()))
    return out, meta


def test_magics_shell_lines_and_relative_paths_work_from_the_notebook_folder(make_repo, tmp_path):
    repo = make_repo({
        "analysis/train.ipynb": notebook(
            "%matplotlib inline",
            "%%time\nimport pandas as pd\nframe = pd.read_csv('../data/points.csv')",
            "!echo shell-ran > shell.txt",
            "import os\nassert os.environ['MPLBACKEND'] == 'Agg'\nassert open('shell.txt').read().strip() == 'shell-ran'",
            "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
            "from sklearn.linear_model import LogisticRegression\n"
            "X_train = frame[['a', 'b']]\nmodel = LogisticRegression().fit(X_train, frame['y'])"),
        "data/points.csv": "a,b,y\n0,1,0\n1,0,1\n0.2,0.9,0\n0.8,0.3,1\n",
    })
    out, meta = run_build(repo, tmp_path)
    assert [c["name"] for c in meta["inputs"]] == ["a", "b"]
    executed = nbformat.read(out / "executed" / "analysis" / "train.ipynb", as_version=4)
    counts = [c.execution_count for c in executed.cells]
    assert counts == [1, 2, 3, 4, 5, 6]  # nb2service's own kernel code is not counted as cells
    assert any(o.get("output_type") == "display_data" for o in executed.cells[4].outputs)


def test_cells_tagged_skip_are_not_run(make_repo, tmp_path):
    repo = make_repo({"train.ipynb": notebook(FIT, "raise RuntimeError('exploration only')", tags={1: ["skip"]})})
    out, meta = run_build(repo, tmp_path)
    assert meta["notebooks"][0]["cells_skipped"] == 1 and meta["notebooks"][0]["cells_run"] == 1


def test_a_failing_cell_reports_notebook_cell_first_lines_exception_and_traceback(make_repo, tmp_path):
    repo = make_repo({"train.ipynb": notebook(FIT, "#md words", "def helper():\n    return 1 / 0\n\nhelper()\n# more\n# lines")})
    with pytest.raises(NotebookExecutionError) as err:
        run_build(repo, tmp_path)
    message = str(err.value)
    assert message.startswith("train.ipynb, cell 3 failed: ZeroDivisionError: division by zero")
    assert "    | def helper():" in message and "(3 more lines)" in message
    assert "return 1 / 0" in message.split("traceback:")[1]
    assert not (tmp_path / "out").exists()


def test_a_cell_that_hangs_fails_after_the_timeout(make_repo, tmp_path):
    repo = make_repo({"train.ipynb": notebook("x = 1", "import time\ntime.sleep(120)", FIT)})
    with pytest.raises(NotebookExecutionError, match=r"cell 2: did not finish within 10 s") as err:
        run_build(repo, tmp_path, cell_timeout=10)
    assert "NB2SERVICE_CELL_TIMEOUT" in str(err.value)


def test_a_kernel_that_never_answers_is_a_build_error_not_a_traceback(make_repo, tmp_path, monkeypatch):
    # On a machine too busy for the kernel to start in time, jupyter_client raises a bare RuntimeError.
    from builder.build import execute

    real_manager = execute._kernel_manager

    def silent_kernel(env, work):  # a kernel process that starts and never answers
        km = real_manager(env, work)
        spec = work / "kernels" / execute.KERNEL_NAME / "kernel.json"
        spec.write_text(json.dumps({"argv": [str(env.python), "-c", "import time; print('kernel stuck'); "
                                             "time.sleep(60)", "{connection_file}"],
                                    "display_name": "stuck", "language": "python"}))
        return km

    monkeypatch.setattr(execute, "_kernel_manager", silent_kernel)
    monkeypatch.setattr(execute, "KERNEL_STARTUP_TIMEOUT", 2)
    repo = make_repo({"train.ipynb": notebook(FIT)})
    with pytest.raises(NotebookExecutionError, match="the notebook's kernel did not start") as err:
        run_build(repo, tmp_path)
    assert err.value.exit_code == 5 and "more time than 2 s" in (err.value.hint or "")
    assert not (tmp_path / "out").exists()


def test_a_cell_that_calls_sys_exit_fails_the_build(make_repo, tmp_path):
    repo = make_repo({"train.ipynb": notebook(FIT, "import sys\nsys.exit(3)")})
    with pytest.raises(NotebookExecutionError, match="cell 2"):
        run_build(repo, tmp_path)


def test_nachlass_notebooks_run_in_one_kernel_and_their_saved_stages_are_chained(make_repo, tmp_path, monkeypatch):
    save = ("import os, pickle\n"
            "with open(os.environ['S2I_PIPELINE_STAGE_SAVE_FILE'], 'wb') as fh:\n    pickle.dump({}, fh)")
    repo = make_repo({
        "1-prep.ipynb": notebook("import numpy as np\nfrom sklearn.preprocessing import StandardScaler\n"
                                 "X_train = np.array([[0.0, 10.0], [1.0, 0.0], [0.5, 5.0], [0.9, 1.0]])\n"
                                 "scaler = StandardScaler().fit(X_train)", save.format("scaler")),
        "2-train.ipynb": notebook("from sklearn.linear_model import LogisticRegression\n"
                                  "clf = LogisticRegression().fit(scaler.transform(X_train), [0, 1, 0, 1])",
                                  save.format("clf")),
    })
    monkeypatch.setenv("S2I_SOURCE_NOTEBOOK_LIST", "1-prep.ipynb,2-train.ipynb")
    out, meta = run_build(repo, tmp_path)
    assert [n["path"] for n in meta["notebooks"]] == ["1-prep.ipynb", "2-train.ipynb"]
    assert meta["model"]["variable"] == "S2I_PIPELINE_STAGE_SAVE_FILE"
    assert meta["model"]["steps"] == ["stage0: StandardScaler", "stage1: LogisticRegression"]


def test_model_variable_picks_among_equally_plausible_models(make_repo, tmp_path, monkeypatch):
    repo = make_repo({"train.ipynb": notebook(
        FIT.replace("model =", "lr ="), "from sklearn.dummy import DummyClassifier\n"
        "a = DummyClassifier().fit(X_train, y_train); b = DummyClassifier().fit(X_train, y_train)")})
    with pytest.raises(ModelNotFound, match="2 equally plausible models"):
        run_build(repo, tmp_path)
    monkeypatch.setenv("MODEL_VARIABLE", "lr")
    _, meta = run_build(repo, tmp_path)
    assert meta["model"]["variable"] == "lr" and "MODEL_VARIABLE" in meta["model"]["reason"]


def test_no_examples_keeps_no_training_rows_in_the_artifact(make_repo, tmp_path):
    repo = make_repo({"train.ipynb": notebook(FIT)})
    out, meta = run_build(repo, tmp_path, examples=False)
    assert meta["examples"] == [] and json.loads((out / "metadata.json").read_text())["examples"] == []
    assert meta["verified_rows"] == 4  # verification still ran, on rows kept outside the artifact


def test_the_git_commit_of_the_repo_is_recorded(make_repo, tmp_path):
    import subprocess

    repo = make_repo({"train.ipynb": notebook(FIT)})
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "train"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    _, meta = run_build(repo, tmp_path)
    assert meta["git"] == {"commit": head, "dirty": False}


def test_the_model_the_notebook_saved_is_served_even_when_others_are_fitted_later(make_repo, tmp_path):
    repo = make_repo({"train.ipynb": notebook(
        FIT,
        "import joblib, os\nfrom sklearn.dummy import DummyClassifier\n"
        "chosen = DummyClassifier(strategy='most_frequent').fit(X_train, y_train)\n"
        "os.makedirs('models', exist_ok=True)\njoblib.dump({'model': chosen, 'features': 2}, 'models/bundle.joblib')",
        "comparison = LogisticRegression(C=10).fit(X_train, y_train)")})
    _, meta = run_build(repo, tmp_path)
    assert meta["model"]["variable"] == "saved models/bundle.joblib['model']"
    assert meta["model"]["class"] == "sklearn.dummy.DummyClassifier"
    assert meta["input_kind"] == "array" and len(meta["inputs"]) == 2


def test_a_notebook_that_writes_outside_its_repo_fails_naming_the_path(make_repo, tmp_path):
    outside = tmp_path.parent / "not-the-repo.txt"
    repo = make_repo({"train.ipynb": notebook(FIT, f"open({str(outside)!r}, 'w').write('x')")})
    # tmp_path is under the temp folder, which notebooks may write to: allow only the repo here
    import builder.build.execute as execute

    original = execute.tempfile.gettempdir
    execute.tempfile.gettempdir = lambda: str(repo)
    try:
        with pytest.raises(NotebookExecutionError, match="cell 2 failed: PermissionError: nb2service: the notebook "
                                                         "may not write outside its repository"):
            run_build(repo, tmp_path)
    finally:
        execute.tempfile.gettempdir = original
    assert not outside.exists()


def test_enormous_outputs_fail_the_build(make_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("NB2SERVICE_MAX_OUTPUT_MB", "1")
    repo = make_repo({"train.ipynb": notebook(FIT, "for _ in range(40):\n    print('x' * 50_000)")})
    with pytest.raises(NotebookExecutionError, match=r"cell 2: printed more than 1 MB of output"):
        run_build(repo, tmp_path)


def test_credentials_printed_by_the_notebook_are_redacted_and_never_written(make_repo, tmp_path, monkeypatch):
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("DB_PASSWORD", "hunter2hunter2")
    repo = make_repo({"train.ipynb": notebook(
        "import os\nprint('using', os.environ['AWS_SECRET_ACCESS_KEY'])\nos.environ['DB_PASSWORD']", FIT)})
    out, _ = run_build(repo, tmp_path)
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data and b"hunter2hunter2" not in data, path
    executed = (out / "executed" / "train.ipynb").read_text()
    assert "[redacted: $AWS_SECRET_ACCESS_KEY]" in executed and "[redacted: $DB_PASSWORD]" in executed


def test_shell_lines_find_the_build_environments_interpreter_first(make_repo, tmp_path):
    import sys

    repo = make_repo({"train.ipynb": notebook("!python -c 'import sys; print(sys.executable)' > which.txt", FIT)})
    run_build(repo, tmp_path)
    from pathlib import Path

    assert Path((repo / "which.txt").read_text().strip()).parent == Path(sys.executable).parent


def test_the_kernel_talks_over_unix_sockets_in_the_builds_folder_not_tcp_ports(tmp_path):
    # TCP ports picked by jupyter_client and bound later by the kernel could be taken in between by
    # another process (builds side by side: "Address already in use", then a 180 s wait)
    from builder.build.execute import _kernel_manager
    from builder.build.environment import BuildEnvironment

    env = BuildEnvironment(Path(sys.executable), None, "k", True, tmp_path)
    km = _kernel_manager(env, tmp_path)
    assert km.transport == "ipc" and km.ip == str(tmp_path / "kernel")
