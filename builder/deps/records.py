"""The records the dependency stage hands back: what to install, and what to tell the user."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Requirement kinds, highest priority first: a lower kind never changes a higher kind's line.
KINDS = ("declared", "magic", "import")


@dataclass(frozen=True)
class Requirement:
    """One distribution to install, with the line the installer gets and where it came from.

    ``name`` is the canonical distribution name (``packaging.utils.canonicalize_name``); for a bare
    URL whose distribution cannot be told from the URL itself it is the URL.
    """

    name: str
    line: str
    source: str
    kind: str

    def to_json(self) -> dict:
        return {"name": self.name, "line": self.line, "source": self.source, "kind": self.kind}


@dataclass(frozen=True)
class Finding:
    """Something reported to the user and not installed."""

    name: str
    source: str
    reason: str

    def to_json(self) -> dict:
        return {"name": self.name, "source": self.source, "reason": self.reason}


@dataclass
class Found:
    """What one source yielded, in the order found: requirements and notes."""

    requirements: list[Requirement] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)

    def add(self, other: Found) -> Found:
        """Append ``other``'s requirements and notes to this one's; return this one."""
        self.requirements.extend(other.requirements)
        self.notes.extend(other.notes)
        return self

    def note(self, name: str, source: str, reason: str) -> None:
        """Record a finding."""
        self.notes.append(Finding(name, source, reason))


@dataclass
class DependencyPlan:
    """The notebook's dependencies, merged: one requirement per distribution, plus the report.

    ``also_found`` maps a requirement's name to the other sources that asked for the same
    distribution (lower-priority ones included), for the summary.
    """

    requirements: list[Requirement]
    unknown_imports: list[Finding]
    notes: list[Finding]
    local_modules: list[str]
    also_found: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The requirement lines for the installer, in plan order."""
        return [r.line for r in self.requirements]

    def to_json(self) -> dict:
        """A JSON-able dict; each requirement also lists ``also_found`` sources."""
        return {
            "requirements": [{**r.to_json(), "also_found": list(self.also_found.get(r.name, []))}
                             for r in self.requirements],
            "unknown_imports": [f.to_json() for f in self.unknown_imports],
            "notes": [f.to_json() for f in self.notes],
            "local_modules": list(self.local_modules),
        }
