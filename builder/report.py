"""What the build prints: one line per stage with its duration, then a one-screen summary.

Human output goes to stdout with sclorg's ``---> `` prefix; with ``--json`` the stage lines go to
stderr and stdout carries one JSON document for machines.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path


class Reporter:
    def __init__(self, as_json: bool = False, stream=None):
        self.as_json = as_json
        self.stream = stream or (sys.stderr if as_json else sys.stdout)
        self.stages: list[dict] = []

    def log(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    @contextmanager
    def stage(self, name: str):
        number = len(self.stages) + 1
        self.log(f"---> [{number}] {name}")
        started = time.monotonic()
        record = {"stage": name, "seconds": None, "ok": False}
        self.stages.append(record)
        try:
            yield
            record["ok"] = True
        finally:
            record["seconds"] = round(time.monotonic() - started, 2)
            if record["ok"]:
                self.log(f"     {name}: done in {record['seconds']:.1f} s")

    def emit(self, document: dict, summary_lines: list[str]) -> None:
        if self.as_json:
            print(json.dumps(document, indent=2, default=str), flush=True)
        else:
            print("\n".join(summary_lines), flush=True)

    @contextmanager
    def failures(self):
        """With ``--json``, a failure inside prints one JSON error document on stdout (then goes on up:
        the CLI writes the message on stderr and exits with the error's code)."""
        try:
            yield
        except Exception as exc:
            if self.as_json:
                print(json.dumps(self.error_document(exc), indent=2, default=str), flush=True)
            raise

    def error_document(self, exc: Exception) -> dict:
        """``{"ok": false, "error", "hint", "kind", "exit_code", "stage", "stages"}``, and ``cell`` (the
        notebook, the cell's number and source, the exception and traceback) when a cell failed."""
        from .errors import NB2ServiceError

        known = isinstance(exc, NB2ServiceError)
        failed = self.stages[-1]["stage"] if self.stages and not self.stages[-1]["ok"] else None
        return {"ok": False, "error": exc.message if known else f"{type(exc).__name__}: {exc}",
                "hint": exc.hint if known else None, "kind": type(exc).__name__,
                "exit_code": exc.exit_code if known else 1, "stage": failed,
                **(exc.details() if known else {}), "stages": self.stages}


def describe_input(column: dict) -> str:
    kind = column["type"]
    if column.get("categories") is not None:
        levels = column["categories"]
        shown = ", ".join(map(str, levels[:6])) + (", ..." if len(levels) > 6 else "")
        kind += f" {{{shown}}}"
    elif column.get("min") is not None:
        kind += f" [{_num(column['min'])}, {_num(column['max'])}]"
    if column.get("nullable"):
        kind += " (missing seen)"
    return f"{column['name']}: {kind}"


def dependency_lines(deps: dict) -> list[str]:
    lines = [f"{r['line']}  <- {r['source']}" for r in deps.get("requirements", [])]
    lines += [f"NOT INSTALLED {f['name']}: {f['reason']} ({f['source']})" for f in deps.get("unknown_imports", [])]
    return lines or ["(none declared or imported)"]


def resolution_lines(deps: dict) -> list[str]:
    """Which date the versions were resolved as of and why, and every change to what was declared."""
    res = deps.get("resolution") or {}
    lines = [f"as of {res.get('as_of') or 'this interpreter'}: {res.get('as_of_reason', '')}"]
    lines += [f"changed {c['requirement']} -> {c['now']}: {c['why']}" for c in res.get("changes", [])]
    lines += [f"note {n['name']}: {n['reason']}" for n in deps.get("notes", []) if "malformed" in n["reason"]
              or "renamed" in n["reason"]]
    lines += [f"repair {i}: {r['requirement']} after {r['after']} ({r['reason']})"
              for i, r in enumerate(deps.get("repairs") or [], 1)]
    return lines


def block(title: str, items: list[str], limit: int = 12) -> list[str]:
    head = f"  {title:<13}"
    if not items:
        return [head + "-"]
    shown = items[:limit] + ([f"... and {len(items) - limit} more (see --json)"] if len(items) > limit else [])
    return [head + shown[0], *[" " * 15 + item for item in shown[1:]]]


def _num(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def own_command(*args) -> str:
    """A shell command running nb2service with ``args`` the way this process was started, to be pasted:
    ``nb2service`` when that name on PATH is this program, else its path (or ``python -m builder``);
    path arguments relative to the working directory when under it; everything quoted."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "__main__.py":  # python -m builder / python -m builder.serve
        program = [sys.executable, "-m", "builder"]
    elif shutil.which(argv0.name) and Path(shutil.which(argv0.name)).resolve() == argv0.resolve():
        program = [argv0.name]
    else:
        program = [str(argv0)]
    return shlex.join([*program, *[_shown(a) if isinstance(a, Path) else str(a) for a in args]])


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)
