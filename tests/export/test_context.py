"""``nb2service export``: the build context it writes (the image built from it: tests/image)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.serve.conftest import ROOT


def export(artifact, out) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "builder", "export", str(artifact), "-o", str(out),
                           "--runtime-image", "registry.example/nb2service-runtime:1"],
                          capture_output=True, text=True, cwd=ROOT)


def test_export_writes_a_containerfile_the_pinned_serving_distributions_and_the_artifact(artifacts, tmp_path):
    out = tmp_path / "ctx"
    proc = export(artifacts["plain"], out)
    assert proc.returncode == 0, proc.stderr
    assert f"podman build -t array {out}" in proc.stdout
    containerfile = (out / "Containerfile").read_text()
    assert "ARG RUNTIME_IMAGE=registry.example/nb2service-runtime:1" in containerfile
    assert "assert v == (%d, %d)" % sys.version_info[:2] in containerfile
    assert "/usr/libexec/s2i/assemble-runtime" in containerfile and 'CMD ["/usr/libexec/s2i/run"]' in containerfile
    pins = (out / "serving-requirements.txt").read_text().split()
    assert any(p.startswith("scikit-learn==") for p in pins) and any(p.startswith("gunicorn==") for p in pins)
    assert not any(p.lower().startswith(("matplotlib==", "ipykernel==", "nb2service==")) for p in pins)
    meta = json.loads((out / "app-root" / "model" / "metadata.json").read_text())
    original = json.loads((artifacts["plain"] / "metadata.json").read_text())
    assert meta["environment"]["python"] == "/opt/app-root/bin/python"
    assert meta["environment"]["lib"] == "/opt/app-root/nb2service-lib"
    assert {k: v for k, v in meta.items() if k != "environment"} == {k: v for k, v in original.items()
                                                                    if k != "environment"}
    assert (out / "app-root" / "model" / "model.joblib").read_bytes() == (artifacts["plain"] / "model.joblib").read_bytes()
    assert (out / "app-root" / "nb2service-lib" / "builder" / "serve" / "app.py").is_file()


def test_export_refuses_a_folder_that_is_not_empty_and_a_missing_artifact(artifacts, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    proc = export(artifacts["plain"], tmp_path / "busy")
    assert proc.returncode == 2 and "is not empty" in proc.stderr
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
    proc = export(tmp_path / "nothing", tmp_path / "new")
    assert proc.returncode == 8 and "no such artifact directory" in proc.stderr
    assert not (tmp_path / "new").exists()
