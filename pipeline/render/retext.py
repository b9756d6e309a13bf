"""Direct redraw of simple value blocks on a reused layout (see pipeline.render.reuse).

Most hosts of a per-person form hold one line of plain text ("张三", "350200…", or the meta line
"编号：…  批次：…  准考证号：…" of three spans) or a single photo. For those, even the small values
document is more than needed: this module lays out only the member's new text with WeasyPrint's own
line function (Pango), places it where the skeleton's text sits (same line, same alignment, spans
shifted by the new widths), and draws it with WeasyPrint's own drawing code into a document of
plain pages — no HTML parsing, no CSS cascade, no box layout.

Guarded like the values document: a host is planned only if its skeleton content is that simple; the
skeleton member's own values must come out on exactly the skeleton's positions (else the group uses
the values document); a member whose text needs another line, another height or more width than the
line has goes to the values document.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from math import inf
from types import SimpleNamespace

from weasyprint import DEFAULT_OPTIONS
from weasyprint.document import Document
from weasyprint.draw import draw_background, draw_border, draw_replacedbox
from weasyprint.draw.border import rounded_box
from weasyprint.draw.text import draw_text
from weasyprint.formatting_structure import boxes
from weasyprint.images import get_image_from_uri
from weasyprint.text.line_break import split_first_line

_TAG = re.compile(r"<[^>]*>")
_IMG = re.compile(r'^\s*<img\b[^>]*\bsrc="([^"]*)"[^>]*>\s*$')
_TOLERANCE = 0.01
_CONTEXT = SimpleNamespace(dictionaries={})     # split_first_line reads it only to hyphenate
_ALIGN = {"start": 0, "left": 0, "center": 0.5, "right": 1, "end": 1}


@dataclass
class Plan:
    """How to redraw one host: a line of text runs, or one image."""

    left: float = 0.0                   # the host's content box: where its lines start …
    width: float = 0.0                  # … and how wide they may be
    runs: tuple[tuple[boxes.InlineBox | None, boxes.TextBox, tuple[float, float]], ...] = ()
    align: float = 0.0
    image: boxes.ReplacedBox | None = None


def plan_host(left: float, width: float, children: Sequence[boxes.Box]) -> Plan | None:
    """The plan for a skeleton host (content box left and width, its laid-out children), or None
    when it is not simple."""
    if len(children) == 1 and isinstance(children[0], boxes.BlockReplacedBox):
        return Plan(image=children[0])
    if len(children) != 1 or not isinstance(children[0], boxes.LineBox):
        return None
    line = children[0]
    runs = []
    for child in line.children:
        if isinstance(child, boxes.TextBox):
            runs.append((None, child))
        elif (isinstance(child, boxes.InlineBox) and len(child.children) == 1
              and isinstance(child.children[0], boxes.TextBox) and _plain_inline(child)):
            runs.append((child, child.children[0]))
        else:
            return None
    align = _ALIGN.get(line.style["text_align_all"])
    if not runs or align is None or not all(_plain_text(text) for _, text in runs):
        return None
    # the line's own metrics of each skeleton text: a new text must have the same to sit the same
    metrics = [_metrics(text.text, text.style, width) for _, text in runs]
    if any(m is None for m in metrics):
        return None
    return Plan(left=left, width=width, align=align,
                runs=tuple((inline, text, m[2]) for (inline, text), m in zip(runs, metrics, strict=False)))


def _metrics(word: str, style, width: float):
    """(layout, width, (height, baseline)) of word set on one line, or None if it needs more."""
    wraps = style["white_space"] in ("normal", "pre-wrap", "pre-line")
    layout, length, resume, used, height, baseline = split_first_line(
        word, style, _CONTEXT, width if wraps else inf, 0, is_line_start=True)
    if resume is not None or length != len(word.encode()):
        return None
    return layout, used, (height, baseline)


def _plain_inline(box: boxes.InlineBox) -> bool:
    style = box.style
    return (getattr(box, "background", None) is None
            and not any(getattr(box, f"border_{side}_width") for side in ("top", "right", "bottom", "left"))
            and style["position"] == "static" and style["vertical_align"] == "baseline")


def _plain_text(box: boxes.TextBox) -> bool:
    style = box.style
    return (style["letter_spacing"] == "normal" and style["word_spacing"] == 0
            and style["text_transform"] == "none" and style["text_decoration_line"] == "none"
            and style["direction"] == "ltr" and style["hyphens"] != "auto" and style["visibility"] == "visible"
            and style["text_indent"].value == 0)


def texts(inner_html: str) -> list[str] | None:
    """The text nodes of a host's inner HTML, in order and unescaped; None when one would be changed
    by white-space collapsing (so it could not be matched to a text box as it is)."""
    found = []
    for piece in _TAG.split(inner_html):
        text = html_lib.unescape(piece)
        if not text:
            continue
        if text != text.strip() or "  " in text or "\n" in text or "\t" in text:
            return None
        found.append(text)
    return found


def redraw(plan: Plan, inner_html: str, load_image: Callable) -> list[boxes.Box] | None:
    """The boxes to draw for one member's host content, placed like the skeleton's; None when the
    content does not fit the skeleton's line exactly. load_image: image_loader()."""
    if plan.image is not None:
        match = _IMG.match(inner_html)
        if match is None:
            return None
        image = load_image(url=html_lib.unescape(match.group(1)), orientation=plan.image.style["image_orientation"])
        if image is None:
            return None
        box = plan.image.copy()
        box.replacement = image
        return [box]
    words = texts(inner_html)
    if words is None or len(words) != len(plan.runs):
        return None
    laid = []
    for (inline, skeleton, (height, baseline)), word in zip(plan.runs, words, strict=False):
        found = _metrics(word, skeleton.style, plan.width)
        if found is None or abs(found[2][0] - height) > _TOLERANCE or abs(found[2][1] - baseline) > _TOLERANCE:
            return None                  # another line height (a fallback font): not the same place
        box = skeleton.copy_with_text(word)
        box.pango_layout, box.width = found[0], found[1]
        laid.append((inline, box))
    total = sum(_outer(inline, box.width) for inline, box in laid)
    if total > plan.width + _TOLERANCE:
        return None
    cursor = plan.left + plan.align * (plan.width - total)
    for inline, box in laid:
        box.position_x = cursor + (_before(inline) if inline is not None else 0)
        cursor += _outer(inline, box.width)
    return [box for _, box in laid]


def _before(inline: boxes.InlineBox) -> float:
    return inline.margin_left + inline.border_left_width + inline.padding_left


def _outer(inline: boxes.InlineBox | None, width: float) -> float:
    if inline is None:
        return width
    return (_before(inline) + width + inline.padding_right + inline.border_right_width
            + inline.margin_right)


def image_loader(url_fetcher) -> Callable:
    """WeasyPrint's own image loader with a cache of its own (one per chunk)."""
    return partial(get_image_from_uri, cache={}, url_fetcher=url_fetcher, options=DEFAULT_OPTIONS)


def positions(drawn: Sequence[boxes.Box]) -> list[tuple[float, float, str]]:
    """(x, y, text) of drawn boxes, as reuse._texts gives them for the skeleton."""
    return [(box.position_x, box.position_y, box.text if isinstance(box, boxes.TextBox) else "<img>")
            for box in drawn]


class DirectPage:
    """A page of a WeasyPrint Document that draws given text and image boxes and nothing else."""

    def __init__(self, width: float, height: float, drawn: Sequence[boxes.Box]):
        self.width, self.height, self.drawn = width, height, drawn
        self.bleed = {"top": 0, "right": 0, "bottom": 0, "left": 0}
        self.links, self.anchors, self.bookmarks, self.forms = [], {}, [], {None: []}

    def paint(self, stream, scale=1):
        with stream.stacked():
            stream.transform(a=scale, d=scale)
            for box in self.drawn:
                if isinstance(box, boxes.TextBox):
                    draw_text(stream, box, 0, "clip", "none")
                else:                    # an image with its own background and border (a photo frame)
                    draw_background(stream, box.background)
                    draw_border(stream, box)
                    with stream.stacked():
                        if box.style["overflow"] != "visible":   # the picture stays inside the frame
                            rounded_box(stream, box.rounded_padding_box())
                            stream.clip()
                            stream.end()
                        draw_replacedbox(stream, box)


def direct_pdf(skeleton: Document, pages: Sequence[DirectPage], font_config) -> bytes:
    """The PDF of direct pages, with the skeleton document's metadata and settings."""
    document = Document(list(pages), skeleton.metadata, skeleton.url_fetcher, font_config,
                        skeleton.color_profiles, skeleton.output_intent)
    return document.write_pdf()
