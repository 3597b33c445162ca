"""``/report`` on the service (flask test client) and ``nb2service report`` (the real CLI)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from builder.modelcard import page
from builder.serve.live import quantile, ranges

from .conftest import metadata

NB2SERVICE = str(Path(sys.executable).parent / "nb2service")


@pytest.fixture(scope="module")
def client(reported):
    from builder.serve.app import create_app

    return create_app(reported["forest"]).test_client()


def test_the_report_page_is_sent_with_a_strict_content_security_policy(client):
    response = client.get("/report")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/report/static/report.js">']
    assert not re.search(r"\sstyle=", html), "inline styles would be blocked by style-src 'self'"
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html), "every asset comes from the service"
    assert '<iframe class="notebook" sandbox=""' in html and 'src="/report/notebook/0"' in html


def test_the_notebook_is_sent_sandboxed_with_no_script_allowed(client):
    response = client.get("/report/notebook/0")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "script-src" not in policy and "default-src 'none'" in policy
    assert b"Training the flower model" in response.data
    assert client.get("/report/notebook/1").status_code == 404


def test_the_pages_own_assets_are_served_and_nothing_else(client):
    with client.get("/report/static/report.js") as script, client.get("/report/static/report.css") as style:
        assert script.status_code == 200 and script.mimetype == "text/javascript" and script.data
        assert style.mimetype == "text/css" and b"url(" not in style.data
    assert client.get("/report/static/../page.py").status_code == 404
    assert client.get("/report/static/missing.js").status_code == 404


def test_live_json_summarizes_the_services_own_metrics(reported):
    from builder.serve.app import create_app

    client = create_app(reported["forest"]).test_client()
    before = client.get("/report/live.json").get_json()
    assert before["requests"]["total"] == 0 and before["classes"] == {"setosa": 0, "versicolor": 0, "virginica": 0}
    rows = metadata(reported["forest"])["examples"][:2] + [{"sepal_length": 99, "petal_length": 1, "petal_width": 0.2}]
    assert client.post("/predict", json={"instances": rows}).status_code == 200
    assert client.post("/predict", json={"instances": [{"sepal_length": "x"}]}).status_code == 400
    live = client.get("/report/live.json").get_json()
    assert live["requests"] == {"total": 2, "errors": 1, "by_status": {"200": 1, "400": 1}}
    assert live["rows"] == 3 and sum(live["classes"].values()) == 3
    assert live["drift"]["sepal_length"]["out_of_range"] == 1 and live["drift"]["petal_width"]["out_of_range"] == 0
    assert live["validation_failures"]["total"] == 1
    assert live["latency_ms"]["count"] == 2 and live["latency_ms"]["p50"] > 0
    assert client.get("/report/live.json").get_json()["requests"]["total"] == 2  # reading is not counted


def test_a_regressor_reports_the_distribution_of_its_predictions(reported):
    from builder.serve.app import create_app

    client = create_app(reported["ridge"]).test_client()
    rows = metadata(reported["ridge"])["examples"]
    client.post("/predict", json={"instances": rows})
    live = client.get("/report/live.json").get_json()
    assert live["classes"] is None and live["values"]["count"] == len(rows)
    assert sum(b["count"] for b in live["values"]["buckets"]) == len(rows)


def test_percentiles_come_from_the_histogram_buckets_like_prometheus():
    buckets = [(0.01, 10.0), (0.1, 90.0), (1.0, 100.0), (float("inf"), 100.0)]
    assert quantile(0.5, buckets) == pytest.approx(0.01 + 0.09 * (40 / 80))
    assert quantile(0.95, buckets) == pytest.approx(0.1 + 0.9 * 0.5)
    assert quantile(0.5, []) is None and quantile(0.5, [(float("inf"), 0.0)]) is None
    assert [r["count"] for r in ranges(buckets)] == [10, 80, 10, 0]


def test_an_artifact_from_before_the_report_stage_still_has_a_card(reported, tmp_path):
    import json
    import shutil

    old = Path(shutil.copytree(reported["forest"], tmp_path / "old"))
    meta = metadata(old)
    del meta["report"], meta["evaluation"]
    (old / "metadata.json").write_text(json.dumps(meta))
    html = page.service_page(old, meta)
    assert "RandomForestClassifier" in html and "no evaluation was recorded" in html
    assert "built by an nb2service without the report stage" in html


def test_nb2service_report_writes_one_offline_file_with_no_script(reported, tmp_path):
    out = tmp_path / "deep" / "report.html"
    done = subprocess.run([NB2SERVICE, "report", str(reported["forest"]), "-o", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"---> wrote {out}"
    html = out.read_text()
    assert '<meta http-equiv="Content-Security-Policy"' in html and "script-src" not in page.OFFLINE_CSP
    assert "<script" not in html.replace("&lt;script", "")
    assert '<iframe class="notebook" sandbox=""' in html and "srcdoc=" in html
    for plot in ("confusion_matrix", "roc_curve", "feature_importances"):
        assert f'id="plot-{plot}"><svg' in html


def test_nb2service_report_on_a_folder_that_is_no_artifact_says_so(tmp_path):
    done = subprocess.run([NB2SERVICE, "report", str(tmp_path), "-o", str(tmp_path / "r.html")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 8
    assert "metadata.json: missing" in done.stderr and not (tmp_path / "r.html").exists()


def test_every_notebook_of_a_multi_notebook_build_gets_its_frame_or_says_why_not(reported, tmp_path):
    import json
    import shutil

    from builder.serve.app import create_app

    artifact = Path(shutil.copytree(reported["forest"], tmp_path / "two"))
    meta = metadata(artifact)
    shutil.copy(artifact / "report" / "notebook-0.html", artifact / "report" / "notebook-1.html")
    meta["report"]["notebooks"] += [{"path": "evaluate.ipynb", "file": "report/notebook-1.html"},
                                    {"path": "broken.ipynb", "file": None, "problem": "rendering broken.ipynb: boom"}]
    (artifact / "metadata.json").write_text(json.dumps(meta))
    client = create_app(artifact).test_client()
    html = client.get("/report").get_data(as_text=True)
    assert re.findall(r'src="(/report/notebook/\d)"', html) == ["/report/notebook/0", "/report/notebook/1"]
    assert "evaluate.ipynb" in html and "rendering broken.ipynb: boom" in html
    assert client.get("/report/notebook/1").status_code == 200
    assert client.get("/report/notebook/2").status_code == 404
