"""The benchmark document as markdown: per variant, the targets (met or not), the load tests, cold
start and memory, the in-process floor and the build by stage."""

from __future__ import annotations

SERVERS = ("nb2service", "mlflow", "mlserver")


def _run(variant: dict, server: str, batch: int, concurrency: int) -> dict | None:
    return next((r for r in variant.get("runs", []) if r["server"] == server and r["batch"] == batch
                 and r["concurrency"] == concurrency), None)


def _ratio(a, b) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def targets(variant: dict) -> list[tuple[str, str, bool | None]]:
    """``(target, measured, met)`` for each of the issue's targets."""
    out = []

    def get(server, batch, conc, key):
        run = _run(variant, server, batch, conc)
        return run[key] if run else None

    nb = get("nb2service", 1, 8, "requests_per_s")
    for peer in ("mlflow", "mlserver"):
        ratio = _ratio(nb, get(peer, 1, 8, "requests_per_s"))
        out.append((f"single-row req/s at c8 >= 5x {peer}", f"{ratio}x ({nb} vs {get(peer, 1, 8, 'requests_per_s')})",
                    None if ratio is None else ratio >= 5))
    rows = get("nb2service", 100, 8, "rows_per_s")
    ratio = _ratio(rows, get("mlflow", 100, 8, "rows_per_s"))
    out.append(("100-row batches: rows/s at c8 >= 5x mlflow", f"{ratio}x ({rows} vs {get('mlflow', 100, 8, 'rows_per_s')})",
                None if ratio is None else ratio >= 5))
    p50 = get("nb2service", 1, 1, "p50_ms")
    out.append(("single-row p50 at c1 < 3 ms", f"{p50} ms", None if p50 is None else p50 < 3))
    servers = variant.get("servers", {})
    cold = {s: servers.get(s, {}).get("cold_start_s") for s in SERVERS}
    ratio = _ratio(cold["nb2service"], cold["mlflow"])
    out.append(("cold start < 1/3 of mlflow's", f"{ratio}x ({cold['nb2service']} s vs {cold['mlflow']} s)",
                None if ratio is None else ratio < 1 / 3))
    memory = servers.get("nb2service", {})
    one, four = memory.get("memory_1_workers"), memory.get("memory_4_workers")
    if one and four:
        ratio = _ratio(four["rss_mib"], one["rss_mib"])
        pss = _ratio(four["pss_mib"], one["pss_mib"])
        out.append(("RSS with 4 workers <= 2x with 1", f"{ratio}x total RSS ({four['rss_mib']} vs {one['rss_mib']} MiB); "
                    f"PSS {pss}x ({four['pss_mib']} vs {one['pss_mib']} MiB)", ratio <= 2))
    build = variant.get("build")
    if build:
        ratio = _ratio(build["first"]["seconds"], build["floor"]["seconds"])
        out.append(("first build <= 1.15x its floor", f"{ratio}x ({build['first']['seconds']} s vs "
                    f"{build['floor']['seconds']} s)", ratio <= 1.15))
        ratio = _ratio(build["warm"]["seconds"], build["first"]["seconds"])
        cells = build["warm"].get("cells_s")
        share = f"; the notebook's own cells, which every rebuild runs again, {cells} s of it" if cells else ""
        out.append(("warm rebuild <= 0.5x the first build", f"{ratio}x ({build['warm']['seconds']} s{share})",
                    ratio <= 0.5))
    return out


def markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [f"# nb2service benchmark, {doc['started']}", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
             f"Python {m['python']}; load average at start {', '.join(f'{x:.2f}' for x in m['load_average_start'])}, "
             f"at end {', '.join(f'{x:.2f}' for x in m.get('load_average_end', []))}.",
             f"Settings: {doc['settings']['workers']} worker processes per server, wrk runs of "
             f"{doc['settings']['seconds']} s (after a 2 s warm-up), all on 127.0.0.1. {doc['note']}",
             f"Whole run: {doc.get('seconds', '?')} s.", ""]
    for variant in doc["variants"]:
        lines += _variant(variant)
    return "\n".join(lines) + "\n"


def _variant(v: dict) -> list[str]:
    inference = v.get("inference") or {}
    lines = [f"## {v['variant']}: {', '.join(v.get('model') or [])}", "",
             f"nb2service inference path: **{inference.get('path')}** ({inference.get('reason')}; "
             f"max abs difference {inference.get('max_abs_diff')}).", "",
             "| target | measured | met |", "| --- | --- | --- |"]
    for name, measured, met in targets(v):
        lines.append(f"| {name} | {measured} | {'yes' if met else ('?' if met is None else '**no**')} |")
    lines += ["", "| server | rows/request | concurrency | requests/s | rows/s | p50 ms | p99 ms | errors |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for run in v.get("runs", []):
        lines.append(f"| {run['server']} | {run['batch']} | {run['concurrency']} | {run['requests_per_s']:.0f} | "
                     f"{run['rows_per_s']:.0f} | {run['p50_ms']} | {run['p99_ms']} | {run['errors']} |")
    lines += ["", "Memory of the whole process tree, MiB, with 1 / 2 / 4 workers: total RSS (shared pages counted "
              "in every process), PSS (shared pages split among the processes), USS (private pages only).", "",
              "| server | cold start s | agrees on 100 rows | total RSS | PSS | USS |",
              "| --- | ---: | --- | --- | --- | --- |"]
    for name, info in v.get("servers", {}).items():
        mem = [info.get(f"memory_{w}_workers") or {} for w in (1, 2, 4)]
        lines.append(f"| {name} | {info.get('cold_start_s')} | {info.get('agrees_with_nb2service_on_100_rows')} | "
                     + " | ".join(" / ".join(str(x.get(key, "-")) for x in mem)
                                  for key in ("rss_mib", "pss_mib", "uss_mib")) + " |")
    four = ((v.get("servers") or {}).get("nb2service") or {}).get("memory_4_workers") or {}
    if four.get("each"):
        lines += ["", "nb2service with 4 workers, process by process (MiB): RSS = shared + private pages; a worker's "
                  "shared pages are mostly the arbiter's heap (the loaded app and model), inherited at fork and "
                  "counted again in its RSS.", "",
                  "| process | RSS | shared | private |", "| --- | ---: | ---: | ---: |"]
        for i, proc in enumerate(four["each"]):
            lines.append(f"| {'arbiter' if i == 0 else f'worker {i}'} | {proc['rss_mib']} | {proc['shared_mib']} | "
                         f"{proc['private_mib']} |")
    floor = v.get("floor") or {}
    lines += ["", "In-process floor (µs per call, median of 7):", "",
              "| rows | sklearn predict | sklearn predict + predict_proba | ONNX run (labels + probabilities) | "
              "ONNX decode JSON rows + run |", "| ---: | ---: | ---: | ---: | ---: |"]
    for n in (1, 100):
        f = floor.get(f"rows_{n}") or {}
        lines.append(f"| {n} | {f.get('sklearn_predict_us')} | {f.get('sklearn_predict_proba_us')} | "
                     f"{f.get('onnx_run_us', '-')} | {f.get('onnx_decode_and_run_us', '-')} |")
    build = v.get("build")
    if build:
        fl = build["floor"]
        lines += ["", f"Build: first {build['first']['seconds']} s, warm rebuild {build['warm']['seconds']} s; floor "
                  f"{fl['seconds']} s (venv {fl['create_venv']} s + install {fl['install']} s + nbconvert --execute "
                  f"{fl['execute']} s).", "", "| stage | first build s | warm rebuild s |", "| --- | ---: | ---: |"]
        warm = {s["stage"]: s["seconds"] for s in build["warm"]["stages"]}
        for stage in build["first"]["stages"]:
            lines.append(f"| {stage['stage']} | {stage['seconds']} | {warm.get(stage['stage'])} |")
    versions = v.get("versions") or {}
    lines += ["", "Versions: " + "; ".join(f"{k}: " + ", ".join(f"{n} {ver}" for n, ver in d.items() if ver)
                                             for k, d in versions.items()), ""]
    return lines
