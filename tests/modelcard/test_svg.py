"""The SVG charts: valid XML, the numbers they claim, labels escaped, nothing a CSP would block."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from builder.modelcard import svg

NS = {"s": svg.SVG_NS}


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{{{svg.SVG_NS}}}svg" and root.get("role") == "img"
    assert not [e for e in root.iter() if "style" in e.attrib], "a style attribute would need 'unsafe-inline'"
    assert not [e for e in root.iter() if e.tag.endswith(("script", "style", "foreignObject"))]
    return root


@pytest.mark.parametrize("low, high, expected", [
    (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (0.13, 0.91, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (-37, 112, [-50, 0, 50, 100, 150]),
    (5, 5, [5, 6, 7, 8, 9, 10]),
])
def test_ticks_are_round_numbers_covering_the_range(low, high, expected):
    ticks = svg.nice_ticks(low, high)
    assert ticks == pytest.approx(expected)
    assert ticks[0] <= low and ticks[-1] >= high


def test_the_confusion_matrix_shows_every_count_in_its_row_and_column():
    labels, matrix = ["cat", "dog", "<b>&bird"], [[5, 1, 0], [2, 7, 1], [0, 0, 9]]
    root = parse(svg.heatmap(labels, matrix, "Confusion matrix"))
    cells = root.findall(".//s:text[@class='cell']", NS)
    assert [(int(c.get("data-row")), int(c.get("data-col")), int(c.text)) for c in cells] == [
        (i, j, v) for i, row in enumerate(matrix) for j, v in enumerate(row)]
    texts = [t.text for t in root.iter(f"{{{svg.SVG_NS}}}text")]
    assert "<b>&bird" in texts  # a label is text, escaped by the XML writer, never markup
    assert root.find("s:title", NS).text == "Confusion matrix"


def test_a_roc_curve_per_class_with_its_auc_in_the_legend():
    curves = [("yes", [0, 0.1, 1], [0, 0.8, 1], 0.85), ("no", [0, 0.5, 1], [0, 0.5, 1], 0.5)]
    root = parse(svg.roc(curves, "ROC"))
    assert len(root.findall(".//s:polyline", NS)) == 3  # the chance diagonal and two curves
    texts = [t.text for t in root.iter(f"{{{svg.SVG_NS}}}text")]
    assert "yes (AUC 0.850)" in texts and "no (AUC 0.500)" in texts


def test_a_scatter_keeps_every_finite_point_up_to_the_cap():
    root = parse(svg.scatter([1, 2, 3, float("nan")], [1.5, 2.5, 2.0, 1.0], "P", "actual", "predicted"))
    assert len(root.findall(".//s:circle", NS)) == 3
    many = list(range(svg.MAX_POINTS * 3))
    capped = parse(svg.scatter(many, many, "P", "actual", "predicted"))
    assert len(capped.findall(".//s:circle", NS)) == svg.MAX_POINTS


def test_bars_are_as_long_as_their_values():
    root = parse(svg.bars(["a", "b"], [0.4, 0.1], "Importances", "importance"))
    widths = [float(r.get("width")) for r in root.findall(".//s:rect[@data-value]", NS)]
    assert widths[0] == pytest.approx(4 * widths[1], rel=0.01)
