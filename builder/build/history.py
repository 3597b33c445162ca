"""What the repo's git history says: the commit being built, and when each notebook last changed.

The ``git`` command is used when it is installed; otherwise dulwich (pure Python) reads ``.git``
directly, so the S2I builder image needs no git (and its 180 MB of dependencies). S2I usually
gives the build no ``.git`` at all; ``evidence.py`` dates the notebook then.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path


def head_commit(repo: Path) -> dict | None:
    """``{"commit": sha, "dirty": bool | None}`` when ``repo`` is in a git checkout, else None."""
    if shutil.which("git"):
        head = _git(repo, "rev-parse", "HEAD")
        if head is None:
            return None
        status = _git(repo, "status", "--porcelain", "--", ".")
        return {"commit": head.strip(), "dirty": bool(status.strip()) if status is not None else None}
    found = _dulwich(repo)
    if found is None:
        return None
    git_repo, _ = found
    try:
        return {"commit": git_repo.head().decode(), "dirty": None}
    except KeyError:  # no commit yet
        return None


def last_change(repo: Path, paths: list[Path]) -> tuple[dt.date, str, str] | None:
    """The newest last-commit date among ``paths``: (UTC date, commit, file name), or None."""
    newest = None
    for path in paths:
        found = _last_commit(repo, path)
        if found is not None and (newest is None or found[0] > newest[0]):
            newest = (*found, path.name)
    return newest


def _last_commit(repo: Path, path: Path) -> tuple[dt.date, str] | None:
    if shutil.which("git"):
        out = _git(repo, "log", "-1", "--format=%H %ct", "--", str(path))
        if not out or not out.strip():
            return None
        sha, stamp = out.split()
        return _utc_date(int(stamp)), sha
    found = _dulwich(repo)
    if found is None:
        return None
    git_repo, top = found
    try:
        rel = Path(path).resolve().relative_to(top).as_posix().encode()
        for entry in git_repo.get_walker(paths=[rel], max_entries=1):
            return _utc_date(entry.commit.commit_time), entry.commit.id.decode()
    except (KeyError, ValueError, OSError):
        return None
    return None


def _utc_date(timestamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc).date()


def _git(repo: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def _dulwich(repo: Path):
    try:
        from dulwich.errors import NotGitRepository
        from dulwich.repo import Repo
    except ImportError:
        return None
    try:
        git_repo = Repo.discover(str(repo))
    except NotGitRepository:
        return None
    return git_repo, Path(git_repo.path).resolve()
