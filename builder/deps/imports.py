"""The modules a notebook's code cells import.

Each code cell is turned into plain Python with IPython's own transformer (``%magic`` and ``!cmd``
lines become ``get_ipython()`` calls), parsed, and walked for ``import x.y``, ``from x.y import z``
(absolute only), ``importlib.import_module("x")`` and ``__import__("x")`` with string constants,
anywhere (inside functions too). The bodies of Python cell magics (``%%time``, ``%%capture``...)
and the code of Python line magics (``%time import x``) are scanned the same way; other cell magics
(``%%bash``, ``%%html``...) are skipped. ``%%writefile name.py`` makes ``name`` a local module (its
body is scanned: it is imported later). Imports in the body of ``try: ... except ImportError:``
(or ``ModuleNotFoundError``) are optional. A cell that still does not parse is skipped with a note.
"""

from __future__ import annotations

import ast
import functools
import shlex
from dataclasses import dataclass, field

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from .records import Finding

PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3",
                                "memit", "snakeviz", "pypy3"})
PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun", "debug", "memit"})
#: Cell magics whose body is not Python: skipped without a note.
OTHER_CELL_MAGICS = frozenset({"bash", "sh", "script", "html", "HTML", "javascript", "js", "latex",
                               "markdown", "svg", "perl", "ruby", "writefile", "file", "sx", "system",
                               "sql", "R", "octave", "julia", "cython", "python2", "pypy"})
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


@dataclass(frozen=True)
class ImportUse:
    """One imported module: its dotted name, whether it is optional, and the cell (1-based)."""

    module: str
    optional: bool
    cell: int


@dataclass
class NotebookImports:
    """What a notebook imports, the modules it writes itself, and the cells that could not be read."""

    uses: list[ImportUse] = field(default_factory=list)
    written_modules: set[str] = field(default_factory=set)
    notes: list[Finding] = field(default_factory=list)


def scan_notebook(notebook: nbformat.NotebookNode, label: str) -> NotebookImports:
    """Scan every code cell of ``notebook``; ``label`` names it in notes (``churn.ipynb``)."""
    result = NotebookImports()
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        where = f"{label} cell {number}"
        collector = _Collector()
        try:
            collector.scan(_source(cell))
        except SyntaxError as err:
            result.notes.append(Finding(f"cell {number}", where, "does not parse as Python after IPython "
                                        f"syntax is removed ({_why(err)}); its imports "
                                        "were not scanned"))
        result.uses.extend(ImportUse(m, optional, number) for m, optional in collector.modules)
        result.written_modules.update(collector.written)
        result.notes.extend(Finding(f"%%{name}", where, "unknown cell magic; its body was not scanned "
                                    "for imports") for name in dict.fromkeys(collector.unknown_magics))
        result.notes.extend(Finding(f"cell {number}", where, problem) for problem in collector.problems)
    return result


def _source(cell: nbformat.NotebookNode) -> str:
    source = cell.source
    return "".join(source) if isinstance(source, list) else source


@functools.cache
def _transformer() -> TransformerManager:
    return TransformerManager()


def python_source(source: str) -> str:
    """``source`` with IPython syntax turned into Python; raises SyntaxError when IPython cannot."""
    try:
        return _transformer().transform_cell(source)
    except SyntaxError:
        raise
    except Exception as err:  # IPython's transformers raise assorted errors on odd input
        raise SyntaxError(f"IPython could not read the cell ({type(err).__name__}: {err})") from None


def parse_cell(source: str) -> ast.Module:
    """Parse a cell's code after ``python_source``; every failure is a SyntaxError."""
    code = python_source(source)
    try:
        return ast.parse(code)
    except ValueError as err:  # e.g. a null byte, on Python 3.11
        raise SyntaxError(str(err)) from None


class _Collector(ast.NodeVisitor):
    """Walks one cell (and the magic bodies in it), collecting ``(module, optional)`` pairs."""

    def __init__(self) -> None:
        self.modules: list[tuple[str, bool]] = []
        self.written: set[str] = set()
        self.unknown_magics: list[str] = []
        self.problems: list[str] = []
        self._optional = 0

    def scan(self, source: str) -> None:
        """Transform, parse and walk ``source``."""
        self.visit(parse_cell(source))

    def _add(self, module: str) -> None:
        self.modules.append((module, self._optional > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return  # relative: the repository's own code
        for alias in node.names:
            self._add(node.module if alias.name == "*" else f"{node.module}.{alias.name}")

    def visit_Try(self, node: ast.Try) -> None:
        optional = any(_catches_import_error(h.type) for h in node.handlers)
        self._optional += optional
        for child in (*node.body, *node.orelse):
            self.visit(child)
        self._optional -= optional
        for child in (*node.handlers, *node.finalbody):
            self.visit(child)

    visit_TryStar = visit_Try

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func, args = node.func, [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        name = _dotted(func)
        if name in ("importlib.import_module", "import_module", "__import__"):
            if args and isinstance(args[0], str) and args[0] and not args[0].startswith("."):
                self._add(args[0])
        elif isinstance(func, ast.Attribute) and _dotted(func.value) == "get_ipython()":
            if not all(isinstance(a, str) for a in args):
                return
            if func.attr == "run_line_magic" and len(args) == 2 and args[0] in PYTHON_LINE_MAGICS:
                self._magic_body(f"%{args[0]}", _strip_options(args[1]))
            elif func.attr == "run_cell_magic" and len(args) == 3:
                self._cell_magic(*args)

    def _cell_magic(self, name: str, line: str, body: str) -> None:
        if name == "timeit" and line.strip():
            self._magic_body("%%timeit setup", _strip_options(line))
        if name in PYTHON_CELL_MAGICS or (name == "script" and line.split()[:1] in (["python"], ["python3"])):
            self._magic_body(f"%%{name}", body)
        elif name == "writefile":
            target = next((t for t in _split(line) if not t.startswith("-")), "")
            if target.endswith(".py"):
                self.written.add(target.rsplit("/", 1)[-1][:-3])
                self._magic_body(f"%%writefile {target}", body)
        elif name not in OTHER_CELL_MAGICS:
            self.unknown_magics.append(name)

    def _magic_body(self, magic: str, code: str) -> None:
        try:
            tree = parse_cell(code)
        except SyntaxError as err:
            self.problems.append(f"the {magic} code does not parse as Python ({_why(err)}); "
                                 "its imports were not scanned")
            return
        self.visit(tree)


def _why(err: SyntaxError) -> str:
    return f"line {err.lineno}: {err.msg}" if err.lineno else str(err.msg)


def _catches_import_error(handler_type: ast.expr | None) -> bool:
    if isinstance(handler_type, ast.Tuple):
        return any(_catches_import_error(e) for e in handler_type.elts)
    return _dotted(handler_type).rsplit(".", 1)[-1] in _IMPORT_ERRORS if handler_type else False


def _dotted(node: ast.expr) -> str:
    """``a.b.c`` for attribute chains on a name, ``f()`` for a call of a name, else ``""``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else ""
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        head = _dotted(node.func)
        return f"{head}()" if head else ""
    return ""


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def _strip_options(code: str) -> str:
    """``-n 10 -r 3 sum(x)`` -> ``sum(x)``: drop leading magic options until the rest parses."""
    tokens = code.split(" ")
    for start in range(len(tokens)):
        if start and not (tokens[start - 1].startswith("-") or (start > 1 and tokens[start - 2].startswith("-"))):
            break
        rest = " ".join(tokens[start:])
        try:
            ast.parse(rest)
            return rest
        except SyntaxError:
            continue
    return code
