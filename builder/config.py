"""Settings read from the environment: the one module that reads ``os.environ``.

Names: nb2service's own variables carry the ``NB2SERVICE_`` prefix; the names S2I, nachlass,
pip and gunicorn users already know (``NOTEBOOK``, ``S2I_SOURCE_NOTEBOOK_LIST``, ``MODEL_VARIABLE``,
``PIP_INDEX_URL``, ``PORT``, ``WEB_CONCURRENCY``...) are read as they are. Command-line options
override the environment; the CLI passes them in as keyword arguments.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import UsageError

DEFAULT_CELL_TIMEOUT = 600


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

    def with_options(self, **options) -> "BuildSettings":
        """Return a copy with the command-line options that were given (None means not given)."""
        given = {k: v for k, v in options.items() if v is not None}
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
        index=IndexSettings(
            index_url=_env("PIP_INDEX_URL", environ),
            extra_index_urls=tuple((_env("PIP_EXTRA_INDEX_URL", environ) or "").split()),
            trusted_hosts=tuple((_env("PIP_TRUSTED_HOST", environ) or "").split()),
        ),
    )


def process_environment() -> dict[str, str]:
    """A copy of this process's environment, for starting child processes (kernel, installer)."""
    return dict(os.environ)
