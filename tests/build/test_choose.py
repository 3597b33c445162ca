import pytest

from builder.build.choose import choose_notebooks
from builder.config import build_settings
from builder.errors import NotebookChoiceError, UsageError
from tests.conftest import notebook


def test_the_only_notebook_is_chosen_and_checkpoints_are_ignored(make_repo):
    repo = make_repo({"train.ipynb": notebook("x = 1"), ".ipynb_checkpoints/train-checkpoint.ipynb": notebook("x = 1")})
    assert choose_notebooks(repo, ()) == [repo / "train.ipynb"]


def test_a_notebook_in_a_subfolder_is_found(make_repo):
    repo = make_repo({"notebooks/train.ipynb": notebook("x = 1"), "data/x.csv": "a\n1\n"})
    assert choose_notebooks(repo, ()) == [repo / "notebooks" / "train.ipynb"]


def test_several_notebooks_and_no_choice_fail_listing_them_and_how_to_choose(make_repo):
    repo = make_repo({"a.ipynb": notebook("x = 1"), "b.ipynb": notebook("x = 2")})
    with pytest.raises(NotebookChoiceError) as err:
        choose_notebooks(repo, ())
    message = str(err.value)
    assert "a.ipynb" in message and "b.ipynb" in message
    assert "--notebook" in message and "NOTEBOOK=" in message and "S2I_SOURCE_NOTEBOOK_LIST" in message


def test_no_notebook_fails(make_repo):
    repo = make_repo({"README.md": "hello"})
    with pytest.raises(NotebookChoiceError, match="no notebook"):
        choose_notebooks(repo, ())


def test_requested_notebooks_keep_their_order(make_repo):
    repo = make_repo({"a.ipynb": notebook("x = 1"), "b.ipynb": notebook("x = 2")})
    assert choose_notebooks(repo, ["b.ipynb", "a.ipynb"]) == [repo / "b.ipynb", repo / "a.ipynb"]


def test_a_requested_notebook_that_does_not_exist_names_the_ones_that_do(make_repo):
    repo = make_repo({"a.ipynb": notebook("x = 1")})
    with pytest.raises(NotebookChoiceError, match=r"missing\.ipynb \(from NOTEBOOK\).*\n.*a\.ipynb"):
        choose_notebooks(repo, ["missing.ipynb"], "NOTEBOOK")


def test_a_requested_notebook_outside_the_repo_is_refused(make_repo, tmp_path):
    repo = make_repo({"a.ipynb": notebook("x = 1")})
    (tmp_path / "outside.ipynb").write_text("{}")
    with pytest.raises(NotebookChoiceError, match="must be inside"):
        choose_notebooks(repo, ["../outside.ipynb"])


def test_nachlass_notebook_list_is_read_in_order(monkeypatch):
    monkeypatch.setenv("S2I_SOURCE_NOTEBOOK_LIST", "prep.ipynb, train.ipynb")
    settings = build_settings()
    assert settings.notebooks == ("prep.ipynb", "train.ipynb")
    assert settings.notebooks_origin == "S2I_SOURCE_NOTEBOOK_LIST"


def test_notebook_option_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("NOTEBOOK", "a.ipynb")
    settings = build_settings().with_options(notebooks=("b.ipynb",))
    assert settings.notebooks == ("b.ipynb",) and settings.notebooks_origin == "--notebook"


def test_both_notebook_variables_set_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("NOTEBOOK", "a.ipynb")
    monkeypatch.setenv("S2I_SOURCE_NOTEBOOK_LIST", "b.ipynb")
    with pytest.raises(UsageError, match="set only one"):
        build_settings()


def test_artifact_folders_inside_the_repo_are_not_candidates(make_repo):
    repo = make_repo({"a.ipynb": notebook("x = 1"),
                      "out/executed/a.ipynb": notebook("x = 1"),
                      "out/metadata.json": '{"nb2service_version": "0.1.0"}'})
    assert choose_notebooks(repo, ()) == [repo / "a.ipynb"]


def test_the_cli_reports_conflicting_variables_with_exit_code_2(monkeypatch):
    from click.testing import CliRunner

    from builder.cli import main

    monkeypatch.setenv("NOTEBOOK", "a.ipynb")
    monkeypatch.setenv("S2I_SOURCE_NOTEBOOK_LIST", "b.ipynb")
    result = CliRunner().invoke(main, ["inspect", "."])
    assert result.exit_code == 2 and "ERROR: both NOTEBOOK and S2I_SOURCE_NOTEBOOK_LIST are set" in result.output
