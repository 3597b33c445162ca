"""pip requirements files: ``requirements.txt`` and the files it includes with ``-r``.

Handles comments, blank lines, backslash continuations, ``-r`` includes (relative to the including
file, cycles skipped), environment markers, URLs and ``name @ url``. ``-e``, local paths, index
options and other options are left out with a note; ``--hash`` options are dropped. The same line
parser reads the ``pip:`` list of environment.yml.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import DependencyError
from .pep508 import parse_requirement
from .records import Found

_COMMENT = re.compile(r"(^|\s+)#.*$")
#: Options pip allows after a requirement on the same line; everything from the first one is cut.
_PER_REQUIREMENT = re.compile(r"\s+(--hash|--global-option|--install-option|--config-settings|-C)\b.*$")
_LONG = re.compile(r"^(--[\w-]+)(?:=|\s+|$)(.*)$")
_SHORT = re.compile(r"^(-\w?)\s*=?\s*(.*)$")
_INCLUDE = ("-r", "--requirement")
_CONSTRAINT = ("-c", "--constraint")
_EDITABLE = ("-e", "--editable")
_INDEX = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "--no-index")


def read_requirements_file(path: Path, repo: Path, *, kind: str = "declared", via: str = "",
                           seen: frozenset[Path] = frozenset()) -> Found:
    """Read ``path`` and the files it includes.

    Sources read ``<path relative to repo>:<line>``, followed by ``via`` when given (for files
    named by ``%pip install -r``). ``seen`` holds the files already being read (cycle guard).
    """
    path = path.resolve()
    text = _decode(path, repo)
    lines = enumerate(text.splitlines(), start=1)
    return parse_lines(lines, base=path.parent, repo=repo, label=display(path, repo), kind=kind,
                       via=via, seen=seen | {path})


def parse_lines(lines: Iterable[tuple[int, str]], *, base: Path, repo: Path, label: str,
                kind: str = "declared", via: str = "", seen: frozenset[Path] = frozenset(),
                source: str | None = None, unit: str = ":") -> Found:
    """Parse numbered requirement lines; ``-r`` paths are relative to ``base``.

    Each requirement's source is ``source`` when given, else ``label:<line>``; ``via`` is appended.
    Error messages name ``label<unit><line>`` (``environment.yml, pip entry 2`` with
    ``unit=", pip entry "``).
    """
    found = Found()
    hashes_dropped = False
    for number, line in _logical_lines(lines):
        where = f"{label}{unit}{number}"
        here = (source or where) + via
        line = _COMMENT.sub("", line).strip()
        if not line:
            continue
        if line.startswith("-"):
            found.add(_option(line, where=where, here=here, base=base, repo=repo, kind=kind,
                              via=via, seen=seen))
            continue
        requirement = _PER_REQUIREMENT.sub("", line)
        if requirement != line and "--hash" in line and not hashes_dropped:
            hashes_dropped = True
            found.note(label, here, "--hash options dropped: hash checking cannot cover the requirements "
                                    "nb2service merges from other sources")
        found.add(parse_requirement(requirement, source=here, kind=kind, where=where))
    return found


def read_toml(path: Path, label: str) -> dict:
    """A TOML file (Pipfile, pyproject.toml) as a dict, or DependencyError naming it."""
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise DependencyError(f"{label}: not valid TOML ({err})") from None


def display(path: Path, repo: Path) -> str:
    """``path`` relative to the repository, with forward slashes."""
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return str(path)


def include(target: str, *, where: str, base: Path, repo: Path, kind: str, via: str,
            seen: frozenset[Path]) -> Found:
    """Read the requirements file ``target`` (relative to ``base``), named at ``where``."""
    path = (base / target).resolve()
    if not path.is_relative_to(repo.resolve()):
        raise DependencyError(f"{where}: -r {target}: the file is outside the repository")
    if path in seen:
        found = Found()
        found.note(target, where + via, "already being read (an -r cycle); not read again")
        return found
    if not path.is_file():
        raise DependencyError(f"{where}: -r {target}: no such file ({display(path, repo)})")
    return read_requirements_file(path, repo, kind=kind, via=via, seen=seen)


def _option(line: str, *, where: str, here: str, base: Path, repo: Path, kind: str, via: str,
            seen: frozenset[Path]) -> Found:
    flag, value = _split_option(line)
    if flag in _INCLUDE:
        if not value:
            raise DependencyError(f"{where}: {line!r}: -r needs a file name")
        return include(value, where=where, base=base, repo=repo, kind=kind, via=via, seen=seen)
    found = Found()
    if flag in _EDITABLE:
        found.note(value or line, here, "editable install (-e) ignored; nb2service does not install "
                                        "local or editable packages (write a URL as 'NAME @ URL')")
    elif flag in _CONSTRAINT:
        found.note(value or line, here, "constraints file (-c) ignored")
    elif flag in _INDEX:
        found.note(flag, here, f"option {line!r} ignored: the installer gets index settings from "
                               "nb2service's configuration")
    else:
        found.note(flag, here, f"option {line!r} ignored")
    return found


def _split_option(line: str) -> tuple[str, str]:
    """``-r x`` / ``-rx`` / ``--requirement=x`` / ``--requirement x`` -> (flag, value)."""
    match = _LONG.match(line) or _SHORT.match(line)
    return match.group(1), match.group(2).strip()


def _logical_lines(lines: Iterable[tuple[int, str]]) -> Iterable[tuple[int, str]]:
    """Join backslash-continued lines; each joined line keeps its first line's number."""
    start, parts = None, []
    for number, line in lines:
        if start is None:
            start = number
        if line.endswith("\\") and not _COMMENT.search(line):
            parts.append(line[:-1])
            continue
        parts.append(line)
        yield start, "".join(parts)  # as pip joins them: no space added
        start, parts = None, []
    if parts:
        yield start, "".join(parts)


def _decode(path: Path, repo: Path) -> str:
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")  # PowerShell's "pip freeze > requirements.txt"
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DependencyError(f"{display(path, repo)}: not UTF-8 text (byte {err.start})",
                              hint="save the file as UTF-8") from None
