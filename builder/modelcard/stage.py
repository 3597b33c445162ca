"""The build's report stage, after the artifact is written and verified, before it is published:
draw the plots and render the executed notebook(s) into ``report/`` in the artifact, and record
what was made in ``metadata.json["report"]``.

The report describes the model; it never decides whether the model ships. A plot or a notebook
that cannot be made is a ``WARNING:`` in the build log and a line in ``report["problems"]``.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Callable

from ..model.artifact import write_metadata
from . import notebook as notebook_html
from .importances import Importances
from .page import REPORT_DIR
from .plots import evaluation_plots, importance_plot

EVALUATION_FILE = "evaluation.json"


def write_report(artifact: Path, meta: dict, python: str, env: dict, log: Callable[[str], None] = print) -> dict:
    """Write ``report/`` in ``artifact``, set ``meta["report"]`` and rewrite metadata.json.

    ``python``/``env``: the build environment's interpreter and process environment (for reading
    the model's feature importances where the model was fitted)."""
    artifact = Path(artifact)
    folder = artifact / REPORT_DIR
    folder.mkdir(exist_ok=True)
    problems: list[str] = []

    def attempt(what: str, make):
        try:
            return make()
        except Exception as exc:  # the report never fails a verified build: say what is missing and why
            problems.append(f"{what}: {type(exc).__name__}: {exc}")
            log(f"    WARNING: {what}: {type(exc).__name__}: {exc}")
            log("    " + traceback.format_exc(limit=-2).strip().replace("\n", "\n    "))
            return None

    with Importances(artifact, python, env) as reader:  # runs while the notebooks are rendered
        notebooks = []
        for i, entry in enumerate(meta.get("notebooks") or []):
            rendered = attempt(f"rendering {entry['path']}",
                               lambda: notebook_html.render(artifact / entry["executed"]))
            record = {"path": entry["path"], "file": None}
            if rendered is not None:
                target = folder / f"notebook-{i}.html"
                target.write_text(rendered, encoding="utf-8")
                record["file"] = f"{REPORT_DIR}/{target.name}"
            else:
                record["problem"] = problems[-1]
            notebooks.append(record)
        results = attempt("reading evaluation.json", lambda: _evaluation_results(artifact))
        made = attempt("drawing the evaluation plots", lambda: evaluation_plots(meta.get("evaluation"), results)) or []
        found = attempt("reading feature importances", reader.result)
    extra = attempt("drawing feature importances", lambda: importance_plot(found))
    made += [extra] if extra is not None else []
    for plot in made:
        (folder / f"{plot.name}.svg").write_text(plot.svg, encoding="utf-8")

    meta["report"] = {"plots": [p.to_json() for p in made], "notebooks": notebooks, "problems": problems,
                      "feature_importances": (found or {}).get("source") or (found or {}).get("reason")}
    write_metadata(artifact, meta)
    log(f"    {len(made)} plot(s): {', '.join(p.name for p in made) or 'none'}; "
        f"{sum(1 for n in notebooks if n['file'])} notebook(s) rendered")
    return meta["report"]


def _evaluation_results(artifact: Path) -> dict | None:
    path = artifact / EVALUATION_FILE
    return json.loads(path.read_text()) if path.is_file() else None
