"""When each release of a distribution was published, from the package index.

The date evidence (``evidence.py``) turns "this notebook printed pandas 1.3.4" into a window of
dates; that needs the day pandas 1.3.4 was published and the day the next minor release was. The
index's JSON simple API (PEP 691, with PEP 700's ``upload-time`` and ``requires-python``) has both,
on PyPI and on any mirror that follows the standard. Each project's listing is read once and kept
(reduced to one entry per version) under the cache folder for a day.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, canonicalize_name, parse_sdist_filename, \
    parse_wheel_filename
from packaging.version import InvalidVersion, Version

from ..config import IndexSettings

PYPI_SIMPLE = "https://pypi.org/simple"
ACCEPT = "application/vnd.pypi.simple.v1+json"
MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class Release:
    version: Version
    date: dt.date  # the earliest upload among its files
    requires_python: str | None
    wheels: tuple[str, ...] | None = None  # "cp311-cp311", "py3-none", "cp38-abi3"...; () when sdist only

    def has_wheel_for(self, python: tuple[int, int]) -> bool | None:
        """Whether a wheel of this release installs on CPython ``python`` (None: not known)."""
        if self.wheels is None:
            return None
        for tag in self.wheels:
            interpreter, _, abi = tag.partition("-")
            if interpreter in (f"cp{python[0]}{python[1]}", f"py{python[0]}", f"py{python[0]}{python[1]}"):
                return True
            if abi == "abi3" and interpreter.startswith("cp") and (python[0], python[1]) >= (
                    int(interpreter[2]), int(interpreter[3:] or 0)):
                return True
        return False

    def supports(self, python: tuple[int, int]) -> bool | None:
        """Whether this release declares support for Python ``python`` (None: it does not say)."""
        if not self.requires_python:
            return None
        try:
            return SpecifierSet(self.requires_python).contains(f"{python[0]}.{python[1]}.99")
        except InvalidSpecifier:
            return None


class ReleaseHistory:
    """Release dates per project, read from the index (or given, in tests)."""

    def __init__(self, index: IndexSettings | None = None, cache: Path | None = None,
                 known: dict[str, list[Release]] | None = None):
        self.index_url = ((index.index_url if index else None) or PYPI_SIMPLE).rstrip("/")
        self.cache = cache
        self.known = {canonicalize_name(k): sorted(v, key=lambda r: r.version) for k, v in (known or {}).items()}
        self.failures: dict[str, str] = {}

    def releases(self, name: str) -> list[Release]:
        """Final releases of ``name``, oldest version first; empty when the index cannot say."""
        key = canonicalize_name(name)
        if key not in self.known:
            try:
                self.known[key] = self._load(key)
            except (OSError, ValueError) as exc:
                self.failures[key] = str(exc)
                self.known[key] = []
        return self.known[key]

    def release(self, name: str, version: str) -> Release | None:
        try:
            wanted = Version(version)
        except InvalidVersion:
            return None
        return next((r for r in self.releases(name) if r.version == wanted), None)

    def next_minor(self, name: str, version: str) -> Release | None:
        """The first release of the next minor (or major) series after ``version``."""
        try:
            series = Version(version).release[:2]
        except InvalidVersion:
            return None
        later = [r for r in self.releases(name) if r.version.release[:2] > series]
        return min(later, key=lambda r: r.date) if later else None

    def _load(self, key: str) -> list[Release]:
        path = self.cache / "releases-v2" / f"{key}.json" if self.cache else None
        if path and path.exists() and time.time() - path.stat().st_mtime < MAX_AGE:
            return [_release(row) for row in json.loads(path.read_text())]
        request = urllib.request.Request(f"{self.index_url}/{key}/", headers={"Accept": ACCEPT})
        with urllib.request.urlopen(request, timeout=30) as response:
            rows = reduce_listing(json.loads(response.read()))
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(rows))
        return [_release(row) for row in rows]


def reduce_listing(listing: dict) -> list[list]:
    """A PEP 691 project page reduced to ``[version, first upload date, requires-python, wheel tags]`` rows."""
    rows: dict[Version, list] = {}
    for file in listing.get("files", []):
        stamp = file.get("upload-time")
        if not stamp or file.get("yanked"):
            continue
        try:
            name = file["filename"]
            wheel = parse_wheel_filename(name) if name.endswith(".whl") else None
            version = wheel[1] if wheel else parse_sdist_filename(name)[1]
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion, KeyError):
            continue
        if version.is_prerelease or version.is_devrelease:
            continue
        day = stamp[:10]
        row = rows.setdefault(version, [str(version), day, file.get("requires-python"), []])
        row[1] = min(row[1], day)
        row[2] = row[2] or file.get("requires-python")
        if wheel:
            row[3] = sorted(set(row[3]) | {f"{t.interpreter}-{t.abi}" for t in wheel[3]})
    return [rows[v] for v in sorted(rows)]


def _release(row: list) -> Release:
    return Release(Version(row[0]), dt.date.fromisoformat(row[1]), row[2], tuple(row[3]) if len(row) > 3 else None)
