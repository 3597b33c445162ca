"""The Open Inference Protocol's binary tensor data extension (Triton's, which tritonclient uses by
default), for requests and responses.

Request: the body is a JSON header of ``Inference-Header-Content-Length`` bytes followed by the raw
tensors, in input order, each input saying its size in ``parameters.binary_data_size``. Numbers are
little-endian in the input's datatype, ``BOOL`` one byte per value, ``BYTES`` each element a 4-byte
little-endian length then its bytes. ``read_request`` puts the values back into ``data`` so the V2
codec sees an ordinary JSON request.

Response: an output is sent as binary when its request entry says ``parameters.binary_data: true``,
or when the request's ``parameters.binary_data_output`` is true and the entry does not say false;
``write_response`` moves those outputs' ``data`` after the JSON header and returns the header's length
for the response's ``Inference-Header-Content-Length``.
"""

from __future__ import annotations

import struct

from ...errors import RequestError
from .body import dumps, parse_json

HEADER = "Inference-Header-Content-Length"
#: numpy dtypes of the fixed-size datatypes, little-endian.
DTYPES = {"BOOL": "|b1", "UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "INT8": "<i1",
          "INT16": "<i2", "INT32": "<i4", "INT64": "<i8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}


def read_request(data: bytes, header_length: str) -> dict:
    """The JSON request with every binary input's values in its ``data``."""
    try:
        length = int(header_length)
    except ValueError:
        length = -1
    if not 0 < length <= len(data):
        raise RequestError(f"{HEADER}: {header_length!r} is not a length within the {len(data)}-byte body",
                           field=HEADER)
    body = parse_json(data[:length])
    offset = length
    inputs = body.get("inputs") if isinstance(body, dict) else None
    for i, tensor in enumerate(inputs if isinstance(inputs, list) else []):
        parameters = tensor.get("parameters") if isinstance(tensor, dict) else None
        size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
        if size is None:
            continue
        name = tensor.get("name", f"inputs[{i}]")
        if not isinstance(size, int) or size < 0 or offset + size > len(data):
            raise RequestError(f"input '{name}': binary_data_size {size!r} runs past the end of the body "
                               f"({len(data) - offset} bytes left)", field=str(name))
        tensor["data"] = _decode(data[offset:offset + size], tensor.get("datatype"), str(name))
        offset += size
    if offset != len(data):
        raise RequestError(f"the body has {len(data) - offset} bytes after the binary inputs' binary_data_size "
                           "add up", field=HEADER)
    return body


def _decode(raw: bytes, datatype, name: str) -> list:
    import numpy as np

    if datatype == "BYTES":
        values, offset = [], 0
        while offset < len(raw):
            if offset + 4 > len(raw):
                raise RequestError(f"input '{name}': a BYTES element's 4-byte length is cut off", field=name)
            (size,) = struct.unpack_from("<I", raw, offset)
            offset += 4
            if offset + size > len(raw):
                raise RequestError(f"input '{name}': a BYTES element runs past binary_data_size", field=name)
            try:
                values.append(raw[offset:offset + size].decode("utf-8"))
            except UnicodeDecodeError:
                raise RequestError(f"input '{name}': a BYTES element is not utf-8 text", field=name) from None
            offset += size
        return values
    dtype = DTYPES.get(datatype)
    if dtype is None:
        raise RequestError(f"input '{name}': datatype {datatype!r} cannot be sent as binary data", field=name)
    if len(raw) % np.dtype(dtype).itemsize:
        raise RequestError(f"input '{name}': {len(raw)} bytes is not a whole number of {datatype} values", field=name)
    return np.frombuffer(raw, dtype=dtype).tolist()


def wanted(request_body: dict) -> set[str]:
    """The names of the outputs to send as binary data."""
    parameters = request_body.get("parameters")
    default = bool(parameters.get("binary_data_output")) if isinstance(parameters, dict) else False
    outputs = request_body.get("outputs")
    listed = {o["name"]: o.get("parameters") or {} for o in outputs if isinstance(o, dict) and "name" in o} \
        if isinstance(outputs, list) else {}
    names = set(listed) | ({"predict", "predict_proba"} if default else set())
    return {n for n in names if (listed.get(n) or {}).get("binary_data", default)}


def write_response(response: dict, binary: set[str]) -> tuple[bytes, int]:
    """``(body, header_length)``: the response with the ``binary`` outputs' data moved after its
    JSON header, each output saying its size in ``parameters.binary_data_size``."""
    chunks = []
    for output in response["outputs"]:
        if output["name"] not in binary:
            continue
        raw = _encode(output.pop("data"), output["datatype"])
        output["parameters"] = {**output.get("parameters", {}), "binary_data_size": len(raw)}
        chunks.append(raw)
    header = dumps(response)
    return header + b"".join(chunks), len(header)


def _encode(values: list, datatype: str) -> bytes:
    import numpy as np

    if datatype == "BYTES":
        out = bytearray()
        for value in values:
            raw = str(value).encode("utf-8")
            out += struct.pack("<I", len(raw)) + raw
        return bytes(out)
    return np.asarray(values, dtype=DTYPES[datatype]).tobytes()
