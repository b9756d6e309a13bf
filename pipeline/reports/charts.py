"""Charts drawn on the server as SVG text: pure functions, data in → SVG string out, no drawing library.

Used by the 统计 page (pipeline/web) and free for any report: the SVG has a <title> and a <desc> for
screen readers, uses presentation attributes only (no style attribute, no script: it passes a strict
Content-Security-Policy inline), prints every value beside its bar, and draws with the station's
Chinese font stack. The numbers are always also given as a table beside the chart.

    stacked_bars(title=..., labels=["2024", "2025"], series=[("10年", [3, 4]), ("永久", [1, 0])])
    hbars(title=..., labels=["2026-06"], series=[("已归档", [40]), ("未交回", [3])])
"""

from __future__ import annotations

import math
import zlib
from xml.sax.saxutils import escape

FONT = "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"
# Okabe–Ito: told apart by colour-blind readers too; dark enough for white value labels where needed
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
Series = tuple[str, list[int]]


def colour(index: int) -> str:
    """The palette colour of the index-th series."""
    return PALETTE[index % len(PALETTE)]


def axis_top(value: float) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above value (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return int(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def text_width(text: str, size: float) -> float:
    """Approximate drawn width: a CJK character is one em, others about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in str(text))


def _text(
    x: float,
    y: float,
    text: object,
    *,
    size: float = 12,
    anchor: str = "middle",
    fill: str = "#212529",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" '
        f'fill="{fill}" font-family="{FONT}">{escape(str(text))}</text>'
    )


def _open(title: str, desc: str, width: int, height: int) -> list[str]:
    ident = f"c{zlib.crc32(f'{title}|{width}|{height}'.encode()):08x}"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{ident}t {ident}d">',
        f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        _text(width / 2, 20, title, size=14, weight="bold"),
    ]


def _legend(series: list[Series], x: float, y: float) -> list[str]:
    parts = []
    for index, (name, _) in enumerate(series):
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour(index)}"/>')
        parts.append(_text(x + 16, y, name, anchor="start", size=12))
        x += 16 + text_width(name, 12) + 18
    return parts


def _describe(labels: list[str], series: list[Series]) -> str:
    return "；".join(
        f"{label}：" + "，".join(f"{name} {values[i]}" for name, values in series) for i, label in enumerate(labels)
    )


def _empty(parts: list[str], width: int, height: int, empty: str) -> str:
    return "".join(parts + [_text(width / 2, height / 2, empty, size=14, fill="#6c757d"), "</svg>"])


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
    """Vertical bars, one per label, stacked by series; each bar's total printed above it."""
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    parts = _open(title, _describe(labels, series), width, height)
    if not labels or not any(totals):
        return _empty(parts, width, height, empty)
    left, right, top, bottom = 56, width - 16, 62, height - 34
    parts += _legend(series, left, 44)
    top_value = axis_top(max(totals))
    parts += _y_axis(left, right, top, bottom, top_value, unit)
    slot = (right - left) / len(labels)
    bar = min(56.0, slot * 0.6)
    for i, label in enumerate(labels):
        x, base = left + slot * i + (slot - bar) / 2, bottom
        for index, (name, values) in enumerate(series):
            h = (bottom - top) * values[i] / top_value
            if values[i]:
                parts.append(
                    f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="{colour(index)}"><title>{escape(f"{label} {name}：{values[i]}{unit}")}</title></rect>'
                )
            base -= h
        parts.append(_text(x + bar / 2, base - 4, totals[i], size=11))
        parts.append(_text(x + bar / 2, bottom + 16, label, size=11))
    return "".join(parts + ["</svg>"])


def _y_axis(left: float, right: float, top: float, bottom: float, top_value: int, unit: str) -> list[str]:
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#495057"/>']
    steps = top_value if top_value < 5 else 5  # whole numbers on the axis: tops are 1, 2 or 5 × 10^k
    for step in range(steps + 1):
        value = top_value * step / steps
        y = bottom - (bottom - top) * step / steps
        if step:
            parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#dee2e6"/>')
        label = f"{value:g}"
        parts.append(_text(left - 6, y + 4, label, size=10, anchor="end", fill="#495057"))
    parts.append(_text(left - 6, top - 8, unit, size=10, anchor="end", fill="#495057"))
    return parts


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
    """Horizontal bars, one row per label, stacked by series, each segment's value printed on or beside it."""
    height = 72 + row * max(1, len(labels)) + 10
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    parts = _open(title, _describe(labels, series), width, height)
    if not labels or not any(totals):
        return _empty(parts, width, height, empty)
    gutter = min(180.0, max(text_width(label, 12) for label in labels) + 16)
    left, right, top = gutter, width - 56, 62
    parts += _legend(series, 16, 44)
    scale = (right - left) / max(totals)
    for i, label in enumerate(labels):
        y, x = top + row * i, left
        parts.append(_text(left - 8, y + row / 2 + 4, label, size=12, anchor="end"))
        for index, (name, values) in enumerate(series):
            w = values[i] * scale
            if values[i]:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 4:.1f}" width="{w:.1f}" height="{row - 8}" '
                    f'fill="{colour(index)}"><title>{escape(f"{label} {name}：{values[i]}{unit}")}</title></rect>'
                )
                if w >= text_width(values[i], 11) + 6:
                    parts.append(
                        _text(
                            x + w / 2,
                            y + row / 2 + 4,
                            values[i],
                            size=11,
                            fill="#ffffff" if index % len(PALETTE) in (0, 2, 5, 7) else "#212529",
                        )
                    )
            x += w
        parts.append(_text(x + 6, y + row / 2 + 4, f"{totals[i]}", size=11, anchor="start"))
    return "".join(parts + ["</svg>"])
