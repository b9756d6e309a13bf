"""Charts of the 统计年报 as plain SVG text (pure functions, no drawing library): drawn on the server,
embedded in the WeasyPrint PDF as images, and rasterised to PNG for the DOCX (pipeline/render/svgpng.py).
Kept beside the report because the web's chart module (issue 15) was not on its branch yet."""

from __future__ import annotations

import base64
import math
from xml.sax.saxutils import escape

FONT = "Noto Sans CJK SC, Noto Sans CJK, sans-serif"
COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6")


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above value (at least 1): the top of the axis."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def text_width(text: str, size: float) -> float:
    """Rough drawn width: a CJK character is a full em, anything else about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def fit_label(text: str, width: float, size: float = 9) -> str:
    """An axis label cut with "…" so that it fits `width` (the table beside the chart has the full text)."""
    text = str(text)
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _text(x: float, y: float, text: str, *, size: float = 9, anchor: str = "middle", fill: str = "#000") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-family="{FONT}">{escape(str(text))}</text>'
    )


def _legend(series: list[tuple[str, list[int]]], right: float, top: float) -> list[str]:
    parts, x = [], right
    for index, (name, _) in reversed(list(enumerate(series))):
        x -= 12 * len(name) + 18
        parts.append(
            f'<rect x="{x:.1f}" y="{top - 8:.1f}" width="9" height="9" fill="{COLOURS[index % len(COLOURS)]}"/>'
        )
        parts.append(_text(x + 12, top, name, anchor="start"))
    return parts


def bar_chart(
    *,
    title: str,
    labels: list[str],
    series: list[tuple[str, list[int]]],
    width: int = 520,
    height: int = 230,
    empty: str = "本年无数据",
) -> str:
    """A grouped bar chart as an SVG document: one group per label, one bar per series, values on top."""
    left, right, top, bottom = 44, width - 10, 40, height - 34
    head = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    parts = [head, _text(width / 2, 16, title, size=12)]
    parts += _legend(series, right, 32) if len(series) > 1 else []
    peak = max((v for _, values in series for v in values), default=0)
    if not labels or peak == 0:
        parts.append(_text(width / 2, (top + bottom) / 2, empty, size=11, fill="#555"))
        return "".join(parts) + "</svg>"
    axis_top = nice_ceiling(peak)
    scale = (bottom - top) / axis_top
    for tick in range(5):
        value = axis_top * tick / 4
        y = bottom - value * scale
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#bbb" stroke-width="0.5"/>')
        parts.append(_text(left - 4, y + 3, f"{value:g}", size=8, anchor="end"))
    group = (right - left) / len(labels)
    bar = group * 0.7 / len(series)
    for g, label in enumerate(labels):
        x0 = left + g * group + group * 0.15
        for s, (_, values) in enumerate(series):
            value = values[g]
            h = value * scale
            x = x0 + s * bar
            if value:
                parts.append(
                    f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar * 0.92:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[s % len(COLOURS)]}"/>'
                )
            parts.append(_text(x + bar * 0.46, bottom - h - 3, str(value), size=8))
        parts.append(_text(left + (g + 0.5) * group, bottom + 14, fit_label(label, group * 0.95), size=9))
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#000" stroke-width="0.8"/>')
    return "".join(parts) + "</svg>"


def svg_data_uri(svg: str) -> str:
    """An SVG document as a data: URI (for an <img> in the PDF template)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def svg_from_uri(uri: str) -> str:
    """The SVG document of a data: URI made by svg_data_uri."""
    return base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
