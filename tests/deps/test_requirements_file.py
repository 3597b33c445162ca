"""requirements.txt: syntax, includes, options, URLs and errors."""

from __future__ import annotations

import codecs

import pytest

from builder.errors import DependencyError


def reasons(result) -> str:
    return "\n".join(f"{n.name} | {n.source} | {n.reason}" for n in result.notes)


def test_comments_blank_lines_and_continuations_are_understood(write, plan):
    write("requirements.txt", """
        # the model
        scikit-learn>=1.3   # inline comment

        pandas\\
        >=2.1
        numpy \\
          ==1.26.4
        """)
    result = plan("x = 1")
    assert result.lines() == ["scikit-learn>=1.3", "pandas>=2.1", "numpy==1.26.4"]
    assert [r.source for r in result.requirements] == ["requirements.txt:2", "requirements.txt:4",
                                                       "requirements.txt:6"]
    assert {r.kind for r in result.requirements} == {"declared"}


def test_includes_are_read_relative_to_the_including_file(write, plan):
    write("requirements.txt", "-r reqs/base.txt\nflask\n")
    write("reqs/base.txt", "--requirement=more/extra.txt\npandas\n")
    write("reqs/more/extra.txt", "numpy\n")
    result = plan("x = 1")
    assert result.lines() == ["numpy", "pandas", "flask"]
    assert result.requirements[0].source == "reqs/more/extra.txt:1"


def test_an_include_cycle_is_read_once_and_noted(write, plan):
    write("requirements.txt", "-r other.txt\npandas\n")
    write("other.txt", "-r requirements.txt\nnumpy\n")
    result = plan("x = 1")
    assert result.lines() == ["numpy", "pandas"]
    assert "cycle" in reasons(result)


def test_a_missing_include_names_the_file_and_line(write, plan):
    write("requirements.txt", "pandas\n-r nowhere.txt\n")
    with pytest.raises(DependencyError, match=r"requirements\.txt:2: -r nowhere\.txt: no such file"):
        plan("x = 1")


def test_an_include_outside_the_repository_is_refused(write, plan, repo):
    (repo.parent / "secret.txt").write_text("pandas\n")
    write("requirements.txt", "-r ../secret.txt\n")
    with pytest.raises(DependencyError, match=r"requirements\.txt:1: .*outside the repository"):
        plan("x = 1")


def test_environment_markers_are_kept(write, plan):
    write("requirements.txt", 'tomli>=2 ; python_version < "3.11"\npywin32; sys_platform == "win32"\n')
    assert plan("x = 1").lines() == ['tomli>=2; python_version < "3.11"', 'pywin32; sys_platform == "win32"']


@pytest.mark.parametrize("option", ["--index-url https://example.org/simple", "-i https://example.org/simple",
                                    "--extra-index-url https://example.org/simple",
                                    "--find-links https://example.org/wheels", "--trusted-host example.org"])
def test_index_options_are_ignored_with_a_note(write, plan, option):
    write("requirements.txt", f"{option}\npandas\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas"]
    assert "index settings" in reasons(result)
    assert "requirements.txt:1" in reasons(result)


@pytest.mark.parametrize("line", ["-e .", "-e ./src/mypkg", "--editable=git+https://example.org/x.git#egg=x",
                                  "./wheels/thing-1.0-py3-none-any.whl", "../sibling", "/opt/pkg"])
def test_editable_and_local_paths_are_left_out_with_a_note(write, plan, line):
    write("requirements.txt", f"{line}\npandas\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas"]
    assert result.notes and result.notes[0].source == "requirements.txt:1"


def test_urls_and_name_at_url_are_kept_as_written(write, plan):
    write("requirements.txt", """
        mylib @ https://example.org/mylib-1.0.tar.gz
        git+https://example.org/org/tool.git@v2#egg=tool
        https://example.org/wheels/Other_Pkg-2.0-py3-none-any.whl
        """)
    result = plan("x = 1")
    assert result.lines() == ["mylib @ https://example.org/mylib-1.0.tar.gz",
                              "git+https://example.org/org/tool.git@v2#egg=tool",
                              "https://example.org/wheels/Other_Pkg-2.0-py3-none-any.whl"]
    assert [r.name for r in result.requirements] == ["mylib", "tool", "other-pkg"]


def test_a_malformed_pin_is_reported_and_the_package_installed_without_it(write, plan):
    write("requirements.txt", "pandas\n\nscikit-learn=>1.3\nnumpy==1.26.\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas", "scikit-learn", "numpy"]
    reasons = [n.reason for n in result.notes]
    assert any(r.startswith("malformed pin 'scikit-learn=>1.3' at requirements.txt:3") for r in reasons)
    assert any(r.startswith("malformed pin 'numpy==1.26.' at requirements.txt:4") for r in reasons)


def test_a_line_with_no_package_name_raises_an_error_naming_file_line_and_text(write, plan):
    write("requirements.txt", "pandas\n\n>=1.3\n")
    with pytest.raises(DependencyError) as caught:
        plan("x = 1")
    assert str(caught.value).startswith("requirements.txt:3: '>=1.3' is not a valid requirement")


def test_hash_options_are_dropped_with_a_note(write, plan):
    write("requirements.txt", "pandas==2.1.0 --hash=sha256:aaa \\\n    --hash=sha256:bbb\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas==2.1.0"]
    assert "--hash" in reasons(result)


def test_the_deprecated_sklearn_name_becomes_scikit_learn_without_its_version(write, plan):
    write("requirements.txt", "sklearn==0.0.post1\n")
    result = plan("x = 1")
    assert result.lines() == ["scikit-learn"]
    assert result.requirements[0].name == "scikit-learn"
    note = result.notes[0]
    assert (note.name, note.source) == ("sklearn", "requirements.txt:1")
    assert "renamed" in note.reason and "'==0.0.post1' was dropped" in note.reason


def test_a_local_file_url_written_by_pip_freeze_becomes_an_unpinned_name(write, plan):
    write("requirements.txt", "numpy @ file:///home/conda/feedstock_root/build_artifacts/numpy_1/work\n")
    result = plan("x = 1")
    assert result.lines() == ["numpy"]
    assert "local file URL" in reasons(result)


def test_a_utf16_requirements_file_written_by_powershell_is_read(repo, plan):
    (repo / "requirements.txt").write_bytes(codecs.BOM_UTF16_LE + "pandas==2.1\r\nnumpy\r\n".encode("utf-16-le"))
    assert plan("x = 1").lines() == ["pandas==2.1", "numpy"]


def test_unknown_options_are_ignored_with_a_note(write, plan):
    write("requirements.txt", "--pre\n--use-feature=fast-deps\npandas\n")
    result = plan("x = 1")
    assert result.lines() == ["pandas"]
    assert [n.source for n in result.notes] == ["requirements.txt:1", "requirements.txt:2"]
