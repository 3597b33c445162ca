"""Stage 3a: decide which versions to install: as of when the notebook was written, with broken
pins repaired.

A notebook written in early 2023 ran with the pandas and scikit-learn of early 2023; today's
releases have removed or changed what it calls. So when the repo does not pin every dependency,
nb2service resolves them as of a date (uv's ``--exclude-newer``):

- ``--as-of DATE|latest`` (env ``NB2SERVICE_AS_OF``, also read from ``.s2i/environment``) when given;
- else, when every requirement is pinned exactly, no date is needed (latest of nothing);
- else the date of the last git commit that touched the notebook(s), pulled into the window of dates
  the notebook's own evidence allows (``evidence.py``: its Python, versions in its outputs, pins);
- else, without git (S2I), a typical lag after that window's earliest date (``Window.plausible``);
- else today's releases.

Compiled packages (numpy, scipy, pandas, scikit-learn...) are taken as wheels only; when no stack
with wheels for this Python existed at the date, the date moves forward to the first one that has
them, and the summary says so. A pin to a version that was never released (or has no wheel for
this Python) is reported and replaced by the date-aware resolution of that package. The result is
a list of exact pins for the direct requirements and the scientific stack (as of a date; for today's
releases the repaired requirement lines themselves, so satisfied installed versions stay); the rest
resolves freely alongside nb2service's runtime.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..config import IndexSettings, process_environment
from ..errors import DependencyError, UsageError
from .evidence import gather, s2i_environment, window
from .history import last_change
from .releases import ReleaseHistory

#: Packages with compiled code whose old releases would be built from source without wheels, and
#: whose versions decide whether old notebook code runs: always pinned from the dated resolution.
STACK = frozenset({
    "numpy", "scipy", "pandas", "scikit-learn", "matplotlib", "seaborn", "statsmodels", "xgboost", "lightgbm",
    "catboost", "imbalanced-learn", "joblib", "threadpoolctl", "pyarrow", "contourpy", "kiwisolver", "pillow",
    # the kernel: old matplotlib imports IPython internals that later IPython releases removed;
    # comm carries Jupyter widgets (ipywidgets) between the kernel and the front end
    "ipykernel", "ipython", "matplotlib-inline", "comm",
    # libraries of 2020 import pkg_resources, which today's setuptools no longer has
    "setuptools",
})
#: Resolved with the notebook's own requirements, so their versions fit the notebook's date.
KERNEL = "ipykernel"
DATED = (KERNEL, "setuptools")
MAX_REPAIRS = 8
NO_VERSION = re.compile(r"(?:no version of|no versions of|there is no version of)\s+([A-Za-z0-9._-]+)\s*([<>=!~][^\s,]*)?",
                        re.IGNORECASE)
NO_WHEELS = re.compile(r"([A-Za-z0-9._-]+)==([^\s]+) has no (?:usable )?wheels", re.IGNORECASE)
UNSATISFIABLE = re.compile(r"you require ([A-Za-z0-9._-]+)([<>=!~][^\s,]*)", re.IGNORECASE)


@dataclass(frozen=True)
class AsOf:
    date: dt.date | None
    reason: str
    evidence: dict | None = None  # evidence.Window.to_json(): the clues and the window they allow


@dataclass
class Resolution:
    """What to install, and every change made to what the repo declared."""

    lines: list[str]
    as_of: AsOf
    changes: list[dict] = field(default_factory=list)
    moved_forward_from: str | None = None

    def to_json(self) -> dict:
        return {"as_of": self.as_of.date.isoformat() if self.as_of.date else "latest",
                "as_of_reason": self.as_of.reason, "evidence": self.as_of.evidence,
                "moved_forward_from": self.moved_forward_from,
                "installed": self.lines, "changes": self.changes}

    @classmethod
    def from_json(cls, data: dict) -> "Resolution":
        date = None if data["as_of"] == "latest" else dt.date.fromisoformat(data["as_of"])
        return cls(data["installed"], AsOf(date, data["as_of_reason"], data.get("evidence")), data["changes"],
                   data["moved_forward_from"])


def parse_as_of(text: str | None) -> dt.date | str | None:
    """``latest``, an ISO date, or None (decide from the repo); anything else is a usage error."""
    if text is None or text == "latest":
        return text
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"as-of {text!r} is neither a date (YYYY-MM-DD) nor 'latest'",
                         hint="e.g. --as-of 2023-01-15 or NB2SERVICE_AS_OF=latest") from None


def choose_as_of(setting: dt.date | str | None, repo: Path, notebooks: list[Path], lines: list[str],
                 history: ReleaseHistory | None = None, today: dt.date | None = None) -> AsOf:
    """The date to resolve as of, and why (see the module's docstring for the order)."""
    from_file = s2i_environment(repo).get("NB2SERVICE_AS_OF")
    origin = "--as-of / NB2SERVICE_AS_OF"
    if setting is None and from_file:
        setting, origin = parse_as_of(from_file), "NB2SERVICE_AS_OF in .s2i/environment"
    elif from_file and str(setting) == from_file:
        origin = "NB2SERVICE_AS_OF (.s2i/environment)"
    if setting == "latest":
        return AsOf(None, f"{origin} latest: today's releases")
    if isinstance(setting, dt.date):
        return AsOf(setting, origin)
    if lines and all(_exactly_pinned(line) for line in lines):
        return AsOf(None, "every dependency is pinned exactly")
    today = today or dt.date.today()
    found = window(gather(repo, notebooks, lines, history or ReleaseHistory()))
    evidence = found.to_json()
    committed = notebook_commit_date(repo, notebooks)
    if committed is not None:
        date, sha, name = committed
        reason = f"the last git commit that touched {name} ({sha[:10]}, {date.isoformat()})"
        inside = found.clamp(date)
        if inside != date:
            reason += f", pulled into the dates the notebook's own evidence allows: {found.describe()}"
        return AsOf(inside, reason, evidence)
    plausible = found.plausible(today)
    if plausible is not None:
        return AsOf(plausible, f"no git history; dated from the notebook's own evidence: {found.describe()}",
                    evidence)
    return AsOf(None, "no git history and nothing in the notebook dates it (no --as-of): today's releases",
                evidence)


def notebook_commit_date(repo: Path, notebooks: list[Path]) -> tuple[dt.date, str, str] | None:
    """The newest last-commit date among ``notebooks``: (date, commit, notebook name)."""
    return last_change(repo, notebooks)


def resolve(lines: list[str], as_of: AsOf, uv: str, python: str, index: IndexSettings, log=print) -> Resolution:
    """Compile ``lines`` as of ``as_of`` (repairing broken pins, moving the date forward when no
    wheels existed) and return the exact pins to install."""
    current = list(lines)
    changes: list[dict] = []
    date = as_of.date
    moved_from = None
    today = dt.date.today()
    for _ in range(200):
        ok, output = _compile([*current, *DATED], date, uv, python, index)
        if ok:
            # As of a date, the stack is pinned; for today's releases the (repaired) lines go to the
            # installer as they are, so versions already installed that satisfy them are kept
            # (the builder image's preinstalled numpy, pandas, scikit-learn...).
            install = _install_lines(current, _pins(output)) if date is not None else current
            resolution = Resolution(install, as_of, changes, moved_from)
            if moved_from:
                resolution.as_of = AsOf(date, f"{as_of.reason}; moved forward from {moved_from}: no wheels "
                                              f"for this Python before {date.isoformat()}")
            return resolution
        culprit = _broken_pin(output, current)
        if culprit is not None and len(changes) < MAX_REPAIRS:
            index_of, name, why = culprit
            changes.append({"requirement": current[index_of], "now": name, "why": why})
            log(f"    WARNING: {current[index_of]}: {why}; resolving {name} "
                f"{'as of ' + date.isoformat() if date else 'at its latest release'} instead")
            current[index_of] = name
            continue
        if date is not None and date < today and moved_from is None:
            moved_from = date.isoformat()
            date = _first_resolvable_date([*current, *DATED], date, today, uv, python, index)
            continue
        tail = "\n    ".join(output.strip().splitlines()[-20:])
        raise DependencyError(f"the notebook's dependencies cannot be resolved:\n    {tail}",
                              hint="fix the pin the resolver names (requirements.txt, %pip lines), or try --as-of latest")
    raise DependencyError("the notebook's dependencies cannot be resolved (gave up after 200 attempts)")


def _first_resolvable_date(lines: list[str], failing: dt.date, today: dt.date, uv: str, python: str,
                           index: IndexSettings) -> dt.date:
    """The earliest date after ``failing`` at which ``lines`` resolve (to the day, by bisection;
    resolvability only grows with time as wheels are published)."""
    lo, hi = failing, today
    while (hi - lo).days > 1:
        mid = lo + (hi - lo) / 2
        if _compile(lines, mid, uv, python, index)[0]:
            hi = mid
        else:
            lo = mid
    return hi


def _compile(lines: list[str], date: dt.date | None, uv: str, python: str, index: IndexSettings) -> tuple[bool, str]:
    if not lines:
        return True, ""
    cmd = [uv, "pip", "compile", "-", "--python", python, "--no-header", "--no-annotate", "--quiet"]
    for name in sorted(STACK):
        cmd += ["--only-binary", name]
    if date is not None:
        cmd += ["--exclude-newer", end_of(date)]
        # an exact pin is the repo's own claim: honoured even when released after the date
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        for line in lines:
            if _exactly_pinned(line) and not Requirement(line).url:
                cmd += ["--exclude-newer-package", f"{canonicalize_name(Requirement(line).name)}={tomorrow}"]
    cmd += index.installer_args("--allow-insecure-host")
    env = process_environment()
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True, text=True, env=env)
    return proc.returncode == 0, proc.stdout if proc.returncode == 0 else proc.stderr + proc.stdout


def end_of(date: dt.date) -> str:
    """The end of ``date`` (UTC) as uv's ``--exclude-newer`` wants it: a bare date means the end of
    the *following* day to uv, which let a release of the next day in (pandas 2.0.0 into "before
    2023-04-03")."""
    return f"{(date + dt.timedelta(days=1)).isoformat()}T00:00:00Z"


def _pins(output: str) -> dict[str, str]:
    pins = {}
    for line in output.splitlines():
        line = line.strip()
        if "==" in line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name.split("[")[0])] = version.split(";")[0].strip()
    return pins


def _install_lines(lines: list[str], pins: dict[str, str]) -> list[str]:
    """Exact pins for the direct requirements and the stack; URL requirements as given."""
    direct = set()
    out = []
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            out.append(line)
            continue
        name = canonicalize_name(req.name)
        direct.add(name)
        if req.url or name not in pins:
            out.append(line)
        else:
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            marker = f"; {req.marker}" if req.marker else ""
            out.append(f"{name}{extras}=={pins[name]}{marker}")
    out += [f"{name}=={version}" for name, version in sorted(pins.items()) if name in STACK and name not in direct]
    return out


def _broken_pin(output: str, lines: list[str]) -> tuple[int, str, str] | None:
    """Find the declared pin the resolver refused: (its index, its bare name, why)."""
    candidates = [(m.group(1), "was never released, or has no wheel for this Python") for m in NO_VERSION.finditer(output)]
    candidates += [(m.group(1), "has no wheel for this Python") for m in NO_WHEELS.finditer(output)]
    candidates += [(m.group(1), "conflicts with the other requirements") for m in UNSATISFIABLE.finditer(output)]
    for name, why in candidates:
        wanted = canonicalize_name(name)
        for i, line in enumerate(lines):
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if canonicalize_name(req.name) == wanted and (req.specifier or req.url):
                return i, canonicalize_name(req.name), why
    return None


def _exactly_pinned(line: str) -> bool:
    try:
        req = Requirement(line)
    except InvalidRequirement:
        return False
    return bool(req.url) or any(spec.operator in ("==", "===") and "*" not in spec.version for spec in req.specifier)
