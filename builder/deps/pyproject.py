"""``pyproject.toml``: PEP 621 ``[project].dependencies`` and Poetry's ``[tool.poetry.dependencies]``.

Optional dependencies, dependency groups and Poetry's ``python`` entry are not read. Poetry's
``^`` and ``~`` constraints are translated to PEP 440 ranges.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DependencyError
from .pep508 import parse_requirement
from .records import Found
from .requirements_file import display, read_toml

_OPERATOR = re.compile(r"^(===|==|!=|~=|<=|>=|<|>)")


def read_pyproject(path: Path, repo: Path) -> Found:
    """The runtime dependencies declared in a pyproject.toml (PEP 621, then Poetry)."""
    label = display(path, repo)
    data = read_toml(path, label)
    found = Found()
    project = data.get("project", {})
    if "dependencies" in project.get("dynamic", []):
        found.note("dependencies", label, "[project] declares its dependencies dynamic; they are not read")
    for number, text in enumerate(project.get("dependencies", []), start=1):
        where = f"{label} [project].dependencies entry {number}"
        found.add(parse_requirement(str(text), source=label, kind="declared", where=where))
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    for name, spec in poetry.items():
        if name.lower() == "python":
            continue
        text = _poetry_requirement(name, spec, label, found)
        if text is not None:
            where = f"{label} [tool.poetry.dependencies] {name}"
            found.add(parse_requirement(text, source=label, kind="declared", where=where))
    return found


def _poetry_requirement(name: str, spec: object, label: str, found: Found) -> str | None:
    """The PEP 508 string for one Poetry dependency, or None when it is left out."""
    if isinstance(spec, str):
        return name + _constraint(spec, name, label, found)
    if isinstance(spec, list):
        found.note(name, label, "several Poetry constraints for one package; installing it unpinned")
        return name
    if not isinstance(spec, dict):
        raise DependencyError(f"{label} [tool.poetry.dependencies] {name}: expected a version string "
                              f"or a table, got {spec!r}")
    if spec.get("optional"):
        found.note(name, label, "optional Poetry dependency (an extra); not installed")
        return None
    if "path" in spec:
        found.note(name, label, "local path dependency ignored; nb2service does not install local paths")
        return None
    extras = spec.get("extras") or []
    head = f"{name}[{','.join(extras)}]" if extras else name
    tail = f"; {spec['markers']}" if spec.get("markers") else ""
    if "git" in spec:
        ref = spec.get("rev") or spec.get("tag") or spec.get("branch")
        return f"{head} @ git+{spec['git']}{'@' + ref if ref else ''}{tail}"
    if "url" in spec:
        return f"{head} @ {spec['url']}{tail}"
    return head + _constraint(str(spec.get("version", "*")), name, label, found) + tail


def _constraint(text: str, name: str, label: str, found: Found) -> str:
    """A Poetry constraint as a PEP 440 specifier (``""`` for any version)."""
    text = text.strip()
    if text in ("", "*"):
        return ""
    if "||" in text:
        found.note(name, label, f"Poetry constraint '{text}' has alternatives; installing it unpinned")
        return ""
    return ",".join(poetry_to_pep440(part) for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", text) if part)


def poetry_to_pep440(part: str) -> str:
    """One Poetry constraint: ``^1.2.3`` -> ``>=1.2.3,<2.0.0``; ``~1.2`` -> ``>=1.2,<1.3``; ``1.2`` -> ``==1.2``."""
    part = part.strip()
    if part.startswith("^"):
        return _bounded(part[1:], caret=True)
    if part.startswith("~") and not part.startswith("~="):
        return _bounded(part[1:], caret=False)
    if _OPERATOR.match(part):
        return part.replace(" ", "")
    return f"=={part}"


def _bounded(version: str, *, caret: bool) -> str:
    """``>=version,<next``: caret bumps the first non-zero part, tilde the minor (or major alone)."""
    version = version.strip()
    release = re.match(r"^\d+(?:\.\d+)*", version)
    if not release:
        return f"=={version}"  # not a version: let the requirement parser say so
    parts = [int(p) for p in release.group(0).split(".")]
    if caret:
        bump = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
    else:
        bump = 1 if len(parts) > 1 else 0
    upper = parts[:bump] + [parts[bump] + 1] + [0] * (len(parts) - bump - 1)
    return f">={version},<{'.'.join(map(str, upper))}"
