"""The OpenAPI 3 document for one served model, generated from its input schema at start.

Every endpoint is described; request bodies use the schema's columns and carry the artifact's
example rows as examples.
"""

from __future__ import annotations

from .. import __version__
from .codecs import v2

JSON_TYPES = {"integer": {"type": "integer"}, "number": {"type": "number"}, "boolean": {"type": "boolean"},
              "string": {"type": "string"}, "datetime": {"type": "string", "format": "date-time"}}
REF = "#/components/schemas/"


def ref(name: str) -> dict:
    return {"$ref": REF + name}


def openapi_document(runtime) -> dict:
    model = runtime.model
    schema, meta = model.schema, model.metadata
    examples = list(meta.get("examples") or [])[:3]
    name = runtime.name
    doc = {
        "openapi": "3.0.3",
        "info": {"title": f"{name} model service", "version": runtime.version,
                 "description": f"Predictions from the `{name}` model ({meta.get('task')}, "
                                f"{meta.get('model', {}).get('class', 'model')}), served by nb2service {__version__}."},
        "paths": _paths(name, runtime.version, schema, examples, model),
        "components": {"schemas": _schemas(schema, model), "responses": _responses()},
    }
    return doc


def _row_schema(schema) -> dict:
    if schema.kind == "text":
        return {"type": "string", "description": "one text to classify"}
    if schema.kind == "array":
        n = len(schema.columns)
        return {"type": "array", "items": {"type": "number", "nullable": True}, "minItems": n, "maxItems": n,
                "description": f"{n} numbers in the order {', '.join(schema.names)}"}
    properties = {}
    for c in schema.columns:
        prop = dict(JSON_TYPES.get(c.type, {"type": "string"}))
        if c.nullable:
            prop["nullable"] = True
        notes = []
        if c.min is not None and c.max is not None:
            notes.append(f"training range {c.min} .. {c.max}")
        if c.categories:
            notes.append("seen in training: " + ", ".join(sorted(c.categories)[:20]))
        if notes:
            prop["description"] = "; ".join(notes)
        properties[c.name] = prop
    return {"type": "object", "properties": properties, "required": list(schema.names),
            "additionalProperties": True}


def _schemas(schema, model) -> dict:
    label = {"type": "number"} if model.task == "regression" else {}
    if model.classes:
        label = {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
                 "description": "one of: " + ", ".join(map(str, model.classes))}
    any_value = {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}], "nullable": True}
    tensor_data = {"type": "array", "items": {}}
    tensor = {"type": "object", "required": ["name", "shape", "datatype", "data"],
              "properties": {"name": {"type": "string"}, "shape": {"type": "array", "items": {"type": "integer"}},
                             "datatype": {"type": "string", "enum": sorted(v2.DATATYPES)},
                             "parameters": {"type": "object"}, "data": tensor_data}}
    meta_tensor = {"type": "object", "required": ["name", "datatype", "shape"],
                   "properties": {"name": {"type": "string"}, "datatype": {"type": "string"},
                                  "shape": {"type": "array", "items": {"type": "integer"}}}}
    return {
        "Row": _row_schema(schema),
        "Label": label,
        "PredictRequest": {"oneOf": [
            {"type": "object", "required": ["instances"], "properties": {"instances": {"type": "array", "items": ref("Row")}}},
            {"type": "array", "items": ref("Row")},
            ref("Row"),
            {"type": "object", "required": ["data"], "description": "Seldon Core v1",
             "properties": {"data": {"type": "object", "properties": {
                 "names": {"type": "array", "items": {"type": "string"}},
                 "ndarray": {"type": "array", "items": {"type": "array", "items": any_value}}}}}},
        ]},
        "PredictResponse": {"type": "object", "required": ["predictions"], "properties": {
            "predictions": {"type": "array", "items": ref("Label")},
            "probabilities": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "number"}},
                              "description": "per row, the probability of each class"}}},
        "NativeError": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "string"}, "field": {"type": "string", "nullable": True}}},
        "MlflowRequest": {"type": "object", "properties": {
            "dataframe_split": {"type": "object", "properties": {
                "columns": {"type": "array", "items": {"type": "string"}},
                "data": {"type": "array", "items": {"type": "array", "items": any_value}}}},
            "dataframe_records": {"type": "array", "items": ref("Row")},
            "instances": {"type": "array", "items": ref("Row")},
            "inputs": {"oneOf": [{"type": "array", "items": ref("Row")}, {"type": "object"}]},
            "params": {"type": "object", "properties": {"predict_method": {"type": "string",
                                                                           "enum": ["predict", "predict_proba"]}}}},
            "description": "exactly one of dataframe_split, dataframe_records, instances, inputs"},
        "MlflowResponse": {"type": "object", "required": ["predictions"],
                           "properties": {"predictions": {"type": "array", "items": {}}}},
        "MlflowError": {"type": "object", "required": ["error_code", "message"], "properties": {
            "error_code": {"type": "string"}, "message": {"type": "string"}}},
        "V2RequestInput": tensor,
        "V2InferenceRequest": {"type": "object", "required": ["inputs"], "properties": {
            "id": {"type": "string"}, "parameters": {"type": "object"},
            "inputs": {"type": "array", "items": ref("V2RequestInput")},
            "outputs": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "enum": list(v2.OUTPUTS)}, "parameters": {"type": "object"}}}}}},
        "V2InferenceResponse": {"type": "object", "required": ["model_name", "outputs"], "properties": {
            "model_name": {"type": "string"}, "model_version": {"type": "string"}, "id": {"type": "string"},
            "parameters": {"type": "object"}, "outputs": {"type": "array", "items": tensor}}},
        "V2ServerMetadata": {"type": "object", "required": ["name", "version", "extensions"], "properties": {
            "name": {"type": "string"}, "version": {"type": "string"},
            "extensions": {"type": "array", "items": {"type": "string"}}}},
        "V2ModelMetadata": {"type": "object", "required": ["name", "platform"], "properties": {
            "name": {"type": "string"}, "versions": {"type": "array", "items": {"type": "string"}},
            "platform": {"type": "string"}, "inputs": {"type": "array", "items": meta_tensor},
            "outputs": {"type": "array", "items": meta_tensor}}},
        "V2Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "V1Status": {"type": "object", "required": ["name", "ready"], "properties": {
            "name": {"type": "string"}, "ready": {"type": "boolean"}}},
        "Status": {"type": "object", "additionalProperties": True},
        "ModelList": {"type": "object", "required": ["models"], "properties": {
            "models": {"type": "array", "items": {"type": "string"}}}},
        "RepositoryIndex": {"type": "array", "items": {"type": "object", "required": ["name", "state"], "properties": {
            "name": {"type": "string"}, "version": {"type": "string"}, "state": {"type": "string"},
            "reason": {"type": "string"}}}},
    }


def _responses() -> dict:
    def error(schema, text):
        return {"description": text, "content": {"application/json": {"schema": ref(schema)}}}
    return {"NativeBadRequest": error("NativeError", "invalid input; `field` names the culprit"),
            "MlflowBadRequest": error("MlflowError", "invalid input"),
            "V2BadRequest": error("V2Error", "invalid input"),
            "V2NotFound": error("V2Error", "no such model or version"),
            "NotReady": error("Status", "the model is not ready yet")}


def _json(schema_name: str, example=None) -> dict:
    body = {"schema": ref(schema_name)}
    if example is not None:
        body["example"] = example
    return {"application/json": body}


def _ok(schema_name: str, text: str = "OK") -> dict:
    return {"description": text, "content": _json(schema_name)}


def _get(summary: str, schema_name: str, tag: str, **extra) -> dict:
    responses = {"200": _ok(schema_name)}
    responses.update(extra)
    return {"get": {"summary": summary, "tags": [tag], "responses": responses}}


def _mlflow_plain(summary: str, body: str, **extra) -> dict:
    """MLflow's scoring server answers these with bare text labelled application/json; so do we, and
    the document says so instead of promising JSON."""
    text = f"OK: {body}, not JSON, under Content-Type application/json (as MLflow's own server answers)"
    return {"get": {"summary": summary, "tags": ["MLflow"], "responses": {"200": {"description": text}, **extra}}}


def _paths(name: str, version: str, schema, examples: list, model) -> dict:
    not_ready = {"503": {"$ref": "#/components/responses/NotReady"}}
    bad = lambda proto: {"400": {"$ref": f"#/components/responses/{proto}BadRequest"},  # noqa: E731
                         "413": {"$ref": f"#/components/responses/{proto}BadRequest"},
                         "415": {"$ref": f"#/components/responses/{proto}BadRequest"}}
    model_param = {"name": "model_name", "in": "path", "required": True, "schema": {"type": "string", "example": name}}
    version_param = {"name": "model_version", "in": "path", "required": True,
                     "schema": {"type": "string", "example": version}}
    not_found = {"404": {"$ref": "#/components/responses/V2NotFound"}}
    v2_example = _v2_example(schema, examples)
    binary = {"application/octet-stream": {"schema": {"type": "string", "format": "binary", "description": (
        "the binary tensor data extension: a JSON request of Inference-Header-Content-Length bytes, then the "
        "tensors whose parameters.binary_data_size say their length")}}}
    infer = {"post": {"summary": "Predict (Open Inference Protocol)", "tags": ["KServe V2"],
                      "requestBody": {"required": True, "content": {**_json("V2InferenceRequest", v2_example),
                                                                    **binary}},
                      "responses": {"200": _ok("V2InferenceResponse"), **bad("V2"), **not_found}}}
    csv_example = None
    if examples and schema.kind == "dataframe":
        csv_example = ",".join(schema.names) + "\n" + ",".join("" if examples[0].get(n) is None else str(examples[0][n])
                                                                for n in schema.names) + "\n"
    native_content = _json("PredictRequest", {"instances": examples} if examples else None)
    native_content["text/csv"] = {"schema": {"type": "string"}, **({"example": csv_example} if csv_example else {})}
    native_content["application/x-www-form-urlencoded"] = {"schema": {"type": "object", "properties": {
        "json_args": {"type": "string", "description": "the JSON input, as for application/json"}}}}
    paths = {
        "/": {"get": {"summary": "Live: {\"status\": \"alive\"} (KServe V1); browsers are sent to /docs",
                      "tags": ["operations"], "responses": {"200": _ok("Status"),
                                                            "302": {"description": "to /docs (Accept: text/html)"}}}},
        "/predict": {"post": {"summary": "Predict (nb2service format)", "tags": ["nb2service"],
                              "requestBody": {"required": True, "content": native_content},
                              "responses": {"200": _ok("PredictResponse"), **bad("Native"), **not_ready}}},
        "/invocations": {"post": {"summary": "Predict (MLflow scoring protocol)", "tags": ["MLflow"],
                                  "requestBody": {"required": True, "content": {
                                      **_json("MlflowRequest", {"dataframe_records": examples} if examples else None),
                                      "text/csv": {"schema": {"type": "string"}},
                                      "application/vnd.apache.parquet": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}},
                                  "responses": {"200": _ok("MlflowResponse"), **bad("Mlflow")}}},
        "/ping": _mlflow_plain("MLflow health", "an empty line", **not_ready),
        "/health": _mlflow_plain("MLflow health", "an empty line", **not_ready),
        "/version": _mlflow_plain("nb2service version", "the version number"),
        "/v2/health/live": _get("Server live", "Status", "KServe V2"),
        "/v2/health/ready": _get("Server ready", "Status", "KServe V2", **not_ready),
        "/v2": _get("Server metadata", "V2ServerMetadata", "KServe V2"),
        "/v2/models": _get("The served models' names (KServe)", "ModelList", "KServe V2"),
        "/v2/repository/index": {"post": {"summary": "Model repository index (MLServer, Triton)", "tags": ["KServe V2"],
                                          "responses": {"200": _ok("RepositoryIndex")}}},
        "/v2/models/{model_name}": {"parameters": [model_param],
                                    **_get("Model metadata", "V2ModelMetadata", "KServe V2", **not_found)},
        "/v2/models/{model_name}/versions/{model_version}": {
            "parameters": [model_param, version_param],
            **_get("Model metadata", "V2ModelMetadata", "KServe V2", **not_found)},
        "/v2/models/{model_name}/ready": {"parameters": [model_param],
                                          **_get("Model ready", "Status", "KServe V2", **not_found, **not_ready)},
        "/v2/models/{model_name}/versions/{model_version}/ready": {
            "parameters": [model_param, version_param],
            **_get("Model ready", "Status", "KServe V2", **not_found, **not_ready)},
        "/v2/models/{model_name}/infer": {"parameters": [model_param], **infer},
        "/v2/models/{model_name}/versions/{model_version}/infer": {"parameters": [model_param, version_param], **infer},
        "/v1/models": _get("The served models' names (KServe V1)", "ModelList", "KServe V1"),
        "/v1/models/{model_name}": {"parameters": [model_param],
                                    **_get("Model status (KServe V1)", "V1Status", "KServe V1", **not_found)},
        "/v1/models/{model_name}:predict": {"parameters": [model_param], "post": {
            "summary": "Predict (KServe V1)", "tags": ["KServe V1"],
            "requestBody": {"required": True, "content": _json("PredictRequest", {"instances": examples} if examples else None)},
            "responses": {"200": _ok("MlflowResponse"), **bad("V2"), **not_found}}},
        **_explain_paths(native_content, infer, model_param, version_param),
        "/healthz": _get("Live", "Status", "operations"),
        "/readyz": _get("Ready: model loaded and warmed up", "Status", "operations", **not_ready),
        "/model": _get("The artifact's metadata.json", "Status", "operations"),
        "/metrics": {"get": {"summary": "Prometheus metrics", "tags": ["operations"], "responses": {
            "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/openapi.json": _get("This document", "Status", "operations"),
        "/docs": {"get": {"summary": "Interactive documentation", "tags": ["operations"], "responses": {
            "200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}}}},
        "/report": {"get": {"summary": "The model report: card, evaluation plots, executed notebook, live panels",
                            "tags": ["report"], "responses": {"200": {"description": "HTML page", "content": {
                                "text/html": {"schema": {"type": "string"}}}}}}},
        "/report/live.json": {"get": {"summary": "The report's live panels: a summary of /metrics", "tags": ["report"],
                                      "responses": {"200": {"description": "requests, latency, rows, predictions per "
                                                            "class or their distribution, drift per feature",
                                                            "content": {"application/json": {"schema": {
                                                                "type": "object"}}}}}}},
        "/report/notebook/{index}": {"parameters": [{"name": "index", "in": "path", "required": True,
                                                     "schema": {"type": "integer", "minimum": 0}}],
                                     "get": {"summary": "An executed notebook rendered to HTML (sandboxed, no script)",
                                             "tags": ["report"], "responses": {
                                                 "200": {"description": "HTML page", "content": {
                                                     "text/html": {"schema": {"type": "string"}}}},
                                                 "404": {"description": "no such notebook"}}}},
    }
    paths["/predict/engineered"] = {"post": {
        **paths["/predict"]["post"], "summary": "Predict on the model's own (engineered) inputs: the same bodies, in "
                                                "the columns of the notebook's training matrix (docs/inputs.md)"}}
    return paths


def _explain_paths(native_content: dict, infer: dict, model_param: dict, version_param: dict) -> dict:
    """``/explain`` takes predict's input, ``/v2/.../explain`` a V2 inference request (builder.model.explain)."""
    answer = {"200": {"description": "Per row and explained output: value, base value and per-feature "
                                     "contributions that add up to it", "content": {"application/json": {
                          "schema": {"type": "object", "additionalProperties": True}}}},
              "400": {"$ref": "#/components/responses/NativeBadRequest"},
              "413": {"$ref": "#/components/responses/NativeBadRequest"},
              "415": {"$ref": "#/components/responses/NativeBadRequest"},
              "503": {"$ref": "#/components/responses/NotReady"},
              "501": {"description": "no exact explanation method for this model",
                      "content": {"application/json": {"schema": ref("NativeError")}}}}
    native = {"post": {"summary": "Explain: per-feature contributions", "tags": ["nb2service"],
                       "requestBody": {"required": True, "content": native_content}, "responses": answer}}
    v2_form = {"post": {"summary": "Explain (Open Inference Protocol request)", "tags": ["KServe V2"],
                        "requestBody": infer["post"]["requestBody"],
                        "responses": {**answer, **{k: v for k, v in infer["post"]["responses"].items() if k != "200"}}}}
    return {"/explain": native, "/v2/models/{model_name}/explain": {"parameters": [model_param], **v2_form},
            "/v2/models/{model_name}/versions/{model_version}/explain": {"parameters": [model_param, version_param],
                                                                        **v2_form}}


def _v2_example(schema, examples: list) -> dict | None:
    if not examples:
        return None
    if schema.kind == "text":
        return {"inputs": [{"name": schema.names[0], "shape": [len(examples)], "datatype": "BYTES", "data": examples}]}
    if schema.kind == "array":
        width = len(schema.columns)
        return {"inputs": [{"name": "input-0", "shape": [len(examples), width], "datatype": "FP64", "data": examples}]}
    inputs = []
    for c in schema.columns:
        inputs.append({"name": c.name, "shape": [len(examples)], "datatype": v2.SCHEMA_DATATYPES.get(c.type, "BYTES"),
                       "data": [row.get(c.name) for row in examples]})
    return {"inputs": inputs, "parameters": {"content_type": "pd"}}
