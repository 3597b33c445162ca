"""Date-aware resolution: which date, broken pins repaired, dates moved forward to wheels."""

import datetime as dt
import subprocess
import sys

import pytest

from builder.build.environment import find_uv
from builder.build.resolve import AsOf, choose_as_of, parse_as_of, resolve
from builder.config import IndexSettings
from builder.errors import UsageError
from tests.conftest import notebook


def git_repo(make_repo, date: str):
    repo = make_repo({"train.ipynb": notebook("import pandas")})
    env = {"GIT_COMMITTER_DATE": f"{date}T12:00:00+00:00", "GIT_AUTHOR_DATE": f"{date}T12:00:00+00:00"}
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "notebook"], check=True, env={**env, "PATH": "/usr/bin:/bin"})
    return repo


def test_the_last_commit_that_touched_the_notebook_gives_the_date(make_repo):
    repo = git_repo(make_repo, "2023-01-15")
    as_of = choose_as_of(None, repo, [repo / "train.ipynb"], ["pandas"])
    assert as_of.date == dt.date(2023, 1, 15) and "last git commit that touched train.ipynb" in as_of.reason


def test_an_explicit_date_or_latest_overrides_git(make_repo):
    repo = git_repo(make_repo, "2023-01-15")
    assert choose_as_of(parse_as_of("2024-03-01"), repo, [repo / "train.ipynb"], ["pandas"]).date == dt.date(2024, 3, 1)
    assert choose_as_of(parse_as_of("latest"), repo, [repo / "train.ipynb"], ["pandas"]).date is None


def test_fully_pinned_repos_and_repos_without_history_need_no_date(make_repo):
    repo = git_repo(make_repo, "2023-01-15")
    assert choose_as_of(None, repo, [repo / "train.ipynb"], ["pandas==1.5.3", "numpy==1.24.1"]).date is None
    plain = make_repo({"nb.ipynb": notebook("x = 1")}, name="plain")
    as_of = choose_as_of(None, plain, [plain / "nb.ipynb"], ["pandas"])
    assert as_of.date is None and "no git history" in as_of.reason


def test_a_bad_as_of_value_is_a_usage_error():
    with pytest.raises(UsageError, match="neither a date"):
        parse_as_of("last tuesday")


@pytest.mark.slow
def test_unpinned_requirements_resolve_to_the_stack_of_the_date():
    res = resolve(["pandas", "scikit-learn"], AsOf(dt.date(2023, 1, 15), "test"), find_uv(), sys.executable,
                  IndexSettings(), log=lambda m: None)
    pins = dict(line.split("==") for line in res.lines)
    assert pins["pandas"].startswith("1.5.") and pins["scikit-learn"] == "1.2.0"
    assert pins["numpy"].startswith("1.24.")  # the stack is pinned too, not only what was named
    assert pins["ipython"].startswith("8.") and "ipykernel" in pins  # the kernel fits the date too


@pytest.mark.slow
def test_a_pin_that_was_never_released_is_replaced_and_reported():
    res = resolve(["pandas==1.9.9", "scikit-learn"], AsOf(dt.date(2023, 1, 15), "test"), find_uv(), sys.executable,
                  IndexSettings(), log=lambda m: None)
    assert res.changes[0]["requirement"] == "pandas==1.9.9" and res.changes[0]["now"] == "pandas"
    assert "never released" in res.changes[0]["why"]
    assert any(line.startswith("pandas==1.5.") for line in res.lines)


@pytest.mark.slow
def test_an_exact_pin_newer_than_the_date_is_honoured():
    res = resolve(["pandas==2.2.0", "scikit-learn"], AsOf(dt.date(2023, 1, 15), "test"), find_uv(), sys.executable,
                  IndexSettings(), log=lambda m: None)
    assert "pandas==2.2.0" in res.lines and res.changes == []


@pytest.mark.slow
def test_a_date_with_no_wheels_for_this_python_moves_forward_and_says_so():
    res = resolve(["numpy"], AsOf(dt.date(2021, 1, 1), "test"), find_uv(), sys.executable, IndexSettings(),
                  log=lambda m: None)
    assert res.moved_forward_from == "2021-01-01" and res.as_of.date > dt.date(2021, 1, 1)
    assert "moved forward from 2021-01-01" in res.as_of.reason


def test_without_the_git_command_the_history_is_read_with_dulwich(make_repo, monkeypatch):
    from builder.build import history

    repo = git_repo(make_repo, "2023-01-15")
    with_git = (history.head_commit(repo), history.last_change(repo, [repo / "train.ipynb"]))
    monkeypatch.setattr(history.shutil, "which", lambda name: None)
    head = history.head_commit(repo)
    assert head["commit"] == with_git[0]["commit"] and head["dirty"] is None
    assert history.last_change(repo, [repo / "train.ipynb"]) == with_git[1]
    assert with_git[1][0] == dt.date(2023, 1, 15)


def test_todays_releases_keep_the_requirement_lines_so_installed_versions_stay():
    res = resolve(["pandas>=1.0", "scikit-learn"], AsOf(None, "latest"), find_uv(), sys.executable,
                  IndexSettings(), log=lambda m: None)
    assert res.lines == ["pandas>=1.0", "scikit-learn"]
