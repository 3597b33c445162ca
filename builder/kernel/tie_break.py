"""Settle between equally plausible models on the notebook's held-out data.

Each candidate is scored on its own held-out data (``held_out``): accuracy for classifiers, R²
for regressors, computed here with scikit-learn in the kernel (the served figures are computed
later, through the served path, by ``builder.model.evaluate``). There is a winner only when every
candidate has held-out data, they share a task, and one scores strictly best; otherwise the
comparison says why not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRIMARY = {"classification": "accuracy", "regression": "r2"}


@dataclass
class Comparison:
    winner: tuple[str, Any] | None
    summary: str
    metric: str | None = None
    scores: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"decided": self.winner is not None, "metric": self.metric, "scores": self.scores,
                "summary": self.summary}


def best_on_held_out(pairs: list[tuple[str, Any]], namespace: dict) -> Comparison:
    from .find_model import KernelSideError
    from .held_out import evaluation_data
    from .infer_schema import task_of

    scored = []
    for label, est in pairs:
        try:
            data = evaluation_data(est, namespace)
        except KernelSideError as exc:
            return Comparison(None, f"{label}: {exc.message}")
        if data.source != "held-out":
            return Comparison(None, f"no held-out data for {label} ({data.reason})")
        task = task_of(est)["task"]
        try:
            score = primary_score(est, task, data)
        except Exception as exc:  # noqa: BLE001 - a model that cannot predict its held-out data loses its say
            return Comparison(None, f"{label} failed to predict {data.variables['X']}: {type(exc).__name__}: {exc}")
        scored.append({"label": label, "class": type(est).__name__, "task": task, "score": score,
                       "data": data.describe(), "_est": est})
    tasks = {s["task"] for s in scored}
    if len(tasks) != 1:
        return Comparison(None, f"they do not share a task ({', '.join(sorted(tasks))})")
    metric = PRIMARY[tasks.pop()]
    scored.sort(key=lambda s: s["score"], reverse=True)
    listing = ", ".join(f"{s['label']} {s['score']:.4f}" for s in scored)
    public = [{k: v for k, v in s.items() if k != "_est"} for s in scored]
    if scored[0]["score"] == scored[1]["score"]:
        return Comparison(None, f"they score the same {metric} on held-out data ({listing})", metric, public)
    best = scored[0]
    data = best["data"]["variables"]
    summary = (f"{metric} on {data['X']}/{data['y']} ({best['data']['rows']} rows): {listing}")
    return Comparison((best["label"], best["_est"]), summary, metric, public)


def primary_score(estimator: Any, task: str, data) -> float:
    from sklearn.metrics import accuracy_score, r2_score

    predicted = estimator.predict(data.inputs.data)
    if task == "classification":
        return float(accuracy_score(data.target, list(predicted)))
    return float(r2_score(data.target, predicted))
