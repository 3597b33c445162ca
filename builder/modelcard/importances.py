"""The model's feature importances, read in the build environment (the interpreter that fitted the
model: another scikit-learn may not unpickle it).

``Importances(artifact, python, env)`` runs ``python -m builder.modelcard.importances ARTIFACT``,
which loads the model file and prints one JSON object: ``{"names": [...], "values": [...],
"source": "..."}`` when the final estimator has ``feature_importances_`` (trees, forests, boosting),
else ``{"names": [], "reason": "..."}``. Names come from the pipeline's ``get_feature_names_out()``
when it has one, else the estimator's ``feature_names_in_``, else the schema's inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TIMEOUT = 120


class Importances:
    """``python -m builder.modelcard.importances ARTIFACT`` started at once (its imports take seconds:
    the report stage renders the notebooks meanwhile); ``result()`` waits for its JSON."""

    def __init__(self, artifact: Path, python: str, env: dict):
        self._proc = subprocess.Popen([python, "-m", "builder.modelcard.importances", str(artifact)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def result(self) -> dict:
        """The reader's answer; ``RuntimeError`` with its stderr when it failed or took too long."""
        try:
            out, err = self._proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            raise RuntimeError(f"reading feature importances took more than {TIMEOUT} s")
        if self._proc.returncode != 0:
            raise RuntimeError(f"reading feature importances failed (exit {self._proc.returncode}): {err[-1500:]}")
        return json.loads(out.strip().splitlines()[-1])

    def __enter__(self) -> "Importances":
        return self

    def __exit__(self, *exc) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()


def read(artifact: Path) -> dict:
    """The importances of the model in ``artifact`` (run in the build environment)."""
    import joblib

    meta = json.loads((artifact / "metadata.json").read_text())
    model = joblib.load(artifact / meta["model"].get("file", "model.joblib"))
    model = getattr(model, "best_estimator_", model)  # a fitted search: the refitted best model
    final, front, step = model, None, None
    if hasattr(model, "steps"):
        step, final = model.steps[-1]
        front = model[:-1]
    final = getattr(final, "best_estimator_", final)
    values = getattr(final, "feature_importances_", None)
    if values is None:
        return {"names": [], "reason": f"{type(final).__name__} has no feature_importances_"}
    values = [float(v) for v in values]
    names = _names(front, final, meta, len(values))
    source = f"feature_importances_ of {type(final).__name__}" + (f" (pipeline step '{step}')" if step else "")
    return {"names": names, "values": values, "source": source}


def _names(front, final, meta: dict, count: int) -> list[str]:
    candidates = []
    if front is not None and hasattr(front, "get_feature_names_out"):
        try:
            candidates.append(list(front.get_feature_names_out()))
        except Exception:  # a step without feature names (FunctionTransformer, custom ones)
            pass
    if getattr(final, "feature_names_in_", None) is not None:
        candidates.append(list(final.feature_names_in_))
    candidates.append([column["name"] for column in (meta.get("engineered") or meta).get("inputs", [])])
    for names in candidates:
        if len(names) == count:
            return [str(n) for n in names]
    return [f"feature {i}" for i in range(count)]


if __name__ == "__main__":  # pragma: no cover - run by importances() in the build environment
    print(json.dumps(read(Path(sys.argv[1]))))
