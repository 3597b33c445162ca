"""What ``GET /model`` serves: metadata.json without the build machine's filesystem paths.

A client needs the model's name, version, inputs, classes, libraries and the build's evidence, not
where the build environment or the source folder lived. The environment's ``python``, ``path`` and
``lib`` are left out, and any other absolute path inside a string (a repair's reason, a dependency's
evidence) is shortened to its last component, ``…/requirements.txt``. metadata.json on disk keeps
everything.
"""

from __future__ import annotations

import re

#: An absolute POSIX path: a slash not preceded by a word character, ':', '/' or '.', so URLs
#: (https://host/path), relative paths (data/x.csv) and dates (2024/01/02) are left alone.
ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])(?:~)?/(?:[^\s/'\"():,;]+/)*([^\s/'\"():,;]*)")
ENVIRONMENT_PATHS = ("python", "path", "lib")


def public_metadata(meta: dict) -> dict:
    """A copy of ``meta`` for clients, without filesystem paths."""
    public = _scrub(meta)
    environment = public.get("environment")
    if isinstance(environment, dict):
        public["environment"] = {k: v for k, v in environment.items() if k not in ENVIRONMENT_PATHS}
    return public


def _scrub(value):
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str) and "/" in value:
        return ABSOLUTE_PATH.sub(_shorten, value)
    return value


def _shorten(match: re.Match) -> str:
    whole, last = match.group(0), match.group(1)
    if whole.count("/") < 2:  # "/" alone, "/x", "and/or": not worth hiding, and often not a path
        return whole
    return f"…/{last}" if last else "…/"
