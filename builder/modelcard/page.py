"""The report page, from an artifact: the model card, the evaluation with its plots (the SVG files
the build wrote in ``report/``), the live panels (service only) and the executed notebook(s).

Two ways to show it:

- ``service_page(artifact, meta)``: for ``GET /report``; stylesheet and script are served by the
  service (``/report/static/``), each notebook is framed from ``/report/notebook/<i>``, and the
  page is sent with ``PAGE_CSP``;
- ``offline_page(artifact)``: one self-contained file for ``nb2service report``; styles inline,
  no script at all, each notebook in an ``<iframe sandbox srcdoc>``, and ``OFFLINE_CSP`` in a
  ``<meta>``.

Jinja2 autoescapes everything; only the build's own SVG files are inserted as markup.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from ..model.artifact import read_metadata
from . import card

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
REPORT_DIR = "report"

#: The report page: its own script and stylesheet only, JSON from its own origin, framed notebooks
#: from its own origin (and those are sandboxed), nothing else.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
#: A rendered notebook: no script at all, a unique opaque origin (``sandbox``), inline styles and
#: ``data:`` images only.
NOTEBOOK_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
#: The offline file: no script, nothing fetched (its notebooks inherit this policy too).
OFFLINE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
               "base-uri 'none'; form-action 'none'")


def _environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def recorded(meta: dict) -> dict:
    """What the build recorded for the report (``metadata.json["report"]``); {} for older artifacts."""
    return meta.get("report") or {}


def plots(artifact: Path, meta: dict) -> list[dict]:
    """The recorded plots with their SVG read from the artifact (missing files are skipped)."""
    found = []
    for plot in recorded(meta).get("plots", []):
        path = Path(artifact) / plot["file"]
        if path.is_file():
            found.append({**plot, "svg": Markup(path.read_text(encoding="utf-8"))})
    return found


def notebook_file(artifact: Path, meta: dict, index: int) -> Path | None:
    """The rendered notebook ``index`` in the artifact, or None."""
    notebooks = recorded(meta).get("notebooks", [])
    if not 0 <= index < len(notebooks) or not notebooks[index].get("file"):
        return None
    path = Path(artifact) / notebooks[index]["file"]
    return path if path.is_file() else None


def _context(artifact: Path, meta: dict, offline: bool) -> dict:
    problems = list(recorded(meta).get("problems", []))
    if "report" not in meta:
        problems.append("this artifact was built by an nb2service without the report stage: rebuild it for "
                        "plots and the rendered notebook")
    notebooks = []
    for i, notebook in enumerate(recorded(meta).get("notebooks", [])):
        entry = {"path": notebook.get("path")}
        path = notebook_file(artifact, meta, i)
        if path is None:
            entry["missing"] = notebook.get("problem") or "the rendered notebook is missing from the artifact"
        elif offline:
            entry["srcdoc"] = path.read_text(encoding="utf-8")
        else:
            entry["src"] = f"/report/notebook/{i}"
        notebooks.append(entry)
    return {"name": meta.get("name", "model"), "version": meta.get("version", ""), "facts": card.facts(meta),
            "inputs": card.inputs(meta), "evaluation": card.evaluation(meta), "plots": plots(artifact, meta),
            "problems": problems, "notebooks": notebooks, "offline": offline}


def service_page(artifact: Path, meta: dict) -> str:
    return _environment().get_template("report.html.j2").render(**_context(artifact, meta, offline=False))


def offline_page(artifact: Path) -> str:
    """The whole report as one HTML file that needs no server and loads nothing (``ArtifactError``
    when ``artifact`` is not a built artifact)."""
    meta = read_metadata(Path(artifact))
    css = (STATIC / "report.css").read_text()
    return _environment().get_template("report.html.j2").render(**_context(artifact, meta, offline=True),
                                                                css=Markup(css), csp=OFFLINE_CSP)


def write_offline(artifact: Path, out: Path) -> Path:
    """Write ``offline_page(artifact)`` to ``out`` (folders made as needed); return ``out``."""
    html = offline_page(artifact)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
