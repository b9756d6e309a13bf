"""Charts drawn on the server as SVG text: pure functions, data in → SVG string out, no drawing library.

One set of drawing helpers in two looks: SCREEN for the 统计 page (pipeline/web: stacked_bars, hbars) and PRINT
for the 统计年报 (pipeline/forms/yearly.py: grouped_bars, embedded in the WeasyPrint PDF as a data: URI and
rasterised for the DOCX by pipeline/render/svgpng.py). Every chart has a <title> and a <desc> for screen
readers, uses presentation attributes only (no style attribute, no script: it passes a strict
Content-Security-Policy inline) and prints every value beside its bar; the numbers are always also given
as a table beside the chart.

    stacked_bars(title=..., labels=["2024", "2025"], series=[("10年", [3, 4]), ("永久", [1, 0])])
    hbars(title=..., labels=["2026-06"], series=[("已归档", [40]), ("未交回", [3])])
    grouped_bars(title=..., labels=["KW 考务"], series=[("接收", [131]), ("销毁", [2])])
"""

from __future__ import annotations

import base64
import math
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

Series = tuple[str, list[int]]


@dataclass(frozen=True)
class Look:
    """A family of charts' font, series colours, lines and title."""

    font: str
    palette: tuple[str, ...]
    ink: str  # text
    muted: str  # the "no data" line
    axis: str  # the base line and the axis numbers
    axis_width: str  # "" for 1
    grid: str
    grid_width: str
    background: str  # "" for none
    title_y: float
    title_size: float
    title_weight: str

    def colour(self, index: int) -> str:
        """The palette colour of the index-th series."""
        return self.palette[index % len(self.palette)]


# Okabe–Ito: told apart by colour-blind readers too; dark enough for white value labels where needed
SCREEN = Look(
    font="Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif",
    palette=("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"),
    ink="#212529",
    muted="#6c757d",
    axis="#495057",
    axis_width="",
    grid="#dee2e6",
    grid_width="",
    background="#ffffff",
    title_y=20,
    title_size=14,
    title_weight="bold",
)
# the printed report: the fonts WeasyPrint embeds, colours that stay apart in greyscale print
PRINT = Look(
    font="Noto Sans CJK SC, Noto Sans CJK, sans-serif",
    palette=("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6"),
    ink="#000",
    muted="#555",
    axis="#000",
    axis_width="0.8",
    grid="#bbb",
    grid_width="0.5",
    background="",
    title_y=16,
    title_size=12,
    title_weight="normal",
)
WHITE_TEXT = (0, 2, 5, 7)  # SCREEN colours dark enough for a white value label


def axis_top(value: float) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above value (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return int(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def text_width(text: object, size: float) -> float:
    """Approximate drawn width: a CJK character is one em, others about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in str(text))


def fit_label(text: object, width: float, size: float = 9) -> str:
    """An axis label cut with "…" so that it fits `width` (the table beside the chart has the full text)."""
    text = str(text)
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def svg_data_uri(svg: str) -> str:
    """An SVG document as a data: URI (for an <img> in the PDF template)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def svg_from_uri(uri: str) -> str:
    """The SVG document of a data: URI made by svg_data_uri."""
    return base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")


def _text(
    look: Look,
    x: float,
    y: float,
    text: object,
    *,
    size: float,
    anchor: str = "middle",
    fill: str = "",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" '
        f'fill="{fill or look.ink}" font-family="{look.font}">{escape(str(text))}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, width: str) -> str:
    stroke = f' stroke-width="{width}"' if width else ""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"{stroke}/>'


def _bar(look: Look, index: int, x: float, y: float, width: float, height: float, tip: str) -> str:
    """One bar or segment of the index-th series, its value as a tooltip."""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{look.colour(index)}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def _describe(labels: list[str], series: list[Series]) -> str:
    return "；".join(
        f"{label}：" + "，".join(f"{name} {values[i]}" for name, values in series) for i, label in enumerate(labels)
    )


def _open(
    look: Look, title: str, labels: list[str], series: list[Series], width: int, height: int
) -> tuple[list[str], list[int]]:
    """The SVG's opening parts (accessible title and description, background, visible title) and each label's total."""
    ident = f"c{zlib.crc32(f'{title}|{width}|{height}'.encode()):08x}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{ident}t {ident}d">',
        f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(_describe(labels, series))}</desc>',
    ]
    if look.background:
        parts.append(f'<rect width="{width}" height="{height}" fill="{look.background}"/>')
    parts.append(_text(look, width / 2, look.title_y, title, size=look.title_size, weight=look.title_weight))
    return parts, [sum(values[i] for _, values in series) for i in range(len(labels))]


def _close(parts: list[str]) -> str:
    return "".join(parts + ["</svg>"])


def _empty(look: Look, parts: list[str], x: float, y: float, text: str, size: float) -> str:
    return _close(parts + [_text(look, x, y, text, size=size, fill=look.muted)])


def _legend(
    look: Look, series: list[Series], x: float, y: float, *, key: float, size: float, space: float, end: bool = False
) -> list[str]:
    """A colour key and name per series, `space` apart, from x rightwards (end=True: the last name ends at x)."""
    steps = [key + key / 3 + text_width(name, size) + space for name, _ in series]
    if end:
        x -= sum(steps) - space
    parts = []
    for index, ((name, _), step) in enumerate(zip(series, steps, strict=True)):
        parts.append(
            f'<rect x="{x:.1f}" y="{y - key * 5 / 6:.1f}" width="{key}" height="{key}" fill="{look.colour(index)}"/>'
        )
        parts.append(_text(look, x + key + key / 3, y, name, anchor="start", size=size))
        x += step
    return parts


def _base(look: Look, left: float, right: float, bottom: float) -> str:
    """The base line the bars stand on."""
    return _line(left, bottom, right, bottom, look.axis, look.axis_width)


def _y_axis(
    look: Look, left: float, right: float, top: float, bottom: float, top_value: int, *, steps: int, size: float,
    gap: float
) -> list[str]:
    """A grid line above the base and a number (size, gap left of the axis) at each of `steps` equal steps."""
    parts = []
    for step in range(steps + 1):
        y = bottom - (bottom - top) * step / steps
        if step:
            parts.append(_line(left, y, right, y, look.grid, look.grid_width))
        parts.append(
            _text(look, left - gap, y + round(size * 0.4), f"{top_value * step / steps:g}", size=size, anchor="end",
                  fill=look.axis)
        )
    return parts


def stacked_bars(
    *,
    title: str,
    labels: list[str],
    series: list[Series],
    width: int = 640,
    height: int = 300,
    empty: str = "暂无数据",
    unit: str = "件",
) -> str:
    """Vertical bars, one per label, stacked by series; each bar's total printed above it (the 统计 page)."""
    parts, totals = _open(SCREEN, title, labels, series, width, height)
    if not labels or not any(totals):
        return _empty(SCREEN, parts, width / 2, height / 2, empty, 14)
    left, right, top, bottom = 56, width - 16, 62, height - 34
    parts += _legend(SCREEN, series, left, 44, key=12, size=12, space=18)
    top_value = axis_top(max(totals))
    # whole numbers on the axis: tops are 1, 2 or 5 × 10^k
    parts.append(_base(SCREEN, left, right, bottom))
    parts += _y_axis(SCREEN, left, right, top, bottom, top_value, steps=min(top_value, 5), size=10, gap=6)
    parts.append(_text(SCREEN, left - 6, top - 8, unit, size=10, anchor="end", fill=SCREEN.axis))
    slot = (right - left) / len(labels)
    bar = min(56.0, slot * 0.6)
    for i, label in enumerate(labels):
        x, base = left + slot * i + (slot - bar) / 2, bottom
        for index, (name, values) in enumerate(series):
            h = (bottom - top) * values[i] / top_value
            if values[i]:
                parts.append(_bar(SCREEN, index, x, base - h, bar, h, f"{label} {name}：{values[i]}{unit}"))
            base -= h
        parts.append(_text(SCREEN, x + bar / 2, base - 4, totals[i], size=11))
        parts.append(_text(SCREEN, x + bar / 2, bottom + 16, label, size=11))
    return _close(parts)


def hbars(
    *,
    title: str,
    labels: list[str],
    series: list[Series],
    width: int = 640,
    row: int = 28,
    empty: str = "暂无数据",
    unit: str = "份",
) -> str:
    """Horizontal bars, one row per label, stacked by series, each segment's value on or beside it (the 统计 page)."""
    height = 72 + row * max(1, len(labels)) + 10
    parts, totals = _open(SCREEN, title, labels, series, width, height)
    if not labels or not any(totals):
        return _empty(SCREEN, parts, width / 2, height / 2, empty, 14)
    gutter = min(180.0, max(text_width(label, 12) for label in labels) + 16)
    left, right, top = gutter, width - 56, 62
    parts += _legend(SCREEN, series, 16, 44, key=12, size=12, space=18)
    scale = (right - left) / max(totals)
    for i, label in enumerate(labels):
        y, x = top + row * i, left
        parts.append(_text(SCREEN, left - 8, y + row / 2 + 4, label, size=12, anchor="end"))
        for index, (name, values) in enumerate(series):
            w = values[i] * scale
            if values[i]:
                parts.append(_bar(SCREEN, index, x, y + 4, w, row - 8, f"{label} {name}：{values[i]}{unit}"))
                if w >= text_width(values[i], 11) + 6:
                    white = index % len(SCREEN.palette) in WHITE_TEXT
                    parts.append(
                        _text(SCREEN, x + w / 2, y + row / 2 + 4, values[i], size=11, fill="#ffffff" if white else "")
                    )
            x += w
        parts.append(_text(SCREEN, x + 6, y + row / 2 + 4, f"{totals[i]}", size=11, anchor="start"))
    return _close(parts)


def grouped_bars(
    *,
    title: str,
    labels: list[str],
    series: list[Series],
    width: int = 520,
    height: int = 230,
    empty: str = "本年无数据",
) -> str:
    """Grouped bars, one group per label, one bar per series, each value on top (the printed 统计年报)."""
    left, right, top, bottom = 44, width - 10, 40, height - 34
    parts, totals = _open(PRINT, title, labels, series, width, height)
    if len(series) > 1:
        parts += _legend(PRINT, series, right - 12, 32, key=9, size=9, space=12, end=True)
    if not labels or not any(totals):
        return _empty(PRINT, parts, width / 2, (top + bottom) / 2, empty, 11)
    top_value = axis_top(max(v for _, values in series for v in values))
    parts += _y_axis(PRINT, left, right, top, bottom, top_value, steps=4, size=8, gap=4)
    group = (right - left) / len(labels)
    bar = group * 0.7 / len(series)
    for g, label in enumerate(labels):
        x0 = left + g * group + group * 0.15
        for s, (name, values) in enumerate(series):
            h = values[g] * (bottom - top) / top_value
            x = x0 + s * bar
            if values[g]:
                parts.append(_bar(PRINT, s, x, bottom - h, bar * 0.92, h, f"{label} {name}：{values[g]}"))
            parts.append(_text(PRINT, x + bar * 0.46, bottom - h - 3, values[g], size=8))
        parts.append(_text(PRINT, left + (g + 0.5) * group, bottom + 14, fit_label(label, group * 0.95), size=9))
    return _close(parts + [_base(PRINT, left, right, bottom)])
