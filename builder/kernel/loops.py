"""Names that a loop rebinds, read from the code the kernel ran.

``for model in models: model.fit(...)`` leaves ``model`` bound to whatever the loop saw last: the
name says nothing about which model the notebook meant. The cells' code is parsed with ``ast``
(IPython keeps it, magics already turned into Python, in the ``In`` list); names bound by a
``for`` target (``targets``) or assigned inside a ``for``/``while`` body (``assigned``), at the
notebook's top level (not inside a function), are loop-bound. ``best_model = m`` under an ``if``
in the loop is how notebooks keep the best: only a loop *target* weakens a name that says "best".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass
class LoopNames:
    targets: set[str] = field(default_factory=set)
    assigned: set[str] = field(default_factory=set)

    def __contains__(self, name: str) -> bool:
        return name in self.targets or name in self.assigned


def loop_bound_names(namespace: dict) -> LoopNames:
    """The top-level names the executed cells bind in loops."""
    sources = namespace.get("In") or namespace.get("_ih") or []
    found = LoopNames()
    for source in sources:
        if isinstance(source, str) and source.strip():
            names = names_bound_in_loops(source)
            found.targets |= names.targets
            found.assigned |= names.assigned
    return found


def names_bound_in_loops(source: str) -> LoopNames:
    found = LoopNames()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return found
    _visit(tree.body, False, found)
    return found


def _visit(statements: list, in_loop: bool, found: LoopNames) -> None:
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # the names they bind are local
        if isinstance(node, (ast.For, ast.AsyncFor)):
            found.targets |= _targets(node.target)
        elif in_loop and isinstance(node, ast.Assign):
            for target in node.targets:
                found.assigned |= _targets(target)
        elif in_loop and isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            found.assigned |= _targets(node.target)
        looping = in_loop or isinstance(node, (ast.For, ast.AsyncFor, ast.While))
        for field in ("body", "orelse", "finalbody"):
            _visit(getattr(node, field, None) or [], looping, found)
        for handler in getattr(node, "handlers", None) or []:
            _visit(handler.body, looping, found)


def _targets(target) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        out: set[str] = set()
        for element in target.elts:
            out |= _targets(element)
        return out
    if isinstance(target, ast.Starred):
        return _targets(target.value)
    return set()
