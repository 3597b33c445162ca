"""What the faster forms of ``features.py`` (builder/features/fast_forms.py) and its replay on numpy
columns (builder/features/columnar.py) save across the corpus: for every artifact of ``make corpus``
(build/corpus) that serves raw records, the median µs of ``features()`` on one raw example row
replayed by pandas with the forms the build found identical, with every form off (pandas' own
calls), and as served (on numpy columns where the build found that identical). Each artifact is
timed in its own build environment, the ways in turn.

    .venv/bin/python bench/fast_forms_corpus.py [--work build/corpus]

Writes bench/results/<time>-fast-forms-corpus.md and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIMER = r'''
import json, statistics, sys, time
from builder.model import ServedModel
model = ServedModel.load(sys.argv[1])
replay = model.features
frozen = replay.frozen
row = model.schema.from_records(json.loads(sys.argv[2]))
on = frozen.state
off = {**on, "fast": {k: [False] * len(v) for k, v in on.get("fast", {}).items()},
       "fast_dummies": {k: [False] * len(v) for k, v in on.get("fast_dummies", {}).items()},
       "fast_fitted": {k: [False] * len(v) for k, v in on.get("fast_fitted", {}).items()}}

def median_us(state, columnar=False, n=300):
    frozen.state, replay.columnar = state, columnar
    for _ in range(30):
        model._engineer(row)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        model._engineer(row)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6

served = replay.columnar
rounds = [(median_us(on), median_us(off), median_us(on, served)) for _ in range(3)]
print(json.dumps({"on": statistics.median(r[0] for r in rounds), "off": statistics.median(r[1] for r in rounds),
                  "served": statistics.median(r[2] for r in rounds), "columnar": served}))
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "corpus")
    args = parser.parse_args()
    rows = []
    for meta_path in sorted(args.work.glob("*-artifact/metadata.json")):
        if meta_path.parent.name.endswith("-no-git-artifact"):
            continue  # the same notebook built without .git: the same features.py
        meta = json.loads(meta_path.read_text())
        info = meta.get("features") or {}
        if info.get("status") != "verified" or not meta.get("examples"):
            continue
        sites = info.get("fast_forms") or []
        env = {**os.environ, "PYTHONPATH": meta["environment"]["lib"]}
        done = subprocess.run([meta["environment"]["python"], "-c", TIMER, str(meta_path.parent),
                               json.dumps(meta["examples"][:1])], capture_output=True, text=True, env=env)
        if done.returncode:
            rows.append((meta_path.parent.name, sites, None, done.stderr.strip().splitlines()[-1:]))
            continue
        rows.append((meta_path.parent.name, sites, json.loads(done.stdout.strip().splitlines()[-1]), None))
    lines = [f"# Faster forms and numpy columns across the corpus, {time.strftime('%Y-%m-%dT%H:%M:%S%z')}", "",
             f"Load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}. features() on one raw "
             "example row, median µs of 300 calls, median of 3 rounds each way.", "",
             "| artifact | calls with a faster form (used / all) | features() µs, forms used | all off | saved "
             "| numpy columns | as served |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    savings, served = [], []
    for name, sites, timing, error in rows:
        calls = ", ".join(s["call"] for s in sites if s["used"]) or "none"
        used = f"{sum(s['used'] for s in sites)} / {len(sites)} ({calls})"
        if timing is None:
            lines.append(f"| {name} | {used} | failed: {' '.join(error)} | | | | |")
            continue
        saved = 1 - timing["on"] / timing["off"]
        savings.append(saved)
        columns = "used" if timing["columnar"] else "not used"
        lines.append(f"| {name} | {used} | {timing['on']:.0f} | {timing['off']:.0f} | {saved:.0%} | {columns} "
                     f"| {timing['served']:.0f} |")
        if timing["columnar"]:
            served.append(timing["off"] / timing["served"])
    if savings:
        lines += ["", f"{len(savings)} artifacts; time saved per one-row features() by the faster forms: median "
                      f"{statistics.median(savings):.0%}, from {min(savings):.0%} to {max(savings):.0%}."]
    if served:
        lines += [f"{len(served)} of them replay requests on numpy columns: one-row features() "
                  f"{statistics.median(served):.1f}x faster than pandas with every form off (median; "
                  f"{min(served):.1f}x to {max(served):.1f}x)."]
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / f"{time.strftime('%Y-%m-%dT%H%M')}-fast-forms-corpus.md"
    out.write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
