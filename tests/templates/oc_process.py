"""``oc process`` for tests: an OpenShift Template plus parameter values gives the objects.

The semantics are those of OpenShift's template processor (openshift/library-go,
``pkg/template/templateprocessing``), so that what the tests validate is what ``oc process`` makes:

- Values: ``-p NAME=VALUE`` wins over the template's ``value``; a parameter given that the template
  does not declare is an error (as without ``--ignore-unknown-parameters``).
- Generated values: a parameter with ``generate: expression`` and no value gets one from its
  ``from`` expression (``[a-zA-Z0-9]{40}``, ``\\w``, ``\\d``, ``\\a``, ``\\A``).
- Required: a ``required`` parameter that is still empty after generation is an error.
- ``${NAME}`` is replaced inside any string (map keys included), several per string allowed.
- ``${{NAME}}`` is replaced only when it is the whole string, by the value parsed as JSON (so
  ``"3"`` becomes the integer 3 and ``"true"`` a boolean); a value that is not JSON stays a string.
- References to undeclared parameters are left as they are.
- A hard-coded ``metadata.namespace`` is removed unless it holds a ``${...}`` reference.
- The template's ``labels`` are added to every object's ``metadata.labels``; ``message`` is
  substituted too.
"""

from __future__ import annotations

import copy
import json
import random
import re

STRING_REF = re.compile(r"\$\{([a-zA-Z0-9_]+?)\}")
NON_STRING_REF = re.compile(r"^\$\{\{([a-zA-Z0-9_]+)\}\}$")
GENERATOR = re.compile(r"\[([a-zA-Z0-9\-\\]+)\]\{([0-9]+)\}")

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMERALS = "0123456789"
SYMBOLS = "~!@#$%^&*()-_+={}[]\\|<,>.?/\"';:`"
ASCII = ALPHABET + NUMERALS + SYMBOLS
CLASSES = {r"\w": ASCII, r"\d": NUMERALS, r"\a": ALPHABET + NUMERALS, r"\A": SYMBOLS}


class TemplateError(ValueError):
    """``oc process`` would refuse: the message names the parameter and why."""


def generate(expression: str, rng: random.Random) -> str:
    """A value for a ``generate: expression`` parameter: each ``[ranges]{n}`` becomes n characters."""
    def characters(match: re.Match) -> str:
        spec, length = match.group(1), int(match.group(2))
        alphabet, i = "", 0
        while i < len(spec):
            if spec[i] == "\\":
                token = spec[i:i + 2]
                if token not in CLASSES:
                    raise TemplateError(f"unknown class {token!r} in generator expression {expression!r}")
                alphabet += CLASSES[token]
                i += 2
            elif i + 2 < len(spec) and spec[i + 1] == "-":
                lo, hi = ASCII.index(spec[i]), ASCII.index(spec[i + 2])
                if lo > hi:
                    raise TemplateError(f"invalid range {spec[i:i + 3]!r} in generator expression {expression!r}")
                alphabet += ASCII[lo:hi + 1]
                i += 3
            else:
                alphabet += spec[i]
                i += 1
        return "".join(rng.choice(alphabet) for _ in range(length))

    return GENERATOR.sub(characters, expression)


def parameter_values(template: dict, given: dict[str, str], rng: random.Random) -> dict[str, str]:
    """The value of every declared parameter, as ``oc process`` computes it (or TemplateError)."""
    declared = {p["name"]: p for p in template.get("parameters") or []}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(f"unknown parameter name(s): {', '.join(unknown)}")
    values = {}
    for name, param in declared.items():
        value = str(given[name]) if name in given else str(param.get("value") or "")
        if not value and param.get("generate"):
            if param["generate"] != "expression":
                raise TemplateError(f"unknown generator {param['generate']!r} for parameter {name}")
            value = generate(param.get("from") or "", rng)
        if not value and param.get("required"):
            raise TemplateError(f"parameter {name} is required and must be specified")
        values[name] = value
    return values


def substitute(text: str, values: dict[str, str]):
    """One string after substitution: a str, or any JSON value for an exact ``${{NAME}}``."""
    exact = NON_STRING_REF.match(text)
    if exact and exact.group(1) in values:
        raw = values[exact.group(1)]
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return STRING_REF.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _walk(node, values: dict[str, str]):
    if isinstance(node, str):
        return substitute(node, values)
    if isinstance(node, list):
        return [_walk(item, values) for item in node]
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            new_key = substitute(key, values) if isinstance(key, str) else key
            out[new_key if isinstance(new_key, str) else key] = _walk(value, values)
        return out
    return node


def process(template: dict, given: dict[str, str] | None = None, *, seed: int = 0) -> dict:
    """``oc process -f template -p ...``: a ``v1 List`` of the objects (TemplateError on refusal)."""
    rng = random.Random(seed)
    values = parameter_values(template, dict(given or {}), rng)
    labels = {substitute(k, values): substitute(v, values) for k, v in (template.get("labels") or {}).items()}
    items = []
    for obj in copy.deepcopy(template.get("objects") or []):
        meta = obj.get("metadata") or {}
        if meta.get("namespace") and not STRING_REF.search(str(meta["namespace"])):
            meta["namespace"] = ""
        obj = _walk(obj, values)
        if labels:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        items.append(obj)
    return {"apiVersion": "v1", "kind": "List", "items": items,
            "message": substitute(template.get("message") or "", values)}


def references(template: dict) -> set[str]:
    """Every parameter name referenced as ``${NAME}`` or ``${{NAME}}`` in the template."""
    text = json.dumps({k: template.get(k) for k in ("objects", "labels", "message")})
    return set(STRING_REF.findall(text)) | set(re.findall(r"\$\{\{([a-zA-Z0-9_]+)\}\}", text))
