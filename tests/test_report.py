"""The command the build's summary ends with: pasted into a shell, it serves what was built."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from builder.report import own_command


def test_the_serve_command_runs_nb2service_as_it_was_started_with_paths_quoted(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "venv" / "bin" / "nb2service"
    monkeypatch.setattr(sys, "argv", [str(script), "build"])
    monkeypatch.setenv("PATH", "/nonexistent")
    assert own_command("serve", tmp_path / "my repo") == f"{shlex.quote(str(script))} serve 'my repo'"
    assert own_command("serve", Path("/elsewhere/it's here")) == f"{shlex.quote(str(script))} serve '/elsewhere/it'\"'\"'s here'"


def test_nb2service_on_path_is_named_and_python_dash_m_is_kept(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "bin" / "nb2service"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(script.parent))
    monkeypatch.setattr(sys, "argv", [str(script), "build"])
    assert own_command("serve", tmp_path) == "nb2service serve ."
    monkeypatch.setattr(sys, "argv", ["/src/builder/__main__.py", "build"])
    assert own_command("serve", tmp_path / "a") == f"{shlex.quote(sys.executable)} -m builder serve a"
