"""What to change after a cell failed, before running the notebook again.

Each repair is a change to the requirement lines (the rest of the stack stays as resolved):

- **a module the code never names**: a ``ModuleNotFoundError`` for a module that maps to a known
  distribution (``%matplotlib inline`` without ``import matplotlib``; ``pkg_resources`` from an old
  library: setuptools), or a library's lazily imported optional dependency (pandas' "Missing optional
  dependency 'tabulate'", ``read_excel`` -> openpyxl, ``to_parquet`` -> pyarrow, ``df.style`` ->
  jinja2; tqdm.notebook's "IProgress not found": ipywidgets): the distribution is added, resolved as
  of the same date as the rest; once per module.
- **a compiled library built for another numpy**: numpy moves below 2, or the library to its last
  release before numpy 2;
- **a library's bug** (a StopIteration, RuntimeError... raised inside it): the library moves to the
  newest patch release of its series;
- **drift inside one library L**: L alone moves back, to its newest release that still has the name
  the notebook imports (looked up in the release's own files), or else to its release of a year
  before the one that failed; what L needs moves with it through the resolver.

``build()`` applies at most ``MAX_REPAIRS`` of them and stops early when a repair does not change
the error.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from ..config import IndexSettings, process_environment
from ..deps.jupyter import NO_WIDGETS, WIDGETS
from ..deps.mapping import resolve as distribution_of
from .drift import CANNOT_IMPORT, FRAME, raised_in
from .releases import ReleaseHistory

MAX_REPAIRS = 3
NO_MODULE = re.compile(r"No module named '([^']+)'")
OPTIONAL = re.compile(r"Missing optional dependency '([^']+)'")
PARQUET = re.compile(r"Unable to find a usable engine; tried using: 'pyarrow'")
PKG_RESOURCES = re.compile(r"name 'pkg_resources' is not defined")
NBFORMAT = re.compile(r"requires nbformat")
NUMPY_1_EXTENSION = re.compile(r"_ARRAY_API not found|compiled using NumPy 1\.x cannot be run in|"
                               r"numpy\.core\.multiarray failed to import")
SIZE_CHANGED = re.compile(r"numpy\.(?:dtype|ndarray) size changed")
NUMPY_2 = dt.date(2024, 6, 16)  # numpy 2.0.0
MODULE_ATTRIBUTE = re.compile(r"module '([A-Za-z0-9_.]+)' has no attribute '([A-Za-z0-9_]+)'")
#: Distributions whose module name the mapping does not know.
EXTRA = {"pkg_resources": "setuptools"}
#: Exceptions that a library's bug raises, not an API the notebook uses changing.
LIBRARY_BUGS = {"StopIteration", "RuntimeError", "IndexError", "UnboundLocalError", "SystemError", "RecursionError"}
PROBES = 6  # at most this many releases looked into when searching for a removed name


@dataclass(frozen=True)
class Repair:
    distribution: str
    line: str  # the requirement line to add or put in place of the distribution's line
    reason: str

    def to_json(self) -> dict:
        return {"distribution": self.distribution, "requirement": self.line, "reason": self.reason}


def missing_module(ename: str, evalue: str) -> str | None:
    """The distribution a failure says is missing (not installed at all), or None."""
    if PARQUET.search(evalue):
        return "pyarrow"
    if PKG_RESOURCES.search(evalue):
        return "setuptools"
    if NBFORMAT.search(evalue):
        return "nbformat"
    if NO_WIDGETS in evalue:  # tqdm.notebook without Jupyter's widgets
        return WIDGETS
    match = OPTIONAL.search(evalue) if ename in ("ImportError", "ModuleNotFoundError") else None
    if match:
        return canonicalize_name(match.group(1))
    match = NO_MODULE.search(evalue) if ename in ("ImportError", "ModuleNotFoundError") else None
    if match:
        top = match.group(1).split(".")[0]
        if top in EXTRA:
            return EXTRA[top]
        if "." not in match.group(1):
            return distribution_of(top).distribution
    return None


def add_module(failure, lines: list[str], tried: set[str]) -> Repair | None:
    """A repair installing the module the failure says is missing, once per distribution."""
    dist = missing_module(failure.ename, failure.evalue)
    if dist is None or dist in tried or any(_name(line) == dist for line in lines):
        return None
    what = "Jupyter's widgets, which Jupyter gives notebooks" if dist == WIDGETS else \
        "a magic or a library's optional dependency"
    return Repair(dist, dist, f"{failure.ename}: {failure.evalue[:120]}: {dist} is not among the notebook's "
                              f"imports ({what}); installing it")


def binary_mismatch(failure, installed: dict[str, str], history: ReleaseHistory, tried: set[str],
                    python: tuple[int, int] = sys.version_info[:2]) -> Repair | None:
    """An extension built for another numpy: numpy moves below 2 when it is 2 (the extension was
    built for numpy 1), else the extension moves to its last release before numpy 2."""
    text = f"{failure.evalue}\n{failure.trace}"
    if not (NUMPY_1_EXTENSION.search(text) or SIZE_CHANGED.search(text)):
        return None
    versions = {canonicalize_name(k): v for k, v in installed.items()}
    numpy = versions.get("numpy")
    if numpy and Version(numpy).major >= 2 and "numpy" not in tried:
        return Repair("numpy", "numpy<2", f"{failure.ename}: {failure.evalue[:100]}: a compiled library was built for "
                                          f"numpy 1 and numpy {numpy} is installed; moving numpy below 2")
    library = raised_in(failure.trace)
    dist = distribution_of(library).distribution if library and library != "numpy" else None
    if not dist or dist in tried or dist not in versions:
        return None
    before = [r for r in history.releases(dist) if r.date < NUMPY_2 and r.version < Version(versions[dist])
              and installable(r, python)]
    if not before:
        return None
    target = max(before, key=lambda r: r.version)
    return Repair(dist, f"{dist}=={target.version}", f"{failure.ename}: {failure.evalue[:100]}: {dist} "
                                                     f"{versions[dist]} was built for numpy 2 and numpy {numpy} is "
                                                     f"installed; moving {dist} to {target.version}, its last "
                                                     "release before numpy 2")


def patch_forward(failure, installed: dict[str, str], history: ReleaseHistory, tried: set[str],
                  python: tuple[int, int] = sys.version_info[:2]) -> Repair | None:
    """A library bug rather than an API change (StopIteration, RuntimeError... raised inside a
    library): the innermost library in the traceback moves to the newest patch release of its
    series, which fixes bugs without changing APIs (matplotlib 3.6.1's StopIteration on all-NaN bars
    was fixed in 3.6.2)."""
    if failure.ename not in LIBRARY_BUGS:
        return None
    versions = {canonicalize_name(k): v for k, v in installed.items()}
    for library in reversed(list(dict.fromkeys(FRAME.findall(failure.trace)))):
        dist = distribution_of(library).distribution
        current = versions.get(dist or "")
        if not dist or not current or dist in tried:
            continue
        series = Version(current).release[:2]
        patches = [r.version for r in history.releases(dist) if r.version.release[:2] == series
                   and r.version > Version(current) and installable(r, python)]
        if patches:
            newest = max(patches)
            return Repair(dist, f"{dist}=={newest}", f"{failure.ename} raised inside {library} {current}: a bug, not "
                                                     f"an API change; moving {dist} to {newest}, the newest patch "
                                                     "release of its series")
    return None


def move_back(failure, installed: dict[str, str], as_of: dt.date | None, history: ReleaseHistory,
              prober: "NameProbe | None", tried: set[str],
              python: tuple[int, int] = sys.version_info[:2]) -> Repair | None:
    """A repair moving the library the drift is in back, or None when there is nowhere to go."""
    if not failure.library:
        return None
    dist = distribution_of(failure.library).distribution
    current = {canonicalize_name(k): v for k, v in installed.items()}.get(dist or "")
    if dist is None or current is None or dist in tried:
        return None
    older = [r for r in history.releases(dist) if r.version < Version(current) and installable(r, python)]
    if not older:
        return None
    named = _removed_name(failure)
    if named and prober is not None:
        module, name = named
        found = prober.newest_with(dist, older, module, name)
        if found is not None:
            return Repair(dist, f"{dist}=={found}", f"{failure.drift}: {dist} {current} no longer has {module}.{name}; "
                                                    f"{found} is its newest release that does")
    current_release = history.release(dist, current)
    cutoff = min(as_of or dt.date.today(), current_release.date if current_release else dt.date.today())
    cutoff -= dt.timedelta(days=365)
    candidates = [r for r in older if r.date <= cutoff]
    if candidates:
        target, why = max(candidates, key=lambda r: r.version), "its release of a year before"
    else:  # nothing that old installs on this Python: the newest release of an older series
        series = Version(current).release[:2]
        earlier = [r for r in older if r.version.release[:2] < series]
        if not earlier:
            return None
        target, why = max(earlier, key=lambda r: r.version), "the newest release of an older series that installs here"
    return Repair(dist, f"{dist}=={target.version}", f"{failure.drift}: moving {dist} alone from {current} to "
                                                     f"{target.version}, {why}")


def installable(release, python: tuple[int, int] = sys.version_info[:2]) -> bool:
    """Not known to lack a wheel for the environment's Python (sdist-only releases of pure packages pass)."""
    return release.has_wheel_for(python) is not False or not release.wheels


def apply(lines: list[str], repair: Repair) -> list[str]:
    """``lines`` with the repaired distribution's line replaced (or added)."""
    kept = [line for line in lines if _name(line) != repair.distribution]
    return [*kept, repair.line]


class NameProbe:
    """Looks into a library's releases (installed with uv into a scratch folder, no dependencies) for
    a module-level name."""

    def __init__(self, uv: str, python: str, index: IndexSettings, cache: Path):
        self.uv, self.python, self.index, self.cache = uv, python, index, cache / "probes"

    def newest_with(self, dist: str, older: list, module: str, name: str) -> Version | None:
        """The newest release in ``older`` (one per minor series, newest first) whose ``module``
        defines or imports ``name``."""
        series: dict[tuple, object] = {}
        for release in sorted(older, key=lambda r: r.version, reverse=True):
            series.setdefault(release.version.release[:2], release)
        for release in list(series.values())[:PROBES]:
            has = self.has_name(dist, str(release.version), module, name)
            if has:
                return release.version
            if has is None:
                return None  # not installable here: older releases will not be either
        return None

    def has_name(self, dist: str, version: str, module: str, name: str) -> bool | None:
        folder = self.cache / f"{dist}-{version}"
        if not folder.exists():
            scratch = Path(tempfile.mkdtemp(prefix="probe-", dir=self.cache.parent if self.cache.parent.exists()
                                            else None))
            cmd = [self.uv, "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:", "--target",
                   str(scratch), "--python", self.python, f"{dist}=={version}",
                   *self.index.installer_args("--allow-insecure-host")]
            env = process_environment()
            env.pop("PYTHONPATH", None)
            if subprocess.run(cmd, capture_output=True, text=True, env=env).returncode != 0:
                shutil.rmtree(scratch, ignore_errors=True)
                return None
            self.cache.mkdir(parents=True, exist_ok=True)
            shutil.move(str(scratch), folder)
        base = folder.joinpath(*module.split("."))
        for path in (base / "__init__.py", base.with_suffix(".py")):
            if path.is_file():
                return re.search(rf"\b{re.escape(name)}\b", path.read_text(errors="replace")) is not None
        return False


def _removed_name(failure) -> tuple[str, str] | None:
    match = CANNOT_IMPORT.search(failure.evalue)
    if match:
        return match.group(2), match.group(1)
    match = MODULE_ATTRIBUTE.search(failure.evalue)
    if match and failure.ename == "AttributeError":
        return match.group(1), match.group(2)
    return None


def _name(line: str) -> str | None:
    try:
        return canonicalize_name(Requirement(line).name)
    except InvalidRequirement:
        return None
