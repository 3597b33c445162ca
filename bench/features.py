"""Raw records against engineered inputs on the same model (issue 15): notebooks/insurance-costs,
whose service replays the notebook's feature engineering (``features.py``) before the model.

Builds the example (or reuses it with ``--skip-build``), measures where a request's time goes in
process (bench/features_floor.py), then serves it and runs wrk on ``POST /predict`` with raw records
and ``POST /predict/engineered`` with the same rows as the model's engineered inputs, for 1 and 100
rows at concurrency 1 and 8, raw and engineered in turn three times per cell (so that load from
elsewhere on the machine falls on both). The target: raw p50 within 3x of engineered p50.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from pathlib import Path

import servers

ROOT = servers.ROOT
BENCH = ROOT / "bench"
EXAMPLE = ROOT / "notebooks" / "insurance-costs"
TARGET_RATIO = 3.0
ROUNDS = 3  # raw and engineered runs in turn per cell, each half of --seconds (at least 2 s)


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
    seconds = max(2, args.seconds // 2)
    try:
        server.wait_ready()
        for batch in (1, 100):
            bodies = {}
            for kind, path, instances in (("raw", "/predict", rows[:batch]),
                                          ("engineered", "/predict/engineered", engineered[:batch])):
                bodies[kind] = (server.url + path, work / f"{kind}-{batch}.json")
                bodies[kind][1].write_text(json.dumps({"instances": instances}))
                wrk(*bodies[kind], 8, 2)  # warm-up
            for connections in (1, 8):
                # raw and engineered in turn, ROUNDS times: load from elsewhere on the machine hits both
                for turn in range(ROUNDS):
                    for kind in ("raw", "engineered"):
                        cpu = server_cpu_ns(server)
                        run = wrk(*bodies[kind], connections, seconds)
                        cpu = server_cpu_ns(server) - cpu
                        runs.append({"inputs": kind, "batch": batch, "concurrency": connections, "round": turn,
                                     "p50_ms": round(run["latency_us"]["p50"] / 1000, 2),
                                     "req_per_s": round(run["requests"] / (run["duration_us"] / 1e6), 1),
                                     "server_cpu_us": round(cpu / 1e3 / max(run["requests"], 1), 1),
                                     "errors": sum(run["errors"].values())})
    finally:
        server.stop()
    result["runs"] = runs
    result["ratios"] = ratios(runs)
    return result


def server_cpu_ns(server) -> int:
    """CPU time the server's processes have run, in ns (``/proc/PID/schedstat``): per request, a
    measure that time spent waiting for the 2 cores while other work runs does not inflate."""
    total = 0
    for pid in servers._tree(server.proc.pid):
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def ratios(runs: list) -> list:
    """Per batch size and concurrency: the median p50 and req/s of each kind over the rounds, and
    raw p50 over engineered p50 (the ratio of the medians, and each round's)."""
    out = []
    for batch, connections in sorted({(r["batch"], r["concurrency"]) for r in runs}):
        cell = {kind: [r for r in runs if r["inputs"] == kind and r["batch"] == batch
                       and r["concurrency"] == connections] for kind in ("raw", "engineered")}
        p50 = {kind: statistics.median(r["p50_ms"] for r in cell[kind]) for kind in cell}
        ratio = round(p50["raw"] / p50["engineered"], 2) if p50["engineered"] else None
        out.append({"batch": batch, "concurrency": connections, "p50_raw_over_engineered": ratio,
                    "within_target": ratio is not None and ratio <= TARGET_RATIO,
                    "rounds": [round(a["p50_ms"] / b["p50_ms"], 2) if b["p50_ms"] else None
                               for a, b in zip(cell["raw"], cell["engineered"])],
                    **{f"{kind}_p50_ms": round(p50[kind], 2) for kind in cell},
                    **{f"{kind}_req_per_s": round(statistics.median(r["req_per_s"] for r in cell[kind]), 1)
                       for kind in cell},
                    **{f"{kind}_server_cpu_us": round(statistics.median(r["server_cpu_us"] for r in cell[kind]), 1)
                       for kind in cell}})
        cpu = out[-1]
        cpu["server_cpu_raw_over_engineered"] = round(cpu["raw_server_cpu_us"] / cpu["engineered_server_cpu_us"], 2) \
            if cpu["engineered_server_cpu_us"] else None
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
              f"Raw and engineered runs alternate, {ROUNDS} of each per cell; medians over them, and each round's ratio.", "",
              "| rows | concurrency | raw p50 ms | raw req/s | engineered p50 ms | engineered req/s | ratio | rounds "
              "| server CPU µs per request, raw / engineered |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["ratios"]:
        lines.append(f"| {r['batch']} | {r['concurrency']} | {r['raw_p50_ms']} | {r['raw_req_per_s']} "
                     f"| {r['engineered_p50_ms']} | {r['engineered_req_per_s']} | "
                     f"{r['p50_raw_over_engineered']}x{'' if r['within_target'] else ' (over target)'} | "
                     f"{', '.join(f'{x}x' for x in r['rounds'])} | {r.get('raw_server_cpu_us')} / "
                     f"{r.get('engineered_server_cpu_us')} ({r.get('server_cpu_raw_over_engineered')}x) |")
    lines += ["", "In process, median µs per call (decode raw, features() as served and replayed by pandas, model; "
              "total raw; total engineered):", ""]
    for n in ("1", "100"):
        p = result["in_process"][n]
        served = "on numpy columns" if p.get("columnar") else "by pandas"
        lines.append(f"- {n} row(s): decode {p['decode_raw_us']}, features() {p['features_us']} ({served}; by pandas "
                     f"{p.get('features_pandas_us')}), model {p['model_us']}; "
                     f"raw {p['raw_total_us']} vs engineered {p['engineered_total_us']}")
    runs = {n: (result["in_process"][n].get("statements_us"), result["in_process"][n].get("statements_columns_us"))
            for n in ("1", "100")}
    (one, one_cols), (hundred, hundred_cols) = runs["1"], runs["100"]
    if one and hundred:
        cols = bool(one_cols and hundred_cols)
        lines += ["", "Where features() spends it: median µs of each statement of `features.py`, replayed by pandas"
                  + (" and on numpy columns" if cols else "") + ":", "",
                  "| statement | 1 row, pandas | 100 rows, pandas |" + (" 1 row, columns | 100 rows, columns |" if cols else ""),
                  "| --- | --- | --- |" + (" --- | --- |" if cols else "")]
        for i, (a, b) in enumerate(zip(one, hundred)):
            extra = f" {one_cols[i][1]} | {hundred_cols[i][1]} |" if cols else ""
            lines.append(f"| `{_cell(a[0])}` | {a[1]} | {b[1]} |{extra}")

        def total(rows):
            return round(sum(r[1] for r in rows), 1)
        lines.append(f"| all statements | {total(one)} | {total(hundred)} |"
                     + (f" {total(one_cols)} | {total(hundred_cols)} |" if cols else ""))
    return lines


def _cell(text: str) -> str:
    """A statement as a markdown table cell (a pipe would end the cell)."""
    return text[:90].replace("|", "\\|")
