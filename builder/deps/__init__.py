"""Stage 3a: work out which distributions a notebook needs, and where each one was asked for.

``plan_dependencies(repo, notebooks)`` reads, in priority order:

1. declared files (``declared.py``): environment.yml's pip part, Pipfile.lock or Pipfile,
   requirements.txt (``binder/`` or ``.binder/`` first, as repo2docker), pyproject.toml, and a
   requirements.txt next to each notebook;
2. install lines in the notebooks (``pip_lines.py``): ``%pip install``, ``!pip install``...;
3. imports in the notebooks' code cells (``imports.py``), mapped to distributions by
   ``mapping.py``; the standard library, the kernel and the repository's own modules
   (``local_modules.py``) are left out, and an import that maps to nothing is reported, never
   guessed.

``plan.py`` merges them into one requirement per distribution.
"""

from __future__ import annotations

from .plan import plan_dependencies
from .records import DependencyPlan, Finding, Requirement

__all__ = ["DependencyPlan", "Finding", "Requirement", "plan_dependencies"]
