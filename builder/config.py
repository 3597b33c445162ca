"""Settings read from the environment: the one module that reads ``os.environ``.

Names: nb2service's own variables carry the ``NB2SERVICE_`` prefix; the names S2I, nachlass,
pip and gunicorn users already know (``NOTEBOOK``, ``S2I_SOURCE_NOTEBOOK_LIST``, ``MODEL_VARIABLE``,
``PIP_INDEX_URL``, ``PORT``, ``WEB_CONCURRENCY``...) are read as they are. Command-line options
override the environment; the CLI passes them in as keyword arguments.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import UsageError

DEFAULT_CELL_TIMEOUT = 600
PARAMETER_PREFIX = "NB2SERVICE_PARAM_"
PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_MAX_OUTPUT_MB = 20


def _env(name: str, environ: dict | None = None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return value if value not in (None, "") else None


def _int(name: str, default: int, environ: dict | None) -> int:
    raw = _env(name, environ)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a whole number", hint=f"unset {name} or give e.g. {name}={default}")


def _cache_home(environ: dict | None) -> Path:
    explicit = _env("NB2SERVICE_CACHE_DIR", environ)
    if explicit:
        return Path(explicit)
    xdg = _env("XDG_CACHE_HOME", environ)
    return Path(xdg) / "nb2service" if xdg else Path.home() / ".cache" / "nb2service"


@dataclass(frozen=True)
class IndexSettings:
    """Where packages come from: pip's own variable names, passed on to the installer."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        return "|".join([self.index_url or "", *self.extra_index_urls, *self.trusted_hosts])

    def installer_args(self, trusted_flag: str) -> list[str]:
        """These settings as installer options (uv spells pip's --trusted-host --allow-insecure-host)."""
        args = ["--index-url", self.index_url] if self.index_url else []
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for host in self.trusted_hosts:
            args += [trusted_flag, host]
        return args


@dataclass(frozen=True)
class BuildSettings:
    """Everything ``nb2service build`` needs besides the source directory."""

    notebooks: tuple[str, ...] = ()
    notebooks_origin: str = ""
    model_variable: str | None = None
    cell_timeout: int = DEFAULT_CELL_TIMEOUT
    install: bool = True
    examples: bool = True
    env_path: Path | None = None
    cache_dir: Path = field(default_factory=lambda: _cache_home(None))
    stage_save_file: str | None = None
    index: IndexSettings = IndexSettings()
    #: "latest", an ISO date, or None (decide from the repo's git history).
    as_of: str | None = None
    max_output_mb: int = DEFAULT_MAX_OUTPUT_MB
    #: The test step (``builder.build.gate``): ``(metric, bound)`` pairs the evaluation must meet...
    min_scores: tuple[tuple[str, float], ...] = ()
    #: ...and the tolerance within which no score may fall below the previous artifact's (None: off).
    no_regression: float | None = None
    #: The artifact to compare with (default: the one at OUT, if any).
    previous_artifact: Path | None = None
    #: Notebook parameters: ``(name, raw value, where from)``, NB2SERVICE_PARAM_<NAME> then --param.
    parameters: tuple[tuple[str, str, str], ...] = ()

    def with_options(self, **options) -> "BuildSettings":
        """Return a copy with the command-line options that were given (None means not given);
        ``params`` (``NAME=VALUE`` strings from ``--param``) override the environment's by name."""
        given = {k: v for k, v in options.items() if v is not None}
        if "params" in given:
            merged = {name: (name, value, source) for name, value, source in self.parameters}
            for text in given.pop("params"):
                name, sep, value = text.partition("=")
                if not sep or not PARAMETER_NAME.match(name.strip()):
                    raise UsageError(f"--param {text!r} is not NAME=VALUE", hint="e.g. --param n_estimators=200")
                merged[name.strip()] = (name.strip(), value, "--param")
            given["parameters"] = tuple(merged.values())
        if given.get("notebooks"):
            given["notebooks_origin"] = "--notebook"
        elif "notebooks" in given:
            del given["notebooks"]
        return replace(self, **given)


def build_settings(environ: dict | None = None) -> BuildSettings:
    """Read the build settings from the environment (``environ`` defaults to ``os.environ``)."""
    notebooks: tuple[str, ...] = ()
    origin = ""
    single = _env("NOTEBOOK", environ)
    listed = _env("S2I_SOURCE_NOTEBOOK_LIST", environ)
    if single and listed:
        raise UsageError(
            "both NOTEBOOK and S2I_SOURCE_NOTEBOOK_LIST are set",
            hint="set only one: NOTEBOOK for one notebook, S2I_SOURCE_NOTEBOOK_LIST=a.ipynb,b.ipynb for several",
        )
    if single:
        notebooks, origin = (single,), "NOTEBOOK"
    elif listed:
        notebooks = tuple(p.strip() for p in listed.split(",") if p.strip())
        origin = "S2I_SOURCE_NOTEBOOK_LIST"
    env_path = _env("NB2SERVICE_ENV", environ)
    return BuildSettings(
        notebooks=notebooks,
        notebooks_origin=origin,
        model_variable=_env("MODEL_VARIABLE", environ),
        cell_timeout=_int("NB2SERVICE_CELL_TIMEOUT", DEFAULT_CELL_TIMEOUT, environ),
        install=_env("NB2SERVICE_NO_INSTALL", environ) not in ("1", "true", "yes"),
        examples=_env("NB2SERVICE_NO_EXAMPLES", environ) not in ("1", "true", "yes"),
        env_path=Path(env_path) if env_path else None,
        cache_dir=_cache_home(environ),
        stage_save_file=_env("S2I_PIPELINE_STAGE_SAVE_FILE", environ),
        as_of=_env("NB2SERVICE_AS_OF", environ),
        max_output_mb=_int("NB2SERVICE_MAX_OUTPUT_MB", DEFAULT_MAX_OUTPUT_MB, environ),
        min_scores=parse_min_scores((_env("NB2SERVICE_MIN_SCORE", environ) or "").split(","), "NB2SERVICE_MIN_SCORE"),
        no_regression=parse_no_regression(_env("NB2SERVICE_NO_REGRESSION", environ), "NB2SERVICE_NO_REGRESSION"),
        previous_artifact=Path(p) if (p := _env("NB2SERVICE_PREVIOUS_ARTIFACT", environ)) else None,
        parameters=_parameters(environ),
        index=_index_settings(environ),
    )


def _index_settings(environ: dict | None) -> IndexSettings:
    return IndexSettings(
        index_url=_env("PIP_INDEX_URL", environ),
        extra_index_urls=tuple((_env("PIP_EXTRA_INDEX_URL", environ) or "").split()),
        trusted_hosts=tuple((_env("PIP_TRUSTED_HOST", environ) or "").split()),
    )


def parse_min_scores(items, origin: str = "--min-score") -> tuple[tuple[str, float], ...]:
    """``["accuracy=0.9", "rmse=5000"]`` -> ``(("accuracy", 0.9), ("rmse", 5000.0))``; an unknown
    metric or a value that is not a number is a UsageError naming the metrics there are."""
    from .model.evaluate import METRICS

    scores = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        metric, sep, value = item.partition("=")
        metric = metric.strip().lower()
        try:
            bound = float(value) if sep else None
        except ValueError:
            bound = None
        if metric not in METRICS or bound is None or bound != bound:
            raise UsageError(f"{origin} {item!r}: expected METRIC=VALUE with METRIC one of {', '.join(METRICS)}",
                             hint=f"e.g. {origin}{' ' if origin.startswith('-') else '='}accuracy=0.9")
        scores.append((metric, bound))
    return tuple(scores)


def parse_no_regression(raw: str | None, origin: str = "--no-regression") -> float | None:
    """None (off), or the tolerance: ``true``/``yes``/``on``/``1`` mean 0; ``false``/``no``/``off``
    mean off; another number is the tolerance (``0.01``: a score may drop by 0.01)."""
    if raw is None:
        return None
    lowered = raw.strip().lower()
    if lowered in ("true", "yes", "on", "1", ""):
        return 0.0
    if lowered in ("false", "no", "off"):
        return None
    try:
        tolerance = float(lowered)
    except ValueError:
        tolerance = -1.0
    if not tolerance >= 0:
        raise UsageError(f"{origin}={raw!r}: expected a tolerance (a number >= 0) or true/false",
                         hint="e.g. --no-regression=0.01 or NB2SERVICE_NO_REGRESSION=0.01")
    return tolerance


def _parameters(environ: dict | None) -> tuple[tuple[str, str, str], ...]:
    source = os.environ if environ is None else environ
    return tuple((name[len(PARAMETER_PREFIX):], value, name) for name, value in sorted(source.items())
                 if name.startswith(PARAMETER_PREFIX) and PARAMETER_NAME.match(name[len(PARAMETER_PREFIX):]))


CREDENTIAL_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|KEY|^AWS_|^AZURE_|^GOOGLE_", re.IGNORECASE)
MIN_SECRET_LENGTH = 6


def credential_values(environ: dict | None = None) -> dict[str, str]:
    """``{name: value}`` of the variables that look like credentials (TOKEN, SECRET, PASSWORD, KEY
    in the name, or AWS_/AZURE_/GOOGLE_ prefixes), for keeping their values out of what a build writes.
    Values shorter than 6 characters are left alone (they would match ordinary output)."""
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items()
            if CREDENTIAL_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH}


#: Set in every process nb2service starts (kernel, installer, verifier, server) and in the server
#: itself: onnxruntime's telemetry off. On Linux its collector (onnxruntime >= 1.2x) starts a thread
#: when onnxruntime is imported and keeps a device id and an event queue under
#: ``~/.cache/Microsoft/DeveloperTools/.onnxruntime``; in a forked gunicorn worker that thread does not
#: exist, and the collector's shutdown waits 30 s for it at exit (every stop took 30 s).
QUIET_ENVIRONMENT = {"ORT_DISABLE_TELEMETRY": "1"}


def process_environment() -> dict[str, str]:
    """A copy of this process's environment, for starting child processes (kernel, installer), with
    ``QUIET_ENVIRONMENT`` set."""
    return {**os.environ, **QUIET_ENVIRONMENT}


# ---- serving -------------------------------------------------------------------------------------

DEFAULT_PORT = 8080
DEFAULT_REQUEST_TIMEOUT = 60
DEFAULT_GRACEFUL_TIMEOUT = 30
DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024
DEFAULT_LOG_QUEUE = 1000
DEFAULT_LOG_TIMEOUT = 2.0
#: Thread-pool variables set to ``NB2SERVICE_BLAS_THREADS`` in each worker unless already set.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class ServeSettings:
    """Everything ``nb2service serve`` needs besides the artifact folder.

    Environment: ``PORT``, ``WEB_CONCURRENCY``, ``GUNICORN_CMD_ARGS``, ``MODEL_NAME`` (S2I and
    gunicorn names) and ``NB2SERVICE_HOST``, ``NB2SERVICE_TIMEOUT``, ``NB2SERVICE_GRACEFUL_TIMEOUT``,
    ``NB2SERVICE_MAX_REQUEST_BYTES``, ``NB2SERVICE_BLAS_THREADS``, ``NB2SERVICE_ACCESS_LOG``,
    ``NB2SERVICE_DRIFT``, ``NB2SERVICE_STRICT_INPUTS``. ``PROMETHEUS_MULTIPROC_DIR`` is honoured when set (else a fresh temp dir).
    ``NB2SERVICE_CACHE_DIR`` and pip's index variables say where an environment recreated from the
    artifact's lock is kept and where its packages come from.
    Prediction logging (``builder.serve.prediction_log``): ``NB2SERVICE_LOG_PREDICTIONS`` (sample rate,
    0 = off), ``NB2SERVICE_LOG_SINK``, ``NB2SERVICE_LOG_MASK``, ``NB2SERVICE_LOG_QUEUE``,
    ``NB2SERVICE_LOG_TIMEOUT``; ``POD_NAMESPACE`` (the downward API's usual name) names the namespace.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int | None = None  # None: computed from the CPU and memory this process may use
    model_name: str | None = None  # None: the artifact's name
    timeout: int = DEFAULT_REQUEST_TIMEOUT
    graceful_timeout: int = DEFAULT_GRACEFUL_TIMEOUT
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    blas_threads: int = 1
    gunicorn_cmd_args: str | None = None
    access_log: bool = False
    drift: bool = True
    #: Refuse (400) unknown categories and values outside the training range (``builder.model.strict``).
    strict: bool = False
    metrics_dir: str | None = None
    #: Share of predictions written to the prediction log (0: off, 1: all), its sink, the input
    #: columns it masks, its queue length and the sink's timeout in seconds.
    log_predictions: float = 0.0
    log_sink: str = "stdout"
    log_mask: tuple[str, ...] = ()
    log_queue: int = DEFAULT_LOG_QUEUE
    log_timeout: float = DEFAULT_LOG_TIMEOUT
    namespace: str | None = None
    #: Values of THREAD_VARIABLES already set by the user (they win over ``blas_threads``).
    thread_overrides: tuple[tuple[str, str], ...] = ()
    cache_dir: Path = field(default_factory=lambda: _cache_home(None))
    index: IndexSettings = IndexSettings()

    def with_options(self, **options) -> "ServeSettings":
        """Return a copy with the command-line options that were given (None means not given)."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})

    def thread_environment(self) -> dict[str, str]:
        """The BLAS/OpenMP thread variables each worker runs with."""
        values = {name: str(self.blas_threads) for name in THREAD_VARIABLES}
        values.update(dict(self.thread_overrides))
        return values


def _positive(name: str, default: int, environ: dict | None) -> int:
    value = _int(name, default, environ)
    if value < 1:
        raise UsageError(f"{name}={value} must be at least 1", hint=f"unset {name} or give e.g. {name}={default}")
    return value


def _flag(name: str, default: bool, environ: dict | None) -> bool:
    raw = _env(name, environ)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{name}={raw!r} is not a yes/no value", hint=f"set {name}=1 or {name}=0")


def _fraction(name: str, environ: dict | None) -> float:
    raw = _env(name, environ)
    if raw is None or raw.lower() in ("0", "off", "false", "no"):
        return 0.0
    if raw.lower() in ("on", "true", "yes", "all"):
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"{name}={raw!r} is not a sample rate between 0 and 1",
                         hint=f"set {name}=1 to log every prediction, {name}=0.1 for one in ten, or unset it")
    return value


def _seconds(name: str, default: float, environ: dict | None) -> float:
    raw = _env(name, environ)
    try:
        value = float(raw) if raw is not None else default
    except ValueError:
        value = -1.0
    if value <= 0:
        raise UsageError(f"{name}={raw!r} is not a positive number of seconds", hint=f"e.g. {name}={default}")
    return value


def serve_settings(environ: dict | None = None) -> ServeSettings:
    """Read the serving settings from the environment (``environ`` defaults to ``os.environ``)."""
    workers = _env("WEB_CONCURRENCY", environ)
    port = _positive("PORT", DEFAULT_PORT, environ)
    if port > 65535:
        raise UsageError(f"PORT={port} is not a TCP port", hint="give a port between 1 and 65535, e.g. PORT=8080")
    return ServeSettings(
        host=_env("NB2SERVICE_HOST", environ) or "127.0.0.1",
        port=port,
        workers=_positive("WEB_CONCURRENCY", 1, environ) if workers is not None else None,
        model_name=_env("MODEL_NAME", environ),
        timeout=_positive("NB2SERVICE_TIMEOUT", DEFAULT_REQUEST_TIMEOUT, environ),
        graceful_timeout=_positive("NB2SERVICE_GRACEFUL_TIMEOUT", DEFAULT_GRACEFUL_TIMEOUT, environ),
        max_request_bytes=_positive("NB2SERVICE_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, environ),
        blas_threads=_positive("NB2SERVICE_BLAS_THREADS", 1, environ),
        gunicorn_cmd_args=_env("GUNICORN_CMD_ARGS", environ),
        access_log=_flag("NB2SERVICE_ACCESS_LOG", False, environ),
        drift=_flag("NB2SERVICE_DRIFT", True, environ),
        strict=_flag("NB2SERVICE_STRICT_INPUTS", False, environ),
        metrics_dir=_env("PROMETHEUS_MULTIPROC_DIR", environ),
        log_predictions=_fraction("NB2SERVICE_LOG_PREDICTIONS", environ),
        log_sink=_env("NB2SERVICE_LOG_SINK", environ) or "stdout",
        log_mask=tuple(n.strip() for n in (_env("NB2SERVICE_LOG_MASK", environ) or "").split(",") if n.strip()),
        log_queue=_positive("NB2SERVICE_LOG_QUEUE", DEFAULT_LOG_QUEUE, environ),
        log_timeout=_seconds("NB2SERVICE_LOG_TIMEOUT", DEFAULT_LOG_TIMEOUT, environ),
        namespace=_env("POD_NAMESPACE", environ),
        thread_overrides=tuple((n, _env(n, environ)) for n in THREAD_VARIABLES if _env(n, environ)),
        cache_dir=_cache_home(environ),
        index=_index_settings(environ),
    )
