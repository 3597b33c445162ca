"""Pipenv's files: ``Pipfile.lock`` (its ``default`` section, pinned) else ``Pipfile`` (``[packages]``).

Development packages (``develop`` / ``[dev-packages]``) are not read: the notebook's service does
not need them.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import DependencyError
from .pep508 import is_url, parse_requirement
from .records import Found
from .requirements_file import display, read_toml

#: Pipfile keys that pipenv turns into environment markers (``sys_platform = "== 'linux'"``).
_MARKER_KEYS = ("os_name", "sys_platform", "platform_machine", "platform_system",
                "platform_python_implementation", "python_version", "python_full_version")


def read_pipfile_lock(path: Path, repo: Path) -> Found:
    """The ``default`` packages of a Pipfile.lock, with their locked versions and markers."""
    label = display(path, repo)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DependencyError(f"{label}: not valid JSON ({err})", hint="run 'pipenv lock' again") from None
    packages = data.get("default", {}) if isinstance(data, dict) else None
    if not isinstance(packages, dict):
        raise DependencyError(f"{label}: expected a JSON object with a \"default\" object of packages")
    return _entries(packages, label)


def read_pipfile(path: Path, repo: Path) -> Found:
    """The ``[packages]`` table of a Pipfile; ``"*"`` means unpinned."""
    label = display(path, repo)
    data = read_toml(path, label)
    packages = data.get("packages", {})
    if not isinstance(packages, dict):
        raise DependencyError(f"{label}: [packages] must be a table of NAME = VERSION entries")
    return _entries(packages, label)


def _entries(packages: dict, label: str) -> Found:
    found = Found()
    for name, spec in packages.items():
        where = f"{label} [{name}]"
        text = _requirement_text(name, spec, where, found, label)
        if text is not None:
            found.add(parse_requirement(text, source=label, kind="declared", where=where))
    return found


def _requirement_text(name: str, spec: object, where: str, found: Found, label: str) -> str | None:
    """The PEP 508 string for one Pipfile / Pipfile.lock entry, or None when it is left out."""
    if isinstance(spec, str):
        return name if spec.strip() in ("", "*") else f"{name}{_version(spec)}"
    if not isinstance(spec, dict):
        raise DependencyError(f"{where}: expected a version string or a table, got {spec!r}")
    if "path" in spec or spec.get("editable") or ("file" in spec and not is_url(str(spec["file"]))):
        found.note(name, label, "local or editable package ignored; nb2service does not install local paths")
        return None
    extras = spec.get("extras") or []
    head = f"{name}[{','.join(extras)}]" if extras else name
    markers = [spec["markers"]] if spec.get("markers") else []
    markers += [f"{key} {spec[key]}" for key in _MARKER_KEYS if key in spec]
    tail = f"; {' and '.join(markers)}" if markers else ""
    for vcs in ("git", "hg", "svn", "bzr"):
        if vcs in spec:
            url = spec[vcs] if spec[vcs].startswith(f"{vcs}+") else f"{vcs}+{spec[vcs]}"
            ref = spec.get("ref") or spec.get("tag") or spec.get("branch")
            return f"{head} @ {url}{'@' + ref if ref else ''}{tail}"
    if "file" in spec:
        return f"{head} @ {spec['file']}{tail}"
    version = str(spec.get("version", "*")).strip()
    return f"{head}{'' if version in ('', '*') else _version(version)}{tail}"


def _version(spec: str) -> str:
    """Pipenv allows a bare version (``"1.2"``) meaning ``==1.2``."""
    spec = spec.strip()
    return spec if spec[:1] in "<>=!~" else f"=={spec}"
