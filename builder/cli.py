"""The ``nb2service`` command: thin click commands over library functions.

Errors from nb2service (``builder.errors``) become a message on stderr and their exit code here,
in one place.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import __version__
from .config import build_settings, serve_settings
from .errors import NB2ServiceError


def reports_errors(command):
    """Turn an ``NB2ServiceError`` into ``ERROR: message`` and its exit code."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except NB2ServiceError as exc:
            click.echo(f"ERROR: {exc}", err=True)
            sys.exit(exc.exit_code)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nb2service")
def main() -> None:
    """Build a Jupyter notebook that trains a model into a verified REST model service."""


def _build_options(command):
    options = [
        click.argument("src", type=click.Path(path_type=Path), default=".", required=False),
        click.option("--notebook", "notebooks", multiple=True, metavar="PATH",
                     help="Notebook to run, relative to SRC (repeatable, run in order). Env: NOTEBOOK, "
                          "S2I_SOURCE_NOTEBOOK_LIST."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings(notebooks, **options):
    """Settings from the environment, overridden by the options given (errors reach reports_errors)."""
    return build_settings().with_options(notebooks=tuple(notebooks) or None, **options)


@main.command()
@_build_options
@click.option("-o", "--output", "out", type=click.Path(path_type=Path),
              help="Artifact folder (default: SRC/.nb2service/artifact).")
@click.option("--model-variable", help="The variable holding the model. Env: MODEL_VARIABLE.")
@click.option("--timeout", "cell_timeout", type=click.IntRange(min=1), help="Per-cell timeout in seconds "
              "(default 600). Env: NB2SERVICE_CELL_TIMEOUT.")
@click.option("--no-install", "no_install", is_flag=True,
              help="Run in this interpreter instead of an isolated, cached environment.")
@click.option("--no-examples", "no_examples", is_flag=True, help="Keep no training rows in the artifact.")
@click.option("--as-of", "as_of", metavar="DATE|latest", help="Resolve unpinned dependencies as of this date "
              "(default: the last git commit that touched the notebook). Env: NB2SERVICE_AS_OF.")
@click.option("--min-score", "min_scores", multiple=True, metavar="METRIC=VALUE",
              help="Test step: fail unless the model's held-out METRIC reaches VALUE (accuracy, balanced_accuracy, "
                   "f1_macro, roc_auc, r2; at most VALUE for log_loss, mae, rmse). Repeatable. "
                   "Env: NB2SERVICE_MIN_SCORE (comma-separated).")
@click.option("--no-regression", "no_regression", is_flag=False, flag_value="0", metavar="[=TOLERANCE]",
              help="Test step: fail when a held-out score falls more than TOLERANCE (default 0) below the previous "
                   "artifact's. Env: NB2SERVICE_NO_REGRESSION.")
@click.option("--previous", "previous", type=click.Path(path_type=Path), metavar="DIR",
              help="The previous artifact --no-regression compares with (default: the one at -o). "
                   "Env: NB2SERVICE_PREVIOUS_ARTIFACT.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Set a notebook parameter (the "
              "cell tagged 'parameters'), typed as papermill's -p does; repeatable. Env: NB2SERVICE_PARAM_<NAME>.")
@reports_errors
def build(src, notebooks, as_json, out, model_variable, cell_timeout, no_install, no_examples, as_of, min_scores,
          no_regression, previous, params):
    """Run the notebook(s) in SRC, test the model and write a verified model artifact."""
    from .build import build as run_build
    from .config import parse_min_scores, parse_no_regression
    from .report import Reporter

    reporter = Reporter(as_json)
    with reporter.failures():
        settings = _settings(notebooks, model_variable=model_variable, cell_timeout=cell_timeout, as_of=as_of,
                             install=False if no_install else None, examples=False if no_examples else None,
                             min_scores=parse_min_scores(min_scores) or None,
                             no_regression=parse_no_regression(no_regression) if no_regression is not None else None,
                             previous_artifact=previous, params=params or None)
        run_build(src, out, settings, reporter)


@main.command()
@_build_options
@reports_errors
def inspect(src, notebooks, as_json):
    """Show the build plan for SRC (notebooks, dependencies) without running anything."""
    from .build import plan
    from .report import Reporter

    reporter = Reporter(as_json)
    with reporter.failures():
        the_plan = plan(src, _settings(notebooks), reporter)
    reporter.emit(the_plan.to_json(), the_plan.summary())


@main.command()
@click.argument("src", type=click.Path(path_type=Path), default=".", required=False)
@click.option("--host", help="Address to listen on (default 127.0.0.1; 0.0.0.0 in a container). "
              "Env: NB2SERVICE_HOST.")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 8080). Env: PORT.")
@click.option("--workers", type=click.IntRange(min=1), help="gunicorn worker processes (default: from the CPUs "
              "and memory this process may use, 1-12). Env: WEB_CONCURRENCY.")
@click.option("--model-name", help="The model's name on the V1/V2 paths (default: the notebook's name). "
              "Env: MODEL_NAME.")
@click.option("--strict", is_flag=True, default=None, help="Refuse (400) unknown categories and values outside "
              "the training range, naming the field and what training saw (default: accept them, count them as "
              "drift). Env: NB2SERVICE_STRICT_INPUTS=1.")
@click.option("--in-build-env", is_flag=True, hidden=True)
@reports_errors
def serve(src, host, port, workers, model_name, strict, in_build_env):
    """Serve the model built from SRC over HTTP with gunicorn (native, MLflow, KServe V1/V2 protocols).

    SRC is the notebook repo (its .nb2service/artifact is served) or an artifact folder (build -o)."""
    from .serve.launch import serve as run_serve

    options = {"host": host, "port": port, "workers": workers, "model_name": model_name, "strict": strict}
    settings = serve_settings().with_options(**options)
    run_serve(src, settings, explicit=frozenset(k for k, v in options.items() if v is not None),
              in_build_env=in_build_env)


@main.command()
@click.argument("artifact", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path, dir_okay=False), default="report.html",
              show_default=True, help="The HTML file to write.")
@reports_errors
def report(artifact, out):
    """Write the model report of ARTIFACT (card, evaluation, plots, notebook) as one offline HTML file."""
    from .modelcard.page import write_offline

    click.echo(f"---> wrote {write_offline(artifact, out)}")


@main.command()
@click.argument("artifact", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True,
              help="Folder to write the build context to (new or empty).")
@click.option("--runtime-image", default="nb2service-runtime", show_default=True,
              help="The nb2service runtime image the Containerfile builds FROM (build arg RUNTIME_IMAGE).")
@reports_errors
def export(artifact, out, runtime_image):
    """Write a container build context (Containerfile + ARTIFACT) for a slim serving image."""
    from .export.context import export as write_context

    summary = write_context(artifact, out, runtime_image=runtime_image)
    click.echo(f"---> wrote {summary['context']}: Containerfile, the model, {len(summary['requirements'])} "
               "distributions serving needs (serving-requirements.txt)")
    click.echo(f"---> build it: podman build -t {summary['name']} {summary['context']}")


if __name__ == "__main__":  # pragma: no cover
    main()
