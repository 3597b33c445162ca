"""Where a raw-record request's time goes, in process (issue 15): run by bench/features.py in the
artifact's build environment as ``python bench/features_floor.py ARTIFACT ROWS.json OUT.json``.

Per batch size (1 and 100 rows), median microseconds per call of: decoding the raw records
(``schema.from_records``), ``features()`` (the notebook's statements, as served: on numpy columns
when the build found that identical; and replayed by pandas), the model on its result
(the served path: ONNX or scikit-learn), all three together; and, for the engineered inputs,
decoding plus the model. Then where ``features()`` spends it: the median microseconds of each
statement of ``features.py`` (a copy of it with a clock read after each statement, run 2,000
times). Writes the engineered rows (``features()`` of the raw rows) to OUT.json for the HTTP runs
and prints one JSON object.
"""

from __future__ import annotations

import ast
import json
import statistics
import sys
import time
from pathlib import Path

from floor import per_call


def main(artifact: str, rows_path: str, engineered_path: str) -> None:
    import numpy as np

    from builder.model import ServedModel

    rows = json.loads(open(rows_path).read())
    model = ServedModel.load(artifact)
    frame = model.schema.from_records(rows)
    matrix = model.features(frame)
    engineered = matrix.tolist() if isinstance(matrix, np.ndarray) else matrix.to_dict(orient="records")
    open(engineered_path, "w").write(json.dumps(engineered))
    out = {"inference_path": model.inference_path}
    for n in (1, 100):
        raw, eng = rows[:n], engineered[:n]
        decoded = model.schema.from_records(raw)
        made = model._engineer(decoded)
        out[str(n)] = {
            "decode_raw_us": per_call(lambda: model.schema.from_records(raw)),
            "features_us": per_call(lambda: model._engineer(decoded)),
            "features_pandas_us": per_call(lambda: model.features.features(decoded)),
            "columnar": model.features.columnar,
            "model_us": per_call(lambda: model.predict(made, engineered=True)),
            "raw_total_us": per_call(lambda: model.predict_records(raw)),
            "engineered_total_us": per_call(lambda: model.predict_records(eng, engineered=True)),
            "statements_us": per_statement(artifact, decoded),
            "statements_columns_us": per_statement(artifact, decoded, columnar=True)
            if model.features.columnar else None,
        }
    print(json.dumps(out))


def per_statement(artifact: str, decoded, runs: int = 2000, columnar: bool = False) -> list[list]:
    """``[[statement, median µs], ...]`` for the statements of ``features()`` in ``features.py``,
    replayed by pandas or (``columnar``) on numpy columns."""
    path = Path(artifact) / "features.py"
    tree = ast.parse(path.read_text())
    func = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "features")
    stamp = ast.parse("_clock.append(_now())").body[0]
    body, labels = [stamp], []
    for node in func.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        text = ast.unparse(node)
        labels.append(f"{text.splitlines()[0]} ..." if isinstance(node, ast.FunctionDef) else " ".join(text.split()))
        if isinstance(node, ast.Return):
            keep = ast.Assign(targets=[ast.Name("_out", ast.Store())], value=node.value)
            body += [keep, stamp, ast.Return(ast.Name("_out", ast.Load()))]
        else:
            body += [node, stamp]
    func.body = body
    clock: list = []
    namespace = {"__file__": str(path), "__name__": "features_timed", "_clock": clock, "_now": time.perf_counter}
    exec(compile(ast.fix_missing_locations(tree), str(path), "exec"), namespace)  # noqa: S102
    namespace["_f"].columnar(columnar)
    samples = []
    for i in range(runs + runs // 5):
        clock.clear()
        namespace["features"](decoded)
        if i >= runs // 5:  # after a warm-up
            samples.append([b - a for a, b in zip(clock, clock[1:])])
    return [[label, round(statistics.median(s[j] for s in samples) * 1e6, 1)] for j, label in enumerate(labels)]


if __name__ == "__main__":
    main(*sys.argv[1:4])
