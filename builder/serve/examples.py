"""Working curl commands for a served artifact, made from its example rows (printed at start,
shown by ``make demo`` and the README)."""

from __future__ import annotations

import json

from .codecs.v2 import SCHEMA_DATATYPES


def example_rows(meta: dict) -> list:
    rows = meta.get("examples") or []
    return rows[:2]


def curl_examples(meta: dict, base: str, name: str) -> str:
    """A block of shell commands, one per protocol, that work against this model."""
    rows = example_rows(meta)
    if not rows:
        return f"curl {base}/openapi.json   # no example rows in this artifact (built with --no-examples)"
    native = json.dumps({"instances": rows})
    lines = [
        f"curl -s {base}/readyz",
        f"curl -s {base}/predict -H 'Content-Type: application/json' -d '{_quote(native)}'",
    ]
    if meta["input_kind"] == "dataframe":
        columns = [c["name"] for c in meta["inputs"]]
        split = json.dumps({"dataframe_split": {"columns": columns, "data": [[r.get(c) for c in columns] for r in rows]}})
        lines.append(f"curl -s {base}/invocations -H 'Content-Type: application/json' -d '{_quote(split)}'")
    lines.append(f"curl -s {base}/v2/models/{name}/infer -H 'Content-Type: application/json' "
                 f"-d '{_quote(json.dumps(v2_request(meta, rows)))}'")
    lines += [f"curl -s {base}/metrics | grep ^nb2service_", f"curl -s {base}/model", f"# docs: {base}/docs"]
    return "\n".join(lines)


def v2_request(meta: dict, rows: list) -> dict:
    """An Open Inference Protocol request for ``rows`` (one input per column for tabular models)."""
    kind = meta["input_kind"]
    if kind == "text":
        return {"inputs": [{"name": "text", "shape": [len(rows)], "datatype": "BYTES", "data": rows}]}
    if kind == "array":
        width = len(meta["inputs"])
        return {"inputs": [{"name": "input-0", "shape": [len(rows), width], "datatype": "FP64", "data": rows}]}
    return {"parameters": {"content_type": "pd"}, "inputs": [
        {"name": c["name"], "shape": [len(rows)], "datatype": SCHEMA_DATATYPES.get(c["type"], "BYTES"),
         "data": [r.get(c["name"]) for r in rows]} for c in meta["inputs"]]}


def _quote(text: str) -> str:
    return text.replace("'", "'\\''")
