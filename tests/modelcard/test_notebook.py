"""The executed notebook as HTML: what notebooks show is kept, nothing that runs or loads is."""

from __future__ import annotations

import re

import nbformat
import pytest

from builder.modelcard.notebook import render, without_active_content

from .conftest import executed_notebook


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("nb") / "train.ipynb"
    nbformat.write(executed_notebook(), path)
    return render(path)


def test_the_page_keeps_markdown_tables_images_and_printed_text(html):
    assert "Training the flower model" in html
    assert re.search(r"<table class=\"dataframe\">.*<td>5.1</td>", html, re.DOTALL)
    assert 'src="data:image/png;base64,' in html
    assert "trained on 112 rows" in html
    assert "<style" in html  # nbconvert's own styles are inline: the page needs nothing else


def test_the_page_has_no_script_no_handler_and_loads_nothing_from_elsewhere(html):
    assert not re.search(r"<script", html, re.IGNORECASE)
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)
    assert "planted" not in html and "PLANTED" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "a remote resource would leave the origin"
    assert not re.search(r"@import|url\((?!data:)", html)
    assert "[JavaScript output: not run in the report]" in html


@pytest.mark.parametrize("dirty, kept", [
    ('<iframe src="https://evil.example"></iframe>ok', "ok"),
    ('<a href="javascript:alert(1)">link</a>', "<a>link</a>"),
    ('<object data="x.swf"></object><embed src="x">ok', "ok"),
    ('<div onmouseover="steal()">hover</div>', "<div>hover</div>"),
    ('<img src="https://tracker.example/p.gif" alt="pixel">', '<img alt="pixel">'),
    ('<form action="/predict"><input type="submit"></form>', "<input>"),  # no form, no submit
    ('<SCRIPT type="module">import("x")</SCRIPT >text', "text"),
    ('<svg><script>alert(1)</script></svg>', ""),
])
def test_html_loses_everything_active_and_keeps_its_text(dirty, kept):
    assert without_active_content(dirty) == kept
