"""Run in the kernel after the notebook: find the model, infer its schema, serialize it, and write
what the build needs (``harvest.json``), what the fresh-process check compares against
(``expected.json``), what the fast path is checked on (``fastpath-rows.json``) and the data the
served model is evaluated on (``evaluation-rows.json``, see ``held_out``) into the build's work
folder."""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from pathlib import Path

from .find_model import KernelSideError, choose_model
from .held_out import EvaluationData, evaluation_data
from .infer_schema import infer_schema
from .replay import prepare as prepare_features

EXAMPLE_ROWS = 5
VERIFY_ROWS = 200
#: Rows the ONNX fast path is checked on (more than the fresh-process check: it is cheap).
FAST_PATH_ROWS = 2000
FAST_PATH_FILE = "fastpath-rows.json"
#: The rows (and true target) the served model is evaluated on (``builder.model.evaluate``).
EVALUATION_FILE = "evaluation-rows.json"
MAX_EVALUATION_ROWS = 50_000


def harvest(namespace: dict, config: dict) -> None:
    """``config``: ``out`` (artifact staging folder), ``work`` (build work folder), ``explicit``
    (a model variable or None), ``stage_files`` (nachlass save files, in order), ``examples``."""
    work = Path(config["work"])
    try:
        result, expected = _harvest(namespace, config)
    except KernelSideError as exc:
        result, expected = {"error": {"kind": exc.kind, "message": exc.message, "hint": exc.hint}}, None
    except Exception as exc:  # noqa: BLE001 - reported to the user as a build failure
        result = {"error": {"kind": "SchemaError", "message": f"{type(exc).__name__}: {exc}",
                            "hint": None, "traceback": traceback.format_exc()}}
        expected = None
    if expected is not None:
        (work / "expected.json").write_text(json.dumps(expected, default=_default))
    (work / "harvest.json").write_text(json.dumps(result, default=_default))


def _harvest(namespace: dict, config: dict) -> tuple[dict, dict]:
    import joblib

    saved = [_load_stage(p) for p in config.get("stage_files", []) if os.path.exists(p)]
    written = []
    for rel, path in config.get("written_files", []):
        try:
            written.append((rel, _load_stage(path)))
        except Exception:  # noqa: BLE001 - not every file the notebook writes is a loadable model
            continue
    choice = choose_model(namespace, config.get("explicit"), saved, written)
    model = choice.estimator
    schema, training = infer_schema(model, namespace)
    rows = _rows(training, VERIFY_ROWS)
    raw = _raw(training, VERIFY_ROWS)
    predictions = model.predict(raw)
    probabilities = model.predict_proba(raw) if schema["predict_proba"] else None
    out = Path(config["out"])
    joblib.dump(model, out / "model.joblib")
    features = prepare_features(namespace, model, out, Path(config["work"]), config.get("notebook", "the notebook"),
                                config.get("version", ""), config.get("cell_labels"))
    _fast_path_rows(model, training, rows, predictions, probabilities, Path(config["work"]))
    _evaluation_rows(model, namespace, training, Path(config["work"]))
    result = {
        "model": {
            "variable": choice.label,
            "reason": choice.reason,
            "candidates": choice.candidates,
            "class": f"{type(model).__module__}.{type(model).__qualname__}",
            "steps": [f"{name}: {type(step).__name__}" for name, step in getattr(model, "steps", [])],
            **({"comparison": choice.comparison} if choice.comparison else {}),
        },
        **schema,
        "examples": rows[:EXAMPLE_ROWS] if config.get("examples", True) else [],
        "libraries": _libraries(),
        "features": features,
        "explain": _explain_reference(model, training),
    }
    expected = {"rows": rows, "predictions": _plain_list(predictions),
                "probabilities": _plain_list(probabilities) if probabilities is not None else None}
    return result, expected


def _fast_path_rows(model, training, rows: list, predictions, probabilities, work: Path) -> None:
    """Write the rows the ONNX fast path is checked on (``builder.fastpath.compile``), with the
    model's answers: up to ``FAST_PATH_ROWS`` training rows, more than the fresh-process check."""
    if len(training.data) > len(rows):
        raw = _raw(training, FAST_PATH_ROWS)
        rows = _rows(training, FAST_PATH_ROWS)
        predictions = model.predict(raw)
        probabilities = model.predict_proba(raw) if probabilities is not None else None
    (work / FAST_PATH_FILE).write_text(json.dumps(
        {"rows": rows, "predictions": _plain_list(predictions),
         "probabilities": _plain_list(probabilities) if probabilities is not None else None}, default=_default))


def _evaluation_rows(model, namespace: dict, training, work: Path) -> None:
    """Write the held-out rows (else the training rows, labelled so) and their true target."""
    try:
        data = evaluation_data(model, namespace, training)
    except KernelSideError as exc:
        data = EvaluationData("none", reason=exc.message)
    except Exception as exc:  # noqa: BLE001 - no figures is no reason to fail the build
        data = EvaluationData("none", reason=f"looking for held-out data failed: {type(exc).__name__}: {exc}")
    described = data.describe()
    rows, target = [], []
    if data.inputs is not None:
        rows = _rows(data.inputs, MAX_EVALUATION_ROWS)
        target = [_cell(v) for v in data.target[:MAX_EVALUATION_ROWS]]
        if len(data.target) > MAX_EVALUATION_ROWS:
            described.update(rows=MAX_EVALUATION_ROWS, total_rows=len(data.target))
    (work / EVALUATION_FILE).write_text(json.dumps({"data": described, "rows": rows, "y_true": target},
                                                   default=_default))


def _explain_reference(model, training):
    """The training mean in the model's input space, for centred linear explanations (or None)."""
    from .explain_reference import reference

    try:
        return reference(model, training.data)
    except Exception:  # noqa: BLE001 - explanations then centre on 0; never a reason to fail the build
        return None


def _load_stage(path: str):
    import joblib

    try:
        return joblib.load(path)
    except Exception:  # noqa: BLE001 - nachlass stages are plain (cloud)pickles
        import pickle

        with open(path, "rb") as fh:
            return pickle.load(fh)  # noqa: S301 - the notebook's own file, written during this build


def _raw(training, n: int):
    return training.data.iloc[:n] if training.kind == "dataframe" else training.data[:n]


def _rows(training, n: int) -> list:
    if training.kind == "dataframe":
        frame = training.data.iloc[:n]
        return [{str(k): _cell(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    if training.kind == "array":
        return [[_cell(v) for v in row] for row in training.data[:n].tolist()]
    return list(training.data[:n])


def _cell(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is not None and not isinstance(value, (str, int, float, bool)):
        try:
            import pandas as pd

            if pd.isna(value):
                return None
        except (ImportError, TypeError, ValueError):
            pass
        return str(value)
    return value


def _plain_list(values) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _libraries() -> dict:
    import importlib.metadata as md

    names = ["scikit-learn", "numpy", "pandas", "scipy", "joblib"]
    found = {}
    for name in names:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    found["python"] = sys.version.split()[0]
    return found


def _default(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
