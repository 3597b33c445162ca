"""The served model at run time: loaded once (before gunicorn forks), warmed up, then ready.

Readiness turns true only after the model file's sha256 was checked, the model loaded and one
warm-up prediction ran on the artifact's example rows (or, built with ``--no-examples``, on a row
synthesized from the schema: the middle of each numeric range, the first category).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..errors import ArtifactError, NB2ServiceError
from ..model import ServedModel

log = logging.getLogger("nb2service.serve")


class ModelRuntime:
    """One loaded model, its public name and version, and whether it is ready."""

    def __init__(self, model: ServedModel, name: str | None = None):
        self.model = model
        self.name = name or model.name
        self.version = str(model.metadata.get("version", "1"))
        self.ready = False
        self.warmup_predictions: list = []
        #: Called with no arguments once the runtime turns ready (the readiness metric).
        self.on_ready: list = []

    @classmethod
    def load(cls, root: Path | str, name: str | None = None) -> "ModelRuntime":
        started = time.perf_counter()
        model = ServedModel.load(root)  # raises ArtifactError on a missing or tampered model file
        log.info("---> loaded model %s (%s) from %s in %.2fs; inference path: %s", model.name,
                 model.metadata.get("version"), root, time.perf_counter() - started, model.inference_path)
        return cls(model, name)

    def warm_up(self) -> None:
        """Predict once on the example rows; only then is the runtime ready."""
        rows = warmup_rows(self.model.metadata, self.model.schema)
        started = time.perf_counter()
        try:
            prediction = self.model.predict_records(rows)
        except NB2ServiceError as exc:
            raise ArtifactError(f"the warm-up prediction on {len(rows)} example row(s) failed: {exc.message}",
                                hint="rebuild the artifact; the model does not predict on its own examples") from exc
        self.warmup_predictions = prediction.predictions
        self.ready = True
        for callback in self.on_ready:
            callback()
        log.info("---> warmed up on %d row(s) in %.3fs; ready", len(rows), time.perf_counter() - started)

    def matches(self, name: str, version: str | None = None) -> bool:
        return name == self.name and (version is None or version == self.version)


def warmup_rows(metadata: dict, schema) -> list:
    examples = metadata.get("examples") or []
    if examples:
        return list(examples)
    return [synthesized_row(schema)]


def synthesized_row(schema):
    """A plausible row from the schema alone."""
    if schema.kind == "text":
        return "example"
    row = {}
    for column in schema.columns:
        row[column.name] = _typical(column)
    return row if schema.kind == "dataframe" else [row[c.name] for c in schema.columns]


def _typical(column):
    if column.type in ("integer", "number"):
        if column.min is not None and column.max is not None:
            middle = (float(column.min) + float(column.max)) / 2
            return round(middle) if column.type == "integer" else middle
        return 0
    if column.type == "boolean":
        return False
    if column.type == "datetime":
        return column.min or "2000-01-01T00:00:00"
    if column.categories:
        return sorted(column.categories)[0]
    return "unknown"
