"""The model card: what metadata.json says about the model, as rows a person reads.

Pure functions of the metadata (no files, no flask): the page (``page.py``) lays them out.
"""

from __future__ import annotations

from .plots import data_label

METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "f1_macro": "macro F1",
                "roc_auc": "ROC AUC", "log_loss": "log loss", "r2": "R²", "mae": "MAE", "rmse": "RMSE"}


def facts(meta: dict) -> list[tuple[str, str]]:
    """``[(label, value), ...]`` for the card's table."""
    model = meta.get("model") or {}
    rows = [("Name", str(meta.get("name", "model"))), ("Version", str(meta.get("version", "-")))]
    for notebook in meta.get("notebooks") or []:
        sha = str(notebook.get("sha256", ""))[:12]
        rows.append(("Notebook", f"{notebook.get('path')}" + (f" (sha256 {sha}…)" if sha else "")))
    rows.append(("Commit", commit(meta.get("git"))))
    rows.append(("Built", f"{meta.get('built_at', '-')} by nb2service {meta.get('nb2service_version', '')}".strip()))
    rows.append(("Model", f"{model.get('variable', '?')}: {model.get('class', '?')}"))
    if model.get("reason"):
        rows.append(("Chosen as", str(model["reason"])))
    rows.append(("Task", task(meta)))
    training = meta.get("training_data") or {}
    if training:
        rows.append(("Training rows", f"{training.get('rows')} (from {training.get('variable')})"))
    inference = meta.get("inference") or {}
    if inference:
        path = "ONNX fast path (onnxruntime)" if inference.get("path") == "onnx" else "scikit-learn"
        rows.append(("Inference path", path + (f": {inference['reason']}" if inference.get("reason") else "")))
    rows.append(("Libraries", libraries(meta.get("libraries") or {})))
    return rows


def commit(git: dict | None) -> str:
    if not git or not git.get("commit"):
        return "not built from a git checkout"
    note = {True: " (with uncommitted changes)", False: "", None: ""}[git.get("dirty")]
    return f"{git['commit']}{note}"


def task(meta: dict) -> str:
    text = str(meta.get("task", "?"))
    if meta.get("classes") is not None:
        text += f", classes: {', '.join(map(str, meta['classes']))}"
    if meta.get("predict_proba"):
        text += " (with probabilities)"
    return text


def libraries(found: dict) -> str:
    return ", ".join(f"{name} {version}" for name, version in found.items()) or "-"


def inputs(meta: dict) -> list[dict]:
    """One row per input column: name, type, the training range or categories, missing values seen."""
    rows = []
    for column in meta.get("inputs") or []:
        if column.get("categories") is not None:
            levels = [str(c) for c in column["categories"]]
            seen = ", ".join(levels[:20]) + (f", … ({len(levels)} in all)" if len(levels) > 20 else "")
        elif column.get("min") is not None:
            seen = f"{_num(column['min'])} to {_num(column['max'])}"
        else:
            seen = "-"
        rows.append({"name": str(column["name"]), "type": str(column.get("type", "?")), "seen": seen,
                     "missing": "yes" if column.get("nullable") else "no"})
    return rows


def evaluation(meta: dict) -> dict:
    """What the evaluation recorded: ``{"recorded": bool, "label", "metrics": [(name, value)], ...}``."""
    found = meta.get("evaluation")
    if not found:
        return {"recorded": False, "label": "no evaluation was recorded for this model "
                "(built by an nb2service without evaluation, or the evaluation did not run)", "metrics": []}
    data = found.get("data") or {}
    if data.get("source") not in ("held-out", "training"):
        return {"recorded": True, "scored": False, "label": "not evaluated: " + str(data.get("reason")
                or "no held-out data was found in the notebook"), "metrics": []}
    metrics = [(METRIC_NAMES.get(name, name), _num(value)) for name, value in (found.get("metrics") or {}).items()]
    path = "ONNX fast path" if found.get("path") == "onnx" else "scikit-learn"
    notes = [str(n) for n in found.get("notes") or []] + ([str(found["problem"])] if found.get("problem") else [])
    return {"recorded": True, "scored": True, "label": data_label(found), "metrics": metrics, "notes": notes,
            "training": data.get("source") == "training", "path": f"predicted through the served path ({path})"}


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
