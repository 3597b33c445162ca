"""When was the notebook written? Every clue the source keeps, turned into a window of dates.

S2I never gives the build a ``.git`` (source-to-image leaves it out), so the last commit's date is
often unknown. What survives in the source:

- ``NB2SERVICE_AS_OF`` in ``.s2i/environment`` (s2i exports that file's variables to assemble; a
  local ``nb2service build`` of the same repo reads the file too);
- the notebook's ``metadata.language_info.version``: the Python it last ran on, which had been
  released (3.Y.Z's date) and was still supported by numpy, pandas and scikit-learn;
- its saved outputs: ``pythonX.Y/site-packages/`` paths in warnings and tracebacks, printed
  ``__version__`` values and ``name: 1.2.3`` lines, pip's output (``Requirement already satisfied:
  pandas in ... (1.3.5)``, ``Successfully installed ...``, wheel tags), and warning texts only some
  releases print (pandas 1.5's ``numeric_only`` deprecation...);
- exact pins in the repo's requirement files (and lower bounds: ``pandas>=1.4`` means after 1.4.0).

A library version seen means a date after its release and (likely) before the next minor series;
the windows are intersected, and the build resolves as of the git date pulled into the window
when there is one, else a typical lag (three months) after the window's earliest date. File modification times are not evidence: S2I's
copy (and a git clone) resets them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..deps.mapping import resolve as distribution_of
from .releases import ReleaseHistory

#: CPython's bugfix releases: 3.Y -> the dates of 3.Y.0, 3.Y.1, ... (python.org's release pages).
#: A patch level past the table is dated 40 days per release after the last one known.
PYTHON_RELEASES = {
    (3, 5): "2015-09-13 2015-12-07 2016-06-27 2017-01-17 2017-08-08 2018-02-05 2018-08-02 2019-03-18 2019-11-02 "
            "2020-09-05",
    (3, 6): "2016-12-23 2017-03-21 2017-07-17 2017-10-03 2017-12-19 2018-03-28 2018-06-27 2018-10-20 2018-12-24 "
            "2019-07-02 2019-12-18 2020-06-27 2020-08-15 2020-10-04 2021-06-28 2021-09-04",
    (3, 7): "2018-06-27 2018-10-20 2018-12-24 2019-03-25 2019-07-08 2019-10-15 2019-12-18 2020-03-10 2020-06-27 "
            "2020-08-17 2021-02-15 2021-06-28 2021-09-04 2022-03-16 2022-09-06 2022-10-11 2022-12-06 2023-06-06",
    (3, 8): "2019-10-14 2019-12-18 2020-02-24 2020-05-13 2020-07-13 2020-07-20 2020-09-24 2020-12-21 2021-02-19 "
            "2021-04-02 2021-05-03 2021-06-28 2021-08-30 2022-03-16 2022-09-06 2022-10-11 2022-12-06 2023-06-06 "
            "2023-08-24 2024-03-19 2024-09-06",
    (3, 9): "2020-10-05 2020-12-07 2021-02-19 2021-04-02 2021-04-04 2021-05-03 2021-06-28 2021-08-30 2021-11-05 "
            "2021-11-15 2022-01-14 2022-03-16 2022-03-23 2022-05-17 2022-09-06 2022-10-11 2022-12-06 2023-06-06 "
            "2023-08-24 2024-03-19 2024-09-06 2024-12-03 2025-04-08 2025-06-03",
    (3, 10): "2021-10-04 2021-12-06 2022-01-14 2022-03-16 2022-03-24 2022-06-06 2022-08-02 2022-09-06 2022-10-11 "
             "2022-12-06 2023-02-08 2023-04-05 2023-06-06 2023-08-24 2024-03-19 2024-09-07 2024-12-03 2025-04-08 "
             "2025-06-03",
    (3, 11): "2022-10-24 2022-12-06 2023-02-08 2023-04-05 2023-06-06 2023-08-24 2023-10-02 2023-12-04 2024-02-06 "
             "2024-04-02 2024-09-07 2024-12-03 2025-04-08 2025-06-03",
    (3, 12): "2023-10-02 2023-12-08 2024-02-06 2024-04-09 2024-06-06 2024-08-06 2024-09-06 2024-10-01 2024-12-03 "
             "2025-02-04 2025-04-08 2025-06-03",
    (3, 13): "2024-10-07 2024-12-03 2025-02-04 2025-04-08 2025-06-03 2025-06-11",
    (3, 14): "2025-10-07",
}
#: The first release of numpy, pandas or scikit-learn that no longer supported Python 3.Y (numpy
#: 1.22 for 3.7, numpy 1.25 for 3.8, numpy 2.1 for 3.9, numpy 2.3 for 3.10); later Pythons are
#: looked up in the index's ``requires-python``.
STACK_DROPPED = {
    (3, 5): dt.date(2020, 1, 29), (3, 6): dt.date(2020, 12, 26), (3, 7): dt.date(2021, 12, 31),
    (3, 8): dt.date(2023, 6, 17), (3, 9): dt.date(2024, 8, 18), (3, 10): dt.date(2025, 6, 7),
}
DROP_WATCH = ("numpy", "pandas", "scikit-learn")
#: pip lines name every package installed; only these are looked up (one index request each).
WATCHED = frozenset({"numpy", "scipy", "pandas", "scikit-learn", "matplotlib", "seaborn", "statsmodels", "xgboost",
                     "lightgbm", "catboost", "imbalanced-learn", "tensorflow", "torch", "keras", "plotly", "shap",
                     "ipykernel", "ipython", "pyarrow", "joblib"})
DAYS_PER_BUGFIX = 40  # past the table: a lower bound, bugfix releases came every one to three months
#: Within a window, the build resolves as of this long after its earliest date: the corpus' notebooks
#: were last run a median of three months after the Python (or library) release they record.
TYPICAL_LAG = dt.timedelta(days=90)

#: Warning texts that only some releases print: (pattern, distribution, versions that print it).
WARNINGS = (
    (r"The default value of numeric_only in DataFrame", "pandas", ">=1.5,<2.0"),
    (r"iteritems is deprecated and will be removed", "pandas", ">=1.5,<2.0"),
    (r"The frame\.append method is deprecated", "pandas", ">=1.4,<2.0"),
    (r"is_categorical_dtype is deprecated", "pandas", ">=2.1,<3.0"),
    (r"`np\.(?:bool|int|float|object)` is a deprecated alias", "numpy", ">=1.20,<1.24"),
    (r"The default value of `n_init` will change from 10 to 'auto' in 1\.4", "scikit-learn", ">=1.2,<1.4"),
    (r"`sparse` was renamed to `sparse_output`", "scikit-learn", ">=1.2,<1.4"),
    (r"Function plot_(?:roc_curve|confusion_matrix|precision_recall_curve) is deprecated", "scikit-learn", ">=1.0,<1.2"),
    (r"`max_features='auto'` has been deprecated in 1\.1", "scikit-learn", ">=1.1,<1.3"),
    (r"The seaborn styles shipped by Matplotlib are deprecated", "matplotlib", ">=3.6,<3.8"),
    (r"`distplot` is a deprecated function", "seaborn", ">=0.11,<0.14"),
)
PYTHON_PATH = re.compile(r"python(3)\.(\d{1,2})/(?:site|dist)-packages\b")
PIP_SATISFIED = re.compile(r"Requirement already satisfied: ([A-Za-z0-9._-]+)(?:\[[^\]]*\])?[^\n]* \((\d[^)\s]*)\)")
PIP_INSTALLED = re.compile(r"Successfully installed ([^\n]+)")
PIP_WHEEL = re.compile(r"([A-Za-z0-9_.]+)-(\d[A-Za-z0-9.+!]*)-(?:cp(3)(\d{1,2})|py3)[-.]")
PRINTED = re.compile(r"\b(numpy|pandas|scikit-learn|sklearn|scipy|matplotlib|seaborn|xgboost|lightgbm|catboost|"
                     r"statsmodels|tensorflow|torch|keras|plotly|imblearn)\b[ \t]*(?:version|\.__version__)?[ \t]*"
                     r"[:=]?[ \t]*v?['\"]?(\d+\.\d+\.\d+)\b")
VERSION_ATTR = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\.__version__")
VERSION_TEXT = re.compile(r"(?<![\w.])(\d+\.\d+(?:\.\d+)?)(?![\w.])")
IMPORT_AS = re.compile(r"^\s*import\s+([A-Za-z_][\w.]*)(?:\s+as\s+(\w+))?", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Clue:
    """One piece of evidence and the dates it allows (either end may be open)."""

    what: str  # "pandas 1.3.4 printed", "Python 3.8.10 (metadata.language_info)"
    where: str  # "train.ipynb In [3]", "requirements.txt"
    earliest: dt.date | None = None
    latest: dt.date | None = None

    def to_json(self) -> dict:
        return {"what": self.what, "where": self.where,
                "earliest": self.earliest.isoformat() if self.earliest else None,
                "latest": self.latest.isoformat() if self.latest else None}


@dataclass
class Window:
    """The dates every clue allows, and which clues set its ends."""

    clues: list[Clue] = field(default_factory=list)
    earliest: dt.date | None = None
    latest: dt.date | None = None
    set_earliest: Clue | None = None
    set_latest: Clue | None = None
    ignored: list[Clue] = field(default_factory=list)  # upper ends that contradict a later lower end

    def plausible(self, today: dt.date) -> dt.date | None:
        """A typical lag after the earliest date, within the window and not after today; None when
        nothing is known."""
        if self.earliest is None:
            return min(self.latest, today) if self.latest else None
        return max(self.earliest, min(self.earliest + TYPICAL_LAG, self.latest or today, today))

    def clamp(self, day: dt.date) -> dt.date:
        if self.earliest and day < self.earliest:
            return self.earliest
        if self.latest and day > self.latest:
            return self.latest
        return day

    def describe(self) -> str:
        ends = []
        if self.set_earliest:
            ends.append(f"after {self.earliest.isoformat()} ({self.set_earliest.what}, {self.set_earliest.where})")
        if self.set_latest:
            ends.append(f"before {self.latest.isoformat()} ({self.set_latest.what}, {self.set_latest.where})")
        return "; ".join(ends) or "no dates"

    def to_json(self) -> dict:
        return {"earliest": self.earliest.isoformat() if self.earliest else None,
                "latest": self.latest.isoformat() if self.latest else None,
                "clues": [c.to_json() for c in self.clues], "ignored": [c.to_json() for c in self.ignored]}


def window(clues: list[Clue]) -> Window:
    """Intersect the clues' windows; an upper end earlier than the latest lower end is ignored."""
    result = Window(list(clues))
    for clue in clues:
        if clue.earliest and (result.earliest is None or clue.earliest > result.earliest):
            result.earliest, result.set_earliest = clue.earliest, clue
    for clue in clues:
        if clue.latest is None:
            continue
        if result.earliest and clue.latest < result.earliest:
            result.ignored.append(clue)
        elif result.latest is None or clue.latest < result.latest:
            result.latest, result.set_latest = clue.latest, clue
    return result


def s2i_environment(repo: Path) -> dict[str, str]:
    """The variables of ``.s2i/environment`` (``NAME=value`` lines, ``#`` comments)."""
    path = repo / ".s2i" / "environment"
    found = {}
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return found
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            found[name.strip()] = value.strip().strip("'\"")
    return found


def gather(repo: Path, notebooks: list[Path], lines: list[str], history: ReleaseHistory) -> list[Clue]:
    """Every clue in the notebooks (metadata, outputs) and in the exact pins ``lines``."""
    clues: list[Clue] = []
    for path in notebooks:
        try:
            nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        except Exception:  # noqa: BLE001 - parse.py reports unreadable notebooks
            continue
        clues += notebook_clues(nb, _label(path, repo), history)
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        exact = [s.version for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
        if req.url:
            continue
        if exact:
            clue = library_clue(req.name, exact[0], f"{req.name}=={exact[0]} pinned", "the repo's requirements",
                                history)
        elif any(s.operator in (">=", "~=", ">", "==") for s in req.specifier):
            clue = floor_clue(req.name, req.specifier, f"{req.name}{req.specifier} declared", "the repo's requirements",
                              history)
        else:
            clue = None
        if clue:
            clues.append(clue)
    return _unique(clues)


def notebook_clues(nb, label: str, history: ReleaseHistory) -> list[Clue]:
    clues = []
    version = nb.get("metadata", {}).get("language_info", {}).get("version")
    if version:
        clue = python_clue(str(version), f"Python {version} (metadata.language_info.version)", f"{label} metadata",
                           history)
        if clue:
            clues.append(clue)
    aliases = _aliases(nb)
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not cell.get("outputs"):
            continue
        count = cell.get("execution_count")
        where = f"{label} cell {i + 1}" + (f" (In [{count}])" if count else "") + " output"
        text = output_text(cell)
        clues += output_clues(text, where, history)
        clues += printed_attribute_clues(cell.get("source", ""), text, aliases, where, history)
    return clues


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(_text(out.get("text", "")))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])) + f"\n{out.get('ename')}: {out.get('evalue')}")
        else:
            parts.append(_text(out.get("data", {}).get("text/plain", "")))
    return ANSI.sub("", "\n".join(parts))


def output_clues(text: str, where: str, history: ReleaseHistory) -> list[Clue]:
    """Clues in one cell's output text: Python paths, pip lines, printed versions, warning texts."""
    clues = []
    for major, minor in sorted(set(PYTHON_PATH.findall(text))):
        clue = python_clue(f"{major}.{minor}", f"Python {major}.{minor} (a pythonX.Y/site-packages path)", where,
                           history)
        clues += [clue] if clue else []
    seen: list[tuple[str, str, str]] = []
    seen += [(name, version, "pip: already satisfied") for name, version in PIP_SATISFIED.findall(text)]
    for match in PIP_INSTALLED.finditer(text):
        for item in match.group(1).split():
            name, _, version = item.rpartition("-")
            if name and version[:1].isdigit():
                seen.append((name, version, "pip: installed"))
    for name, version, major, minor in PIP_WHEEL.findall(text):
        seen.append((name, version, "pip: downloaded"))
        if major:
            clue = python_clue(f"{major}.{minor}", f"Python {major}.{minor} (a cp{major}{minor} wheel)", where,
                               history)
            clues += [clue] if clue else []
    seen += [(name, version, "printed") for name, version in PRINTED.findall(text)]
    for name, version, how in seen:
        dist = canonicalize_name(name) if how.startswith("pip") else _distribution(name)
        if dist in WATCHED:
            clue = library_clue(dist, version, f"{dist} {version} ({how})", where, history)
            clues += [clue] if clue else []
    for pattern, dist, versions in WARNINGS:
        if re.search(pattern, text):
            clue = versions_clue(dist, versions, f"a warning only {dist}{versions} prints", where, history)
            clues += [clue] if clue else []
    return clues


def printed_attribute_clues(source, text: str, aliases: dict[str, str], where: str,
                            history: ReleaseHistory) -> list[Clue]:
    """``pd.__version__`` in a cell whose output shows as many version numbers, in order."""
    source = _text(source)
    names = VERSION_ATTR.findall(source)
    versions = VERSION_TEXT.findall(text)
    if not names or len(names) != len(versions):
        return []
    clues = []
    for name, version in zip(names, versions):
        dist = _distribution(aliases.get(name, name))
        if dist:
            clue = library_clue(dist, version, f"{dist} {version} ({name}.__version__)", where, history)
            clues += [clue] if clue else []
    return clues


def python_clue(version: str, what: str, where: str, history: ReleaseHistory) -> Clue | None:
    """Python 3.Y.Z: after 3.Y.Z's release, before the stack dropped 3.Y."""
    try:
        parts = Version(version).release
    except InvalidVersion:
        return None
    key = tuple(parts[:2])
    if key not in PYTHON_RELEASES:
        return None
    known = [dt.date.fromisoformat(day) for day in PYTHON_RELEASES[key].split()]
    released = known[0]
    patch = parts[2] if len(parts) > 2 else 0
    earliest = known[patch] if patch < len(known) else \
        known[-1] + dt.timedelta(days=DAYS_PER_BUGFIX * (patch - len(known) + 1))
    dropped = STACK_DROPPED.get(key) or _stack_dropped(key, released, history)
    return Clue(what, where, earliest, dropped - dt.timedelta(days=1) if dropped else None)


def library_clue(name: str | None, version: str, what: str, where: str, history: ReleaseHistory) -> Clue | None:
    """A release seen: on or after its upload, before the next minor series."""
    if not name:
        return None
    release = history.release(name, version)
    if release is None:
        return None
    following = history.next_minor(name, version)
    return Clue(what, where, release.date, following.date - dt.timedelta(days=1) if following else None)


def versions_clue(name: str, versions: str, what: str, where: str, history: ReleaseHistory) -> Clue | None:
    spec = SpecifierSet(versions)
    releases = history.releases(name)
    inside = [r for r in releases if spec.contains(r.version)]
    if not inside:
        return None
    newest = max(r.version for r in inside)
    after = [r.date for r in releases if r.version > newest]
    return Clue(what, where, min(r.date for r in inside), min(after) - dt.timedelta(days=1) if after else None)


def floor_clue(name: str, spec: SpecifierSet, what: str, where: str, history: ReleaseHistory) -> Clue | None:
    """A lower bound (``pandas>=1.4``): not before the first release it allows."""
    allowed = [r.date for r in history.releases(name) if spec.contains(r.version)]
    return Clue(what, where, min(allowed), None) if allowed else None


def _stack_dropped(python: tuple[int, int], released: dt.date, history: ReleaseHistory) -> dt.date | None:
    dates = []
    later = (python[0], python[1] + 3)
    for name in DROP_WATCH:
        for release in sorted(history.releases(name), key=lambda r: r.date):
            if release.date > released and release.supports(python) is False and release.supports(later):
                dates.append(release.date)
                break
    return min(dates) if dates else None


def _aliases(nb) -> dict[str, str]:
    aliases = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            for module, alias in IMPORT_AS.findall(_text(cell.get("source", ""))):
                aliases[alias or module.split(".")[0]] = module.split(".")[0]
    return aliases


def _distribution(name: str) -> str | None:
    if canonicalize_name(name) == "scikit-learn":
        return "scikit-learn"
    return distribution_of(name.replace("-", "_")).distribution or None


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _label(path: Path, repo: Path) -> str:
    try:
        return str(path.relative_to(repo))
    except ValueError:
        return path.name


def _unique(clues: list[Clue]) -> list[Clue]:
    """One clue per (what, window): the first place it was seen."""
    seen, out = set(), []
    for clue in clues:
        key = (clue.what, clue.earliest, clue.latest)
        if key not in seen:
            seen.add(key)
            out.append(clue)
    return out
