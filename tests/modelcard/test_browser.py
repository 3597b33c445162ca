"""The report in a real browser: Debian's chromium driven by Playwright, against `nb2service serve`
(gunicorn) on 127.0.0.1, then the offline file from `nb2service report`.

One server, two page loads. Every request the browser makes is recorded, and every console message.
Set NB2SERVICE_SCREENSHOT=1 to refresh the screenshot in docs/images/report.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.serve.live import Server

from .conftest import metadata

ROOT = Path(__file__).resolve().parents[2]
NB2SERVICE = str(Path(sys.executable).parent / "nb2service")
CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = ROOT / "docs" / "images" / "report.png"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1180, "height": 1400})
        yield context
        context.close()


class Recorder:
    """Every request and console message of a browser context, and uncaught page errors."""

    def __init__(self, context, page):
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.console.append((message.type, message.text)))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def problems(self) -> list:
        return [m for m in self.console if m[0] in ("error", "warning")] + self.errors


def test_the_report_page_shows_card_plots_notebook_and_live_numbers_that_move_and_runs_nothing_planted(
        browser, reported, tmp_path):
    from playwright.sync_api import expect

    artifact = reported["forest"]
    meta = metadata(artifact)
    server = Server(artifact, tmp_path / "serve.log")
    try:
        server.wait_ready()
        page = browser.new_page()
        seen = Recorder(browser, page)
        page.goto(server.url + "/report")

        # the card
        expect(page.locator("h1")).to_contain_text("forest")
        facts = page.locator("table.facts")
        for text in ("RandomForestClassifier", "train.ipynb", "0123456789abcdef", "2026-12-06T21:00:00",
                     "setosa, versicolor, virginica", "105 (from X_train)", "scikit-learn"):
            expect(facts).to_contain_text(text)
        expect(page.locator("table.inputs tbody tr")).to_have_count(3)
        expect(page.locator("table.inputs")).to_contain_text("petal_length")

        # the evaluation and its plots, drawn at build time, inline
        expect(page.locator("#evaluation .data-label")).to_contain_text("on held-out data (X_test, y_test: 45 rows)")
        accuracy = f"{meta['evaluation']['metrics']['accuracy']:.4g}"
        expect(page.locator("table.metrics")).to_contain_text(accuracy)
        matrix = meta["evaluation"]["confusion_matrix"]["matrix"]
        cells = page.locator("#plot-confusion_matrix svg text.cell")
        expect(cells).to_have_count(9)
        assert cells.all_text_contents() == [str(v) for row in matrix for v in row]
        for name in ("confusion_matrix", "roc_curve", "feature_importances"):
            box = page.locator(f"#plot-{name} svg").bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, name
        expect(page.locator("#plot-roc_curve svg polyline")).to_have_count(4)  # chance + one per class

        # the executed notebook, framed and sandboxed
        frame = page.frame_locator("iframe.notebook")
        expect(frame.locator("h1")).to_contain_text("Training the flower model")
        expect(frame.locator("table.dataframe td").first).to_have_text("5.1")
        expect(frame.locator("text=trained on 112 rows")).to_be_visible()
        expect(frame.locator("img[src^='data:image/png']")).to_have_count(1)

        # live panels: numbers that move after predictions
        expect(page.locator("#live-requests")).to_have_text("0", timeout=20_000)
        rows = meta["examples"][:2] + [{"sepal_length": 99.0, "petal_length": 1.4, "petal_width": 0.2}]
        for _ in range(3):
            assert requests.post(server.url + "/predict", json={"instances": rows}, timeout=10).status_code == 200
        assert requests.post(server.url + "/predict", json={"instances": [{"sepal_length": "x"}]},
                             timeout=10).status_code == 400
        expect(page.locator("#live-requests")).to_have_text("4", timeout=20_000)
        expect(page.locator("#live-rows")).to_have_text("9")
        expect(page.locator("#live-invalid")).to_have_text("1")
        expect(page.locator("#live-errors")).to_contain_text("1 answered with an error")
        expect(page.locator("#live-latency")).to_contain_text("ms")
        predicted = page.locator("#live-predictions tbody tr")
        expect(predicted).to_have_count(3)
        assert sum(int(t) for t in page.locator("#live-predictions tbody tr td:nth-child(2)").all_text_contents()) == 9
        drift = page.locator("#live-drift tbody tr", has_text="sepal_length")
        expect(drift.locator("td").nth(1)).to_have_text("3")

        if os.environ.get("NB2SERVICE_SCREENSHOT"):
            SCREENSHOT.parent.mkdir(exist_ok=True)
            from PIL import Image

            page.screenshot(path=str(SCREENSHOT), full_page=True, clip={"x": 0, "y": 0, "width": 1180, "height": 2010})
            Image.open(SCREENSHOT).quantize(colors=96).save(SCREENSHOT, optimize=True)  # small enough to commit

        # nothing planted ran, nothing left the service, nothing complained
        assert page.title().startswith("forest")
        assert not [u for u in seen.requests if "planted" in u]
        assert not [u for u in seen.requests if not u.startswith(server.url + "/")], seen.requests
        assert seen.problems() == []
        page.close()
    finally:
        server.stop()


def test_the_offline_report_renders_without_a_server_and_loads_nothing(browser, reported, tmp_path):
    from playwright.sync_api import expect

    out = tmp_path / "report.html"
    done = subprocess.run([NB2SERVICE, "report", str(reported["ridge"]), "-o", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page = browser.new_page()
    seen = Recorder(browser, page)
    page.goto(out.as_uri())
    expect(page.locator("h1")).to_contain_text("ridge")
    expect(page.locator("#plot-predicted_vs_actual svg circle")).to_have_count(50)
    expect(page.locator("#plot-residuals svg")).to_be_visible()
    frame = page.frame_locator("iframe.notebook")
    expect(frame.locator("h1")).to_contain_text("Training the flower model")
    expect(frame.locator("table.dataframe")).to_be_visible()
    assert page.locator("#live").count() == 0 and page.locator("script").count() == 0
    assert [u for u in seen.requests if not u.startswith("file://")] == []
    assert seen.problems() == []
    page.close()
