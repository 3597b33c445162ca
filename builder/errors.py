"""One error hierarchy for nb2service.

Every error carries the message a user reads, the CLI exit code and the HTTP status it maps to.
The CLI (``builder.cli``) and the HTTP layer (``builder.serve``) each turn these into output in
exactly one place; nothing below them calls ``sys.exit`` or builds an error response by hand.
"""

from __future__ import annotations


class NB2ServiceError(Exception):
    """Base class: ``str(err)`` is the whole message written for the user."""

    exit_code = 1
    http_status = 500
    #: MLflow-style error code, used by the MLflow-compatible endpoints.
    error_code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message

    def details(self) -> dict:
        """Structured facts about the failure for machines (``build --json``); empty by default."""
        return {}


# ---- build errors (exit codes 2-7 and 9) ----------------------------------------------------------

class UsageError(NB2ServiceError):
    """A command-line option or environment variable is wrong or conflicts with another."""

    exit_code = 2


class NotebookChoiceError(NB2ServiceError):
    """No notebook, several and no choice, or a chosen notebook that does not exist."""

    exit_code = 3


class NotebookInvalid(NB2ServiceError):
    """The notebook file cannot be parsed, has an unsupported format or a non-Python kernel."""

    exit_code = 3


class DependencyError(NB2ServiceError):
    """The notebook's dependencies could not be worked out or installed."""

    exit_code = 4


class NotebookExecutionError(NB2ServiceError):
    """A cell failed, timed out or the kernel died while running the notebook."""

    exit_code = 5
    #: Why the failure looks like library drift (code written for older libraries), or None.
    drift: str | None = None
    #: One line: notebook, cell, exception.
    headline: str = ""
    #: The failing cell when there is one: ``{"notebook", "cell" (1-based), "source", "exception",
    #: "traceback"}`` (the last two only when the cell raised).
    cell: dict | None = None
    #: The library to move back when it is drift (``sklearn``), and the exception as the kernel said it.
    library: str | None = None
    ename: str = ""
    evalue: str = ""
    trace: str = ""

    def details(self) -> dict:
        return {"cell": self.cell} if self.cell else {}


class ModelNotFound(NB2ServiceError):
    """No fitted model, or several equally plausible ones, after the run."""

    exit_code = 6


class SchemaError(NB2ServiceError):
    """The model's input schema could not be inferred."""

    exit_code = 6


class VerificationError(NB2ServiceError):
    """The serialized model does not reload or does not predict what the in-kernel model did."""

    exit_code = 7


class GateFailed(NB2ServiceError):
    """The new model does not pass the build's test step (``--min-score``, ``--no-regression``):
    the previous artifact is left in place."""

    exit_code = 9


# ---- artifact / serving errors (exit codes 8, 10, 11) ---------------------------------------------

class ArtifactError(NB2ServiceError):
    """An artifact directory is missing, incomplete or tampered with; the service must not start."""

    exit_code = 8


class EnvironmentGone(NB2ServiceError):
    """The environment recorded in an artifact no longer exists and the artifact cannot say how to make
    it again (no requirements.lock)."""

    exit_code = 8


class EnvironmentNotRecreated(NB2ServiceError):
    """The environment could not be recreated from the artifact's requirements.lock (offline and not
    in uv's cache, a package gone from the index, no matching Python)."""

    exit_code = 11


class PortUnavailable(NB2ServiceError):
    """The service cannot listen on its address: the port is taken, privileged or the host is not local."""

    exit_code = 10


class RequestError(NB2ServiceError):
    """A client's mistake: answered with a 4xx and a JSON body naming the field."""

    http_status = 400
    error_code = "BAD_REQUEST"

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.field = field


class SchemaMismatch(RequestError):
    """The request is well formed but does not fit the model's inputs: missing columns, an empty
    batch, a CSV body without its header row, values strict mode refuses. MLflow's scoring server
    answers these with ``INVALID_PARAMETER_VALUE``, so MLflow clients expect that code."""

    error_code = "INVALID_PARAMETER_VALUE"


class UnsupportedMediaType(RequestError):
    http_status = 415
    error_code = "BAD_REQUEST"


class PayloadTooLarge(RequestError):
    http_status = 413
    error_code = "BAD_REQUEST"


class ModelNameNotFound(RequestError):
    http_status = 404
    error_code = "RESOURCE_DOES_NOT_EXIST"


class NotReady(NB2ServiceError):
    http_status = 503
    error_code = "TEMPORARILY_UNAVAILABLE"


class PredictionFailed(NB2ServiceError):
    """An exception inside the model: 500, traceback logged, never sent."""

    http_status = 500
    error_code = "INTERNAL_ERROR"
