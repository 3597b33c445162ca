"""``make bench``: nb2service against MLflow and MLServer on the churn pipeline, and the build's cost.

For each variant of notebooks/churn (``linear``: the notebook as it is, LogisticRegression;
``forest``: the same notebook with a 100-tree RandomForestClassifier):

1. build: ``nb2service build`` with an empty environment cache (first build) and again (warm
   rebuild), by stage, against the floor measured in the same run: ``uv venv`` + ``uv pip install``
   of the notebook's requirements and nbconvert + ``jupyter nbconvert --execute`` (same uv cache);
2. the in-process floor (bench/floor.py in the build environment);
3. per server (nb2service from the artifact; MLflow and MLServer on copies of its model.joblib, in
   their own venvs under bench/.venvs): cold start to the first 200 on readiness, a check that it
   predicts what nb2service predicts, wrk runs (single rows and 100-row batches at concurrency 1, 8
   and 32, ``--seconds`` each, after a short warm-up), total RSS and PSS with 1, 2 and 4 workers.

Writes bench/results/<date>T<time>.json and .md (a ``-VARIANT`` suffix when not both variants ran)
and prints the markdown. Everything listens on
127.0.0.1; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import features  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402

ROOT = servers.ROOT
BENCH = ROOT / "bench"
WORK = BENCH / "work"
NB2SERVICE = ROOT / ".venv" / "bin" / "nb2service"
CONCURRENCY = (1, 8, 32)
BATCHES = (1, 100)
WARMUP_SECONDS = 2


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- the repos --------------------------------------------------------------------------------------

def variant_repo(variant: str) -> Path:
    source = ROOT / "notebooks" / "churn"
    if variant == "linear":
        return source
    import nbformat

    repo = WORK / "repos" / f"churn-{variant}"
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(source, repo)
    path = repo / "churn.ipynb"
    nb = nbformat.read(path, as_version=4)
    replaced = 0
    for cell in nb.cells:
        if '("classifier", LogisticRegression(max_iter=1000))' in cell.source:
            cell.source = cell.source.replace('("classifier", LogisticRegression(max_iter=1000))',
                                              '("classifier", RandomForestClassifier(n_estimators=100, '
                                              'random_state=0))')
            replaced += 1
        if "from sklearn.linear_model import LogisticRegression" in cell.source:
            cell.source += "\nfrom sklearn.ensemble import RandomForestClassifier"
    if replaced != 1:
        raise SystemExit("bench: could not find the classifier in notebooks/churn/churn.ipynb to replace")
    for cell in nb.cells:  # the coefficients plot needs a linear model
        if "coef_" in cell.source:
            cell.source = "# (coefficients: not for a random forest)"
    nbformat.write(nb, path)
    return repo


# ---- building -----------------------------------------------------------------------------------------

def timed(argv: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(map(str, argv))} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, proc


def build_timing(repo: Path, artifact: Path, variant: str) -> dict:
    cache = WORK / f"cache-{variant}"
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "NB2SERVICE_CACHE_DIR": str(cache)}
    env.pop("PYTHONPATH", None)
    floor = build_floor(repo, variant)
    log(f"---> [{variant}] nb2service build (first: empty environment cache)")
    first_s, first = timed([str(NB2SERVICE), "build", str(repo), "-o", str(artifact), "--json"], env)
    log(f"---> [{variant}] nb2service build (warm rebuild)")
    warm_s, warm = timed([str(NB2SERVICE), "build", str(repo), "-o", str(artifact), "--json"], env)
    first_doc, warm_doc = json.loads(first.stdout), json.loads(warm.stdout)
    cells = lambda doc: round(sum(n["seconds"] for n in doc["metadata"]["notebooks"]), 2)  # noqa: E731
    return {"floor": floor,
            "first": {"seconds": round(first_s, 2), "stages": first_doc["stages"], "cells_s": cells(first_doc)},
            "warm": {"seconds": round(warm_s, 2), "stages": warm_doc["stages"], "cells_s": cells(warm_doc)},
            "inference": first_doc["metadata"].get("inference")}


def build_floor(repo: Path, variant: str) -> dict:
    """An empty venv, the notebook's requirements + nbconvert installed with uv, the notebook run."""
    venv = WORK / f"floor-{variant}"
    shutil.rmtree(venv, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    log(f"---> [{variant}] floor: uv venv + uv pip install -r requirements.txt nbconvert ipykernel + nbconvert --execute")
    create, _ = timed([servers.uv(), "venv", "--quiet", "--seed", "--python", sys.executable, str(venv)], env)
    install, _ = timed([servers.uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                        "-r", str(repo / "requirements.txt"), "nbconvert", "ipykernel"], env)
    execute, _ = timed([str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                        "--output-dir", str(venv / "executed"), str(repo / "churn.ipynb")], env, cwd=repo)
    shutil.rmtree(venv, ignore_errors=True)
    return {"create_venv": round(create, 2), "install": round(install, 2), "execute": round(execute, 2),
            "seconds": round(create + install + execute, 2)}


# ---- requests ----------------------------------------------------------------------------------------

def request_rows(meta: dict, n: int = 200) -> list[dict]:
    """Complete rows (no missing values: MLServer's tensors have no null) from the churn CSV, typed
    by the artifact's schema."""
    casts = {"integer": int, "number": float, "string": str, "boolean": lambda v: v.lower() == "true"}
    columns = meta["inputs"]
    rows = []
    with open(ROOT / "notebooks" / "churn" / "data" / "churn.csv") as fh:
        for record in csv.DictReader(fh):
            if all(record[c["name"]] != "" for c in columns):
                rows.append({c["name"]: casts[c["type"]](record[c["name"]]) for c in columns})
            if len(rows) == n:
                break
    return rows


def wrk(url: str, body: Path, connections: int, seconds: int) -> dict:
    threads = 1 if connections == 1 else 2
    env = {**os.environ, "BENCH_BODY": str(body), "BENCH_CONTENT_TYPE": "application/json"}
    proc = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                           "-s", str(BENCH / "post.lua"), url], capture_output=True, text=True, env=env,
                          timeout=seconds + 60)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"bench: wrk printed no result:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(line[len("BENCH "):])


def load_test(server: servers.Server, name: str, rows: list, columns: list, seconds: int, bodies: Path) -> list:
    runs = []
    for batch in BATCHES:
        path, body = servers.request_body(name, rows[:batch], columns)
        body_file = bodies / f"{name}-{batch}.json"
        body_file.write_bytes(body)
        wrk(server.url + path, body_file, 8, WARMUP_SECONDS)
        for connections in CONCURRENCY:
            result = wrk(server.url + path, body_file, connections, seconds)
            rps = result["requests"] / (result["duration_us"] / 1e6)
            runs.append({"server": name, "batch": batch, "concurrency": connections,
                         "requests_per_s": round(rps, 1), "rows_per_s": round(rps * batch, 1),
                         "p50_ms": round(result["latency_us"]["p50"] / 1000, 2),
                         "p99_ms": round(result["latency_us"]["p99"] / 1000, 2),
                         "errors": sum(result["errors"].values()), "detail": result})
            log(f"    {name:10} batch {batch:3} c{connections:<2} {rps:8.1f} req/s  p50 "
                f"{runs[-1]['p50_ms']:7.2f} ms  p99 {runs[-1]['p99_ms']:7.2f} ms  errors {runs[-1]['errors']}")
    return runs


# ---- one variant ---------------------------------------------------------------------------------------

def bench_variant(variant: str, args) -> dict:
    work = WORK / variant
    work.mkdir(parents=True, exist_ok=True)
    repo = variant_repo(variant)
    artifact = work / "artifact"
    result: dict = {"variant": variant}
    if args.skip_build and (artifact / "metadata.json").exists():
        log(f"---> [{variant}] reusing {artifact} (--skip-build)")
    else:
        result["build"] = build_timing(repo, artifact, variant)
    meta = json.loads((artifact / "metadata.json").read_text())
    result["inference"] = meta.get("inference")
    result["model"] = meta["model"]["steps"]
    lock = dict(line.strip().split("==", 1) for line in (artifact / "requirements.lock").read_text().splitlines()
                if "==" in line)
    lock = {k.lower(): v for k, v in lock.items()}
    venvs = {name: servers.ensure_venv(name, lock, log) for name in servers.PEERS}
    result["versions"] = {"nb2service": {k: lock.get(k) for k in ("scikit-learn", "pandas", "numpy", "onnxruntime",
                                                                  "skl2onnx", "flask", "gunicorn")},
                          "mlflow": servers.versions(venvs["mlflow"], ["mlflow", "scikit-learn", "pandas", "uvicorn"]),
                          "mlserver": servers.versions(venvs["mlserver"], ["mlserver", "mlserver-sklearn",
                                                                           "scikit-learn", "pandas", "uvicorn"])}
    rows = request_rows(meta)
    rows_file = work / "rows.json"
    rows_file.write_text(json.dumps(rows))
    models = servers.save_peer_models(artifact, work, rows, meta["inputs"])
    models["nb2service"] = artifact

    log(f"---> [{variant}] in-process floor")
    env = {**os.environ, "PYTHONPATH": meta["environment"]["lib"]}
    floor = subprocess.run([meta["environment"]["python"], str(BENCH / "floor.py"), str(artifact), str(rows_file)],
                           capture_output=True, text=True, env=env, check=True)
    result["floor"] = json.loads(floor.stdout.strip().splitlines()[-1])

    result["servers"], result["runs"] = {}, []
    reference = None
    for name in args.servers.split(","):
        log(f"---> [{variant}] {name}: {args.workers} workers")
        info = {}
        server = servers.STARTERS[name](models[name], args.workers, work / "logs")
        try:
            info["cold_start_s"] = round(server.wait_ready(), 2)
            path, body = servers.request_body(name, rows[:100], meta["inputs"])
            answer = [str(p) for p in servers.predictions(name, server.post(path, body))]
            reference = reference or answer
            info["agrees_with_nb2service_on_100_rows"] = answer == reference
            result["runs"] += load_test(server, name, rows, meta["inputs"], args.seconds, work)
            info[f"memory_{args.workers}_workers"] = server.rss()
        finally:
            server.stop()
        for workers in (1, 4):
            server = servers.STARTERS[name](models[name], workers, work / "logs")
            try:
                server.wait_ready()
                server.settle()
                path, body = servers.request_body(name, rows[:1], meta["inputs"])
                for _ in range(50):
                    server.post(path, body)
                info[f"memory_{workers}_workers"] = server.rss()
            finally:
                server.stop()
        result["servers"][name] = info
        log(f"    {name}: cold start {info['cold_start_s']} s, memory {info}")
    return result


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0:1],
            "load_average_start": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 10)),
                        help="seconds per wrk run (default 10; env BENCH_SECONDS)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 2)),
                        help="worker processes per server under load (default 2; env BENCH_WORKERS)")
    parser.add_argument("--variants", default=os.environ.get("BENCH_VARIANTS", "linear,forest"))
    parser.add_argument("--servers", default="nb2service,mlflow,mlserver", help="(for debugging the bench)")
    parser.add_argument("--skip-build", action="store_true", help="reuse bench/work/VARIANT/artifact, no build timing")
    parser.add_argument("--no-features", dest="features", action="store_false",
                        default=os.environ.get("BENCH_FEATURES", "1") != "0",
                        help="skip raw records vs engineered inputs (notebooks/insurance-costs; env BENCH_FEATURES=0)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is not installed (apt-get install wrk; `make bench` does it)")
    WORK.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    document = {"started": started.isoformat(timespec="seconds"), "machine": machine(),
                "settings": {"seconds": args.seconds, "workers": args.workers, "concurrency": CONCURRENCY,
                             "batches": BATCHES},
                "note": "2 cores shared by the load generator (wrk), the server and whatever else runs on the "
                        "machine: compare the servers by their ratios within this run, not across runs.",
                "variants": []}
    for variant in filter(None, args.variants.split(",")):
        document["variants"].append(bench_variant(variant.strip(), args))
    if args.features:
        document["features"] = features.bench_features(args, WORK / "features", wrk, log)
    document["machine"]["load_average_end"] = os.getloadavg()
    document["seconds"] = round((dt.datetime.now(dt.timezone.utc) - started).total_seconds())
    (BENCH / "results").mkdir(exist_ok=True)
    suffix = "" if args.variants == "linear,forest" else f"-{args.variants.replace(',', '-') or 'features'}"
    stem = BENCH / "results" / (started.strftime("%Y-%m-%dT%H%M") + suffix)
    stem.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
    markdown = report.markdown(document)
    if document.get("features"):
        markdown += "\n".join(features.markdown(document["features"])) + "\n"
    stem.with_suffix(".md").write_text(markdown)
    print(markdown)
    log(f"---> wrote {stem}.json and {stem}.md")


if __name__ == "__main__":
    main()
