"""What GET /model leaves out of metadata.json: the build machine's filesystem paths."""

import pytest

from builder.serve.public_metadata import public_metadata


def test_the_environments_paths_go_and_the_rest_stays():
    meta = {"environment": {"python": "/root/.cache/nb2service/envs/83/bin/python", "path": "/root/.cache/x",
                            "lib": "/root/.cache/x/nb2service-lib", "key": "83", "reused": True},
            "inputs": [{"name": "a", "type": "number"}]}
    assert public_metadata(meta) == {"environment": {"key": "83", "reused": True}, "inputs": meta["inputs"]}
    assert meta["environment"]["python"]  # the caller's copy is untouched


@pytest.mark.parametrize("text, public", [
    ("pinned by /home/ds/churn/requirements.txt", "pinned by …/requirements.txt"),
    ("['/tmp/build-1/churn.ipynb', 'x']", "['…/churn.ipynb', 'x']"),
    ("see ~/work/repo/data.csv", "see …/data.csv"),
    ("https://pypi.org/simple/pandas/", "https://pypi.org/simple/pandas/"),
    ("executed/churn.ipynb", "executed/churn.ipynb"),
    ("as of 2024/01/02, 1/2 of rows, and/or", "as of 2024/01/02, 1/2 of rows, and/or"),
], ids=["absolute", "quoted", "home", "url", "relative", "not-paths"])
def test_absolute_paths_inside_strings_are_shortened_to_their_last_part(text, public):
    assert public_metadata({"reason": [text]}) == {"reason": [public]}
