"""The executed notebook as an HTML page, with nbconvert's HTML exporter (lab template), at build time.

A notebook's outputs and markdown may hold any HTML, scripts included. Three layers keep them from
running with the service's origin:

1. ``templates/notebook.html.j2`` drops what the lab template loads from CDNs (require.js, MathJax,
   mermaid, widgets) and never emits JavaScript outputs;
2. HTML in markdown and in outputs goes through ``without_active_content`` (bleach, a wide allowlist
   of tags without ``<script>``, ``<iframe>``, ``<object>``, forms or ``on*`` handlers; images only
   from ``data:`` URIs, so nothing is fetched from elsewhere);
3. the service sends the page with ``Content-Security-Policy: sandbox; default-src 'none'...`` and
   the report frames it with ``<iframe sandbox>`` (``builder.modelcard.page``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: nbconvert's own log (e.g. "Alternative text is missing on 3 image(s)") would reach the build
#: output with no context; errors raise anyway.
QUIET = logging.getLogger("nb2service.notebook")
QUIET.setLevel(logging.ERROR)

#: Tags kept in notebook HTML: text, tables (pandas), images, details, styles (pandas Styler,
#: scikit-learn's estimator display). Not kept: script, iframe, object, embed, form, link, meta, svg.
TAGS = frozenset("""a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup dd del
details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hr i img input ins kbd label li main
mark nav ol p pre q rp rt ruby s samp section small span strong style sub summary sup table tbody td tfoot th
thead time tr u ul var wbr""".split())
#: Attributes that may carry a URL: only these schemes survive (bleach checks ``href``/``src``).
PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
SCRIPTING = re.compile(r"<(script|noscript|iframe|object|embed|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def without_active_content(html) -> str:
    """``html`` with nothing that runs or loads: no scripts, frames, plug-ins, event handlers, remote
    images, ``javascript:`` links. Script bodies are dropped first (cosmetic: so their code does not
    show up as text); bleach then does the sanitizing."""
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    html = html.decode() if isinstance(html, bytes) else str(html)
    html = SCRIPTING.sub("", html)
    return bleach.clean(html, tags=TAGS, attributes=_allowed_attribute, protocols=PROTOCOLS, strip=True,
                        strip_comments=True, css_sanitizer=CSSSanitizer())


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    name = name.lower()
    if name.startswith("on") or name in ("srcset", "formaction", "action", "background", "ping", "poster"):
        return False
    if tag == "img" and name == "src":
        return value.strip().lower().startswith("data:image/")
    if tag == "input" and name == "type":
        return value.lower() in ("checkbox", "radio", "hidden")  # scikit-learn's display toggles
    return True


def render(path: Path) -> str:
    """The notebook at ``path`` as one self-contained HTML page (styles and images inline)."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(log=QUIET, template_name="lab", template_file="notebook.html.j2",
                            extra_template_paths=[str(TEMPLATES)], sanitize_html=True,
                            filters={"clean_html": without_active_content})
    body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4),
                                          resources={"metadata": {"name": Path(path).stem}})
    return body
