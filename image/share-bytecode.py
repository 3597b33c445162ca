"""Store the bytecode of packages installed in two virtual environments once.

uv hard-links the package files that /opt/nb2service and /opt/app-root share, but each
environment compiles its own ``.pyc`` (they differ only in the source path recorded inside,
which Python corrects when it loads them). Where both environments hold the same source file
(the same inode), the tool's ``.pyc`` becomes a hard link to the app's.

    python3 share-bytecode.py /opt/nb2service /opt/app-root
"""

import os
import sys
from pathlib import Path


def site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python3*/site-packages"))


def share(tool: Path, app: Path) -> tuple[int, int]:
    tool_site, app_site = site_packages(tool), site_packages(app)
    shared = saved = 0
    for pyc in tool_site.rglob("__pycache__/*.pyc"):
        rel = pyc.relative_to(tool_site)
        source = rel.parent.parent / (pyc.name.split(".")[0] + ".py")
        twin = app_site / rel
        try:
            same_source = os.path.samefile(tool_site / source, app_site / source)
        except OSError:
            continue
        if same_source and twin.is_file() and not os.path.samefile(pyc, twin):
            saved += pyc.stat().st_size
            tmp = pyc.with_name(pyc.name + ".link")
            os.link(twin, tmp)
            os.replace(tmp, pyc)
            shared += 1
    return shared, saved


if __name__ == "__main__":
    count, size = share(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"shared {count} bytecode files ({size / 1e6:.0f} MB) between {sys.argv[1]} and {sys.argv[2]}")
