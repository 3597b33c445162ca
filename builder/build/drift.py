"""Does a failing cell look like library drift (code written for older pandas, scikit-learn,
numpy...) rather than a bug in the notebook's own code?

Drift shows as an ImportError of a name a library no longer has, or an AttributeError, TypeError
or ValueError raised from inside one of the libraries whose APIs change (or naming one of them).
"""

from __future__ import annotations

import re

LIBRARIES = ("pandas", "sklearn", "numpy", "scipy", "matplotlib", "seaborn", "statsmodels", "xgboost",
             "lightgbm", "imblearn", "joblib")
DRIFT_TYPES = {"AttributeError", "TypeError", "ValueError", "KeyError", "InvalidParameterError", "NotImplementedError",
               "OSError", "FileNotFoundError"}  # OSError: e.g. a matplotlib style that was renamed
FRAME = re.compile(r"File (?:\S*/)?site-packages/([A-Za-z0-9_]+)/")
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
    frames = FRAME.findall(traceback_text)
    if frames and frames[-1] in LIBRARIES:
        return f"{ename} raised inside {frames[-1]}"
    if NAMED.search(evalue):
        return f"{ename}: {evalue[:120]}"
    return None
