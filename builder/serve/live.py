"""``/report/live.json``: the service's own metrics (``Metrics.families()``, summed across workers)
summarized for the report's live panels.

``{"requests": {"total", "errors", "by_status"}, "latency_ms": {"count", "mean", "p50", "p95"},
"rows", "model_errors", "validation_failures": {"total", "by_field"}, "classes": {label: rows} |
null, "values": {"count", "mean", "buckets": [{"range", "count"}]} | null, "drift": {feature:
{"out_of_range", "unseen_category", "missing"}}}``. Percentiles are estimated from the latency
histogram's buckets, by linear interpolation inside the bucket (as Prometheus'
``histogram_quantile`` does).
"""

from __future__ import annotations

import math
from collections import defaultdict

from .drift import MISSING, OUT_OF_RANGE, UNSEEN

PREFIX = "nb2service_"


def summarize(families, features: list[str], classes: list | None) -> dict:
    samples = defaultdict(list)
    for family in families:
        for sample in family.samples:
            samples[sample.name].append(sample)
    by_status = defaultdict(float)
    for s in samples[PREFIX + "requests_total"]:
        by_status[s.labels["status"]] += s.value
    latency = _buckets(samples[PREFIX + "request_duration_seconds_bucket"])
    latency_count = _total(samples[PREFIX + "request_duration_seconds_count"])
    latency_sum = _total(samples[PREFIX + "request_duration_seconds_sum"])
    failures = defaultdict(float)
    for s in samples[PREFIX + "validation_failures_total"]:
        failures[s.labels["field"]] += s.value
    drift = {name: {OUT_OF_RANGE: 0, UNSEEN: 0, MISSING: 0} for name in features}
    for s in samples[PREFIX + "drift_rows_total"]:
        drift.setdefault(s.labels["feature"], {OUT_OF_RANGE: 0, UNSEEN: 0, MISSING: 0})
        drift[s.labels["feature"]][s.labels["signal"]] = int(drift[s.labels["feature"]].get(s.labels["signal"], 0)
                                                             + s.value)
    summary = {
        "requests": {"total": int(sum(by_status.values())),
                     "errors": int(sum(v for k, v in by_status.items() if not k.startswith("2"))),
                     "by_status": {k: int(v) for k, v in sorted(by_status.items())}},
        "latency_ms": {"count": int(latency_count),
                       "mean": round(latency_sum / latency_count * 1000, 3) if latency_count else None,
                       "p50": _ms(quantile(0.5, latency)), "p95": _ms(quantile(0.95, latency))},
        "rows": int(_total(samples[PREFIX + "prediction_rows_total"])),
        "model_errors": int(_total(samples[PREFIX + "model_errors_total"])),
        "validation_failures": {"total": int(sum(failures.values())),
                                "by_field": {k: int(v) for k, v in sorted(failures.items(), key=lambda kv: -kv[1])}},
        "classes": None, "values": None, "drift": drift,
    }
    if classes is not None:
        counts = {str(label): 0 for label in classes}
        for s in samples[PREFIX + "predicted_class_total"]:
            counts[s.labels["class"]] = counts.get(s.labels["class"], 0) + int(s.value)
        summary["classes"] = counts
    else:
        count = _total(samples[PREFIX + "predicted_value_count"])
        total = _total(samples[PREFIX + "predicted_value_sum"])
        summary["values"] = {"count": int(count), "mean": total / count if count else None,
                             "buckets": ranges(_buckets(samples[PREFIX + "predicted_value_bucket"]))}
    return summary


def quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The ``q`` quantile from cumulative ``[(upper bound, count), ...]`` sorted by bound; None if empty."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for bound, cumulative in buckets:
        if cumulative >= rank:
            if math.isinf(bound):
                return lower
            inside = cumulative - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, cumulative
    return lower


def ranges(buckets: list[tuple[float, float]]) -> list[dict]:
    """Cumulative buckets as ``[{"range": "10 to 20", "count": n}, ...]`` (counts per range)."""
    found, lower, below = [], None, 0.0
    for bound, cumulative in buckets:
        if lower is None:
            label = f"up to {bound:.4g}"
        elif math.isinf(bound):
            label = f"above {lower:.4g}"
        else:
            label = f"{lower:.4g} to {bound:.4g}"
        found.append({"range": label, "count": int(cumulative - below)})
        lower, below = bound, cumulative
    return found


def _buckets(samples) -> list[tuple[float, float]]:
    """Cumulative counts per upper bound, summed over the other labels (endpoints)."""
    summed = defaultdict(float)
    for s in samples:
        summed[float(s.labels["le"])] += s.value
    return sorted(summed.items())


def _total(samples) -> float:
    return sum(s.value for s in samples)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
