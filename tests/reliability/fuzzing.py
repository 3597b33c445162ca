"""Drive schemathesis over an OpenAPI document, operation by operation, counting requests per
endpoint family and collecting every failure (rather than stopping at the first and shrinking it).

Each response must: not be a 5xx; have a status the document lists for the operation; match the
documented content type and schema; and, when it is a 4xx, carry a JSON error body in the
protocol's shape (``{"error": ...}``, or MLflow's ``{"error_code", "message"}``) without a traceback.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.generation.modes import GenerationMode

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]
FAMILIES = (("mlflow", ("/invocations", "/ping", "/health", "/version")), ("v2", ("/v2",)), ("v1", ("/v1",)),
            ("native", ("/predict",)))


def family(path: str) -> str:
    for name, prefixes in FAMILIES:
        if any(path == p or path.startswith(p + "/") for p in prefixes):
            return name
    return "operations"


@dataclass
class Tally:
    requests: Counter = field(default_factory=Counter)  # by family
    statuses: Counter = field(default_factory=Counter)  # by (family, status)
    failures: dict = field(default_factory=dict)  # one example per distinct problem

    def fail(self, key: str, detail: str) -> None:
        self.failures.setdefault(key, detail)


def plans(operation, fixed: dict, random_names: bool) -> list[tuple[GenerationMode, dict | None, int]]:
    """(mode, fixed path parameters, weight) for one operation: most requests go to the real model
    name, so they reach decoding and prediction; with ``random_names`` a few use generated names (404s)."""
    names = [p.name for p in operation.path_parameters]
    has_body = bool(operation.body)
    real = {n: fixed[n] for n in names if n in fixed} or None
    if not names and not has_body:
        return [(GenerationMode.POSITIVE, None, 0)]
    if not has_body:
        return [(GenerationMode.POSITIVE, None, 1), (GenerationMode.POSITIVE, real, 0)] if random_names \
            else [(GenerationMode.POSITIVE, real, 0)]
    if names:
        return [(GenerationMode.POSITIVE, real, 3), (GenerationMode.NEGATIVE, real, 3),
                *([(GenerationMode.POSITIVE, None, 1)] if random_names else [])]
    return [(GenerationMode.POSITIVE, None, 1), (GenerationMode.NEGATIVE, None, 1)]


def fuzz(schema, budget: int, call, *, fixed: dict, derandomize: bool = True, random_names: bool = True) -> Tally:
    """Send at least ``budget`` generated requests per family (operations without inputs: one each)."""
    tally = Tally()
    operations = [r.ok() for r in schema.get_all_operations()]
    by_family: dict[str, list] = {}
    for op in operations:
        by_family.setdefault(family(op.path), []).append(op)
    for name, ops in by_family.items():
        weights = sum(w for op in ops for _, _, w in plans(op, fixed, random_names))
        for op in ops:
            for mode, path_parameters, weight in plans(op, fixed, random_names):
                examples = max(1, math.ceil(budget * 1.1 * weight / weights)) if weight else 1
                _run(op, mode, path_parameters, examples, call, tally, name, derandomize)
    return tally


def _run(op, mode, path_parameters, examples, call, tally: Tally, name: str, derandomize: bool) -> None:
    strategy = op.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False)
    @given(case=strategy)
    def send(case):
        response = call(case)
        tally.requests[name] += 1
        tally.statuses[(name, response.status_code)] += 1
        label = f"{case.method} {case.formatted_path}"
        where = f"{op.label} ({mode.value}): {case.method} {case.formatted_path} body={_short(getattr(case, 'body', None))}"
        if response.status_code >= 500:
            tally.fail(f"{op.label} {response.status_code}", f"{where} -> {response.status_code} {response.text[:300]}")
            return
        if 400 <= response.status_code < 500:
            problem = error_body_problem(response, mlflow=op.path == "/invocations")
            if problem:
                tally.fail(f"{op.label} {response.status_code} body", f"{where} -> {response.status_code}: {problem}")
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup: report, keep fuzzing
            first = str(exc).strip().splitlines()
            tally.fail(f"{op.label} {type(exc).__name__} {first[1] if len(first) > 1 else ''}",
                       f"{where} -> {response.status_code} {response.text[:200]}\n{str(exc)[:600]}")
        del label

    try:
        send()
    except Unsatisfiable:  # e.g. negative data for an operation whose only input is fixed
        pass


def error_body_problem(response, *, mlflow: bool) -> str | None:
    """What is wrong with a 4xx body, or None."""
    content_type = header(response, "Content-Type")
    if not content_type.startswith("application/json"):
        return f"Content-Type {content_type!r}, not JSON"
    try:
        body = json.loads(response.text)
    except ValueError:
        return f"not JSON: {response.text[:100]!r}"
    keys = ("error_code", "message") if mlflow else ("error",)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) and body.get(k) for k in keys):
        return f"no {' and '.join(keys)} in {response.text[:100]}"
    if "Traceback" in response.text or 'File "' in response.text:
        return "a traceback in the body"
    return None


def header(response, name: str) -> str:
    """A header of a schemathesis response (its headers map names to lists of values)."""
    for key, value in response.headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    return ""


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 2000 else text[:2000] + "..."  # enough to replay the request
