"""The curl commands printed at start (and shown by `make demo`) work against the model."""

import json
import re
import shlex

import pytest

from builder.model import read_metadata
from builder.serve.examples import curl_examples


@pytest.mark.parametrize("kind", ["churn", "array", "regressor", "text"])
def test_every_printed_curl_command_answers_200(kind, artifacts, clients):
    meta = read_metadata(artifacts[kind])
    text = curl_examples(meta, "http://127.0.0.1:8080", meta["name"])
    commands = [shlex.split(line) for line in text.splitlines() if line.startswith("curl")]
    assert len(commands) >= 5
    for argv in commands:
        url = next(a for a in argv if a.startswith("http://"))
        path = re.sub(r"^http://127\.0\.0\.1:8080", "", url)
        if "-d" in argv:
            body = argv[argv.index("-d") + 1]
            response = clients[kind].post(path, data=body, content_type="application/json")
            assert response.status_code == 200, (path, response.get_data(as_text=True))
            assert json.loads(response.get_data())
        else:
            assert clients[kind].get(path).status_code == 200, path


def test_without_example_rows_the_schema_document_is_pointed_to(artifacts):
    meta = {**read_metadata(artifacts["churn"]), "examples": []}
    assert "openapi.json" in curl_examples(meta, "http://h:1", "churn")
