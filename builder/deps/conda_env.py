"""Conda's ``environment.yml``: its ``pip:`` list is installed; conda packages are reported.

Decision: a conda package whose conda name is also the name of the same project on PyPI
(``CONDA_NAMES_ON_PYPI``: numpy, pandas, scikit-learn, matplotlib...) is installed from PyPI, with
its conda version translated when that is plain (``numpy=1.26`` -> ``numpy==1.26.*``) and unpinned
otherwise, with a note. Every other conda package (``python``, ``pytorch``, ``cudatoolkit``,
``r-base``...) is only reported. A distribution named in the ``pip:`` list wins over its conda entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ..errors import DependencyError
from .records import Found, Requirement
from .requirements_file import display, parse_lines

#: Conda packages that are the same project under the same name on PyPI (conda-forge / defaults).
#: Left out on purpose: names whose PyPI namesake is another project (``graphviz`` is the C tool on
#: conda, the Python binding on PyPI) or that are named differently (``pytorch`` / ``torch``).
CONDA_NAMES_ON_PYPI = frozenset("""
    altair beautifulsoup4 bokeh boto3 catboost category-encoders click cloudpickle dask dill
    distributed fastparquet flask folium geopandas gensim h5py imbalanced-learn ipywidgets jinja2
    joblib keras lightgbm lxml matplotlib mlflow mlxtend networkx nltk numba numpy openpyxl optuna
    pandas patsy pillow plotly polars pyarrow pydantic pyproj pyspark python-dateutil pytz pyyaml
    requests scikit-image scikit-learn scipy seaborn shap shapely spacy sqlalchemy statsmodels
    sympy tabulate tensorflow tqdm transformers xarray xgboost xlrd
""".split())

_CONDA_SPEC = re.compile(r"^(?:[\w.-]+::)?([A-Za-z0-9_.-]+)\s*(.*)$")


def read_environment_yml(path: Path, repo: Path) -> Found:
    """The pip part of an environment.yml, plus the conda packages allowed by the rule above."""
    label = display(path, repo)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise DependencyError(f"{label}{at}: not valid YAML ({getattr(err, 'problem', None) or err})") from None
    except UnicodeDecodeError:
        raise DependencyError(f"{label}: not UTF-8 text", hint="save the file as UTF-8") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DependencyError(f"{label}: expected a mapping with a 'dependencies' list")
    deps = data.get("dependencies") or []
    if not isinstance(deps, list):
        raise DependencyError(f"{label}: 'dependencies' must be a list")
    pip, conda = Found(), Found()
    for number, entry in enumerate(deps, start=1):
        if isinstance(entry, dict) and "pip" in entry:
            items = entry["pip"] or []
            if not isinstance(items, list):
                raise DependencyError(f"{label}: dependencies entry {number}: 'pip' must be a list")
            pip.add(parse_lines(enumerate(map(str, items), start=1), base=path.parent, repo=repo,
                                label=label, unit=", pip entry ", source=f"{label} (pip)"))
        elif isinstance(entry, str):
            conda.add(_conda_package(entry, f"{label} (conda)"))
        else:
            raise DependencyError(f"{label}: dependencies entry {number}: expected a package spec or "
                                  f"a 'pip:' list, got {entry!r}")
    return pip.add(conda)


def _conda_package(spec: str, source: str) -> Found:
    """One conda spec: a requirement when the rule above allows it, else a note."""
    found = Found()
    match = _CONDA_SPEC.match(spec.strip())
    if not match:
        found.note(spec, source, "not a conda package spec; ignored")
        return found
    name, version = canonicalize_name(match.group(1)), match.group(2).strip()
    if name == "pip":
        return found
    if name == "python":
        found.note(spec, source, "the Python version is not taken from environment.yml; nb2service "
                                 "builds with its configured interpreter")
        return found
    if name not in CONDA_NAMES_ON_PYPI:
        found.note(name, source, "conda package; nb2service installs only the pip part (add it "
                                 "under 'pip:' if it is on PyPI)")
        return found
    specifier = conda_version_to_pep440(version)
    if specifier is None:
        found.note(name, source, f"conda version '{version}' has no plain PyPI equivalent; "
                                 "installing it from PyPI unpinned")
        specifier = ""
    found.requirements.append(Requirement(name, f"{name}{specifier}", source, "declared"))
    return found


def conda_version_to_pep440(version: str) -> str | None:
    """Translate a conda version spec into a PEP 440 specifier.

    ``""`` -> ``""``; ``=1.26`` (conda's fuzzy match) -> ``==1.26.*``; ``1.26.4`` or ``==1.26.4``
    -> ``==1.26.4``; ``>=1.2,<2`` is kept. A build string (``=1.26.4=py311h...``, ``1.26 py311_0``)
    is dropped. Returns None for what PEP 440 cannot say (``|`` alternatives) or does not parse.
    """
    version = version.strip()
    if not version:
        return ""
    if "|" in version:
        return None
    if version.startswith("=="):
        spec = "==" + version[2:].split("=", 1)[0]
    elif version.startswith("="):
        exact, _, build = version[1:].partition("=")
        spec = f"=={exact}" if exact.endswith("*") or build else f"=={exact}.*"
    elif version[0].isdigit():
        spec = "==" + version.split()[0].split("=", 1)[0]
    else:
        spec = version
    spec = re.sub(r"(\d)\*$", r"\1.*", spec.replace(" ", ""))
    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    return spec
