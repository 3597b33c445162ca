"""Run in the kernel after the notebook: work out the feature path from the loaded table to the
model's training matrix and prepare ``features.py`` for the fresh-process check.

1. the model's last fit (``lineage``): the matrix and target passed, and in which cell;
2. the statements that lead to that matrix (``builder.features.slicing``), made replayable
   (``builder.features.rewrite``) and run once on the notebook's own table by a ``Recorder``, which
   keeps the fitted transformers, frozen statistics and dummy categories;
3. the table the model's rows come from (the one holding its index and the target), and which of
   its columns the path reads: a column whose values can be rotated among the training rows
   without changing the matrix is not read, and a request need not send it;
4. ``features.py`` and ``features.joblib`` into the artifact, and what the check compares
   (``features-check.joblib``: raw records of up to ``CHECK_ROWS`` training rows, their matrix rows
   with the same index, the kernel's predictions on them) into the build's work folder.

Everything it cannot do ends in a ``{"status": "not replayed", "reason": ...}`` and today's
inputs are served.
"""

from __future__ import annotations

import ast
import copy
import inspect
import traceback
from pathlib import Path

try:  # in the kernel, builder.features is copied next to this package (see builder.build.execute)
    from _nb2service_features import emit, fast_forms, rewrite, runtime, slicing
except ImportError:
    from ..features import emit, fast_forms, rewrite, runtime, slicing

from . import lineage

CHECK_ROWS = 500
#: The variable ``features()`` computes the model's input in when the fit call passes an expression
#: (``model.fit(scaler.fit_transform(X_train), y)``, ``model.fit(X_train.values, y)``).
MATRIX = "model_input"
CHECK_FILE = "features-check.joblib"
FEATURES_FILE = "features.py"


class NotReplayed(Exception):
    pass


def prepare(namespace: dict, model, out: Path, work: Path, notebook: str, version: str,
            labels: list[str] | None = None) -> dict:
    """``harvest.json``'s ``features``: ``status`` candidate (checked next, in a fresh process),
    not needed (the model takes the loaded columns as they are) or not replayed, with the reason."""
    try:
        return _prepare(namespace, model, Path(out), Path(work), notebook, version, labels or [])
    except (NotReplayed, runtime.ReplayError) as exc:
        return {"status": "not replayed", "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - any failure means the service keeps today's inputs
        return {"status": "not replayed", "reason": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-2000:]}


def _prepare(namespace, model, out, work, notebook, version, labels) -> dict:
    import numpy as np
    import pandas as pd

    X, y, cell, owner = _fit_record(namespace, model)
    index = X.index if isinstance(X, (pd.DataFrame, pd.Series)) else y.index if isinstance(y, pd.Series) and len(y) == len(X) \
        else None
    cells = lineage.cells()
    call, stmt_line = _fit_call(cells[cell - 1], namespace, owner)
    target_expr = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "X"), None)
    if target_expr is None:
        raise NotReplayed("the model's fit call passes no matrix")
    targets = {n.id for n in ast.walk(target_expr) if isinstance(n, ast.Name)
               and not inspect.ismodule(namespace.get(n.id)) and not callable(namespace.get(n.id))}
    if not targets:
        raise NotReplayed(f"the fit call's matrix `{ast.unparse(target_expr)}` names no variable")
    stmts = [st for st in slicing.statements(cells[:cell])
             if st.cell < cell or st.node.end_lineno < stmt_line]
    if not isinstance(target_expr, ast.Name):  # the expression becomes a statement, replayed like the others
        node = ast.fix_missing_locations(ast.Assign([ast.Name(MATRIX, ast.Store())], copy.deepcopy(target_expr)))
        stmts.append(slicing.analyse(node, cell, ast.unparse(node)))
        targets, target_expr = {MATRIX}, ast.Name(MATRIX, ast.Load())
    sliced = slicing.backward_slice(stmts, targets)
    if not any(rewrite.is_load(n) for st in sliced for n in ast.walk(st.node)):
        raise NotReplayed("the training matrix does not come from a table the notebook loaded with pandas "
                          f"({', '.join(sorted(rewrite.LOADERS)[:4])}...) or from a dataset bundled with "
                          "scikit-learn (load_iris, load_diabetes...)")
    resampled = [rewrite.resample_input(st.node) for st in sliced if rewrite.resample_input(st.node)]
    if resampled:  # the model saw resampled rows (SMOTE...); the rows before resampling are the check's
        X, index = _before_resampling(namespace, resampled[-1], model)
    output = ast.unparse(target_expr)
    recorder = runtime.Recorder(index)
    record_code = emit.module(rewrite.rewrite(sliced, rewrite.RECORD), output, notebook, version, serve=False)
    label = emit.labeller(labels)
    try:
        _run(record_code, recorder)(None)
    except runtime.ReplayError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise NotReplayed(f"replaying the notebook's statements on its own table failed: {type(exc).__name__}: {exc}")
    if recorder.splits and not _same(_values(recorder.result), _values(X)):
        recorder = _with_notebooks_split(recorder, record_code, index, X)
    if recorder is None:
        raise NotReplayed("replaying the notebook's train/test split (with its random_state, or with the rows the "
                          "notebook's own split drew) does not give the matrix the model was fitted on, so its "
                          "training rows, fitted on arrays, cannot be found in the loaded table")
    if index is None:
        index = _positional_index(recorder, X)
    main, table = _main_table(recorder.state["tables"], index, getattr(y, "name", None))
    serve_stmts = slicing.backward_slice(rewrite.rewrite(sliced, rewrite.SERVE, main), targets)
    code = emit.module(serve_stmts, output, notebook, version, label=label)
    sample = index[:CHECK_ROWS]
    if not sample.isin(table.index).all() or not table.index.is_unique:
        raise NotReplayed("the training matrix's index does not point into the loaded table (reset_index, concat "
                          "or a merge between them?), so its rows cannot be checked against raw records")
    target = y.name if isinstance(y, pd.Series) and y.name in table.columns else None
    state = {**recorder.state, "output": _output_spec(X),
             "raw": {"columns": [str(c) for c in table.columns], "placeholders": {}}}
    if main in state["tables"]:
        del state["tables"][main]  # the request's records stand in for it
    raw_rows = table.loc[sample]
    if target is not None:
        state["raw"]["placeholders"][target] = _placeholder(table[target])
    frozen = runtime.Frozen(state)
    features = _run(emit.module(serve_stmts, output, notebook, version, serve=False), frozen)
    inputs = [c for c in table.columns if c != target]
    try:
        base = features(raw_rows[inputs])
    except Exception as exc:  # noqa: BLE001
        raise NotReplayed(f"the replayed statements fail on the training rows: {type(exc).__name__}: {exc}")
    unread = []
    for name in inputs:
        rolled = raw_rows[inputs].copy()
        rolled[name] = _other_values(rolled[name], table[name])
        try:
            same = _same(base, features(rolled))
        except Exception:  # noqa: BLE001 - it fails without the real values: it reads them
            same = False
        if same:
            unread.append(name)
    for name in unread:
        state["raw"]["placeholders"][name] = _plain(raw_rows[name].iloc[0])
    served = [c for c in inputs if c not in unread]
    if _passes_through(X, table, sample) or _array_of_columns(X, index, table.loc[sample, inputs]):
        return {"status": "not needed", "reason": "the model takes the loaded table's columns as they are"}
    import joblib

    from .harvest import _cell
    from .infer_schema import column_schema

    (out / FEATURES_FILE).write_text(code)
    joblib.dump(state, out / runtime.STATE_FILE)
    records = [{str(k): _cell(v) for k, v in row.items()} for row in raw_rows[served].to_dict(orient="records")]
    matrix = X.loc[sample] if isinstance(X, pd.DataFrame) else np.asarray(X)[index.get_indexer(sample)]
    if state["output"]["kind"] == "text":
        matrix = list(matrix)
    has_proba = hasattr(model, "predict_proba")
    check = {"records": records, "index": list(sample), "matrix": matrix,
             "predictions": model.predict(matrix), "probabilities": model.predict_proba(matrix) if has_proba else None}
    joblib.dump(check, work / CHECK_FILE)
    load = next(st for st in sliced if any(rewrite.is_load(n) for n in ast.walk(st.node)))
    return {"status": "candidate", "file": FEATURES_FILE, "state": runtime.STATE_FILE,
            "inputs": [column_schema(str(c), table[c]) for c in served],
            "examples": records[:5], "target": target, "not_read": [str(c) for c in unread],
            "table": {"statement": load.source, "cell": label(load.cell), "rows": len(table)},
            "statements": len([st for st in serve_stmts if not isinstance(st.node, (ast.Import, ast.ImportFrom))]),
            "fast_forms": fast_forms.report(recorder.state, serve_stmts),
            "output": output, "placeholders": {str(k): v for k, v in state["raw"]["placeholders"].items()}}


def _with_notebooks_split(recorder, record_code: str, index, X):
    """A recording run with the training positions the notebook's own split drew (the kernel saw
    them: a split without a fixed random_state), latest first; None when none gives ``X``."""
    if len(recorder.splits) != 1:
        return None
    rows = next(iter(recorder.splits.values()))["rows"]
    for drawn, positions in reversed(lineage.splits()):
        if drawn != rows or len(positions) != len(X):
            continue
        again = runtime.Recorder(index, positions)
        try:
            _run(record_code, again)(None)
        except Exception:  # noqa: BLE001 - then not this split
            continue
        if _same(_values(again.result), _values(X)):
            return again
    return None


def _positional_index(recorder, X):
    """The loaded table's index of the rows of ``X``, a matrix without one: the training positions
    the replayed split drew, in the index of the frame it split or, when it split an array, of the
    loaded table, whose rows the array must then be one for one (checked: the same number)."""
    if len(recorder.splits) > 1:
        raise NotReplayed("the model was fitted on arrays split more than once (train/validation/test?), so its "
                          "rows cannot be traced back to the loaded table")
    if recorder.splits:
        split = next(iter(recorder.splits.values()))
        if split["index"] is not None:  # a frame was split, then made an array: its index says which rows
            return split["index"]
        rows, positions = split["rows"], split["positions"]
    else:
        rows, positions = len(X), slice(None)
    _, table = _main_table(recorder.state["tables"], None, None)
    if rows != len(table):
        raise NotReplayed(f"the model was fitted on an array made from {rows} rows, the loaded table has {len(table)}: "
                          "rows were dropped or added before the DataFrame became an array, so the array's rows "
                          "cannot be matched to the table's by position (split the DataFrame, then take .values, "
                          "to keep its index)")
    return table.index[positions]


def _values(value):
    import numpy as np

    return value if hasattr(value, "columns") else np.asarray(value)


def _array_of_columns(X, index, columns) -> bool:
    """The model's matrix, an array, is some of the loaded table's columns as they are, in the
    table's order."""
    import numpy as np
    import pandas as pd

    if isinstance(X, (pd.DataFrame, pd.Series)) or not hasattr(X, "shape") or len(X.shape) != 2:
        return False
    rows = np.asarray(X)[index.get_indexer(columns.index)]
    names, at = list(columns.columns), 0
    for j in range(rows.shape[1]):
        while at < len(names) and not _same(rows[:, j], columns[names[at]].to_numpy()):
            at += 1
        if at == len(names):
            return False
        at += 1
    return True


def _other_values(sample, column):
    """``sample``'s values moved among its rows; when that changes nothing (one value throughout
    the sample), another value the table's column holds, so that a column the path reads is
    never taken for one it does not."""
    import numpy as np

    rolled = np.roll(sample.to_numpy(), 1)
    if not _same(rolled, sample.to_numpy()):
        return rolled
    others = [v for v in column.dropna().unique().tolist() if not (sample == v).all()]
    return np.full(len(sample), others[0], dtype=object if isinstance(others[0], str) else None) if others else rolled


def _before_resampling(namespace: dict, name: str, model):
    import pandas as pd

    value = namespace.get(name)
    if not isinstance(value, pd.DataFrame):
        raise NotReplayed(f"the model was fitted on resampled rows, and `{name}`, the rows before resampling, is not a "
                          "DataFrame any more")
    return value, value.index


def _fit_record(namespace, model):
    owner, record = model, lineage.fit_of(model)
    if record is None:  # a search's best estimator is fitted inside the search's fit
        for value in list(namespace.values()):
            if getattr(value, "best_estimator_", None) is model:
                owner, record = value, lineage.fit_of(value)
                break
    if record is None:  # the model as saved to disk and loaded back: the fitted object it was saved from
        owner = _same_as_saved(model)
        record = lineage.fit_of(owner) if owner is not None else None
    if record is None:
        raise NotReplayed("the model's fit call was not seen during the run (loaded from a file, or fitted "
                          "outside the notebook's cells)")
    return (*record, owner)


def _same_as_saved(model):
    """The fitted estimator ``model`` (loaded back from the file the notebook saved) was saved
    from: the same class, and the same bytes (joblib.hash) or else the same predictions on the
    first rows it was fitted on."""
    import joblib
    import numpy as np

    fitted = lineage.fitted()
    # (the estimator, whose fit was seen): a search's best estimator is fitted inside the search's fit
    same_type = [(e, e) for e in fitted if type(e) is type(model)] + \
        [(e.best_estimator_, e) for e in fitted if type(getattr(e, "best_estimator_", None)) is type(model)]
    try:
        digest = joblib.hash(model)
        for estimator, owner in same_type:
            if joblib.hash(estimator) == digest:
                return owner
    except Exception:  # noqa: BLE001 - an estimator joblib cannot hash: compare predictions
        pass
    for estimator, owner in reversed(same_type):
        X = lineage.fit_of(owner)[0]
        try:
            rows = X.iloc[:50] if hasattr(X, "iloc") else X[:50]
            if np.array_equal(np.asarray(estimator.predict(rows)), np.asarray(model.predict(rows))):
                return owner
        except Exception:  # noqa: BLE001
            continue
    return None


def _fit_call(code: str, namespace: dict, model) -> tuple[ast.Call, int]:
    """The fit call of ``model`` in its cell, and the line of the statement holding it."""
    tree = ast.parse(code)
    calls = []
    for stmt in tree.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fit":
                calls.append((node, stmt.lineno))
                # `svc = SVC(kernel='rbf').fit(X, y)`: the name it is assigned to holds the model
                if isinstance(stmt, ast.Assign) and stmt.value is node and len(stmt.targets) == 1 \
                        and isinstance(stmt.targets[0], ast.Name) and namespace.get(stmt.targets[0].id) is model:
                    return node, stmt.lineno
    if not calls:
        raise NotReplayed("the cell that fitted the model has no `.fit(...)` call (fitted inside a function?)")
    for node, line in calls:
        try:
            receiver = eval(compile(ast.Expression(node.func.value), "<fit>", "eval"), {}, dict(namespace))  # noqa: S307
        except Exception:  # noqa: BLE001
            continue
        if receiver is model:
            return node, line
    if len(calls) == 1:
        return calls[0]
    raise NotReplayed("several fit calls in the cell that fitted the model, none of them on a variable that holds it")


def _run(code: str, replay):
    namespace = {"_f": replay, "__name__": "nb2service_features"}
    exec(compile(code, "<features.py>", "exec"), namespace)  # noqa: S102 - the notebook's own statements
    return _no_figures(namespace["features"])


def _no_figures(features):
    """``features`` closing any matplotlib figure a replayed statement opens (a plot kept in the
    slice would otherwise be shown in the build's output)."""
    import sys

    def run(raw):
        plt = sys.modules.get("matplotlib.pyplot")
        before = set(plt.get_fignums()) if plt is not None else set()
        try:
            return features(raw)
        finally:
            plt = sys.modules.get("matplotlib.pyplot")
            for number in set(plt.get_fignums()) - before if plt is not None else ():
                plt.close(number)
    return run


def _main_table(tables: dict, index, target):
    import pandas as pd

    frames = {k: v for k, v in tables.items() if isinstance(v, pd.DataFrame)}
    if not frames:
        raise NotReplayed("no table loaded by the statements is a DataFrame")
    if index is not None:
        holding = {k: v for k, v in frames.items() if index[:CHECK_ROWS].isin(v.index).all()}
        frames = holding or frames
    with_target = {k: v for k, v in frames.items() if target is not None and target in v.columns}
    frames = with_target or frames
    key = max(frames, key=lambda k: len(frames[k]))
    return key, frames[key]


def _output_spec(X) -> dict:
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return {"kind": "dataframe", "columns": list(X.columns), "dtypes": {c: str(X[c].dtype) for c in X.columns}}
    if isinstance(X, pd.Series) and X.dtype == object or isinstance(X, list):
        return {"kind": "text"}
    dtype = getattr(X, "dtype", None)  # an object array (floats and booleans) stays one
    return {"kind": "array", "width": int(X.shape[1]) if len(getattr(X, "shape", ())) == 2 else 1,
            "dtype": str(dtype) if dtype is not None and getattr(dtype, "kind", "f") in "biufO" else "float64"}


def _placeholder(series):
    from pandas.api import types

    present = series.dropna()
    if not len(present):
        return None
    if types.is_numeric_dtype(series.dtype) and not types.is_bool_dtype(series.dtype):
        return _plain(present.median())
    return _plain(present.mode().iloc[0])


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _same(a, b) -> bool:
    import numpy as np
    import pandas as pd

    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return a.equals(b)
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool((a == b).all())


def _passes_through(X, table, sample) -> bool:
    """The model's matrix is the loaded table's own columns, unchanged (preprocessing, if any, is
    inside the scikit-learn model; a text pipeline fitted on one column): nothing to replay."""
    import pandas as pd

    if isinstance(X, pd.Series):
        return X.name in table.columns and X.loc[sample].equals(table.loc[sample, X.name])
    if not isinstance(X, pd.DataFrame) or not set(X.columns) <= set(table.columns):
        return False
    return X.loc[sample].equals(table.loc[sample, list(X.columns)])
