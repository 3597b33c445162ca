"""Stage 4: run the notebook(s) headless in a real kernel from the build environment, then harvest
the model from that kernel (stages 5 and 6 run inside it: ``builder.kernel``).

Several notebooks run in order in one kernel and one working directory (the first notebook's
folder), as nachlass does. Cells tagged ``skip`` are not run. A failing cell raises
``NotebookExecutionError`` with the notebook, the cell number, its first lines and the traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from packaging.utils import canonicalize_name

from .. import __version__, errors
from ..config import BuildSettings, process_environment
from .drift import drift_suspect, execution_order_hint, failing_library
from ..interpreters import Interpreter, own
from .environment import BuildEnvironment, installed_distributions

SKIP_TAGS = {"skip", "nb2service-skip"}
MODEL_SUFFIXES = {".joblib", ".jbl", ".pkl", ".pickle", ".sav", ".model"}
KERNEL_NAME = "nb2service"
KERNEL_PACKAGE = "_nb2service_kernel"
FEATURES_PACKAGE = "_nb2service_features"  # builder.features, for builder.kernel.replay
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


#: Seconds a new kernel may take to answer (nbclient's default, 60, is too short on a loaded machine).
KERNEL_STARTUP_TIMEOUT = 180
KERNEL_NEVER_READY = ("Kernel didn't respond", "Kernel died before replying")


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return ""


class BoundedOutputClient(NotebookClient):
    """An nbclient that stops keeping a cell's outputs past ``max_output_bytes`` and remembers it."""

    max_output_bytes = 20 * 1024 * 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_bytes: dict[int, int] = {}
        self.overflowing: set[int] = set()

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        self.output_bytes[cell_index] = self.output_bytes.get(cell_index, 0) + size
        if self.output_bytes[cell_index] > self.max_output_bytes:
            self.overflowing.add(cell_index)
            return None
        return super().output(outs, msg, display_id, cell_index)


@dataclass
class NotebookRun:
    path: Path
    notebook: nbformat.NotebookNode
    seconds: float = 0.0
    cells_run: int = 0
    cells_skipped: int = 0


@dataclass
class ExecutionResult:
    runs: list[NotebookRun]
    harvest: dict
    expected_path: Path
    stage_files: list[str] = field(default_factory=list)
    #: The notebook parameters injected (builder.build.parameters), or None.
    parameters: dict | None = None


def run_notebooks(runs: list[NotebookRun], repo: Path, env: BuildEnvironment, settings: BuildSettings,
                  staging: Path, work: Path, log=print) -> ExecutionResult:
    """Execute ``runs`` in order in one kernel, then harvest the model into ``staging``."""
    cwd = runs[0].path.parent
    kernel_lib = _kernel_lib(work)
    save_file = settings.stage_save_file or str(work / "pipeline-stage.pkl")
    save_path = Path(save_file) if Path(save_file).is_absolute() else cwd / save_file
    km = _kernel_manager(env, work)
    client = BoundedOutputClient(runs[0].notebook, timeout=settings.cell_timeout, allow_errors=False,
                                 km=km, resources={"metadata": {"path": str(cwd)}},
                                 startup_timeout=KERNEL_STARTUP_TIMEOUT)
    client.max_output_bytes = settings.max_output_mb * 1024 * 1024
    kernel_log = open(work / "kernel.log", "wb")
    try:
        with client.setup_kernel(cleanup_kc=True, cwd=str(cwd), env={**_kernel_env(save_file, env),
                                                                      **install_constraints(env, work),
                                                                      **dataset_caches(work)},
                                 stderr=kernel_log, stdout=kernel_log):
            stage_files = _run_all(client, runs, repo, settings, work, save_path, kernel_lib, staging, log,
                                   env.interpreter)
    except RuntimeError as exc:  # jupyter_client's words for a kernel that never answered
        if not str(exc).startswith(KERNEL_NEVER_READY):
            raise
        raise errors.NotebookExecutionError(
            f"the notebook's kernel did not start: {exc} ({env.python})",
            hint=f"the kernel's own output is below; a machine this busy may need more time than "
                 f"{KERNEL_STARTUP_TIMEOUT} s: run the build again when it is quieter\n"
                 + _tail(work / "kernel.log")) from exc
    finally:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=False)
        kernel_log.close()
    harvest = json.loads((work / "harvest.json").read_text())
    if "error" in harvest:
        err = harvest["error"]
        raise getattr(errors, err["kind"], errors.ModelNotFound)(err["message"], hint=err.get("hint"))
    return ExecutionResult(runs, harvest, work / "expected.json", stage_files)


def _run_all(client: NotebookClient, runs: list[NotebookRun], repo: Path, settings: BuildSettings, work: Path,
             save_path: Path, kernel_lib: Path, staging: Path, log, interpreter: Interpreter | None = None) -> list[str]:
    """Install the tracker, run every notebook, then harvest; return the nachlass stage files."""
    allowed = [str(repo), tempfile.gettempdir(), str(work), str(staging), str(save_path.parent)]
    _silent(client, f"import sys as _s; _s.path.insert(0, {str(kernel_lib)!r}); "
            f"from {KERNEL_PACKAGE} import tracker as _t, guard as _g, lineage as _l; import {FEATURES_PACKAGE}; _s.path.remove({str(kernel_lib)!r}); "
            f"_t.install(get_ipython()); _l.install(get_ipython()); _g.install({allowed!r}); del _s, _t, _g, _l, {FEATURES_PACKAGE}")
    before = model_files(repo)
    stage_files = []
    for i, run in enumerate(runs):
        _run_one(client, run, repo, settings, log, interpreter)
        if save_path.exists():
            kept = work / f"stage-{i}.pkl"
            shutil.move(str(save_path), kept)
            stage_files.append(str(kept))
    after = model_files(repo)
    written = sorted((p for p in after if before.get(p) != after[p]), key=lambda p: after[p])
    config = {"out": str(staging), "work": str(work), "explicit": settings.model_variable,
              "stage_files": stage_files, "examples": settings.examples,
              "notebook": str(runs[0].path.relative_to(repo)), "version": __version__,
              "cell_labels": _cell_labels(runs, repo),
              "written_files": [[str(p.relative_to(repo)), str(p)] for p in written]}
    _silent(client, f"from {KERNEL_PACKAGE}.harvest import harvest as _h; "
            f"_h(get_ipython().user_ns, __import__('json').loads({json.dumps(config)!r})); del _h")
    return stage_files


def _cell_labels(runs: list[NotebookRun], repo: Path) -> list[str]:
    """``"nb.ipynb cell 7"`` for each code cell run, in execution order (what ``lineage`` numbers)."""
    return [f"{run.path.relative_to(repo)} cell {index + 1}" for run in runs
            for index, cell in enumerate(run.notebook.cells)
            if cell.cell_type == "code" and not SKIP_TAGS & set(cell.get("metadata", {}).get("tags", []))]


def _run_one(client: NotebookClient, run: NotebookRun, repo: Path, settings: BuildSettings, log,
             interpreter: Interpreter | None = None) -> None:
    rel = run.path.relative_to(repo)
    client.nb = run.notebook
    started = time.monotonic()
    saved = {i: c.get("execution_count") for i, c in enumerate(run.notebook.cells) if c.cell_type == "code"}
    for index, cell in enumerate(run.notebook.cells):
        if cell.cell_type != "code":
            continue
        where = cell_name(rel, index, saved.get(index), counted=any(c is not None for c in saved.values()))
        if SKIP_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            run.cells_skipped += 1
            continue
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            raise _at_cell(errors.NotebookExecutionError(
                f"{where}: did not finish within {settings.cell_timeout} s\n{_first_lines(cell)}",
                hint="raise the limit with --timeout SECONDS or NB2SERVICE_CELL_TIMEOUT, or tag the cell 'skip'",
            ), rel, index, cell) from None
        except DeadKernelError as exc:
            raise _at_cell(errors.NotebookExecutionError(
                f"{where}: the kernel died ({exc}); out of memory, or the cell ended the process\n"
                f"{_first_lines(cell)}"
            ), rel, index, cell) from None
        except CellExecutionError as exc:
            raise _cell_failure(rel, index, where, cell, exc, list(saved.values()),
                                run.notebook.metadata.get("language_info", {}).get("version"), interpreter) from None
        if index in client.overflowing:
            raise _at_cell(errors.NotebookExecutionError(
                f"{where}: printed more than {settings.max_output_mb} MB of output; the build stops "
                f"so the artifact and the build's memory stay bounded\n{_first_lines(cell)}",
                hint="print less (df.head() rather than df), or raise NB2SERVICE_MAX_OUTPUT_MB"), rel, index, cell)
        run.cells_run += 1
    keep_widgets(client)
    run.seconds = time.monotonic() - started
    log(f"    {rel}: {run.cells_run} cells run, {run.cells_skipped} skipped, {run.seconds:.1f} s")


def keep_widgets(client: NotebookClient) -> None:
    """Keep the state of the Jupyter widgets the notebook displayed (sliders, ``interact``'s output,
    progress bars) in the executed notebook's ``metadata.widgets``, as Jupyter saves it, so the
    executed notebook shows them; then start afresh for the next notebook of the run."""
    client.set_widgets_metadata()
    client.widget_state.clear()
    client.widget_buffers.clear()


def newer_python_hint(ename: str, recorded: str | None, interpreter: Interpreter | None = None) -> str | None:
    """For a SyntaxError: the notebook was written for a newer Python than the environment's."""
    if ename not in ("SyntaxError", "IndentationError") or not recorded:
        return None
    try:
        wanted = tuple(int(part) for part in str(recorded).split(".")[:2])
    except ValueError:
        return None
    running = interpreter or own()
    if wanted <= running.series:
        return None
    why = running.reason or f"install Python {wanted[0]}.{wanted[1]} where the build runs"
    return (f"written for Python {wanted[0]}.{wanted[1]} (metadata.language_info.version {recorded}); this build runs "
            f"Python {running.short}, which cannot parse it: {why}")


def cell_name(rel: Path, index: int, count: int | None, counted: bool = True) -> str:
    """A cell named both ways: its position, and the ``In [N]`` the saved notebook shows (when the
    saved notebook has execution counts at all)."""
    if not counted:
        return f"{rel}, cell {index + 1}"
    shown = f"In [{count}]" if count is not None else "never run"
    return f"{rel}, cell {index + 1} ({shown} in the saved notebook)"


def _cell_failure(rel: Path, index: int, where: str, cell, exc: CellExecutionError, saved_counts: list,
                  recorded_python: str | None = None, interpreter: Interpreter | None = None
                  ) -> errors.NotebookExecutionError:
    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    if error is not None:
        trace = ANSI.sub("", "\n".join(error.get("traceback", [])))
        ename, evalue = error.get("ename", ""), error.get("evalue", "")
    else:
        trace = ANSI.sub("", str(exc))
        ename, evalue = exc.ename, exc.evalue
    shown = "\n".join("    " + line for line in trace.strip().splitlines()[-60:])
    drift = drift_suspect(ename, evalue, trace)
    hint = newer_python_hint(ename, recorded_python, interpreter) or (None if drift else execution_order_hint(saved_counts))
    failure = errors.NotebookExecutionError(
        f"{where} failed: {ename}: {evalue}\n{_first_lines(cell)}\n  traceback:\n{shown}", hint=hint)
    failure.drift = drift
    failure.ename, failure.evalue, failure.trace = ename, evalue, trace
    failure.library = failing_library(ename, evalue, trace) if drift else None
    failure.headline = f"{where}: {ename}: {evalue}"
    return _at_cell(failure, rel, index, cell, exception=f"{ename}: {evalue}", traceback=trace.strip())


def _at_cell(failure: errors.NotebookExecutionError, rel: Path, index: int, cell,
             **raised) -> errors.NotebookExecutionError:
    """``failure`` with the failing cell recorded for machines (``build --json``)."""
    failure.cell = {"notebook": str(rel), "cell": index + 1, "source": cell.source, **raised}
    return failure


def model_files(repo: Path) -> dict[Path, int]:
    """Model-like files in the repo (outside hidden folders) and their modification times."""
    found = {}
    for path in repo.rglob("*"):
        if path.suffix.lower() in MODEL_SUFFIXES and path.is_file():
            if not any(part.startswith(".") for part in path.relative_to(repo).parts):
                found[path] = path.stat().st_mtime_ns
    return found


def _first_lines(cell, n: int = 3) -> str:
    lines = cell.source.splitlines()
    shown = "\n".join(f"    | {line}" for line in lines[:n])
    more = f"\n    | ... ({len(lines) - n} more lines)" if len(lines) > n else ""
    return f"  the cell begins:\n{shown}{more}"


def _silent(client: NotebookClient, code: str) -> None:
    """Run nb2service's own code in the kernel without counting it as a notebook cell."""
    reply = run_sync(client.kc.execute_interactive)(code, silent=True, store_history=False, timeout=300)
    content = reply["content"]
    if content["status"] != "ok":
        trace = ANSI.sub("", "\n".join(content.get("traceback", [])))
        raise errors.NotebookExecutionError(f"nb2service's code failed in the kernel: {content.get('ename')}: "
                                            f"{content.get('evalue')}\n{trace}")


def _kernel_manager(env: BuildEnvironment, work: Path) -> AsyncKernelManager:
    """A kernel from the build environment's interpreter, whatever kernelspec the notebook names.

    It talks over Unix sockets in the build's own folder (ZeroMQ's ipc transport), not TCP ports on
    127.0.0.1: jupyter_client picks free ports, closes them and the kernel binds them later, so a port
    another process takes in between left the kernel unable to start ("Address already in use") and
    the build waiting for it until the startup timeout (seen with builds running side by side)."""
    spec_dir = work / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [str(env.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "nb2service build", "language": "python",
    }))
    specs = KernelSpecManager(kernel_dirs=[str(work / "kernels")])
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs, transport="ipc",
                              ip=str(work / "kernel"))


def _kernel_env(save_file: str, env: BuildEnvironment) -> dict:
    """The kernel's environment: the build's, with the build environment's bin first on PATH, so
    that ``!pip install`` and ``!python`` lines reach the kernel's interpreter, not the host's."""
    variables = process_environment()
    variables.pop("PYTHONPATH", None)
    bin_dir = str(Path(env.python).parent)
    variables["PATH"] = os.pathsep.join([bin_dir, variables.get("PATH", "")])
    if env.root is not None:
        variables["VIRTUAL_ENV"] = str(env.root)
    variables.update({"MPLBACKEND": "Agg", "S2I_PIPELINE_STAGE_SAVE_FILE": save_file, "PYTHONUNBUFFERED": "1",
                      "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    return variables


def dataset_caches(work: Path) -> dict:
    """Where scikit-learn's ``fetch_*``, seaborn's ``load_dataset`` and keras' ``datasets`` keep their
    downloads (by default under HOME, outside the repo the notebook may write to): in the build's
    scratch folder, as a notebook in Jupyter would download them to its own cache."""
    given = process_environment()
    folder = work / "datasets"
    wanted = {"SCIKIT_LEARN_DATA": folder / "scikit_learn_data", "SEABORN_DATA": folder / "seaborn-data",
              "KERAS_HOME": folder / "keras"}
    return {name: str(path) for name, path in wanted.items() if name not in given}


def install_constraints(env: BuildEnvironment, work: Path) -> dict:
    """Variables that make the notebook's own ``!pip install`` / ``!uv pip install`` lines keep the
    build's scientific stack (a wheel built for numpy 2 cannot come into a numpy 1 stack) and, for
    uv, the build's date."""
    if env.root is None:
        return {}
    from .resolve import STACK, end_of  # the packages whose versions and binaries must stay together

    installed = installed_distributions(env)
    pins = [f"{name}=={version}" for name, version in installed.items() if canonicalize_name(name) in STACK]
    path = work / "constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    variables = {"PIP_CONSTRAINT": str(path), "UV_CONSTRAINT": str(path)}
    as_of = env.resolution.as_of.date if env.resolution else None
    if as_of is not None:
        variables["UV_EXCLUDE_NEWER"] = end_of(as_of)
    return variables


def _kernel_lib(work: Path) -> Path:
    """A folder holding ``builder.kernel`` as a uniquely named top-level package for the kernel, so it
    can never hide (or be hidden by) a module of the notebook's own."""
    lib = work / "kernel-lib"
    shutil.copytree(Path(__file__).resolve().parent.parent / "kernel", lib / KERNEL_PACKAGE,
                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    shutil.copytree(Path(__file__).resolve().parent.parent / "features", lib / FEATURES_PACKAGE,
                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    return lib
