"""The in-process floor: what one call costs with no server around it.

Run by bench/run.py in the artifact's build environment as ``python bench/floor.py ARTIFACT ROWS.json``
(``PYTHONPATH`` pointing at the environment's copy of ``builder``). Per batch size (1 and 100 rows):

- ``sklearn_predict_us``: the fitted pipeline's ``predict`` on a DataFrame built beforehand;
- ``sklearn_predict_proba_us``: ``predict`` + ``predict_proba`` (what the service answers);
- ``onnx_run_us``: the ONNX fast path on arrays decoded beforehand (labels + probabilities);
- ``onnx_decode_and_run_us``: the same, decoding the JSON rows through the schema in the loop.

Median of 7 repeats of a timed loop, in microseconds per call. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time


def per_call(fn, budget: float = 0.4) -> float:
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.05:
        fn()
        n += 1
    loops = max(1, int(n * budget / 0.05 / 7))
    samples = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - start) / loops * 1e6)
    return round(sorted(samples)[3], 1)


def main(artifact: str, rows_path: str) -> None:
    import joblib
    import pandas as pd

    from builder.model import ServedModel

    rows = json.loads(open(rows_path).read())
    meta = json.loads(open(f"{artifact}/metadata.json").read())
    names = [c["name"] for c in meta["inputs"]]
    model = joblib.load(f"{artifact}/model.joblib")
    fast = ServedModel.load(artifact)
    out = {"inference_path": fast.inference_path}
    for n in (1, 100):
        batch = rows[:n]
        frame = ServedModel.load(artifact, fast=False).schema.from_records(batch)
        assert list(frame.columns) == names
        result = {"sklearn_predict_us": per_call(lambda: model.predict(frame)),
                  "sklearn_predict_proba_us": per_call(lambda: (model.predict(frame), model.predict_proba(frame)))}
        if fast.fast is not None:
            arrays = fast.schema.from_records(batch)
            result["onnx_run_us"] = per_call(lambda: fast.fast.run(arrays, True))
            result["onnx_decode_and_run_us"] = per_call(lambda: fast.predict_records(batch))
            same = fast.predict_records(batch).predictions == model.predict(frame).tolist()
            result["onnx_labels_equal_sklearn"] = same
        out[f"rows_{n}"] = result
    out["pandas"] = pd.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
