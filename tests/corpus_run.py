"""Build and serve every notebook repo of the real-world corpus (tests/corpus/) with zero edits.

``make corpus`` runs ``python -m tests.corpus_run``: each repo is copied and built twice, once
committed with its ``written`` date from ``tests/corpus/manifest.toml`` (so date-aware resolution
sees the history a real repo has) and once as S2I hands it over, without ``.git`` (the notebook's
own evidence has to date it); each built with ``nb2service build``, served with ``nb2service serve``
and asked for a prediction on its example rows. It prints one line per repo and mode and the share
that works in each mode, and writes ``build/corpus/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
NB2SERVICE = [sys.executable, "-m", "builder"]


@dataclass
class Outcome:
    name: str
    git: bool = True
    built: bool = False
    served: bool = False
    expected_model: bool = False
    seconds: float = 0.0
    model: str = ""
    as_of: str = ""
    retried: bool = False
    repairs: int = 0
    problem: str = ""
    #: Raw records (issue 15): the features status (verified, not verified, not replayed, not needed) and why.
    features: str = ""
    features_reason: str = ""


def manifest() -> dict:
    return tomllib.loads((CORPUS / "manifest.toml").read_text())


def plain_copy(name: str, into: Path) -> Path:
    """The repo copied to ``into`` without git history, as S2I gives it to assemble."""
    repo = into / f"{name}-no-git"
    shutil.copytree(CORPUS / name, repo)
    return repo


def committed_copy(name: str, written: str, into: Path) -> Path:
    """The repo copied to ``into`` and committed on ``written``, as its author would have."""
    repo = into / name
    shutil.copytree(CORPUS / name, repo)
    stamp = f"{written}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    git = ["git", "-C", str(repo), "-c", "user.email=ds@example.com", "-c", "user.name=ds"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "notebook"]):
        subprocess.run([*git, *args], check=True, env=env, capture_output=True)
    return repo


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_and_predict(artifact: Path, examples: list, timeout: float = 120) -> str | None:
    """Start the service, wait for readiness, predict the examples; None when all went well."""
    port = free_port()
    log_path = artifact.parent / f"{artifact.name}-serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([*NB2SERVICE, "serve", str(artifact), "--port", str(port), "--workers", "1"],
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return f"serve exited {proc.returncode}: {log_path.read_text()[-500:]}"
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            return "not ready in time"
        body = json.dumps({"instances": examples}).encode()
        request = urllib.request.Request(f"{base}/predict", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            answer = json.loads(resp.read())
        if len(answer.get("predictions", [])) != len(examples):
            return f"/predict answered {answer!r:.200}"
        return None
    except OSError as exc:
        return f"/predict failed: {exc}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_one(name: str, spec: dict, work: Path, git: bool = True) -> Outcome:
    outcome = Outcome(name, git)
    started = time.monotonic()
    repo = committed_copy(name, spec["written"], work) if git else plain_copy(name, work)
    out = work / f"{repo.name}-artifact"
    proc = subprocess.run([*NB2SERVICE, "build", str(repo), "-o", str(out), "--json"], capture_output=True, text=True)
    outcome.seconds = round(time.monotonic() - started, 1)
    if proc.returncode != 0:
        error = [line for line in proc.stderr.splitlines() if line.startswith("ERROR:")]
        outcome.problem = (error or proc.stderr.strip().splitlines()[-1:] or ["?"])[0][:300]
        return outcome
    meta = json.loads(proc.stdout)["metadata"]
    outcome.built = True
    outcome.model = f"{meta['model']['variable']} ({meta['model']['class'].rsplit('.', 1)[-1]})"
    outcome.as_of = meta["dependencies"]["resolution"]["as_of"]
    outcome.retried = bool(meta["dependencies"].get("retried"))
    outcome.repairs = len(meta["dependencies"].get("repairs") or [])
    outcome.expected_model = meta["model"]["class"].rsplit(".", 1)[-1] == spec["model_class"]
    if not outcome.expected_model:
        outcome.problem = f"served {outcome.model}, the notebook meant {spec['model_class']} ({spec['model_variable']})"
    info = meta.get("features") or {}
    outcome.features, outcome.features_reason = info.get("status", ""), info.get("reason", "")[:300]
    problem = serve_and_predict(out, meta["examples"])
    outcome.served = problem is None
    outcome.problem = outcome.problem or (problem or "")
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these repos")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "corpus")
    parser.add_argument("--mode", choices=["both", "git", "no-git"], default="both",
                        help="with the git history, without it (as S2I builds), or both (default)")
    args = parser.parse_args(argv)
    specs = manifest()
    names = args.names or sorted(specs)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    modes = {"both": [True, False], "git": [True], "no-git": [False]}[args.mode]
    outcomes = []
    for git in modes:
        for name in names:
            outcome = run_one(name, specs[name], args.work, git=git)
            outcomes.append(outcome)
            ok = outcome.built and outcome.served and outcome.expected_model
            print(f"{'OK  ' if ok else 'FAIL'} {name:<30} {'git   ' if git else 'no-git'} {outcome.seconds:>6.1f} s  "
                  f"as of {outcome.as_of or '-':<10} {f'{outcome.repairs} repairs ' if outcome.repairs else ''}"
                  f"{outcome.model}  {outcome.problem}\n"
                  f"     features: {outcome.features or '-'} {outcome.features_reason}", flush=True)
    print()
    all_ok = True
    for git in modes:
        mine = [o for o in outcomes if o.git == git]
        working = sum(o.built and o.served and o.expected_model for o in mine)
        all_ok = all_ok and working == len(mine)
        print(f"{'with .git   ' if git else 'without .git'}: {working}/{len(mine)} corpus notebooks build and serve "
              f"the model they meant with zero edits ({100 * working / max(1, len(mine)):.0f}%)")
        raw = sum(o.features == "verified" for o in mine)
        print(f"{' ' * 14}{raw}/{len(mine)} serve raw records through the notebook's own feature engineering, verified")
    (args.work / "results.json").write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
