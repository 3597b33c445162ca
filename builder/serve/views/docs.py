"""``GET /openapi.json`` and ``GET /docs``: Swagger UI from the ``swagger-ui-bundle`` package's own
static files (no CDN), or, when that package is not installed, a small self-contained page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from . import json_response, service

bp = Blueprint("docs", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true}});</script>
</body></html>
"""


def swagger_ui_dir() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return Path(swagger_ui_path)


@bp.get("/openapi.json")
def openapi():
    return json_response(service().openapi)


@bp.get("/docs")
def docs():
    title = f"{service().runtime.name} model service"
    if swagger_ui_dir() is None:
        return Response(_fallback_page(title), 200, mimetype="text/html")
    return Response(PAGE.format(title=title), 200, mimetype="text/html")


@bp.get("/docs/static/<path:filename>")
def static(filename):
    folder = swagger_ui_dir()
    if folder is None:
        return Response("swagger-ui-bundle is not installed", 404, mimetype="text/plain")
    return send_from_directory(folder, filename)


def _fallback_page(title: str) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>Install <code>swagger-ui-bundle</code> for interactive docs. The OpenAPI document is at
<a href="/openapi.json">/openapi.json</a>.</p><ul id="paths"></ul>
<h2>Try <code>POST /predict</code></h2><textarea id="body" rows="8" cols="80"></textarea><br>
<button onclick="send()">Send</button><pre id="out"></pre>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {{
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {{
    if (method === 'parameters') continue;
    const li = document.createElement('li'); li.textContent = method.toUpperCase() + ' ' + path + ' - ' + op.summary;
    document.getElementById('paths').appendChild(li); }}
  const ex = doc.paths['/predict'].post.requestBody.content['application/json'].example;
  document.getElementById('body').value = JSON.stringify(ex || {{instances: []}}, null, 2); }});
function send() {{
  fetch('/predict', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},
    body: document.getElementById('body').value}}).then(r => r.text()).then(t => document.getElementById('out').textContent = t); }}
</script></body></html>"""
