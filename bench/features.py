"""Raw records against engineered inputs on the same model (issue 15): notebooks/insurance-costs,
whose service replays the notebook's feature engineering (``features.py``) before the model.

Builds the example (or reuses it with ``--skip-build``), measures where a request's time goes in
process (bench/features_floor.py), then serves it and runs wrk on ``POST /predict`` with raw records
and ``POST /predict/engineered`` with the same rows as the model's engineered inputs, for 1 and 100
rows at concurrency 1 and 8. The target: raw p50 within 3x of engineered p50.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import servers

ROOT = servers.ROOT
BENCH = ROOT / "bench"
EXAMPLE = ROOT / "notebooks" / "insurance-costs"
TARGET_RATIO = 3.0


def bench_features(args, work: Path, wrk, log) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    artifact = work / "artifact"
    if not (args.skip_build and (artifact / "metadata.json").exists()):
        log("---> [features] building notebooks/insurance-costs")
        subprocess.run([str(ROOT / ".venv" / "bin" / "nb2service"), "build", str(EXAMPLE), "-o", str(artifact)],
                       check=True, capture_output=True, text=True)
    meta = json.loads((artifact / "metadata.json").read_text())
    result = {"example": "notebooks/insurance-costs", "features": meta["features"]["status"],
              "inference": meta["inference"]["path"], "raw_inputs": len(meta["inputs"]),
              "engineered_inputs": len((meta.get("engineered") or meta)["inputs"])}
    if meta["features"]["status"] != "verified":
        result["problem"] = f"raw records are not served: {meta['features'].get('reason')}"
        return result
    rows = raw_rows(meta, 100)
    (work / "raw.json").write_text(json.dumps(rows))
    env = {**os.environ, "PYTHONPATH": f"{meta['environment']['lib']}{os.pathsep}{BENCH}"}
    floor = subprocess.run([meta["environment"]["python"], str(BENCH / "features_floor.py"), str(artifact),
                            str(work / "raw.json"), str(work / "engineered.json")],
                           capture_output=True, text=True, env=env, check=True)
    result["in_process"] = json.loads(floor.stdout.strip().splitlines()[-1])
    engineered = json.loads((work / "engineered.json").read_text())
    server = servers.start_nb2service(artifact, args.workers, work / "logs")
    runs = []
    try:
        server.wait_ready()
        for batch in (1, 100):
            bodies = {"raw": ("/predict", rows[:batch]), "engineered": ("/predict/engineered", engineered[:batch])}
            for kind, (path, instances) in bodies.items():
                body = work / f"{kind}-{batch}.json"
                body.write_text(json.dumps({"instances": instances}))
                wrk(server.url + path, body, 8, 2)  # warm-up
                for connections in (1, 8):
                    run = wrk(server.url + path, body, connections, args.seconds)
                    runs.append({"inputs": kind, "batch": batch, "concurrency": connections,
                                 "p50_ms": round(run["latency_us"]["p50"] / 1000, 2),
                                 "req_per_s": round(run["requests"] / (run["duration_us"] / 1e6), 1),
                                 "errors": sum(run["errors"].values())})
    finally:
        server.stop()
    result["runs"] = runs
    result["ratios"] = ratios(runs)
    return result


def ratios(runs: list) -> list:
    out = []
    for raw in (r for r in runs if r["inputs"] == "raw"):
        eng = next(r for r in runs if r["inputs"] == "engineered" and r["batch"] == raw["batch"]
                   and r["concurrency"] == raw["concurrency"])
        ratio = round(raw["p50_ms"] / eng["p50_ms"], 2) if eng["p50_ms"] else None
        out.append({"batch": raw["batch"], "concurrency": raw["concurrency"], "p50_raw_over_engineered": ratio,
                    "within_target": ratio is not None and ratio <= TARGET_RATIO})
    return out


def raw_rows(meta: dict, n: int) -> list[dict]:
    import csv

    casts = {"integer": int, "number": float, "string": str}
    rows = []
    with open(EXAMPLE / "insurance.csv") as fh:
        for record in csv.DictReader(fh):
            if all(record[c["name"]] != "" for c in meta["inputs"]):
                rows.append({c["name"]: casts[c["type"]](record[c["name"]]) for c in meta["inputs"]})
            if len(rows) == n:
                return rows
    return rows


def markdown(result: dict) -> list[str]:
    lines = ["", "## Raw records vs engineered inputs (notebooks/insurance-costs)", ""]
    if "problem" in result:
        return lines + [result["problem"]]
    lines += [f"{result['raw_inputs']} raw columns in, {result['engineered_inputs']} engineered inputs to the model "
              f"({result['inference']}); target: raw p50 within {TARGET_RATIO:g}x of engineered.", "",
              "| rows | concurrency | raw p50 ms | raw req/s | engineered p50 ms | engineered req/s | ratio |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for ratio in result["ratios"]:
        pick = {r["inputs"]: r for r in result["runs"]
                if r["batch"] == ratio["batch"] and r["concurrency"] == ratio["concurrency"]}
        lines.append(f"| {ratio['batch']} | {ratio['concurrency']} | {pick['raw']['p50_ms']} | {pick['raw']['req_per_s']} "
                     f"| {pick['engineered']['p50_ms']} | {pick['engineered']['req_per_s']} | "
                     f"{ratio['p50_raw_over_engineered']}x{'' if ratio['within_target'] else ' (over target)'} |")
    lines += ["", "In process, median µs per call (decode raw, features(), model; total raw; total engineered):", ""]
    for n in ("1", "100"):
        p = result["in_process"][n]
        lines.append(f"- {n} row(s): decode {p['decode_raw_us']}, features() {p['features_us']}, model {p['model_us']}; "
                     f"raw {p['raw_total_us']} vs engineered {p['engineered_total_us']}")
    one, hundred = (result["in_process"][n].get("statements_us") for n in ("1", "100"))
    if one and hundred:
        lines += ["", "Where features() spends it: median µs of each statement of `features.py`:", "",
                  "| statement | 1 row | 100 rows |", "| --- | --- | --- |"]
        lines += [f"| `{_cell(a[0])}` | {a[1]} | {b[1]} |" for a, b in zip(one, hundred)]
        lines.append(f"| all statements | {round(sum(a[1] for a in one), 1)} | {round(sum(b[1] for b in hundred), 1)} |")
    return lines


def _cell(text: str) -> str:
    """A statement as a markdown table cell (a pipe would end the cell)."""
    return text[:90].replace("|", "\\|")
