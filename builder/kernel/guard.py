"""Keeps a notebook from writing outside its repository while nb2service runs it.

An audit hook (PEP 578) refuses, with a PermissionError the notebook's cell reports, any write,
delete, rename or mkdir from Python code outside the allowed folders: the repository, the
temporary folder, the artifact being built, and hidden folders in the home directory where
libraries keep caches (``~/.cache``, ``~/.config``, ``~/.ipython``...). Shell lines (``!cmd``) and
native code are not covered: the S2I image's unprivileged user is the guard there.
"""

from __future__ import annotations

import os
import sys

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
PATH_EVENTS = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "shutil.rmtree": 1, "os.rename": 2, "os.truncate": 1,
               "os.chmod": 1, "os.symlink": 2, "os.link": 2}


def install(allowed: list[str]) -> None:
    """Refuse writes outside ``allowed`` (and the home directory's hidden folders) from now on."""
    roots = tuple(os.path.realpath(p) for p in allowed)
    home = os.path.realpath(os.path.expanduser("~"))

    def permitted(path) -> bool:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, (str, os.PathLike)):
            return True  # a file descriptor: it was opened (and checked) already
        real = os.path.realpath(os.fspath(path))
        if any(real == root or real.startswith(root + os.sep) for root in roots):
            return True
        rel = os.path.relpath(real, home)
        return not rel.startswith("..") and rel.startswith(".")

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            writing = ("w" in mode or "a" in mode or "x" in mode or "+" in mode) if isinstance(mode, str) \
                else bool(flags & WRITE_FLAGS)
            if writing and path is not None and not permitted(path):
                raise PermissionError(f"nb2service: the notebook may not write outside its repository: {path}")
        elif event in PATH_EVENTS:
            for path in args[:PATH_EVENTS[event]]:
                if not permitted(path):
                    raise PermissionError(f"nb2service: the notebook may not change files outside its repository "
                                          f"({event} {path})")

    sys.addaudithook(hook)
