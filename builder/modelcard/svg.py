"""Small SVG charts for the report, built with ``xml.etree.ElementTree`` (which escapes every label).

Why not matplotlib: it is not a dependency of nb2service (only of its tests), and its SVG carries
``style="..."`` attributes that the report's Content-Security-Policy (``style-src 'self'``) would
block, draws text as paths by default and names elements with random ids. The report needs five
chart kinds (a heatmap with counts, ROC lines, two scatters, horizontal bars): drawn here with
presentation attributes only, deterministic, a few kB each, text kept as text.

Every chart is a ``viewBox``-scaled ``<svg role="img">`` with a ``<title>``; numbers on axes use
1-2-5 ticks.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH, HEIGHT = 440, 340
MARGIN = {"left": 64, "right": 16, "top": 34, "bottom": 52}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
PALETTE = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
           "#4b5563", "#b45309")
#: Scatter plots keep at most this many points (evenly spaced rows), to keep the page light.
MAX_POINTS = 2000

ET.register_namespace("", SVG_NS)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering ``[low, high]``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def fmt(value: float) -> str:
    """A short number for an axis or a cell: 0.25, 1200, 3.4e+06."""
    if value == 0:
        return "0"
    return f"{value:.3g}"


class Chart:
    """An SVG canvas with one plotting area; ``x``/``y`` map data to pixels once ``scale`` is set."""

    def __init__(self, title: str, width: int = WIDTH, height: int = HEIGHT, margin: dict | None = None):
        self.width, self.height = width, height
        self.margin = {**MARGIN, **(margin or {})}
        self.root = ET.Element(f"{{{SVG_NS}}}svg", {
            "viewBox": f"0 0 {width} {height}", "width": str(width), "height": str(height), "role": "img",
            "font-family": FONT, "font-size": "12", "fill": INK})
        ET.SubElement(self.root, "title").text = title
        ET.SubElement(self.root, "rect", {"width": str(width), "height": str(height), "fill": "#ffffff"})
        self.text(width / 2, 20, title, anchor="middle", size=14, weight="600")
        self.left, self.top = self.margin["left"], self.margin["top"]
        self.right, self.bottom = width - self.margin["right"], height - self.margin["bottom"]
        self.xlim = self.ylim = (0.0, 1.0)

    # -- primitives --------------------------------------------------------------------------------
    def add(self, tag: str, **attrs) -> ET.Element:
        return ET.SubElement(self.root, tag, {k.replace("_", "-"): _attr(v) for k, v in attrs.items()})

    def text(self, x, y, content: str, anchor: str = "start", size: int = 12, weight: str = "400",
             fill: str = INK, rotate: float | None = None) -> ET.Element:
        attrs = {"x": x, "y": y, "text_anchor": anchor, "font_size": size, "fill": fill}
        if weight != "400":
            attrs["font_weight"] = weight
        if rotate is not None:
            attrs["transform"] = f"rotate({rotate} {_num(x)} {_num(y)})"
        element = self.add("text", **attrs)
        element.text = content
        return element

    # -- axes --------------------------------------------------------------------------------------
    def scale(self, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
        self.xlim, self.ylim = xlim, ylim

    def x(self, value: float) -> float:
        low, high = self.xlim
        return self.left + (value - low) / ((high - low) or 1.0) * (self.right - self.left)

    def y(self, value: float) -> float:
        low, high = self.ylim
        return self.bottom - (value - low) / ((high - low) or 1.0) * (self.bottom - self.top)

    def axes(self, xticks: list[float], yticks: list[float], xlabel: str, ylabel: str) -> None:
        """Grid lines, tick labels, the frame and the axis titles, for the current scale."""
        for tick in yticks:
            self.add("line", x1=self.left, x2=self.right, y1=self.y(tick), y2=self.y(tick), stroke=GRID)
            self.text(self.left - 6, self.y(tick) + 4, fmt(tick), anchor="end", size=11, fill=MUTED)
        for tick in xticks:
            self.add("line", x1=self.x(tick), x2=self.x(tick), y1=self.top, y2=self.bottom, stroke=GRID)
            self.text(self.x(tick), self.bottom + 16, fmt(tick), anchor="middle", size=11, fill=MUTED)
        self.add("rect", x=self.left, y=self.top, width=self.right - self.left, height=self.bottom - self.top,
                 fill="none", stroke=MUTED)
        self.text((self.left + self.right) / 2, self.height - 12, xlabel, anchor="middle")
        self.text(16, (self.top + self.bottom) / 2, ylabel, anchor="middle", rotate=-90)

    def polyline(self, xs, ys, color: str, width: float = 2, dash: str | None = None) -> None:
        points = " ".join(f"{_num(self.x(a))},{_num(self.y(b))}" for a, b in zip(xs, ys))
        attrs = {"points": points, "fill": "none", "stroke": color, "stroke_width": width}
        if dash:
            attrs["stroke_dasharray"] = dash
        self.add("polyline", **attrs)

    def legend(self, entries: list[tuple[str, str]]) -> None:
        """Colour swatches and labels in the plotting area's lower-right corner."""
        height = 16 * len(entries)
        y0 = self.bottom - height - 6
        for i, (label, color) in enumerate(entries):
            y = y0 + 16 * i
            self.add("rect", x=self.right - 168, y=y + 3, width=10, height=10, fill=color)
            self.text(self.right - 152, y + 12, label, size=11)

    def to_string(self) -> str:
        return ET.tostring(self.root, encoding="unicode")


# ---- charts ----------------------------------------------------------------------------------------

def heatmap(labels: list[str], matrix: list[list[int]], title: str, xlabel: str = "predicted",
            ylabel: str = "actual") -> str:
    """A confusion matrix: rows are actual classes, columns predicted; each cell shows its count and
    is shaded by its share of the row (so classes of different sizes read alike)."""
    n = len(labels)
    longest = max((len(str(label)) for label in labels), default=1)
    left = min(150, 40 + 7 * longest)
    chart = Chart(title, margin={"left": left, "bottom": 64})
    size = min((chart.right - chart.left) / max(n, 1), (chart.bottom - chart.top) / max(n, 1))
    for i, row in enumerate(matrix):
        total = sum(row) or 1
        for j, count in enumerate(row):
            share = count / total
            x, y = chart.left + j * size, chart.top + i * size
            chart.add("rect", x=x, y=y, width=size, height=size, fill=_blue(share), stroke="#ffffff")
            cell = chart.text(x + size / 2, y + size / 2 + 4, str(count), anchor="middle",
                              size=max(8, min(14, int(size / 3))), fill="#ffffff" if share > 0.55 else INK)
            cell.set("class", "cell")
            cell.set("data-row", str(i))
            cell.set("data-col", str(j))
    for k, label in enumerate(labels):
        middle = k * size + size / 2
        chart.text(chart.left - 6, chart.top + middle + 4, _short(label), anchor="end", size=11)
        chart.text(chart.left + middle, chart.top + n * size + 16, _short(label), anchor="middle", size=11)
    chart.text(chart.left + n * size / 2, chart.top + n * size + 36, xlabel, anchor="middle")
    chart.text(16, chart.top + n * size / 2, ylabel, anchor="middle", rotate=-90)
    return chart.to_string()


def roc(curves: list[tuple[str, list[float], list[float], float]], title: str) -> str:
    """ROC curves ``(label, false positive rates, true positive rates, AUC)`` over a chance diagonal."""
    chart = Chart(title)
    chart.scale((0.0, 1.0), (0.0, 1.0))
    ticks = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    chart.axes(ticks, ticks, "false positive rate", "true positive rate")
    chart.polyline([0, 1], [0, 1], MUTED, width=1, dash="4 4")
    entries = []
    for k, (label, fpr, tpr, area) in enumerate(curves):
        color = PALETTE[k % len(PALETTE)]
        chart.polyline(fpr, tpr, color)
        entries.append((f"{_short(label, 14)} (AUC {area:.3f})", color))
    chart.legend(entries[:10])
    return chart.to_string()


def scatter(xs: list[float], ys: list[float], title: str, xlabel: str, ylabel: str,
            reference: str = "diagonal") -> str:
    """Points with a reference line: ``diagonal`` (y = x, predicted vs actual) or ``zero`` (y = 0,
    residuals). More than ``MAX_POINTS`` points: evenly spaced rows are drawn."""
    pairs = [(float(a), float(b)) for a, b in zip(xs, ys) if _finite(a) and _finite(b)]
    if len(pairs) > MAX_POINTS:
        step = len(pairs) / MAX_POINTS
        pairs = [pairs[int(i * step)] for i in range(MAX_POINTS)]
    chart = Chart(title)
    px = [a for a, _ in pairs] or [0.0]
    py = [b for _, b in pairs] or [0.0]
    if reference == "diagonal":
        low, high = min(min(px), min(py)), max(max(px), max(py))
        xticks = yticks = nice_ticks(low, high)
    else:
        xticks = nice_ticks(min(px), max(px))
        bound = max(abs(min(py)), abs(max(py))) or 1.0
        yticks = nice_ticks(-bound, bound)
    chart.scale((xticks[0], xticks[-1]), (yticks[0], yticks[-1]))
    chart.axes(xticks, yticks, xlabel, ylabel)
    if reference == "diagonal":
        chart.polyline([xticks[0], xticks[-1]], [xticks[0], xticks[-1]], MUTED, width=1, dash="4 4")
    else:
        chart.polyline([xticks[0], xticks[-1]], [0, 0], MUTED, width=1, dash="4 4")
    group = chart.add("g", fill=PALETTE[0], fill_opacity="0.55")
    radius = "3" if len(pairs) < 300 else "2"
    for a, b in pairs:
        ET.SubElement(group, "circle", {"cx": _num(chart.x(a)), "cy": _num(chart.y(b)), "r": radius})
    return chart.to_string()


def bars(names: list[str], values: list[float], title: str, xlabel: str) -> str:
    """Horizontal bars, one per name, in the order given (largest first is the caller's choice)."""
    longest = max((len(str(name)) for name in names), default=1)
    left = min(200, 24 + 7 * min(longest, 26))
    height = max(160, 60 + 22 * len(names) + MARGIN["bottom"])
    chart = Chart(title, height=height, margin={"left": left})
    high = max([v for v in values if _finite(v)] or [1.0])
    low = min([0.0, *[v for v in values if _finite(v)]])
    ticks = nice_ticks(low, high)
    chart.scale((ticks[0], ticks[-1]), (0, len(names)))
    chart.axes(ticks, [], xlabel, "")
    row = (chart.bottom - chart.top) / max(len(names), 1)
    for i, (name, value) in enumerate(zip(names, values)):
        y = chart.top + i * row
        start, end = sorted((chart.x(0), chart.x(value if _finite(value) else 0)))
        bar = chart.add("rect", x=start, y=y + row * 0.15, width=max(end - start, 0.5), height=row * 0.7,
                        fill=PALETTE[0])
        bar.set("data-value", fmt(value))
        chart.text(chart.left - 6, y + row / 2 + 4, _short(name, 26), anchor="end", size=11)
    return chart.to_string()


# ---- helpers ---------------------------------------------------------------------------------------

def _blue(share: float) -> str:
    """White (0) to a dark blue (1)."""
    share = min(max(share, 0.0), 1.0)
    start, end = (239, 246, 255), (30, 64, 175)
    r, g, b = (round(s + (e - s) * share) for s, e in zip(start, end))
    return f"#{r:02x}{g:02x}{b:02x}"


def _short(label, limit: int = 18) -> str:
    text = str(label)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _attr(value) -> str:
    return _num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
