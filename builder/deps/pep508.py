"""One requirement string in, one ``Requirement`` (or a note saying why not) out.

Shared by every source that names distributions: requirements files, Pipfiles, environment.yml,
pyproject.toml and ``%pip install`` lines. URLs are kept as written; local paths are left out with
a note; the deprecated ``sklearn`` name becomes ``scikit-learn``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508
from packaging.utils import canonicalize_name

from ..errors import DependencyError
from .records import Found, Requirement

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*\+)?[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_ARCHIVES = (".whl", ".tar.gz", ".tar.bz2", ".tgz", ".zip")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")

#: Deprecated distribution names and what replaced them; their own versions mean nothing.
RENAMED = {"sklearn": "scikit-learn"}


def is_url(text: str) -> bool:
    """True for ``https://...``, ``git+https://...`` and other scheme-qualified URLs."""
    return bool(_URL.match(text))


def looks_like_local_path(text: str) -> bool:
    """True for ``.``, ``./pkg``, ``../x``, ``/abs/path``, ``~/x``, ``dir/x`` or a local archive."""
    if is_url(text) or "@" in text:
        return False
    return (text.startswith((".", "/", "~")) or "/" in text or "\\" in text
            or text.lower().endswith(_ARCHIVES))


def name_from_url(url: str) -> str | None:
    """The distribution named by a URL's ``#egg=`` fragment or its wheel/sdist file name, if any."""
    egg = _EGG.search(url)
    if egg:
        return canonicalize_name(egg.group(1))
    filename = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    if filename.endswith(".whl"):
        return canonicalize_name(filename.split("-", 1)[0])
    for ext in _ARCHIVES[1:]:
        if filename.endswith(ext) and "-" in filename:
            return canonicalize_name(filename[: -len(ext)].rsplit("-", 1)[0])
    return None


def parse_requirement(text: str, *, source: str, kind: str, where: str) -> Found:
    """Turn one requirement string into at most one ``Requirement``, plus notes.

    ``source`` is recorded on the result; ``where`` locates the text in error messages
    (``requirements.txt:3``). Raises ``DependencyError`` when the text is not a requirement.
    """
    found = Found()
    text = text.strip()
    if is_url(text):
        if text.lower().startswith("file:"):
            found.note(text, source, "local file URL; nb2service installs nothing from the build machine's disk")
            return found
        name = name_from_url(text)
        if name is None:
            found.note(text, source, "cannot tell which distribution this URL holds; "
                                     "write it as 'NAME @ URL' so it can be merged with other sources")
        found.requirements.append(Requirement(name or text, text, source, kind))
        return found
    if looks_like_local_path(text):
        found.note(text, source, "local path; nb2service does not install local paths "
                                 "(import the code from the repository instead)")
        return found
    try:
        req = Pep508(text)
    except InvalidRequirement as err:
        name = _leading_name(text)
        if name is None:
            raise DependencyError(f"{where}: {text!r} is not a valid requirement ({err})",
                                  hint="write it as NAME, NAME==VERSION, NAME>=VERSION or NAME @ URL") from None
        req = Pep508(name)
        found.note(name, source, f"malformed pin {text!r} at {where} ({err}); installing {name} without it "
                                 "(resolved as of the notebook's date when one is known)")
    if req.url and req.url.lower().startswith("file:"):
        found.note(req.name, source, f"local file URL {req.url!r} dropped (pip freeze in a conda "
                                     "environment writes these); installing it by name, unpinned")
        req.url = None
    name = canonicalize_name(req.name)
    if name in RENAMED:
        new = RENAMED[name]
        dropped = (f"; its version specifier '{req.specifier}' was dropped (the {req.name} package's "
                   f"versions are not {new}'s)") if req.specifier else ""
        found.note(req.name, source, f"renamed: '{req.name}' is the deprecated name of {new}{dropped}")
        req.name, name = new, new
        req.specifier = type(req.specifier)("")
        req.url = None
    found.requirements.append(Requirement(name, str(req), source, kind))
    return found


def _leading_name(text: str) -> str | None:
    """The distribution name a malformed pin starts with (``numpy`` in ``numpy==1.26.``), if any."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]|[A-Za-z0-9])\s*(?:[=<>!~;\[]|$)", text)
    if match is None:
        return None
    try:
        return Pep508(match.group(1)).name
    except InvalidRequirement:
        return None
