"""What serving an artifact imports, found by doing it: run in the artifact's own environment, in a
fresh process, as ``python -m builder.export.needs ARTIFACT``; prints a JSON list of distributions
``[{"name", "version", "files": [absolute paths]}]``.

The process creates the service as the server does: the model is loaded the way it will serve (its
verified ONNX form, which needs onnxruntime and numpy only; else the pickled model, which imports
whatever its classes need: scikit-learn, imbalanced-learn, xgboost...), then the artifact's
examples go through the endpoints. Every loaded module is mapped to the distribution whose RECORD
lists its file; the test suites inside packages stay out unless loaded. The serving runtime (flask, gunicorn, prometheus-client, orjson,
swagger-ui-bundle) and what they require are added even where this process did not import them
(gunicorn is imported only by the real server). What nothing imported (the notebook's plotting
libraries, the kernel, the ONNX converter) is left out.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

#: Distributions the server itself runs on, with everything they require.
SERVING_RUNTIME = ("flask", "gunicorn", "prometheus-client", "orjson", "swagger-ui-bundle", "joblib")
#: nb2service itself serves from the copy of ``builder`` made for the environment (``environment.lib``);
#: its distribution, where installed, requires the whole build toolchain.
OWN = "nb2service"
MODULES = (".py", ".so", ".pyd")


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def exercise(artifact: Path) -> None:
    """Serve ``artifact`` as the server does (``create_app``: the model loaded the way it will serve,
    warmed up) and send its examples through the endpoints."""
    from .. import cli  # noqa: F401 (the server starts as ``python -m builder.serve``)
    from ..serve import gunicorn_app, launch  # noqa: F401
    from ..serve.app import create_app

    meta = json.loads((artifact / "metadata.json").read_text())
    rows = meta.get("examples") or []
    client = create_app(artifact).test_client()
    for path, body in (("/predict", {"instances": rows}), ("/invocations", {"dataframe_records": rows})):
        if rows:
            client.post(path, json=body)
    for path in ("/metrics", "/openapi.json", "/model", "/docs", "/report", "/report/live.json", "/v2/models",
                 "/v1/models", "/"):
        client.get(path)


def installed() -> dict[str, metadata.Distribution]:
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and _canonical(name) not in found:
            found[_canonical(name)] = dist
    return found


def closure(names, dists: dict[str, metadata.Distribution]) -> set[str]:
    """``names`` and every distribution they require (markers evaluated here), as installed."""
    from packaging.requirements import Requirement

    todo, seen = [_canonical(n) for n in names], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in dists or name == OWN:
            continue
        seen.add(name)
        for line in dists[name].requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_canonical(req.name))
    return seen


def loaded() -> set[str]:
    """The resolved paths of the modules this process has loaded."""
    return {str(Path(m.__file__).resolve()) for m in list(sys.modules.values()) if getattr(m, "__file__", None)}


def imported(dists: dict[str, metadata.Distribution], files: set[str]) -> set[str]:
    """The distributions whose files hold a module this process has loaded."""
    found = set()
    for name, dist in dists.items():
        if any(str(Path(dist.locate_file(f)).resolve()) in files for f in dist.files or [] if f.suffix in MODULES):
            found.add(name)
    return found


def kept(path: Path, files: set[str]) -> bool:
    """A distribution's file goes to the serving image unless it is in a package's test suite (a
    ``tests`` folder: tens of MB in scipy and pandas) that nothing loaded."""
    return "tests" not in path.parts or str(path.resolve()) in files


def needed(artifact: Path) -> list[dict]:
    exercise(artifact)
    files = loaded()
    dists = installed()
    names = closure(imported(dists, files) | set(SERVING_RUNTIME), dists)
    found = []
    for name in sorted(names):
        dist = dists[name]
        paths = [Path(dist.locate_file(f)) for f in dist.files or []]
        found.append({"name": dist.metadata["Name"], "version": dist.version,
                      "files": [str(p) for p in paths if kept(p, files)]})
    return found


def main() -> None:
    print(json.dumps(needed(Path(sys.argv[1]).resolve())))


if __name__ == "__main__":
    main()
