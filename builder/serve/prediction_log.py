"""Prediction logging: what the model was asked and answered, sampled, sent off the request path.

Off unless ``NB2SERVICE_LOG_PREDICTIONS`` is a sample rate above 0 (``1``: every prediction). The data
plane hands each sampled prediction to ``PredictionLog.record``, which only stamps it (request id,
endpoint, latency) and puts it on a bounded queue; a thread per worker process turns it into an event
and writes it to the sink:

- ``stdout`` (the default): one JSON line per prediction;
- an ``http(s)://`` URL: two CloudEvents per prediction in binary mode, as KServe's inference logger
  sends them (``ce-type`` ``org.kubeflow.serving.inference.request`` with ``{"instances": [...]}``
  and ``...response`` with ``{"predictions": [...]}``, the same ``ce-id``), so sinks written for
  KServe take them unchanged.

A prediction never waits for the sink: when the queue is full or the sink fails, the event is dropped
and counted in ``nb2service_prediction_log_dropped_total{reason}``. Input columns named in
``NB2SERVICE_LOG_MASK`` are logged as ``"***"``.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import random
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timezone

import orjson

from ..errors import UsageError

log = logging.getLogger("nb2service.serve")
REQUEST_TYPE = "org.kubeflow.serving.inference.request"
RESPONSE_TYPE = "org.kubeflow.serving.inference.response"
MASK = "***"
REQUEST_ID = "X-Request-ID"
DRAIN_SECONDS = 2.0


class PredictionLog:
    """Samples predictions onto a bounded queue; a background thread per process sends them."""

    def __init__(self, settings, runtime, registry):
        from prometheus_client import Counter

        self.rate = settings.log_predictions
        self.name, self.version = runtime.name, runtime.version
        self.classes = runtime.model.classes
        self.schema = runtime.model.schema
        self.engineered_schema = runtime.model.engineered_schema  # /predict/engineered's inputs
        unknown = [name for name in settings.log_mask
                   if name not in self.schema.names and name not in self.engineered_schema.names]
        if unknown:
            raise UsageError(f"NB2SERVICE_LOG_MASK names {', '.join(unknown)}, not an input of this model",
                             hint=f"the inputs are: {', '.join(self.schema.names)}")
        self.mask = frozenset(settings.log_mask)
        self.sink = make_sink(settings.log_sink, settings.log_timeout, self.name, settings.namespace)
        self.queue_size = settings.log_queue
        self.sent = Counter("nb2service_prediction_log_sent", "Predictions written to the prediction log's sink",
                            registry=registry)
        self.dropped = Counter("nb2service_prediction_log_dropped", "Predictions left out of the prediction log: "
                               "queue_full (the sink is slow) or sink_error (it failed)", ["reason"], registry=registry)
        self._queue: queue.Queue | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    # -- on the request path: a few microseconds --------------------------------------------------

    def record(self, model_input, prediction, *, engineered: bool = False) -> None:
        """Queue one prediction (if sampled); called by the data plane after the model answered;
        ``engineered``: the input is in the model's own inputs, not raw records."""
        if self.rate < 1 and random.random() >= self.rate:
            return
        from flask import g, has_request_context, request

        stamp = time.time()
        if has_request_context():
            request_id = request.headers.get(REQUEST_ID) or uuid.uuid4().hex
            g.nb2service_request_id = request_id
            endpoint = request.url_rule.rule if request.url_rule is not None else request.path
            started = getattr(g, "nb2service_started", None)
            latency = time.perf_counter() - started if started is not None else None
        else:
            request_id, endpoint, latency = uuid.uuid4().hex, "", None
        try:
            self._events().put_nowait((request_id, endpoint, stamp, latency, model_input, prediction, engineered))
        except queue.Full:
            self.dropped.labels("queue_full").inc()

    def _events(self) -> queue.Queue:
        """This process's queue and sender thread (started on first use: gunicorn forks after loading)."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._queue = queue.Queue(self.queue_size)
                    threading.Thread(target=self._send_forever, name="prediction-log", daemon=True).start()
                    atexit.register(self._drain)
                    self._pid = os.getpid()
        return self._queue

    # -- in the background --------------------------------------------------------------------------

    def _send_forever(self) -> None:
        events = self._queue
        while True:
            item = events.get()
            try:
                self.sink.send(self.event(*item))
                self.sent.inc()
            except Exception as exc:  # the sink's failure is counted, never raised into a request
                self.dropped.labels("sink_error").inc()
                log.warning("WARNING: prediction log: the sink failed (%s: %s); event dropped", type(exc).__name__, exc)
            finally:
                events.task_done()

    def _drain(self) -> None:
        """At exit, give queued events a moment to reach the sink."""
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._queue is not None and self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)

    def event(self, request_id, endpoint, stamp, latency, model_input, prediction, engineered=False) -> dict:
        schema = self.engineered_schema if engineered else self.schema
        outputs = {"predictions": prediction.predictions}
        if prediction.probabilities is not None:
            outputs["probabilities"] = prediction.probabilities
            outputs["classes"] = self.classes
        return {"id": request_id, "time": datetime.fromtimestamp(stamp, timezone.utc).isoformat(),
                "model": self.name, "version": self.version, "endpoint": endpoint,
                "latency_ms": round(latency * 1000, 3) if latency is not None else None,
                "inputs": input_records(model_input, schema, self.mask), "outputs": outputs}


def input_records(model_input, schema, mask=frozenset()) -> list:
    """The decoded input as JSON-able rows: ``{column: value}`` (missing values as None), or strings."""
    if schema.kind == "text":
        return [MASK for _ in model_input] if mask else list(model_input)
    names = schema.names
    if isinstance(model_input, dict):  # the fast path's {column: array}
        columns = [model_input[name] for name in names]
    elif hasattr(model_input, "iloc"):  # a DataFrame
        columns = [model_input[name].astype(object) for name in names]
    else:  # a 2-D array, columns in schema order
        columns = [model_input[:, j] for j in range(len(names))]
    columns = [[MASK] * len(values) if name in mask else [_plain(v) for v in values]
               for name, values in zip(names, columns)]
    return [dict(zip(names, row)) for row in zip(*columns)]


def _plain(value):
    if hasattr(value, "item"):
        value = value.item()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _dumps(value) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY, default=str)


def make_sink(spec: str, timeout: float, name: str, namespace: str | None):
    if spec == "stdout":
        return StdoutSink()
    if spec.startswith(("http://", "https://")):
        return CloudEventsSink(spec, timeout, name, namespace)
    raise UsageError(f"NB2SERVICE_LOG_SINK={spec!r} is neither stdout nor an http(s) URL",
                     hint="set NB2SERVICE_LOG_SINK=stdout or NB2SERVICE_LOG_SINK=http://logger.example:8080/")


class StdoutSink:
    """One JSON line per prediction on standard output (the container log)."""

    def send(self, event: dict) -> None:
        os.write(1, _dumps({"type": "nb2service.prediction", **event}) + b"\n")


class CloudEventsSink:
    """The request and the response as two binary-mode CloudEvents, in KServe's logger format."""

    def __init__(self, url: str, timeout: float, name: str, namespace: str | None):
        self.url, self.timeout = url, timeout
        self.common = {"Ce-Specversion": "1.0", "Ce-Source": f"urn:nb2service:{name}",
                       "Ce-Inferenceservicename": name, "Ce-Namespace": namespace or "",
                       "Ce-Component": "predictor", "Content-Type": "application/json"}

    def send(self, event: dict) -> None:
        headers = {**self.common, "Ce-Id": event["id"], "Ce-Time": event["time"], "Ce-Endpoint": event["endpoint"],
                   "Ce-Modelversion": event["version"], "Ce-Latencyms": str(event["latency_ms"] or "")}
        self._post({**headers, "Ce-Type": REQUEST_TYPE}, {"instances": event["inputs"]})
        self._post({**headers, "Ce-Type": RESPONSE_TYPE}, event["outputs"])

    def _post(self, headers: dict, body) -> None:
        request = urllib.request.Request(self.url, data=_dumps(body), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()
