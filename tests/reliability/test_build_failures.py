"""Bad notebooks through the real CLI (``python -m builder build SRC -o OUT --no-install --json``): each
fails with one ``ERROR:`` paragraph on stderr, one JSON error document on stdout and a non-zero exit, and
leaves nothing that could be served. Credentials in the build's environment never reach the artifact.

(The stage-level behaviour of each case is tested in tests/build/; this is the user's view of it.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from tests.conftest import notebook

ROOT = Path(__file__).resolve().parents[2]
FIT = ("from sklearn.linear_model import LogisticRegression\n"
       "import numpy as np\n"
       "X_train = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])\n"
       "y_train = np.array([0, 1, 0, 1])\n"
       "model = LogisticRegression().fit(X_train, y_train)")


def _nbformat3() -> str:
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
                       "worksheets": [{"cells": [{"cell_type": "code", "input": FIT, "language": "python",
                                                  "outputs": []}]}]})


def _empty():
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


#: id -> (notebook file content, extra CLI options, extra environment, words the error must hold, exit code)
BAD = {
    "malformed-json": ('{"cells": [', [], {}, "not valid notebook JSON", 3),
    "nbformat-3": (_nbformat3(), [], {}, "nbformat 3 is not supported", 3),
    "empty-notebook": (_empty(), [], {}, "the notebook has no code to run", 3),
    "no-code": (notebook("#md # Notes", "#md only words"), [], {}, "the notebook has no code to run", 3),
    "cell-raises": (notebook(FIT, "raise ValueError('broken data')"), [], {}, "cell 2 failed: ValueError: broken data", 5),
    "cell-hangs": (notebook(FIT, "import time\ntime.sleep(300)"), ["--timeout", "5"], {}, "did not finish within 5 s", 5),
    "sys-exit": (notebook(FIT, "import sys\nsys.exit(3)"), [], {}, "cell 2", 5),
    "enormous-output": (notebook(FIT, "for _ in range(40):\n    print('x' * 50_000)"), [],
                        {"NB2SERVICE_MAX_OUTPUT_MB": "1"}, "printed more than 1 MB of output", 5),
    "non-python-kernel": (notebook("x <- c(1, 2)", language="R"), [], {}, "not Python", 3),
    "writes-outside-repo": (notebook(FIT, "open({outside!r}, 'w').write('escaped')"), [], {},
                            "may not write outside its repository", 5),
}


def _write(repo: Path, content, outside: Path) -> None:
    repo.mkdir(parents=True)
    path = repo / "train.ipynb"
    if isinstance(content, nbformat.NotebookNode):
        for cell in content.cells:
            cell.source = cell.source.replace("{outside!r}", repr(str(outside)))
        nbformat.write(content, path)
    else:
        path.write_text(content)


def _build(repo: Path, out: Path, options=(), env=None) -> subprocess.CompletedProcess:
    tmp = repo / ".tmp"  # the temp folder notebooks may write to: inside the repo, so /tmp counts as outside
    tmp.mkdir(exist_ok=True)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("NB2SERVICE_", "NOTEBOOK", "MODEL_"))}
    environ.update({"TMPDIR": str(tmp), **(env or {})})
    return subprocess.run([sys.executable, "-m", "builder", "build", str(repo), "-o", str(out), "--no-install",
                           "--json", *options], capture_output=True, text=True, env=environ, cwd=ROOT, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_notebook_fails_the_build_with_one_error_paragraph_and_leaves_nothing_to_serve(tmp_path, case):
    content, options, env, words, code = BAD[case]
    repo, out, outside = tmp_path / "repo", tmp_path / "out", tmp_path / "escaped.txt"
    _write(repo, content, outside)
    result = _build(repo, out, options, env)
    assert result.returncode == code, result.stderr[-3000:]
    errors = [i for i, line in enumerate(result.stderr.splitlines()) if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr[-3000:]
    message = "\n".join(result.stderr.splitlines()[errors[0]:])
    assert words in message and "train.ipynb" in message.splitlines()[0], message
    assert "\n\n" not in message.strip(), message  # one paragraph
    assert not any(line.startswith("Traceback") for line in result.stderr.splitlines()), result.stderr[-3000:]
    assert not (out / "metadata.json").exists() and not (out / "model.joblib").exists()
    assert not list(tmp_path.glob(".out.*")), "a staging folder was left behind"
    assert not outside.exists()
    document = json.loads(result.stdout)  # --json: the whole of stdout is one document
    assert document["ok"] is False and document["exit_code"] == code and words in document["error"]
    assert document["stage"] == ("run the notebook and find the model" if code == 5 else "parse notebooks")
    assert document["stages"][-1] == {"stage": document["stage"], "seconds": document["stages"][-1]["seconds"],
                                      "ok": False}
    if code == 5 and case != "writes-outside-repo":
        cell = document["cell"]
        assert cell["notebook"] == "train.ipynb" and cell["source"] == content.cells[cell["cell"] - 1].source
    if case == "cell-raises":
        assert cell["cell"] == 2 and cell["exception"] == "ValueError: broken data"
        assert "raise ValueError('broken data')" in cell["traceback"] and "ValueError" in cell["traceback"]


SECRETS = {"API_TOKEN": "tok-3f9a8c1e77d2", "DB_PASSWORD": "pw-b7e1c44f0a93", "AWS_SECRET_ACCESS_KEY": "aws-51c0de9b2f6e",
           "AZURE_CLIENT_ID": "azure-8d2e6f14c3b0", "GOOGLE_CLOUD_PROJECT": "gcp-4a7b9e2d1c55",
           "STRIPE_KEY": "sk-91f3a0c2e8d4", "MY_SECRET": "s3cr3t-6e2f81a0c9d7"}


@pytest.mark.slow
def test_credentials_in_the_build_environment_never_reach_metadata_or_any_artifact_file(tmp_path):
    repo, out = tmp_path / "repo", tmp_path / "out"
    uses = ("import os\n"
            "token = os.environ['API_TOKEN']  # the notebook uses its credentials, as notebooks do\n"
            "print('connecting with', token, os.environ['DB_PASSWORD'])\n"
            "print({k: v for k, v in os.environ.items() if k.startswith(('AWS_', 'AZURE_', 'GOOGLE_'))})\n"
            "os.environ")
    _write(repo, notebook(uses, FIT, "raise_if = os.environ['MY_SECRET']\nmodel"), tmp_path / "unused")
    result = _build(repo, out, env=SECRETS)
    assert result.returncode == 0, result.stderr[-3000:]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"metadata.json", "model.joblib", "requirements.lock", "train.ipynb"}
    for path in files:
        data = path.read_bytes()
        for name, value in SECRETS.items():
            assert value.encode() not in data, f"{name}'s value is in {path.relative_to(out)}"
    executed = (out / "executed" / "train.ipynb").read_text()
    assert "[redacted: $API_TOKEN]" in executed and "[redacted: $DB_PASSWORD]" in executed
    for name, value in SECRETS.items():
        assert value not in result.stdout + result.stderr, f"{name}'s value is in the build log"
