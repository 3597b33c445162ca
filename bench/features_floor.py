"""Where a raw-record request's time goes, in process (issue 15): run by bench/features.py in the
artifact's build environment as ``python bench/features_floor.py ARTIFACT ROWS.json OUT.json``.

Per batch size (1 and 100 rows), median microseconds per call of: decoding the raw records
(``schema.from_records``), ``features()`` (the notebook's statements), the model on its result
(the served path: ONNX or scikit-learn), all three together; and, for the engineered inputs,
decoding plus the model. Writes the engineered rows (``features()`` of the raw rows) to OUT.json
for the HTTP runs and prints one JSON object.
"""

from __future__ import annotations

import json
import sys

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
            "model_us": per_call(lambda: model.predict(made, engineered=True)),
            "raw_total_us": per_call(lambda: model.predict_records(raw)),
            "engineered_total_us": per_call(lambda: model.predict_records(eng, engineered=True)),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])
