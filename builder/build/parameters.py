"""Notebook parameters, as papermill does them: the cell tagged ``parameters`` holds the defaults;
values given with ``--param NAME=VALUE`` (repeatable) or ``NB2SERVICE_PARAM_<NAME>`` are injected in
a new cell right after it (tagged ``injected-parameters``), so the notebook runs with them and its
executed copy shows them.

Values are typed the way papermill's ``-p`` types them (``True``/``False``/``None``, whole numbers,
decimals, else a string), and JSON lists, objects and quoted strings as papermill's ``-y`` would
(``[1, 2]``, ``{"a": 1}``, ``"42"`` for the string 42). A name the parameters cell does not assign
is refused, so a misspelt parameter cannot be silently ignored by a scheduled rebuild.
"""

from __future__ import annotations

import ast
import json

from nbformat import v4

from ..errors import UsageError

TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def parse_value(text: str):
    """A command-line value with its type: papermill's ``-p`` rules, plus JSON lists, objects and strings."""
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    if text in ("None", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text[:1] in ("[", "{", '"'):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"parameter value {text!r} looks like JSON but does not parse: {exc}",
                             hint="quote it for the shell, e.g. --param 'features=[\"a\", \"b\"]'") from None
    return text


def defaults(cell_source: str) -> dict[str, str]:
    """``{name: source of the default}`` for the names a parameters cell assigns."""
    try:
        tree = ast.parse(cell_source)
    except SyntaxError:
        return {}
    found = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
                found[target.id] = ast.get_source_segment(cell_source, node.value) or ""
    return found


def apply_parameters(runs: list, given: tuple[tuple[str, str, str], ...], repo) -> dict | None:
    """Inject ``given`` (``(name, raw value, where from)``, from ``BuildSettings.parameters``) after
    each notebook's ``parameters`` cell; return what metadata.json records (None when none was given)."""
    if not given:
        return None
    cells = []
    for run in runs:
        index = next((i for i, c in enumerate(run.notebook.cells)
                      if c.cell_type == "code" and TAG in c.get("metadata", {}).get("tags", [])), None)
        if index is not None:
            cells.append((run, index))
    if not cells:
        names = ", ".join(str(r.path.relative_to(repo)) for r in runs)
        given_names = ", ".join(sorted(n for n, _, _ in given))
        raise UsageError(f"parameters were given ({given_names}) but no cell of {names} is tagged '{TAG}'",
                         hint="tag the cell that sets the defaults 'parameters' (as for papermill)")
    known: dict[str, str] = {}
    for run, index in cells:
        known.update(defaults(run.notebook.cells[index].source))
    resolved = {}
    for name, raw, source in given:
        match = name if name in known else next((k for k in known if k.lower() == name.lower()), None)
        if match is None:
            raise UsageError(f"parameter '{name}' ({source}) is not set in the '{TAG}' cell; it would have no effect",
                             hint=f"the parameters are: {', '.join(sorted(known)) or 'none'}")
        resolved[match] = {"value": parse_value(raw), "source": source, "default": known[match]}
    lines = ["# Parameters (injected by nb2service)"]
    lines += [f"{name} = {entry['value']!r}" for name, entry in resolved.items()]
    for run, index in cells:
        cell = v4.new_code_cell("\n".join(lines))
        cell.metadata["tags"] = [INJECTED_TAG]
        run.notebook.cells.insert(index + 1, cell)
    return {"values": {name: entry["value"] for name, entry in resolved.items()},
            "sources": {name: entry["source"] for name, entry in resolved.items()},
            "defaults": {name: entry["default"] for name, entry in resolved.items()},
            "notebooks": [str(run.path.relative_to(repo)) for run, _ in cells]}
