"""Does a failing cell look like library drift (code written for older pandas, scikit-learn,
numpy...) rather than a bug in the notebook's own code?

Decided from where the exception was raised (the traceback's last frame: a library's file, or the
notebook's cell) and what it says, not from its type alone:

- an ImportError of a name a library no longer has is drift;
- an AttributeError, TypeError, ValueError... raised inside a library whose APIs change, or naming
  one of them (``module 'numpy' has no attribute 'float'``, ``unexpected keyword argument``), is
  drift;
- a ``KeyError`` for a key the notebook's code asked for (``df['revenue']``: it passes through
  ``__getitem__``/``get_loc``), a ``NameError``, a missing file, anything raised in the cell itself
  or the repo's own modules, is the notebook's own error: the build fails at once.

For the notebook's own errors, the saved execution counts often tell why a notebook that "worked"
fails when run top to bottom: cells run out of order, or cells deleted after they ran.
"""

from __future__ import annotations

import re

LIBRARIES = ("pandas", "sklearn", "numpy", "scipy", "matplotlib", "seaborn", "statsmodels", "xgboost",
             "lightgbm", "imblearn", "joblib", "plotly", "catboost")
DRIFT_TYPES = {"AttributeError", "TypeError", "ValueError", "KeyError", "InvalidParameterError", "NotImplementedError",
               "OSError"}  # OSError: a matplotlib style that was renamed
FRAME = re.compile(r"(?:site|dist)-packages/([A-Za-z0-9_]+)/")
#: A frame's first line: IPython 8 (``File /x.py:3, in f``, ``Cell In[4], line 2``) or 7 (``/x.py in f``).
ANY_FRAME = re.compile(r"^(?:File \S+|Cell In ?\[\d*\]|Input In ?\[\d*\]|<ipython-input-\S+|[~/]\S+\.py)",
                       re.MULTILINE)
INDEXING = re.compile(r"in (?:\S+\.)?(?:__getitem__|get_loc|_get_item_cache|_getitem_\w+|xs)\b")
CANNOT_IMPORT = re.compile(r"cannot import name '([^']+)' from '([^']+)'")
NO_MODULE = re.compile(r"No module named '([^']+)'")
NAMED = re.compile(r"module '(" + "|".join(LIBRARIES) + r")[.']|unexpected keyword argument|has no attribute '")


def drift_suspect(ename: str, evalue: str, traceback_text: str) -> str | None:
    """A short reason when the failure looks like drift, else None."""
    if ename in ("ImportError", "ModuleNotFoundError"):
        match = CANNOT_IMPORT.search(evalue)
        if match and match.group(2).split(".")[0] in LIBRARIES:
            return f"'{match.group(1)}' is no longer in {match.group(2)}"
        match = NO_MODULE.search(evalue)
        if match and "." in match.group(1) and match.group(1).split(".")[0] in LIBRARIES:
            return f"module {match.group(1)} no longer exists"
        return None
    if ename not in DRIFT_TYPES:
        return None
    library = raised_in(traceback_text)
    if ename == "KeyError" and (library is None or INDEXING.search(traceback_text)):
        return None  # a key the notebook asked for
    if ename == "OSError" and library != "matplotlib":
        return None
    if library in LIBRARIES:
        return f"{ename} raised inside {library}"
    if NAMED.search(evalue):
        return f"{ename}: {evalue[:120]}"
    return None


def raised_in(traceback_text: str) -> str | None:
    """The installed package whose file raised the exception, or None when the last frame is the
    notebook's cell or the repo's own code."""
    frames = ANY_FRAME.findall(traceback_text)
    if not frames:
        return None
    last = FRAME.search(frames[-1])
    return last.group(1) if last else None


def failing_library(ename: str, evalue: str, traceback_text: str) -> str | None:
    """The top-level module of the library to move back: the one a name was imported from, the
    one that raised, or the one the message names."""
    match = CANNOT_IMPORT.search(evalue) or NO_MODULE.search(evalue)
    if match:
        module = match.group(2) if match.re is CANNOT_IMPORT else match.group(1)
        return module.split(".")[0]
    library = raised_in(traceback_text)
    if library in LIBRARIES:
        return library
    named = re.search(r"module '(" + "|".join(LIBRARIES) + r")[.']", evalue)
    return named.group(1) if named else None


def execution_order_hint(counts: list[int | None]) -> str | None:
    """What the saved execution counts (one per code cell, in order) say about how the notebook was
    last run, when that explains a notebook failing top to bottom."""
    ran = [c for c in counts if c is not None]
    if len(ran) < 2:
        return None
    hints = []
    backwards = [(a, b) for a, b in zip(ran, ran[1:]) if b < a]
    if backwards:
        a, b = backwards[0]
        hints.append(f"the saved notebook ran its cells out of order (In [{a}] comes before In [{b}])")
    missing = sorted(set(range(min(ran), max(ran) + 1)) - set(ran))
    if missing:
        shown = ", ".join(f"In [{n}]" for n in missing[:5]) + (" ..." if len(missing) > 5 else "")
        hints.append(f"cells that ran in the saved session are no longer in the notebook ({shown}: deleted or "
                     "re-run cells), so something it relied on may never be defined")
    never = sum(c is None for c in counts)
    if never and never < len(counts):
        hints.append(f"{never} code cell(s) were never run in the saved notebook")
    return "; ".join(hints) or None
