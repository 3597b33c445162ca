"""The build pipeline: a notebook repo in, a verified model artifact out.

``build()`` runs these stages in order, one module each:

1. choose   - pick the notebook(s) to run (``choose.py``)
2. parse    - read and validate them with nbformat (``parse.py``)
3. deps     - choose the Python (``builder.interpreters``), work out the dependencies (``builder.deps``)
              and make the environment (``environment.py``)
4. execute  - run the notebook(s) headless in a kernel from that environment (``execute.py``)
5. model    - find the trained model in the kernel (``builder.kernel.find_model``)
6. schema   - infer its input schema from its training data (``builder.kernel.infer_schema``)
7. package  - serialize, write metadata.json, reload in a fresh process and compare, compile the
              ONNX fast path and keep it if it agrees, evaluate the served model on the notebook's
              held-out data (``package.py``, ``builder.model.verify``, ``builder.fastpath``,
              ``builder.model.evaluate``)
8. test     - the gate: --min-score / --no-regression against the previous artifact (``gate.py``)
9. report   - draw the report's plots and render the executed notebooks into ``report/``
              (``builder.modelcard.stage``); only then is the artifact published, replacing the
              previous one

``inspect()`` runs stages 1-3 without installing or running anything.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import BuildSettings
from ..deps import plan_dependencies
from ..errors import NotebookExecutionError, UsageError
from ..interpreters import Interpreter, choose as choose_interpreter
from ..model.artifact import IN_REPO
from ..report import Reporter, block, dependency_lines, describe_input, own_command, resolution_lines
from .choose import choose_notebooks
from .environment import RUNTIME_REQUIREMENTS, find_uv, installed_distributions, prepare_environment
from .execute import NotebookRun, run_notebooks
from ..kernel.harvest import EVALUATION_FILE, FAST_PATH_FILE
from .parameters import apply_parameters
from ..kernel.replay import CHECK_FILE as FEATURES_CHECK_FILE
from ..model.artifact import write_metadata
from ..modelcard.stage import write_report
from .gate import evaluation_lines, gate_lines, run_gate
from .package import Checker, _build_env_vars, publish, staging_dir, write_artifact
from .parse import parse_notebook
from .repair import MAX_REPAIRS, NameProbe, add_module, apply, binary_mismatch, move_back, patch_forward
from .releases import ReleaseHistory
from .resolve import AsOf, choose_as_of, parse_as_of


@dataclass
class Plan:
    repo: Path
    runs: list[NotebookRun]
    dependencies: object  # builder.deps.DependencyPlan
    interpreter: Interpreter  # the Python the environment is made with (builder.interpreters)

    def to_json(self) -> dict:
        return {"repo": str(self.repo), "notebooks": [str(r.path.relative_to(self.repo)) for r in self.runs],
                "python": self.interpreter.to_json(),
                "dependencies": self.dependencies.to_json(), "runtime": list(RUNTIME_REQUIREMENTS)}

    def summary(self) -> list[str]:
        return ["", "=== nb2service plan ===",
                *block("notebooks", [str(r.path.relative_to(self.repo)) for r in self.runs]),
                *block("python", [self.interpreter.describe()]),
                *block("dependencies", dependency_lines(self.dependencies.to_json()), limit=40)]


def plan(src: Path, settings: BuildSettings, reporter: Reporter) -> Plan:
    """Stages 1-3 without side effects: which notebooks, which dependencies from where."""
    repo = _repo(src)
    with reporter.stage("choose notebooks"):
        paths = choose_notebooks(repo, settings.notebooks, settings.notebooks_origin)
        for path in paths:
            reporter.log(f"    {path.relative_to(repo)}")
    with reporter.stage("parse notebooks"):
        runs = [NotebookRun(path, parse_notebook(path, repo, warn=reporter.log)) for path in paths]
    with reporter.stage("work out dependencies"):
        interpreter = choose_interpreter(recorded_python(runs), find_uv(), existing=settings.env_path,
                                         install=settings.install)
        reporter.log(f"    {interpreter.describe()}")
        deps = plan_dependencies(repo, [(r.path, r.notebook) for r in runs], python=interpreter.short)
        for finding in deps.unknown_imports:
            reporter.log(f"    WARNING: import {finding.name} ({finding.source}) maps to no known distribution; "
                         "not installed (add it to requirements.txt)")
    return Plan(repo, runs, deps, interpreter)


def recorded_python(runs: list[NotebookRun]) -> str | None:
    """The newest Python the notebooks record having last run on (``metadata.language_info.version``)."""
    versions = [str(v) for r in runs if (v := r.notebook.metadata.get("language_info", {}).get("version"))]
    keyed = [(tuple(int(p) for p in v.split(".")[:3] if p.isdigit()), v) for v in versions]
    return max(keyed)[1] if keyed else None


def build(src: Path, out: Path | None, settings: BuildSettings, reporter: Reporter) -> dict:
    """Build ``src`` into a verified artifact at ``out``; return the metadata written.

    When a cell fails for want of a module the code never names, or from library drift, the
    requirement lines are repaired (``repair.py``: install the module; move only the drifting
    library back) and the notebooks run again: at most ``MAX_REPAIRS`` times, each logged and
    recorded, stopping early when a repair does not change the error.
    """
    the_plan = plan(src, settings, reporter)
    repo = the_plan.repo
    out = (out or repo / IN_REPO).resolve()
    if out == repo or out in repo.parents:
        raise UsageError(f"-o {out}: the artifact would replace the source repo", hint="choose an empty folder")
    requested = parse_as_of(settings.as_of)
    lines = the_plan.dependencies.lines()
    history = ReleaseHistory(settings.index, settings.cache_dir)
    as_of = choose_as_of(requested, repo, [r.path for r in the_plan.runs], lines, history)
    repairs: list[dict] = []
    tried: set[str] = set()
    previous = None
    while True:
        try:
            return _build_once(the_plan, lines, out, settings, as_of, reporter, repairs)
        except NotebookExecutionError as failure:
            if previous is not None and _same_error(previous, failure):
                raise _unchanged(failure, repairs) from None
            repair = _next_repair(failure, lines, as_of, settings, history, tried, the_plan.interpreter) \
                if len(repairs) < MAX_REPAIRS else None
            if repair is None:
                if repairs:
                    failure.message += "\n  repairs tried: " + "; ".join(r["reason"] for r in repairs)
                raise
            previous = failure
            tried.add(repair.distribution)
            repairs.append({**repair.to_json(), "after": failure.headline})
            reporter.log(f"WARNING: {failure.headline}\n    repair {len(repairs)}/{MAX_REPAIRS}: {repair.reason}; "
                         f"running again with {repair.line}")
            lines = apply(lines, repair)
            the_plan = Plan(repo, [NotebookRun(r.path, parse_notebook(r.path, repo)) for r in the_plan.runs],
                            the_plan.dependencies, the_plan.interpreter)


def _next_repair(failure: NotebookExecutionError, lines: list[str], as_of: AsOf, settings: BuildSettings,
                 history: ReleaseHistory, tried: set[str], interpreter: Interpreter):
    if not settings.install:
        return None
    installed = getattr(failure, "installed", {})
    python = interpreter.series
    repair = add_module(failure, lines, tried) or binary_mismatch(failure, installed, history, tried, python) \
        or patch_forward(failure, installed, history, tried, python)
    if repair is not None or not failure.drift:
        return repair
    uv = find_uv()
    prober = NameProbe(uv, interpreter.path, settings.index, settings.cache_dir) if uv else None
    return move_back(failure, installed, as_of.date, history, prober, tried, python)


def _same_error(before: NotebookExecutionError, after: NotebookExecutionError) -> bool:
    return (before.ename, before.evalue.split(" (")[0], before.headline.split(":")[0]) == \
        (after.ename, after.evalue.split(" (")[0], after.headline.split(":")[0])


def _unchanged(failure: NotebookExecutionError, repairs: list[dict]) -> NotebookExecutionError:
    failure.message += (f"\n  the last repair ({repairs[-1]['reason']}) did not change this error, so the build "
                        "stops here; repairs tried: " + "; ".join(r["requirement"] for r in repairs))
    return failure


def _build_once(the_plan: Plan, lines: list[str], out: Path, settings: BuildSettings, as_of: AsOf,
                reporter: Reporter, repairs: list[dict]) -> dict:
    repo, runs = the_plan.repo, the_plan.runs
    with reporter.stage("prepare the environment"):
        reporter.log(f"    versions as of {as_of.date or 'today'}: {as_of.reason}")
        env = prepare_environment(lines, settings, as_of, the_plan.interpreter, log=reporter.log)
        reporter.log(f"    {'reused' if env.reused else 'made'} {env.root or env.python}")
    staging = staging_dir(out)
    work = Path(tempfile.mkdtemp(prefix="nb2service-build-"))
    try:
        with Checker(env) as checker:  # its imports overlap the notebook's run
            with reporter.stage("run the notebook and find the model"):
                parameters = apply_parameters(runs, settings.parameters, repo)
                if parameters:
                    reporter.log("    parameters: " + ", ".join(f"{k}={v!r} ({parameters['sources'][k]})"
                                                             for k, v in parameters["values"].items()))
                try:
                    result = run_notebooks(runs, repo, env, settings, staging, work, log=reporter.log)
                except NotebookExecutionError as failure:
                    failure.installed = installed_distributions(env) if settings.install else {}
                    raise
                result.parameters = parameters
                reporter.log(f"    model: {result.harvest['model']['variable']} ({result.harvest['model']['reason']})")
            with reporter.stage("write and verify the artifact"):
                dependencies = {**the_plan.dependencies.to_json(), "resolution": env.resolution_json(),
                                "repairs": repairs, "retried": repairs[0] if repairs else None}
                meta = write_artifact(staging, repo, result, env, dependencies, model_name(runs[0].path))
                verdict = checker.check(staging, result.expected_path, result.expected_path.parent / FAST_PATH_FILE,
                                        meta, result.expected_path.parent / FEATURES_CHECK_FILE,
                                        result.expected_path.parent / EVALUATION_FILE)
                reporter.log(f"    reloaded in a fresh process: {verdict['rows']} rows predicted identically")
                reporter.log(f"    inference path: {meta['inference']['path']} ({meta['inference'].get('reason')})")
            with reporter.stage("test the model"):
                for line in evaluation_lines(meta.get("evaluation")):
                    reporter.log(f"    evaluation: {line}")
                gate = run_gate(meta, settings.min_scores, settings.no_regression, settings.previous_artifact or out)
                if gate is not None:
                    meta["gate"] = gate
                    write_metadata(staging, meta)
                    for line in gate_lines(gate):
                        reporter.log(f"    gate: {line}")
            with reporter.stage("draw the report"):
                write_report(staging, meta, str(env.python), _build_env_vars(env), log=reporter.log)
            publish(staging, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    meta["verified_rows"] = verdict["rows"]
    serve = own_command("serve", repo if out == repo / IN_REPO else out)
    reporter.emit({"ok": True, "artifact": str(out), "serve_command": serve, "stages": reporter.stages,
                   "metadata": meta}, build_summary(out, meta, reporter.stages, serve))
    return meta


def build_summary(out: Path, meta: dict, stages: list[dict], serve: str) -> list[str]:
    model = meta["model"]
    task = meta["task"] + (f", classes {meta['classes']}" if meta.get("classes") is not None else "")
    task += ", predict_proba" if meta.get("predict_proba") else ""
    total = sum(s["seconds"] or 0 for s in stages)
    return [
        "", "=== nb2service build summary ===",
        *block("notebooks", [f"{n['path']} ({n['cells_run']} cells run, {n['cells_skipped']} skipped, {n['seconds']} s"
                             + (f"; {len(n['dropped_outputs'])} invalid saved output(s) dropped" if n.get("dropped_outputs")
                                else "") + ")" for n in meta["notebooks"]]),
        *(block("parameters", [f"{k} = {v!r} ({meta['parameters']['sources'][k]}; default {meta['parameters']['defaults'][k]})"
                                for k, v in meta["parameters"]["values"].items()]) if meta.get("parameters") else []),
        *block("dependencies", dependency_lines(meta["dependencies"])),
        *block("versions", resolution_lines(meta["dependencies"])),
        *block("environment", [f"{meta['environment']['path'] or meta['environment']['python']}"
                               f" ({'reused' if meta['environment']['reused'] else 'new'})",
                               *python_lines(meta['environment'].get('interpreter'))]),
        *block("model", [f"{model['variable']}: {model['class']}", f"chosen as {model['reason']}",
                         *[f"step {s}" for s in model.get("steps", [])]]),
        *block("task", [task]),
        *block("features", feature_lines(meta.get("features") or {})),
        *block("inputs", [_inputs_line(meta),
                          *[describe_input(c) for c in meta["inputs"]]], limit=16),
        *block("verified", [f"{meta['verified_rows']} rows predict identically after a reload in a fresh process"]),
        *block("inference", inference_lines(meta.get("inference") or {})),
        *block("evaluation", evaluation_lines(meta.get("evaluation"))),
        *block("gate", gate_lines(meta.get("gate"))),
        *block("artifact", [str(out), f"model sha256 {model['sha256'][:16]}..., metadata.json, requirements.lock"]),
        *block("report", report_lines(meta.get("report"))),
        f"  built in {total:.1f} s; serve it with:",
        f"  {serve}",
    ]


def python_lines(info: dict | None) -> list[str]:
    """Which Python the environment was made with, found where, and why."""
    if not info:
        return []
    where = info["found"] if info["found"] == "the build's own Python" else f"found by {info['found']}"
    return [f"Python {info['version']} ({info['path']}, {where})", info["reason"]]


def feature_lines(info: dict) -> list[str]:
    """Whether raw records are served through features.py, and why (not)."""
    status = info.get("status", "not attempted")
    if status == "verified":
        return [f"raw records: the notebook's {info['statements']} feature statements replayed by {info['file']} "
                f"(from `{info['table']['statement'].splitlines()[0]}`, {info['table']['cell']})",
                f"checked on {info['reason']}", *fast_form_lines(info.get("fast_forms") or []),
                *columnar_lines(info.get("columnar")),
                "the engineered inputs stay callable: POST /predict/engineered"]
    if status == "not needed":
        return [f"not needed: {info['reason']}"]
    return [f"{status}: {info.get('reason', 'the model was not fitted in the notebook')}",
            "the service takes the training matrix's columns"]


def fast_form_lines(sites: list[dict]) -> list[str]:
    """Which calls of features.py serve in a faster form (builder.features.fast_forms)."""
    if not sites:
        return []
    used = [s["call"] for s in sites if s["used"]]
    line = (f"faster forms for {len(used)} of {len(sites)} calls ({', '.join(used) or 'none'}): identical to pandas "
            "or scikit-learn on the notebook's table (map, apply, fillna: and on values never seen or missing)")
    others = [s["call"] for s in sites if not s["used"]]
    return [line + (f"; {', '.join(others)} as the notebook wrote them" if others else "")]


def columnar_lines(info: dict | None) -> list[str]:
    """Whether features.py serves on numpy columns (builder.features.columnar), and why (not)."""
    if not info:
        return []
    if info["status"] == "used":
        return [f"requests replayed on numpy columns, without pandas' cost per statement: {info['reason']}; "
                "pandas replays any request they do not cover"]
    return [f"requests replayed by pandas (numpy columns not used: {info['reason']})"]


def _inputs_line(meta: dict) -> str:
    if meta.get("engineered"):
        engineered = len(meta["engineered"]["inputs"])
        return (f"raw records, {len(meta['inputs'])} columns of the loaded table "
                f"(the model's {engineered} engineered inputs are made by features.py)")
    return f"{meta['input_kind']}, {len(meta['inputs'])} inputs from {meta['training_data']['variable']}"


def inference_lines(info: dict) -> list[str]:
    """Which path serves (the ONNX fast path or scikit-learn) and why."""
    if info.get("path") == "onnx":
        return [f"ONNX fast path (onnxruntime), compiled in {info.get('seconds')} s",
                f"checked on {info.get('reason')}; max abs difference {info.get('max_abs_diff', 0):.3g}"]
    return ["scikit-learn", f"no fast path: {info.get('reason', 'not attempted')}"]


def report_lines(report: dict | None) -> list[str]:
    """What the report stage made: plots, rendered notebooks, problems; where to see it."""
    if not report:
        return []
    plots = ", ".join(p["name"] for p in report["plots"]) or "no plots"
    rendered = sum(1 for n in report["notebooks"] if n["file"])
    return [f"{plots}; {rendered} notebook(s) rendered", "see it: GET /report on the service, or "
            "nb2service report OUT -o report.html", *[f"WARNING: {p}" for p in report["problems"]]]


def model_name(notebook: Path) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", notebook.stem.lower()).strip("-")
    return name or "model"


def _repo(src: Path) -> Path:
    repo = Path(src).resolve()
    if not repo.is_dir():
        raise UsageError(f"{src}: no such directory", hint="SRC is the folder holding the notebook repo")
    return repo
