"""The sliced statements made replayable, for the build's recording run or for serving.

What changes, and nothing else (``_f`` is the replay object, ``builder.features.runtime``):

- a table load (``pd.read_csv(...)``, ``read_excel``, ``read_parquet``, ``read_sql``..., or a
  dataset bundled with scikit-learn, ``load_iris(as_frame=True)``...) becomes ``_f.table(key,
  lambda: <the call>)`` when recording; when serving, the request's records (``_f.raw(raw)``, or
  ``_f.bundle(key, raw)`` in the loader's shape) for the table the model's rows come from, the
  table saved at build for others;
- ``a_train, a_test, b_train, b_test = train_test_split(a, b, ...)`` becomes ``a_train =
  _f.rows(key, a)`` (and ``b_train``): the training rows when recording, the request's rows when
  serving. Recording also gets the split itself (``lambda p: train_test_split(a, b, p, ...)``):
  for a model fitted on arrays, which positions of ``a`` the training rows are;
- a fit (``R.fit(X)``, ``X = R.fit_transform(X)``, ``R.fit_predict(X)``) becomes ``R =
  _f.fitted(key, R, X)`` (recording: fit it and keep a copy; serving: ``_f.fitted(key)``, the copy)
  followed by ``R.transform(X)``;
- ``X_res, y_res = R.fit_resample(X, y)`` (oversampling) becomes ``X_res = _f.resampled(key, X)``:
  a request's rows are not resampled;
- a whole-table statistic (``df['age'].mean()``, ``.median()``, ``.mode()``, ``.value_counts()``...,
  not per row and not inside a lambda) becomes ``_f.stat(key, lambda: <the call>)``, frozen at its
  training value;
- ``pd.get_dummies(...)`` becomes ``_f.dummies(key, pd.get_dummies, ...)``: the columns it encodes
  get their training categories first, so one row gives every dummy column;
- ``X.map(...)``, ``X.drop(...)``, ``X.apply(...)``, ``X.fillna(...)`` (not ``inplace``) and
  ``X[[...]]``/``X[names]`` (not inside a function or lambda) become ``_f.map(key, X, ...)``...
  and ``_f.select(key, X, names)``: pandas' own call when recording, which also
  checks the faster form of ``builder.features.fast_forms``; that form when serving, where it was
  identical.
"""

from __future__ import annotations

import ast
import copy

from . import bundled
from .slicing import Statement, analyse

LOADERS = {"read_csv", "read_excel", "read_parquet", "read_sql", "read_sql_query", "read_sql_table", "read_json",
           "read_table", "read_feather", "read_pickle", "read_stata", "read_orc", "read_fwf", "read_spss"}
FITS = {"fit", "fit_transform", "fit_predict"}
REDUCTIONS = {"mean", "median", "mode", "std", "var", "min", "max", "sum", "quantile", "value_counts", "nunique",
              "unique", "idxmax", "idxmin", "sem", "skew", "kurt", "prod"}
#: Calls with a faster form for serving, checked at build (``builder.features.fast_forms``).
FAST = {"map", "drop", "apply", "fillna"}
RECORD, SERVE = "record", "serve"


def call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def is_load(call: ast.AST) -> bool:
    return isinstance(call, ast.Call) and (call_name(call) in LOADERS or call_name(call) in bundled.LOADERS)


def resample_input(node: ast.stmt) -> str | None:
    """``X`` for ``X_res, y_res = R.fit_resample(X, y)`` (imbalanced-learn), else None."""
    if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and call_name(node.value) == "fit_resample"
            and len(node.targets) == 1 and isinstance(node.targets[0], (ast.Tuple, ast.List))
            and node.value.args and isinstance(node.value.args[0], ast.Name)):
        return node.value.args[0].id
    return None


def is_split(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and (call_name(node.value) or "").endswith("train_test_split")
            and len(node.targets) == 1 and isinstance(node.targets[0], (ast.Tuple, ast.List)))


class Keys:
    """Stable keys for the replay sites (``t0``, ``f1``, ``m2``...), the same in both modes."""

    def __init__(self):
        self.count = 0

    def next(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"


def rewrite(stmts: list[Statement], mode: str, main_table: str | None = None) -> list[Statement]:
    """The statements with their replay sites rewritten for ``mode``; ``main_table`` (serve): the
    key of the table the request's records stand in for."""
    keys, out = Keys(), []
    for st in stmts:
        node = copy.deepcopy(st.node)
        for new in _statement(node, mode, keys, main_table):
            ast.fix_missing_locations(new)
            out.append(analyse(new, st.cell))
    return out


def _statement(node: ast.stmt, mode: str, keys: Keys, main: str | None, local: bool = False) -> list[ast.stmt]:
    if is_split(node):
        key = keys.next("s")
        outputs = node.targets[0].elts
        made = []
        for i, arg in enumerate(node.value.args):
            target = outputs[2 * i] if 2 * i < len(outputs) else None
            if isinstance(target, ast.Name):
                split = [_split_positions(node.value)] if mode == RECORD else []
                arg = _Sites(mode, keys, main, local).visit(arg)
                made.append(ast.Assign([ast.Name(target.id, ast.Store())], _replay("rows", key, [arg, *split])))
        return made
    if resample_input(node) is not None:  # requests are not resampled: the rows are the rows
        key = keys.next("r")
        return [ast.Assign([ast.Name(target.id, ast.Store())], _replay("resampled", key, [_Sites(mode, keys, main, local).visit(arg)]))
                for target, arg in zip(node.targets[0].elts, node.value.args) if isinstance(target, ast.Name)]
    fit = _statement_fit(node)
    if fit is not None:
        receiver, call, assigned = fit
        key = keys.next("f")
        args = [_Sites(mode, keys, main, local).visit(a) for a in call.args]
        kwargs = [ast.keyword(k.arg, _Sites(mode, keys, main, local).visit(k.value)) for k in call.keywords]
        refit = ast.Assign([copy.deepcopy(receiver)],
                           _replay("fitted", key, [_load(receiver), *args] if mode == RECORD else [],
                                   kwargs if mode == RECORD else []))
        if assigned is None:
            return [refit]
        method = "transform" if call.func.attr == "fit_transform" else "predict"
        apply = ast.Call(ast.Attribute(_load(receiver), method, ast.Load()), args[:1], [])
        return [refit, ast.Assign(assigned, apply)]
    return [_Sites(mode, keys, main, local, assigned=node.value if isinstance(node, ast.Assign) else None).visit(node)]


def _split_positions(call: ast.Call) -> ast.Lambda:
    """``lambda _p: train_test_split(a, b, _p, ...)``: the notebook's split with one more array,
    the positions, split the same way (the rows drawn depend on the number of rows, the
    ``random_state`` and ``stratify`` only)."""
    inner = copy.deepcopy(call)
    inner.args = [*inner.args, ast.Name("_positions", ast.Load())]
    args = _no_args()
    args.args = [ast.arg("_positions")]
    return ast.Lambda(args, inner)


def _statement_fit(node: ast.stmt):
    """``(receiver, call, targets)`` for ``R.fit(...)`` alone or ``T = R.fit_transform(...)``."""
    call = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in FITS):
        return None
    receiver = call.func.value
    if not isinstance(receiver, (ast.Name, ast.Subscript, ast.Attribute)):
        return None
    if isinstance(node, ast.Expr):
        return (receiver, call, None) if call.func.attr == "fit" else None
    if call.func.attr == "fit" or not call.args:
        return None
    return receiver, call, node.targets


class _Sites(ast.NodeTransformer):
    """Rewrites the replay sites inside one statement (see the module docstring)."""

    def __init__(self, mode: str, keys: Keys, main: str | None, local: bool = False, assigned: ast.AST | None = None):
        self.mode, self.keys, self.main = mode, keys, main
        self.in_lambda = 0
        self.local = local  # inside the notebook's own function: called per row, perhaps
        self.assigned = assigned  # the value of the statement's assignment, when it is one

    def visit_Lambda(self, node):
        self.in_lambda += 1
        self.generic_visit(node)
        self.in_lambda -= 1
        return node

    def visit_For(self, node):
        node.target = node.target
        node.iter = self.visit(node.iter)
        node.body = self._body(node.body)
        node.orelse = self._body(node.orelse)
        return node

    def visit_If(self, node):
        node.test = self.visit(node.test)
        node.body, node.orelse = self._body(node.body), self._body(node.orelse)
        return node

    def visit_FunctionDef(self, node):
        node.body = self._body(node.body, local=True)
        return node

    def visit_With(self, node):
        node.body = self._body(node.body)
        return node

    def _body(self, body: list, local: bool = False) -> list:
        out = []
        for stmt in body:
            out.extend(_statement(stmt, self.mode, self.keys, self.main, local or self.local))
        return out

    def visit_Subscript(self, node: ast.Subscript):
        self.generic_visit(node)
        # frame[[...]] anywhere, or X = frame[names] (names may hold one column's name, or anything:
        # the recording run finds out, and the subscript itself serves then)
        selection = isinstance(node.slice, ast.List) or isinstance(node.slice, ast.Name) and node is self.assigned
        if isinstance(node.ctx, ast.Load) and selection and not self.in_lambda and not self.local:
            return _replay("select", self.keys.next("p"), [node.value, node.slice])
        return node

    def visit_Call(self, node: ast.Call):
        name = call_name(node)
        if name in bundled.LOADERS:
            key = self.keys.next("t")
            if self.mode == RECORD:
                return _replay("table", key, [ast.Lambda(_no_args(), node), ast.Lambda(_no_args(), _named(node))])
            if key == self.main:
                return _replay("bundle", key, [ast.Name("raw", ast.Load())])
            return _replay("table", key, [])
        if name in LOADERS:
            key = self.keys.next("t")
            if self.mode == RECORD:
                return _replay("table", key, [ast.Lambda(_no_args(), node)])
            if key == self.main:
                return _replay("raw", None, [ast.Name("raw", ast.Load())])
            return _replay("table", key, [])
        self.generic_visit(node)
        if name == "get_dummies":
            return _replay("dummies", self.keys.next("d"), [node.func, *node.args], node.keywords)
        if name in FITS and isinstance(node.func, ast.Attribute):
            key = self.keys.next("f")
            method = "transform" if name == "fit_transform" else "predict" if name == "fit_predict" else None
            fitted = _replay("fitted", key, [node.func.value, *node.args] if self.mode == RECORD else [],
                             node.keywords if self.mode == RECORD else [])
            if isinstance(node.func.value, ast.Name):  # later reads of the receiver see it fitted
                fitted = ast.NamedExpr(ast.Name(node.func.value.id, ast.Store()), fitted)
            if method is None:
                return fitted
            return ast.Call(ast.Attribute(fitted, method, ast.Load()), node.args[:1], [])
        if name in FAST and isinstance(node.func, ast.Attribute) and not self.in_lambda and not self.local \
                and all(k.arg not in (None, "inplace") for k in node.keywords) \
                and not any(isinstance(a, ast.Starred) for a in node.args):
            return _replay(name, self.keys.next("p"), [node.func.value, *node.args], node.keywords)
        if name in REDUCTIONS and isinstance(node.func, ast.Attribute) and not self.in_lambda and not _per_row(node):
            key = self.keys.next("m")
            return _replay("stat", key, [ast.Lambda(_no_args(), node)] if self.mode == RECORD else [])
        return node


def _named(call: ast.Call) -> ast.AST:
    """``load_x(...).feature_names``: the names a ``return_X_y=True`` array does not carry."""
    plain = copy.deepcopy(call)
    plain.keywords = [k for k in plain.keywords if k.arg not in ("return_X_y", "as_frame")]
    return ast.Attribute(plain, "feature_names", ast.Load())


def _per_row(call: ast.Call) -> bool:
    for k in call.keywords:
        if k.arg == "axis" and isinstance(k.value, ast.Constant) and k.value.value in (1, "columns"):
            return True
    return False


def _replay(method: str, key: str | None, args: list, keywords: list | None = None) -> ast.Call:
    head = [ast.Constant(key)] if key is not None else []
    return ast.Call(ast.Attribute(ast.Name("_f", ast.Load()), method, ast.Load()), head + args, keywords or [])


def _load(node: ast.AST) -> ast.AST:
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return node


def _no_args() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
