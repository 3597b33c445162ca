"""Put the sources together: declared files, then install lines, then imports; one line per distribution.

Priority (``records.KINDS``): declared > magic > import. A lower-priority source never changes a
higher one's line; when it asked for something different, a note says so. Within a kind, the
first one found wins (declared files in ``declared.py``'s order, then notebooks and cells in order).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from .declared import read_declared
from .imports import scan_notebook
from .jupyter import jupyter_needs
from .local_modules import local_module_names
from .mapping import resolve
from .pip_lines import scan_pip_lines
from .records import KINDS, DependencyPlan, Finding, Found, Requirement
from .requirements_file import display

#: Importable in every kernel nb2service starts: never installed from the notebook's imports.
KERNEL_PROVIDED = frozenset({"IPython", "ipykernel"})
OPTIONAL = "optional import (inside try/except ImportError); not installed"


def plan_dependencies(repo: Path, notebooks: list[tuple[Path, nbformat.NotebookNode]],
                      python: str | None = None) -> DependencyPlan:
    """Work out what ``notebooks`` (paths inside ``repo``, parsed v4 nodes) need installed in an
    environment of ``python`` ("3.12"; default the build's own).

    Raises ``DependencyError`` for a declared file that cannot be read (naming file and line).
    """
    repo = Path(repo).resolve()
    notebooks = [((path if path.is_absolute() else repo / path).resolve(), nb) for path, nb in notebooks]
    folders = list(dict.fromkeys(path.parent for path, _ in notebooks))
    pythons = [".".join(str(nb.metadata.get("language_info", {}).get("version", "")).split(".")[:2])
               for _, nb in notebooks]
    declared = read_declared(repo, folders, [p for p in pythons if p], python)
    magic = Found()
    for path, nb in notebooks:
        magic.add(scan_pip_lines(nb, path, repo, display(path, repo)))
    imports, unknown, optional, local_used = _imports(repo, notebooks, folders)
    requirements, also_found, merge_notes = merge([*declared.requirements, *magic.requirements,
                                                   *imports.requirements])
    names = {r.name for r in requirements}
    optional_notes = [finding for dist, finding in optional if dist not in names]
    unclaimed = sorted(r.name for r in requirements if r.kind != "import" and not _imported(r, imports))
    if unclaimed:
        more = ", ..." if len(unclaimed) > 5 else ""
        hint = f" (unless a requirement found elsewhere provides it: {', '.join(unclaimed[:5])}{more})"
        unknown = [Finding(f.name, f.source, f.reason + hint) for f in unknown]
    notes = _unique([*declared.notes, *magic.notes, *imports.notes, *optional_notes, *merge_notes])
    return DependencyPlan(requirements, unknown, notes, sorted(local_used), also_found)


def merge(candidates: list[Requirement]) -> tuple[list[Requirement], dict[str, list[str]], list[Finding]]:
    """One requirement per name, by priority then order; the other sources; notes on conflicts."""
    ordered = sorted(candidates, key=lambda r: KINDS.index(r.kind))  # stable: keeps order within a kind
    chosen: dict[str, Requirement] = {}
    also: dict[str, list[str]] = {}
    notes: list[Finding] = []
    for req in ordered:
        winner = chosen.setdefault(req.name, req)
        if winner is req:
            continue
        if req.source != winner.source and req.source not in also.setdefault(req.name, []):
            also[req.name].append(req.source)
        if req.line != winner.line and req.kind != "import":
            notes.append(Finding(req.name, req.source, f"'{req.line}' not used: '{winner.line}' "
                                                       f"from {winner.source} takes precedence"))
    return list(chosen.values()), also, notes


def _imports(repo: Path, notebooks: list[tuple[Path, nbformat.NotebookNode]], folders: list[Path]):
    """Import requirements (with scan notes), unknown imports, optional-import notes, local names used."""
    scans = [(display(path, repo), scan_notebook(nb, display(path, repo))) for path, nb in notebooks]
    local = local_module_names(repo, folders).union(*(scan.written_modules for _, scan in scans))
    found, unknown, optional, local_used = Found(), [], [], set()
    for label, scan in scans:
        found.notes.extend(scan.notes)
        for use in scan.uses:
            top = use.module.split(".", 1)[0]
            if top == "__future__" or top in sys.stdlib_module_names or top in KERNEL_PROVIDED:
                continue
            if top in local:
                local_used.add(top)
                continue
            resolution = resolve(use.module)
            source = f"import {resolution.module} in {label} cell {use.cell}"
            if use.optional:
                optional.append((resolution.distribution, Finding(resolution.module, source, OPTIONAL)))
            elif resolution.distribution:
                dist = resolution.distribution
                found.requirements.append(Requirement(dist, dist, source, "import"))
            elif resolution.module not in {f.name for f in unknown}:
                unknown.append(Finding(resolution.module, source, resolution.reason))
            needs = None if use.optional else jupyter_needs(use.module)
            if needs:
                dist, module, why = needs
                found.requirements.append(Requirement(dist, dist, f"import {module} in {label} cell {use.cell} ({why})",
                                                      "import"))
    required = {r.name for r in found.requirements} | {f.name for f in unknown}
    kept, seen = [], set()
    for dist, finding in optional:
        if (dist or finding.name) not in required and finding.name not in seen:
            seen.add(finding.name)
            kept.append((dist, finding))
    return found, unknown, kept, local_used


def _imported(req: Requirement, imports: Found) -> bool:
    return any(r.name == req.name for r in imports.requirements)


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))
