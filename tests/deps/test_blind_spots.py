"""Every pipreqs blind spot listed in shared/reference/notebooks.md, and how imports map to distributions."""

from __future__ import annotations

import re

import pytest
from packaging.utils import canonicalize_name

from builder.deps import mapping
from builder.deps.mapping import known_distributions, pipreqs_mapping, resolve


def imported(result) -> list[str]:
    return [r.line for r in result.requirements if r.kind == "import"]


def test_tomllib_is_standard_library_not_a_requirement(plan):
    assert plan("import tomllib").requirements == []


@pytest.mark.parametrize(("cell", "distribution"), [
    ("from google.cloud import storage", "google-cloud-storage"),
    ("import google.cloud.storage", "google-cloud-storage"),
    ("from google.cloud import bigquery", "google-cloud-bigquery"),
    ("from google.protobuf import json_format", "protobuf"),
    ("from azure.storage.blob import BlobServiceClient", "azure-storage-blob"),
    ("from mpl_toolkits.mplot3d import Axes3D", "matplotlib"),
])
def test_namespace_packages_are_resolved_on_the_dotted_name(plan, cell, distribution):
    assert imported(plan(cell)) == [distribution]


def test_an_unknown_part_of_a_namespace_package_is_reported_not_guessed(plan):
    result = plan("from google.cloud import something_new")
    assert result.requirements == []
    assert result.unknown_imports[0].name == "google.cloud.something_new"
    assert "protobuf" not in result.unknown_imports[0].reason


def test_attr_maps_to_attrs(plan):
    assert imported(plan("import attr")) == ["attrs"]


def test_skimage_maps_to_scikit_image(plan):
    assert imported(plan("from skimage import io")) == ["scikit-image"]


@pytest.mark.parametrize(("module", "distribution"), [
    ("sklearn", "scikit-learn"), ("PIL", "pillow"), ("cv2", "opencv-python"), ("bs4", "beautifulsoup4"),
    ("yaml", "pyyaml"), ("imblearn", "imbalanced-learn"), ("xgboost", "xgboost"), ("lightgbm", "lightgbm"),
    ("dateutil", "python-dateutil"), ("fitz", "pymupdf"), ("umap", "umap-learn"),
])
def test_well_known_renamed_imports_map_to_their_distribution(module, distribution):
    assert resolve(module).distribution == distribution


def test_a_data_folder_named_like_a_package_does_not_hide_it(repo, write, plan):
    write("sklearn/train.csv", "a,b\n1,2\n")
    write("pandas/README.md", "data\n")
    result = plan("import sklearn\nimport pandas")
    assert imported(result) == ["scikit-learn", "pandas"]
    assert result.local_modules == []


@pytest.mark.parametrize("files", [["features.py"], ["features/__init__.py"], ["features/build.py"],
                                   ["src/features/__init__.py"], ["notebooks/features.py"]])
def test_the_repository_s_own_modules_are_left_out(write, plan, files):
    for name in files:
        write(name, "import numpy\n")
    result = plan("import features\nfrom features import build", at="notebooks/train.ipynb")
    assert result.requirements == [] and result.unknown_imports == []
    assert result.local_modules == ["features"]


def test_an_own_module_named_like_a_package_shadows_it(write, plan):
    write("utils.py", "")
    write("xgboost.py", "")
    result = plan("import xgboost, utils")
    assert result.requirements == []
    assert result.local_modules == ["utils", "xgboost"]


def test_an_unknown_import_is_reported_and_not_installed(plan):
    result = plan("import numpy\nimport zq_internal_toolkit as zt")
    assert result.lines() == ["numpy"]
    finding = result.unknown_imports[0]
    assert finding.name == "zq_internal_toolkit"
    assert finding.source == "import zq_internal_toolkit in churn.ipynb cell 1"
    assert "maps to no known distribution" in finding.reason


def test_an_unknown_import_hints_at_requirements_found_elsewhere(write, plan):
    write("requirements.txt", "zq-internal-toolkit-sdk==1.0\n")
    result = plan("import zq_toolkit")
    assert result.lines() == ["zq-internal-toolkit-sdk==1.0"]
    assert "zq-internal-toolkit-sdk" in result.unknown_imports[0].reason


def test_generic_names_that_pipreqs_maps_to_unrelated_projects_are_not_installed(plan):
    assert "models" in {line.split(":")[0] for line in _pipreqs_lines()}
    result = plan("import models")
    assert result.requirements == [] and result.unknown_imports[0].name == "models"


def test_pipreqs_mapping_answers_names_missing_from_our_tables():
    assert "OpenGL" not in mapping.OVERRIDES
    assert resolve("OpenGL.GL") == mapping.Resolution("pyopengl", "OpenGL", "pipreqs' mapping")


def test_installed_distributions_are_the_last_source_of_truth(monkeypatch):
    monkeypatch.setattr(mapping, "packages_distributions",
                        lambda: {"zq_only_here": ["zq-only-here-dist"], "zq_two": ["a-dist", "b-dist"]})
    assert resolve("zq_only_here.sub").distribution == "zq-only-here-dist"
    two = resolve("zq_two")
    assert two.distribution is None and "a-dist, b-dist" in two.reason


def test_colab_only_modules_are_reported_not_installed(plan):
    result = plan("from google.colab import drive")
    assert result.requirements == []
    assert "Colab" in result.unknown_imports[0].reason


def test_the_known_distributions_file_is_canonical_sorted_and_has_no_misleading_names():
    names = [line for line in _known_lines() if line and not line.startswith("#")]
    assert names == sorted(set(names))
    assert all(name == canonicalize_name(name) for name in names)
    assert len(names) >= 200
    misleading = {canonicalize_name(m) for m, d in mapping.OVERRIDES.items()
                  if "." not in m and canonicalize_name(m) != canonicalize_name(d)}
    assert misleading & set(names) == set()
    assert {"numpy", "pandas", "scipy", "matplotlib", "seaborn", "statsmodels", "plotly", "joblib", "tqdm",
            "requests", "nltk", "xgboost", "lightgbm", "catboost", "shap", "optuna"} <= known_distributions()


def _known_lines() -> list[str]:
    from importlib.resources import files
    return files("builder.deps").joinpath("known_distributions.txt").read_text("utf-8").splitlines()


def _pipreqs_lines() -> list[str]:
    from importlib.resources import files
    return [line for line in files("builder.deps").joinpath("pipreqs_mapping.txt").read_text("utf-8").splitlines()
            if re.match(r"^\w", line)]


def test_pipreqs_ambiguous_names_are_not_resolved():
    assert "azure" not in pipreqs_mapping() and "models" not in pipreqs_mapping()
    assert pipreqs_mapping()["bs4"] == "beautifulsoup4"
