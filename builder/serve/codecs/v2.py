"""The Open Inference Protocol (KServe V2) REST format, as MLServer speaks it for scikit-learn.

Tabular models take one input per column (``BYTES`` for strings); array models one 2-D tensor
(``FP64``/``FP32``/integers; per-column inputs work too); text models one ``BYTES`` input. Outputs:
``predict`` and, when asked for in ``outputs``, ``predict_proba`` (shape ``[rows, classes]``).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from ...errors import RequestError

DATATYPES = {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
             "FP16", "FP32", "FP64", "BYTES"}
SCHEMA_DATATYPES = {"integer": "INT64", "number": "FP64", "string": "BYTES", "boolean": "BOOL", "datetime": "BYTES"}
OUTPUTS = ("predict", "predict_proba")


@dataclass
class Decoded:
    model_input: Any
    rows: int
    id: str
    outputs: list = field(default_factory=lambda: ["predict"])


def decode(body, schema, has_proba: bool) -> Decoded:
    if not isinstance(body, dict):
        raise RequestError("the body must be a JSON object with 'inputs'", field="body")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestError("'inputs' must be a non-empty list of tensors {name, shape, datatype, data}", field="inputs")
    tensors = {}
    for i, tensor in enumerate(inputs):
        name, shape, flat = _tensor(tensor, i)
        tensors[name] = (shape, flat)
    model_input, rows = _model_input(tensors, schema)
    return Decoded(model_input, rows, str(body.get("id") or uuid.uuid4()), _outputs(body.get("outputs"), has_proba))


def _tensor(tensor, i: int):
    if not isinstance(tensor, dict):
        raise RequestError(f"inputs[{i}] must be an object {{name, shape, datatype, data}}", field=f"inputs[{i}]")
    name = tensor.get("name")
    if not isinstance(name, str):
        raise RequestError(f"inputs[{i}] needs a 'name'", field=f"inputs[{i}].name")
    shape, datatype = tensor.get("shape"), tensor.get("datatype")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise RequestError(f"input '{name}': 'shape' must be a list of non-negative integers", field=name)
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise RequestError(f"input '{name}': unknown datatype {datatype!r}; one of {', '.join(sorted(DATATYPES))}",
                           field=name)
    if "data" not in tensor:
        raise RequestError(f"input '{name}' has no 'data'", field=name)
    flat = _flatten(tensor["data"])
    if math.prod(shape) != len(flat):
        raise RequestError(f"input '{name}': shape {shape} holds {math.prod(shape)} values, 'data' has {len(flat)}",
                           field=name)
    return name, shape, flat


def _model_input(tensors: dict, schema):
    names = schema.names
    if schema.kind == "text":
        name = names[0] if names[0] in tensors else next(iter(tensors))
        flat = tensors[name][1]
        return schema.from_records(flat), len(flat)
    if all(n in tensors for n in names) or len(tensors) > 1 or next(iter(tensors)) in names:
        columns = {n: flat for n, (_, flat) in tensors.items()}
        rows = len(next(iter(columns.values())))
        return schema.from_columns(columns), rows
    name, (shape, flat) = next(iter(tensors.items()))
    width = len(names)
    if len(shape) != 2 or shape[1] != width:
        raise RequestError(f"input '{name}': expected a 2-D tensor of shape [rows, {width}] "
                           f"({', '.join(names)}) or one input per column, got shape {shape}", field=name)
    rows = [flat[r * width:(r + 1) * width] for r in range(shape[0])]
    return schema.from_rows(rows), shape[0]


def _outputs(requested, has_proba: bool) -> list:
    if requested is None or requested == []:  # none named: the default outputs, as MLServer and KServe read it
        return ["predict"]
    if not isinstance(requested, list) or not all(isinstance(o, dict) and "name" in o for o in requested):
        raise RequestError("'outputs' must be a list of {\"name\": ...}", field="outputs")
    names = [o["name"] for o in requested]
    for name in names:
        if name not in OUTPUTS:
            raise RequestError(f"unknown output '{name}'; this model has: "
                               f"{', '.join(OUTPUTS if has_proba else OUTPUTS[:1])}", field="outputs")
        if name == "predict_proba" and not has_proba:
            raise RequestError("this model has no predict_proba output", field="outputs")
    return names


def _flatten(data) -> list:
    """Row-major values of nested lists, without recursion (JSON may nest up to 1024 levels)."""
    if not isinstance(data, list):
        return [data]
    if not any(isinstance(v, list) for v in data):
        return data
    out: list = []
    stack = [iter(data)]
    while stack:
        for v in stack[-1]:
            if isinstance(v, list):
                stack.append(iter(v))
                break
            out.append(v)
        else:
            stack.pop()
    return out


def encode(prediction, decoded: Decoded, model_name: str, version: str, classes: list | None) -> dict:
    outputs = []
    for name in decoded.outputs:
        if name == "predict":
            values = prediction.predictions
            outputs.append({"name": "predict", "shape": [len(values)], "datatype": datatype_of(values), "data": values})
        else:
            rows = prediction.probabilities
            outputs.append({"name": "predict_proba", "shape": [len(rows), len(classes)], "datatype": "FP64",
                            "data": [p for row in rows for p in row],
                            "parameters": {"classes": ",".join(map(str, classes))}})
    return {"model_name": model_name, "model_version": version, "id": decoded.id, "outputs": outputs}


def datatype_of(values: list) -> str:
    if all(isinstance(v, bool) for v in values):
        return "BOOL"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "INT64"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "FP64"
    return "BYTES"


def model_metadata(model_name: str, version: str, schema, classes: list | None, has_proba: bool) -> dict:
    if schema.kind == "array":
        inputs = [{"name": "input-0", "datatype": "FP64", "shape": [-1, len(schema.columns)]}]
    elif schema.kind == "text":
        inputs = [{"name": schema.names[0], "datatype": "BYTES", "shape": [-1]}]
    else:
        inputs = [{"name": c.name, "datatype": SCHEMA_DATATYPES.get(c.type, "BYTES"), "shape": [-1]}
                  for c in schema.columns]
    label = datatype_of(classes) if classes else "FP64"
    outputs = [{"name": "predict", "datatype": label, "shape": [-1]}]
    if has_proba:
        outputs.append({"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(classes)]})
    return {"name": model_name, "versions": [version], "platform": "sklearn", "inputs": inputs, "outputs": outputs}


def error_body(error) -> dict:
    return {"error": error.message}
