"""Dating a notebook without git: the clues in its metadata, outputs and pins, and the window they allow."""

import datetime as dt

from nbformat import v4
from packaging.version import Version

from builder.build.evidence import gather, window
from builder.build.releases import Release, ReleaseHistory, reduce_listing
from builder.build.resolve import choose_as_of
from tests.conftest import notebook

D = dt.date.fromisoformat


def releases(*rows):
    return [Release(Version(v), D(day), rp) for v, day, rp in rows]


#: A small, true extract of the index: enough to date the clues below without the network.
HISTORY = {
    "pandas": releases(("1.3.4", "2021-10-17", ">=3.7.1"), ("1.3.5", "2021-12-12", ">=3.7.1"),
                       ("1.4.0", "2022-01-22", ">=3.8"), ("1.5.3", "2023-01-19", ">=3.8"),
                       ("2.0.0", "2023-04-03", ">=3.8")),
    "scikit-learn": releases(("1.0.2", "2021-12-25", ">=3.7"), ("1.1.0", "2022-05-12", ">=3.8"),
                             ("1.2.0", "2022-12-08", ">=3.8"), ("1.2.2", "2023-03-08", ">=3.8"),
                             ("1.3.0", "2023-06-30", ">=3.8")),
    "numpy": releases(("1.21.4", "2021-11-04", ">=3.7,<3.11"), ("1.22.0", "2021-12-31", ">=3.8")),
    "matplotlib": releases(("3.6.3", "2023-01-11", ">=3.8"), ("3.7.0", "2023-02-13", ">=3.8")),
}
TODAY = D("2026-01-01")


def history():
    return ReleaseHistory(known=HISTORY)


def with_outputs(nb, outputs: dict, counts: dict | None = None):
    for index, outs in outputs.items():
        nb.cells[index].outputs = outs
        nb.cells[index].execution_count = (counts or {}).get(index, index + 1)
    return nb


def stream(text):
    return v4.new_output("stream", name="stdout", text=text)


def test_the_recorded_python_dates_a_notebook_between_its_release_and_the_stacks_drop(make_repo):
    nb = notebook("import pandas as pd")
    nb.metadata["language_info"] = {"name": "python", "version": "3.7.12"}
    repo = make_repo({"nb.ipynb": nb})
    found = window(gather(repo, [repo / "nb.ipynb"], ["pandas"], history()))
    # 3.7.12 was released 2021-09-04; numpy 1.22 (2021-12-31) was the first stack release without 3.7
    assert (found.earliest, found.latest) == (D("2021-09-04"), D("2021-12-30"))
    assert found.plausible(TODAY) == D("2021-12-03")  # three months after: pandas 1.3.4, scikit-learn 1.0.1


def test_versions_printed_and_pip_lines_narrow_the_window(make_repo):
    nb = with_outputs(notebook("import pandas as pd\nimport sklearn\nprint(pd.__version__, sklearn.__version__)",
                               "!pip install matplotlib"), {
        0: [stream("1.3.4 1.0.2\n")],
        1: [stream("Requirement already satisfied: matplotlib in /usr/local/lib/python3.7/dist-packages (3.6.3)\n")],
    })
    repo = make_repo({"nb.ipynb": nb})
    clues = gather(repo, [repo / "nb.ipynb"], [], history())
    whats = {c.what for c in clues}
    assert {"pandas 1.3.4 (pd.__version__)", "scikit-learn 1.0.2 (sklearn.__version__)",
            "matplotlib 3.6.3 (pip: already satisfied)", "Python 3.7 (a pythonX.Y/site-packages path)"} <= whats
    where = next(c.where for c in clues if c.what.startswith("pandas"))
    assert where == "nb.ipynb cell 1 (In [1]) output"
    found = window(clues)
    # matplotlib 3.6.3 (2023) contradicts Python 3.7's end (2021-12-30): the later lower end wins
    assert found.earliest == D("2023-01-11") and found.set_earliest.what.startswith("matplotlib")
    assert {c.what for c in found.ignored} >= {"pandas 1.3.4 (pd.__version__)"}


def test_a_warning_text_only_some_releases_print_is_a_clue(make_repo):
    nb = with_outputs(notebook("df.mean()"), {0: [v4.new_output(
        "stream", name="stderr",
        text="/opt/conda/lib/python3.9/site-packages/ipykernel_launcher.py:1: FutureWarning: The default value of "
             "numeric_only in DataFrame.mean is deprecated.\n")]})
    repo = make_repo({"nb.ipynb": nb})
    found = window(gather(repo, [repo / "nb.ipynb"], [], history()))
    assert any(c.what == "a warning only pandas>=1.5,<2.0 prints" for c in found.clues)
    assert found.earliest == D("2023-01-19") and found.latest == D("2023-04-02")  # only 1.5.3 in this extract


def test_exact_pins_give_the_era_of_a_partly_pinned_stack(make_repo):
    repo = make_repo({"nb.ipynb": notebook("import matplotlib")})
    found = window(gather(repo, [repo / "nb.ipynb"], ["matplotlib==3.6.3", "seaborn"], history()))
    assert (found.earliest, found.latest) == (D("2023-01-11"), D("2023-02-12"))
    assert found.set_latest.where == "the repo's requirements"


def test_without_git_the_notebooks_evidence_decides_and_says_so(make_repo):
    nb = notebook("import pandas as pd")
    nb.metadata["language_info"] = {"name": "python", "version": "3.7.12"}
    repo = make_repo({"nb.ipynb": nb})
    as_of = choose_as_of(None, repo, [repo / "nb.ipynb"], ["pandas"], history(), today=TODAY)
    assert as_of.date == D("2021-12-03")
    assert "no git history" in as_of.reason and "Python 3.7.12 (metadata.language_info.version)" in as_of.reason
    assert as_of.evidence["clues"][0]["where"] == "nb.ipynb metadata"


def test_nothing_known_means_todays_releases(make_repo):
    repo = make_repo({"nb.ipynb": notebook("import pandas as pd")})
    as_of = choose_as_of(None, repo, [repo / "nb.ipynb"], ["pandas"], history(), today=TODAY)
    assert as_of.date is None and "nothing in the notebook dates it" in as_of.reason


def test_the_s2i_environment_file_gives_the_date_and_latest(make_repo):
    repo = make_repo({"nb.ipynb": notebook("import pandas"), ".s2i/environment": "# build\nNB2SERVICE_AS_OF=2022-03-01\n"})
    as_of = choose_as_of(None, repo, [repo / "nb.ipynb"], ["pandas"], history())
    assert as_of.date == D("2022-03-01") and ".s2i/environment" in as_of.reason
    latest = make_repo({"nb.ipynb": notebook("import pandas"), ".s2i/environment": "NB2SERVICE_AS_OF=latest\n"},
                       name="latest")
    assert choose_as_of(None, latest, [latest / "nb.ipynb"], ["pandas"], history()).date is None


def test_the_index_listing_is_reduced_to_one_row_per_final_release():
    listing = {"files": [
        {"filename": "pandas-1.3.4.tar.gz", "upload-time": "2021-10-17T10:00:00Z", "requires-python": ">=3.7.1"},
        {"filename": "pandas-1.3.4-cp39-cp39-manylinux_2_17_x86_64.whl", "upload-time": "2021-10-18T10:00:00Z"},
        {"filename": "pandas-2.0.0rc0.tar.gz", "upload-time": "2023-03-01T10:00:00Z"},
        {"filename": "pandas-1.3.5.tar.gz", "upload-time": "2021-12-12T10:00:00Z", "yanked": True},
    ]}
    [row] = reduce_listing(listing)
    assert row == ["1.3.4", "2021-10-17", ">=3.7.1", ["cp39-cp39"]]
    release = Release(Version(row[0]), D(row[1]), row[2], tuple(row[3]))
    assert release.has_wheel_for((3, 9)) and release.has_wheel_for((3, 11)) is False
    assert Release(Version("1.0"), D("2020-01-01"), None, ("cp38-abi3",)).has_wheel_for((3, 11))


def test_a_declared_lower_bound_means_after_the_first_release_it_allows(make_repo):
    repo = make_repo({"nb.ipynb": notebook("import pandas")})
    found = window(gather(repo, [repo / "nb.ipynb"], ["pandas>=1.4.0,<2.0.0", "scikit-learn"], history()))
    assert found.earliest == D("2022-01-22") and found.latest is None
    assert found.set_earliest.what == "pandas<2.0.0,>=1.4.0 declared"
