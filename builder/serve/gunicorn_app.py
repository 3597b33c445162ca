"""gunicorn, started from Python: the app is created (model loaded and warmed up) in the master
before the workers fork (``preload_app``), then ``gc.freeze()`` keeps the model's pages shared.

Options: ours first (``ServeSettings``), then ``GUNICORN_CMD_ARGS`` as gunicorn reads it, then the
options given on nb2service's command line. Each exiting worker's metrics files are marked dead.
"""

from __future__ import annotations

import gc
import logging
import os
import shlex
import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication

from ..config import ServeSettings
from ..errors import UsageError
from .workers import default_workers

log = logging.getLogger("nb2service.serve")
OWN_OPTIONS = {"host": "bind", "port": "bind", "workers": "workers"}


def gunicorn_options(settings: ServeSettings, name: str, explicit: frozenset = frozenset(), *,
                     quiet: bool = False) -> dict:
    """gunicorn settings: ours, overridden by GUNICORN_CMD_ARGS, overridden by our command line
    (``quiet``: without warning about the overridden ones, for a first look at the settings)."""
    ours = {
        "bind": [f"{settings.host}:{settings.port}"],
        "workers": settings.workers or default_workers(),
        "worker_class": "sync",
        "preload_app": True,
        "timeout": settings.timeout,
        "graceful_timeout": settings.graceful_timeout,
        "accesslog": "-" if settings.access_log else None,
        "errorlog": "-",
        "proc_name": f"nb2service-{name}",
        "control_socket_disable": True,  # gunicorn >= 24: one socket per user, shared by every server
    }
    given = command_args(settings.gunicorn_cmd_args)
    keep = {OWN_OPTIONS[o] for o in explicit if o in OWN_OPTIONS}
    for key, value in given.items():
        if key in keep:
            if not quiet:
                log.warning("WARNING: GUNICORN_CMD_ARGS sets %s, overridden by the command line", key)
            continue
        ours[key] = value
    return ours


def command_args(text: str | None) -> dict:
    """The settings in a GUNICORN_CMD_ARGS string, parsed by gunicorn's own parser."""
    if not text:
        return {}
    from gunicorn.config import Config

    parser = Config().parser()
    try:
        parsed = parser.parse_args(shlex.split(text))
    except SystemExit:
        raise UsageError(f"GUNICORN_CMD_ARGS={text!r} holds options gunicorn does not accept",
                         hint="see `gunicorn --help`, or unset GUNICORN_CMD_ARGS") from None
    if parsed.args:
        raise UsageError(f"GUNICORN_CMD_ARGS={text!r} names an app ({' '.join(parsed.args)}); nb2service supplies it",
                         hint="keep only options in GUNICORN_CMD_ARGS")
    return {k: v for k, v in vars(parsed).items() if v is not None and k != "args"}


def leave_at_once(server, worker) -> None:
    """gunicorn's worker_exit hook: a worker that finished cleanly (it drained its request) leaves with
    ``os._exit(0)`` once its output is flushed, skipping the interpreter's teardown of every module
    (0.3-1 s for scikit-learn, pandas and scipy; more on a busy machine) while a stopping pod waits.
    Nothing a worker holds needs that teardown: its metrics file is a shared mmap, marked dead by the
    master (``child_exit``); the only exit handler, the metrics folder's removal, is the master's.
    A worker leaving with an error code (boot or load failure) exits the normal way, with that code."""
    exc = sys.exc_info()[1]
    if isinstance(exc, SystemExit) and exc.code in (0, None):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


class ServiceApplication(BaseApplication):
    def __init__(self, app, options: dict, metrics_dir: str, ready_message: str = ""):
        self.application = app
        self.options = options
        self.metrics_dir = metrics_dir
        self.ready_message = ready_message
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key.lower() in self.cfg.settings:  # a setting this gunicorn version does not know is skipped
                self.cfg.set(key.lower(), value)
        metrics_dir = self.metrics_dir

        def child_exit(server, worker):
            from .metrics import mark_process_dead

            mark_process_dead(worker.pid, metrics_dir)

        self.cfg.set("child_exit", child_exit)
        if self.ready_message:
            message = self.ready_message

            def when_ready(server):  # the sockets are bound: only now may anything say "serving"
                log.info("%s", message)

            self.cfg.set("when_ready", when_ready)
        self.cfg.set("worker_exit", leave_at_once)

    def load(self):
        return self.application


def run(artifact: Path, settings: ServeSettings, *, explicit: frozenset = frozenset()) -> None:
    """Load the model, then serve it with gunicorn until it is stopped (SIGTERM drains)."""
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S %z")
    from .app import EXTENSION, create_app
    from .examples import curl_examples

    app = create_app(artifact, settings)  # in the master, before forking: workers share the model
    name = app.extensions[EXTENSION].runtime.name
    app.extensions[EXTENSION].metrics.processes.master = os.getpid()  # gunicorn's master: this process
    options = gunicorn_options(settings, name, explicit)
    gc.collect()
    gc.freeze()  # objects made so far stay out of the collector, so forked workers keep sharing their pages
    host, _, port = options["bind"][0].rpartition(":")
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    ready = (f"---> serving {name} on {', '.join(options['bind'])} with {options['workers']} worker(s)\n"
             f"---> try:\n{curl_examples(app.extensions[EXTENSION].runtime.model.metadata, base, name)}")
    ServiceApplication(app, options, settings.metrics_dir, ready).run()
