"""Pipfile.lock (default section, pinned) and Pipfile ([packages])."""

from __future__ import annotations

import json

import pytest

from builder.errors import DependencyError

LOCK = {
    "_meta": {"hash": {"sha256": "x"}},
    "default": {
        "pandas": {"hashes": ["sha256:a"], "version": "==2.1.4"},
        "requests": {"extras": ["socks"], "version": "==2.31.0", "markers": "python_version >= '3.7'"},
        "tool": {"git": "https://example.org/org/tool.git", "ref": "0123abc"},
        "mypkg": {"editable": True, "path": "."},
    },
    "develop": {"pytest": {"version": "==8.0.0"}},
}


def test_pipfile_lock_default_packages_are_read_with_their_versions(write, plan):
    write("Pipfile.lock", json.dumps(LOCK))
    result = plan("x = 1")
    assert result.lines() == ["pandas==2.1.4", 'requests[socks]==2.31.0; python_version >= "3.7"',
                              "tool @ git+https://example.org/org/tool.git@0123abc"]
    assert {r.source for r in result.requirements} == {"Pipfile.lock"}
    assert [n.name for n in result.notes] == ["mypkg"]


def test_pipfile_lock_is_preferred_over_pipfile(write, plan):
    write("Pipfile.lock", json.dumps({"default": {"pandas": {"version": "==2.1.4"}}}))
    write("Pipfile", '[packages]\npandas = "*"\nflask = "*"\n')
    assert plan("x = 1").lines() == ["pandas==2.1.4"]


def test_pipfile_packages_star_means_unpinned(write, plan):
    write("Pipfile", """
        [[source]]
        url = "https://pypi.org/simple"
        name = "pypi"

        [packages]
        pandas = "*"
        numpy = ">=1.26"
        scikit-learn = {version = "==1.3.2", extras = ["alldeps"]}
        pywin32 = {version = "*", sys_platform = "== 'win32'"}

        [dev-packages]
        pytest = "*"
        """)
    assert plan("x = 1").lines() == ["pandas", "numpy>=1.26", "scikit-learn[alldeps]==1.3.2",
                                     "pywin32; sys_platform == \"win32\""]


def test_an_invalid_pipfile_lock_names_the_file(write, plan):
    write("Pipfile.lock", "{ not json")
    with pytest.raises(DependencyError, match=r"^Pipfile\.lock: not valid JSON"):
        plan("x = 1")


def test_an_invalid_pipfile_names_the_file_and_line(write, plan):
    write("Pipfile", "[packages]\npandas = \n")
    with pytest.raises(DependencyError, match=r"^Pipfile: not valid TOML \(.*line 2"):
        plan("x = 1")
