"""The statements of the executed cells that lead to one variable: an ast backward slice.

Each executed cell is split into its top-level statements, in execution order. A statement
*defines* the names it assigns (``x = ...``, ``for x in``, ``def f``, ``import m``), *modifies*
the names it changes in place (``df[c] = ...``, ``df.loc[...] = ...``, ``del df[c]``,
``df.drop(..., inplace=True)``, ``cols.append(c)``, ``scaler.fit(X)``) and *uses* every name it
reads. Walking backwards from the target, a statement is kept when it defines or modifies a name
still needed; its uses become needed; a plain assignment ends the need for the name it assigns.
Plots, prints and work on other variables define nothing needed and fall out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

#: Methods that change their receiver (beyond ``inplace=True``).
MUTATORS = {"append", "extend", "insert", "pop", "remove", "update", "clear", "sort", "setdefault", "add",
            "discard", "fit", "partial_fit", "fit_transform", "set_params", "popitem"}


@dataclass
class Statement:
    node: ast.stmt
    cell: int  # 1-based ordinal of the executed cell
    source: str = ""
    defines: set = field(default_factory=set)
    modifies: set = field(default_factory=set)
    uses: set = field(default_factory=set)

    @property
    def writes(self) -> set:
        return self.defines | self.modifies


def statements(cells: list[str]) -> list[Statement]:
    """The top-level statements of ``cells`` (Python code, in execution order)."""
    out = []
    for number, code in enumerate(cells, start=1):
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in tree.body:
            out.append(analyse(node, number, ast.get_source_segment(code, node) or ast.unparse(node)))
    return out


def analyse(node: ast.stmt, cell: int = 0, source: str = "") -> Statement:
    st = Statement(node, cell, source or ast.unparse(node))
    _collect(node, st)
    st.uses -= {"__builtins__"}
    return st


def backward_slice(stmts: list[Statement], targets: set[str]) -> list[Statement]:
    """The statements of ``stmts`` (in order) that ``targets`` depend on."""
    needed, kept = set(targets), []
    for st in reversed(stmts):
        if not (st.writes & needed):
            continue
        kept.append(st)
        needed -= st.defines - st.modifies - st.uses
        needed |= st.uses | st.modifies
    return list(reversed(kept))


def root_name(node: ast.AST) -> str | None:
    """``df`` for ``df``, ``df['a']``, ``df.loc[...]``, ``df.a.b``; None otherwise."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _collect(node: ast.AST, st: Statement) -> None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        st.defines.add(node.name)
        local = _locals(node)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in local:
                st.uses.add(sub.id)
        for deco in getattr(node, "decorator_list", []):
            _collect(deco, st)
        return
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            st.defines.add((alias.asname or alias.name).split(".")[0])
        return
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            _target(target, st, augmented=isinstance(node, ast.AugAssign))
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        _target(node.target, st)
        inner = Statement(node, st.cell)
        for child in [node.iter, *node.body, *node.orelse]:
            _collect(child, inner)
        bound = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        st.defines |= inner.defines
        st.modifies |= inner.modifies
        st.uses |= inner.uses - (bound - _names(node.iter))  # the loop variable is set before the body reads it
        return
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if item.optional_vars is not None:
                _target(item.optional_vars, st)
    elif isinstance(node, ast.Delete):
        for target in node.targets:
            name = root_name(target)
            if name and not isinstance(target, ast.Name):
                st.modifies.add(name)
    elif isinstance(node, ast.NamedExpr):
        st.defines.add(node.target.id)
    elif isinstance(node, ast.Call):
        _call(node, st)
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        st.uses.add(node.id)
    elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)):
        local = _locals(node)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in local:
                st.uses.add(sub.id)
            elif isinstance(sub, ast.Call):
                _call(sub, st)
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and child in _assign_targets(node):
            continue
        if isinstance(node, (ast.For, ast.AsyncFor)) and child is node.target:
            continue
        _collect(child, st)


def _assign_targets(node) -> list:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _target(target: ast.AST, st: Statement, augmented: bool = False) -> None:
    if isinstance(target, ast.Name):
        st.defines.add(target.id)
        if augmented:
            st.uses.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _target(element, st, augmented)
    elif isinstance(target, ast.Starred):
        _target(target.value, st, augmented)
    else:  # df['a'] = ..., df.loc[m, 'a'] = ..., obj.attr = ...
        name = root_name(target)
        if name:
            st.modifies.add(name)
        for child in ast.iter_child_nodes(target):
            _collect(child, st)


def _call(node: ast.Call, st: Statement) -> None:
    func = node.func
    if isinstance(func, ast.Attribute):
        inplace = any(k.arg == "inplace" and not (isinstance(k.value, ast.Constant) and not k.value.value)
                      for k in node.keywords)
        if inplace or func.attr in MUTATORS:
            name = root_name(func.value)
            if name:
                st.modifies.add(name)


def _names(node: ast.AST) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _locals(node: ast.AST) -> set:
    """Names bound inside a function, class, comprehension or lambda (parameters included)."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg):
            names.add(sub.arg)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
    return names
