"""Prometheus metrics, correct across gunicorn workers.

``nb2service serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before
``prometheus_client`` is first imported (``builder.serve.__main__``); each worker then writes its
values to files there and ``GET /metrics`` sums them. Without that variable (tests, ``flask run``)
the values live in this process. Health, metrics and docs requests are not counted. ``process_*``
metrics describe gunicorn's master and each live worker (``builder.serve.process_metrics``).
"""

from __future__ import annotations

import time
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

from .process_metrics import ServerProcesses

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LIBRARIES = ("scikit-learn", "numpy", "pandas", "python")


class Metrics:
    """The service's metrics, registered in a registry of their own (one per app)."""

    def __init__(self, metadata: dict, name: str, *, multiprocess_dir: str | None = None,
                 value_buckets: tuple | None = None, inference_path: str = "sklearn"):
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("nb2service_requests", "Prediction requests by endpoint and HTTP status",
                                ["endpoint", "status"], registry=r)
        self.latency = Histogram("nb2service_request_duration_seconds", "Prediction request latency by endpoint",
                                 ["endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.rows = Counter("nb2service_prediction_rows", "Rows predicted", registry=r)
        self.validation_failures = Counter("nb2service_validation_failures", "Requests refused as invalid, by field",
                                           ["field"], registry=r)
        self.model_errors = Counter("nb2service_model_errors", "Exceptions raised inside the model", registry=r)
        self.drift = Counter("nb2service_drift_rows", "Input values unlike the training data, by feature and signal "
                             "(out_of_range, unseen_category, missing)", ["feature", "signal"], registry=r)
        self.classes = None
        self.values = None
        if metadata.get("task") == "classification":
            self.classes = Counter("nb2service_predicted_class", "Predictions by class", ["class"], registry=r)
        else:
            self.values = Histogram("nb2service_predicted_value", "Predicted values",
                                    buckets=value_buckets or Histogram.DEFAULT_BUCKETS, registry=r)
        info = Gauge("nb2service_model_info", "The model being served (value is always 1)",
                     ["name", "version", "notebook_sha256", *[lib.replace("-", "_") for lib in LIBRARIES]],
                     multiprocess_mode="max", registry=r)
        libraries = metadata.get("libraries") or {}
        notebooks = metadata.get("notebooks") or [{}]
        info.labels(name, str(metadata.get("version", "")), str(notebooks[0].get("sha256", "")),
                    *[str(libraries.get(lib, "")) for lib in LIBRARIES]).set(1)
        path = Gauge("nb2service_inference_path_info", "Which inference path serves (value is always 1): onnx "
                     "(the verified fast path, builder.fastpath) or sklearn", ["path"],
                     multiprocess_mode="max", registry=r)
        path.labels(inference_path).set(1)
        #: ``process_*`` per server process; ``run`` sets ``processes.master`` to gunicorn's master.
        self.processes = ServerProcesses()
        r.register(self.processes)
        # Set in the gunicorn master (the model is loaded and warmed up before the workers fork).
        self.ready = Gauge("nb2service_ready", "1 once the model is loaded and warmed up (what /readyz answers), "
                           "else 0", multiprocess_mode="max", registry=r)
        started = Gauge("nb2service_start_time_seconds", "When this server loaded its model (Unix time); a change "
                        "means the container restarted", multiprocess_mode="min", registry=r)
        started.set(time.time())

    def record_request(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def record_predictions(self, predictions: list) -> None:
        self.rows.inc(len(predictions))
        if self.classes is not None:
            for label, n in Tally(map(str, predictions)).items():
                self.classes.labels(label).inc(n)
        else:
            for value in predictions:
                if value is not None:
                    self.values.observe(value)

    def record_drift(self, signals: list) -> None:
        for feature, signal, n in signals:
            self.drift.labels(feature, signal).inc(n)

    def exposition(self) -> bytes:
        return generate_latest(self._collected())

    def families(self) -> list:
        """The metric families with their samples, summed across workers (for ``/report/live.json``)."""
        return list(self._collected().collect())

    def _collected(self) -> CollectorRegistry:
        """This process's registry, or one reading every worker's files in multiprocess mode."""
        if self.multiprocess_dir is None:
            return self.registry
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        registry.register(self.processes)
        return registry


def value_buckets(predictions: list) -> tuple | None:
    """Ten buckets spanning the warm-up predictions, widened by half their range on each side."""
    values = sorted(float(v) for v in predictions if v is not None)
    if not values:
        return None
    low, high = values[0], values[-1]
    spread = (high - low) or abs(high) or 1.0
    low, high = low - spread / 2, high + spread / 2
    step = (high - low) / 10
    return tuple(round(low + step * i, 6) for i in range(11))


def mark_process_dead(pid: int, path: str) -> None:
    multiprocess.mark_process_dead(pid, path)
