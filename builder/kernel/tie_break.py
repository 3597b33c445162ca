"""Settle between equally plausible models on the notebook's held-out data.

Each candidate is scored on its own held-out data (``held_out``): accuracy for classifiers, R²
for regressors, then, for candidates that tie on it, balanced accuracy and macro F1 (or MAE),
computed here with scikit-learn in the kernel (the served figures are computed later, through
the served path, by ``builder.model.evaluate``). There is a winner only when every candidate has
held-out data, they share a task, and one scores strictly best; otherwise the comparison says why
not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRIMARY = {"classification": "accuracy", "regression": "r2"}
#: Compared in order; a metric decides only between candidates equal on those before it.
#: MAE is negated so that higher is better throughout.
ORDER = {"classification": ("accuracy", "balanced_accuracy", "f1_macro"), "regression": ("r2", "neg_mae")}


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
        except Exception as exc:  # noqa: BLE001 - then the candidates are not compared, saying why
            return Comparison(None, f"looking for held-out data for {label} failed: {type(exc).__name__}: {exc}")
        if data.source != "held-out":
            return Comparison(None, f"no held-out data for {label} ({data.reason})")
        task = task_of(est)["task"]
        try:
            scores = held_out_scores(est, task, data)
        except Exception as exc:  # noqa: BLE001 - a model that cannot predict its held-out data loses its say
            return Comparison(None, f"{label} failed to predict {data.variables['X']}: {type(exc).__name__}: {exc}")
        scored.append({"label": label, "class": type(est).__name__, "task": task, "score": scores[PRIMARY[task]],
                       "scores": scores, "data": data.describe(), "_est": est})
    tasks = {s["task"] for s in scored}
    if len(tasks) != 1:
        return Comparison(None, f"they do not share a task ({', '.join(sorted(tasks))})")
    task = tasks.pop()
    metric = PRIMARY[task]
    key = lambda s: tuple(s["scores"][name] for name in ORDER[task])  # noqa: E731
    scored.sort(key=key, reverse=True)
    listing = ", ".join(f"{s['label']} {s['score']:.4f}" for s in scored)
    public = [{k: v for k, v in s.items() if k != "_est"} for s in scored]
    if key(scored[0]) == key(scored[1]):
        return Comparison(None, f"they score the same on held-out data ({metric}: {listing})", metric, public)
    best, runner_up = scored[0], scored[1]
    decided_by = next(name for name in ORDER[task] if best["scores"][name] != runner_up["scores"][name])
    data = best["data"]["variables"]
    summary = f"{metric} on {data['X']}/{data['y']} ({best['data']['rows']} rows): {listing}"
    if decided_by != metric:
        summary += (f"; tied on {metric} with {runner_up['label']}, {decided_by.replace('neg_', '')} decided "
                    f"({abs(best['scores'][decided_by]):.4f} vs {abs(runner_up['scores'][decided_by]):.4f})")
    return Comparison((best["label"], best["_est"]), summary, metric, public)


def held_out_scores(estimator: Any, task: str, data) -> dict[str, float]:
    from sklearn import metrics

    predicted = estimator.predict(data.inputs.data)
    if task == "classification":
        predicted = list(predicted)
        return {"accuracy": float(metrics.accuracy_score(data.target, predicted)),
                "balanced_accuracy": float(metrics.balanced_accuracy_score(data.target, predicted)),
                "f1_macro": float(metrics.f1_score(data.target, predicted, average="macro"))}
    return {"r2": float(metrics.r2_score(data.target, predicted)),
            "neg_mae": -float(metrics.mean_absolute_error(data.target, predicted))}
