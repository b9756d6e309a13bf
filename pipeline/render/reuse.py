"""Layout reuse: lay out a one-page form once per chunk, then draw only each instance's own values on it.

The instances of a per-candidate form (registration, admission ticket, badge …) differ only in a few
values: a name, a number, a photo. Laying each page out again costs ~50 ms of WeasyPrint; this module
lays out one "skeleton" instance per group of look-alike instances and, for every instance of the
group, only the blocks that hold its varying values: redrawn directly where they are simple
(pipeline.render.retext, ~11 ms a page in all), else as absolutely placed boxes of a small values
document (this module, ~19 ms a page). The final page is the skeleton (blocks holding varying values
emptied) drawn as a Form XObject underneath the instance's values.

How the pieces are found:
- Templates are rendered a second time with a Jinja `finalize` that wraps every printed value in two
  private-use markers. Instances whose marked HTML is the same once the values are blanked ("signature")
  form a group; a value that differs between members is a *slot*.
- The *host* of a slot is its nearest enclosing block element (td, div, p …). Its content box is
  measured in the skeleton's layout; each member's host content is laid out at that spot, with the
  host's computed font and alignment, in one WeasyPrint document for the chunk.

Nothing is assumed, everything is checked, and anything unsure goes to the normal full layout
(render.html), so a page is never cut or shifted:
- the skeleton must be one page; hosts may not sit in an auto-width table or a shrink-to-fit box, and
  may not feed a running header (string-set) or a bookmark;
- the skeleton member's own values, drawn this way, must land on exactly the skeleton's text positions
  (this proves the style copy), else the whole group is laid out normally;
- a member whose host content has another height than the skeleton's (a long name wraps) or runs past
  its box (no-wrap text) is laid out normally.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pikepdf
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder

OPEN, CLOSE = "\ue000", "\ue001"
_SLOT = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")
_ATTRIBUTE = re.compile(r"([\w:-]+)\s*=\s*\"[^\"]*$")
_BLOCK_TAGS = {"td", "th", "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "caption", "dd", "dt"}
_VOID_TAGS = {"img", "br", "hr", "col", "input", "meta", "link", "wbr", "source", "area", "base"}
_TOLERANCE = 0.01     # CSS px: positions must match to 1/100 px
MAX_HOSTS = 400       # a guard: a form with more varying blocks than this is laid out in full
VALUES_CSS = """body { margin: 0 }
section.vp { display: block; position: relative; height: 1px; margin: 0; padding: 0 }
section.vp + section.vp { break-before: page }
"""


def mark(value):
    """Jinja finalize: a printed value wrapped in markers (HTML that macros return is left alone)."""
    if hasattr(value, "__html__"):
        return value
    return f"{OPEN}{value}{CLOSE}"


@dataclass(frozen=True)
class Slot:
    """One printed value in marked HTML: where it is, and whether it is text or an attribute."""

    start: int            # of the opening marker
    end: int              # after the closing marker
    value: str            # as printed (escaped)
    kind: str             # "text", "src" (an image), "anchor" (the inst- id) or "attr"


def slots_of(marked: str) -> list[Slot] | None:
    """Every marked value of a fragment, or None when markers are unbalanced (a value holds one)."""
    found, last_lt, last_gt = [], -1, -1
    for match in _SLOT.finditer(marked):
        before = marked[:match.start()]
        last_lt, last_gt = before.rfind("<"), before.rfind(">")
        kind = "text"
        if last_lt > last_gt:                               # inside a tag: an attribute value
            attribute = _ATTRIBUTE.search(before[last_lt:])
            name = attribute.group(1).lower() if attribute else ""
            kind = ("src" if name == "src" else "anchor" if name == "id" and before.endswith('"inst-')
                    else "attr")
        found.append(Slot(match.start(), match.end(), match.group(1), kind))
    if marked.count(OPEN) != len(found) or marked.count(CLOSE) != len(found):
        return None
    return found


def signature(marked: str, slots: Sequence[Slot]) -> str:
    """The fragment with its text, image and anchor values blanked (empty ones marked as such): equal
    for look-alike instances."""
    parts, at = [], 0
    for slot in slots:
        parts.append(marked[at:slot.start])
        if slot.kind == "attr":
            parts.append(marked[slot.start:slot.end])
        else:                 # an empty value leaves its box empty: a layout of its own (no line there)
            parts.append(OPEN + ("" if slot.value.strip() else "-") + CLOSE)
        at = slot.end
    parts.append(marked[at:])
    return "".join(parts)


class _Elements(HTMLParser):
    """Offsets of every block element of a fragment: (tag, start, inner start, inner end, end)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.open: list[list] = []
        self.blocks: list[tuple[str, int, int, int, int]] = []
        self.broken = False
        self.feed(text)
        self.close()
        self.broken = self.broken or bool(self.open)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in _VOID_TAGS:
            return
        start = self._offset()
        self.open.append([tag, start, start + len(self.get_starttag_text())])

    def handle_endtag(self, tag):
        if tag in _VOID_TAGS:
            return
        if not self.open or self.open[-1][0] != tag:
            self.broken = True            # an implied end tag: leave such a fragment to the full layout
            return
        name, start, inner = self.open.pop()
        end = self._offset()
        if name in _BLOCK_TAGS:
            self.blocks.append((name, start, inner, end, end + len(f"</{tag}>")))


@dataclass
class Group:
    """Look-alike instances of one chunk (indexes into the chunk) and what the skeleton found."""

    members: list[int]
    skeleton_html: str = ""
    hosts: list[tuple[int, int, int]] = field(default_factory=list)   # (tag start, inner start, inner end)
    slots: list[Slot] = field(default_factory=list)       # the first member's (host offsets are in its HTML)


def plan_groups(marked: Sequence[str]) -> tuple[list[Group], dict[int, list[Slot]]]:
    """Groups of ≥ 2 look-alike instances whose varying values all have a host; their skeleton HTML."""
    by_signature: dict[str, list[int]] = {}
    slots: dict[int, list[Slot]] = {}
    for index, fragment in enumerate(marked):
        found = slots_of(fragment)
        if found is not None:
            slots[index] = found
            by_signature.setdefault(signature(fragment, found), []).append(index)
    groups = []
    for members in by_signature.values():
        if len(members) < 2:
            continue
        group = _skeleton(marked, slots, members)
        if group is not None:
            groups.append(group)
    return groups, slots


def _skeleton(marked: Sequence[str], slots: dict[int, list[Slot]], members: list[int]) -> Group | None:
    first = members[0]
    fragment, own = marked[first], slots[first]
    varying = [k for k, slot in enumerate(own)
               if slot.kind in ("text", "src") and any(slots[m][k].value != slot.value for m in members)]
    elements = _Elements(fragment)
    if elements.broken:
        return None
    hosts = set()
    for k in varying:
        at = own[k].start
        around = [b for b in elements.blocks if b[2] <= at < b[3]]
        if not around:
            return None                  # a value straight in the section: nothing small to redraw
        innermost = max(around, key=lambda b: b[1])
        hosts.add((innermost[1], innermost[2], innermost[3], innermost[4]))
    outer = sorted(h for h in hosts if not any(o[0] < h[0] and h[3] <= o[3] for o in hosts))
    if len(outer) > MAX_HOSTS:
        return None
    # the skeleton: markers dropped, each host start tag given data-reuse-host="n"
    text, at = [], 0
    for n, (_start, inner, _, _) in enumerate(outer):
        tag_end = inner - 1
        text.append(fragment[at:tag_end])
        text.append(f' data-reuse-host="{n}"')
        at = tag_end
    text.append(fragment[at:])
    skeleton = "".join(text).replace(OPEN, "").replace(CLOSE, "")
    return Group(members, skeleton, [(start, inner, end) for start, inner, end, _ in outer], own)


def host_html(group: Group, marked: str, slots: Sequence[Slot], host: tuple[int, int, int]) -> str:
    """The inner HTML of a host in one member's marked fragment, markers dropped. The member's HTML is
    the first member's with other values, so each offset moves by the length difference of the
    values before it."""
    def moved(offset: int) -> int:
        return offset + sum(len(mine.value) - len(first.value)
                            for first, mine in zip(group.slots, slots, strict=False) if first.end <= offset)
    return marked[moved(host[1]):moved(host[2])].replace(OPEN, "").replace(CLOSE, "")


@dataclass
class HostBox:
    """Where a host's content sits on the skeleton page, and the style to draw it with."""

    left: float
    top: float
    width: float
    height: float
    css: str
    class_attr: str
    texts: list[tuple[float, float, str]]
    children: list = field(default_factory=list)      # the host's laid-out content (for retext)


def _walk(box, ancestors):
    if isinstance(box, AbsolutePlaceholder):      # an absolutely placed box, left in the flow's place
        box = box._box
    yield box, ancestors
    for child in getattr(box, "children", ()):
        yield from _walk(child, ancestors + (box,))


def measure_hosts(page_box, count: int) -> list[HostBox] | None:
    """The skeleton's hosts (by data-reuse-host) on a laid-out page, or None if one is unsafe to reuse."""
    found: dict[int, HostBox] = {}
    for box, ancestors in _walk(page_box, ()):
        element = getattr(box, "element", None)
        number = element.get("data-reuse-host") if element is not None else None
        if number is None or int(number) in found or not isinstance(box, boxes.BlockContainerBox):
            continue
        if any(_shrinks(a) for a in ancestors) or not box.children:
            return None
        inside = list(_walk(box, ()))
        if any(b.style["string_set"] != "none" or b.style["bookmark_level"] != "none" for b, _ in inside):
            return None
        top, bottom = _content_span(box)
        found[int(number)] = HostBox(box.content_box_x(), top, box.width, bottom - top, style_css(box.style),
                                     element.get("class") or "", _texts(box), list(box.children))
        box.children = []                  # the skeleton is drawn without the values' blocks
    if len(found) != count:
        return None
    return [found[n] for n in range(count)]


def _content_span(box) -> tuple[float, float]:
    """(top, bottom) of what a block holds: its first line's top, its last child's bottom margin edge."""
    return (min(child.position_y for child in box.children),
            max(child.position_y + child.margin_height() for child in box.children))


def _shrinks(box) -> bool:
    """True for a box whose size depends on its content: an auto table, inline-block, float or abs."""
    if isinstance(box, boxes.TableBox) and box.style["table_layout"] != "fixed":
        return True
    return (isinstance(box, boxes.InlineBlockBox) or box.style["float"] != "none"
            or box.style["position"] in ("absolute", "fixed"))


def same_positions(mine: Sequence[tuple[float, float, str]], theirs: Sequence[tuple[float, float, str]]) -> bool:
    """True when two lists of (x, y, text) agree to 1/100 px."""
    return len(mine) == len(theirs) and all(
        a[2] == b[2] and abs(a[0] - b[0]) <= _TOLERANCE and abs(a[1] - b[1]) <= _TOLERANCE
        for a, b in zip(mine, theirs, strict=False))


def _texts(box) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text and image box inside box: the positions a redraw must match."""
    found = []
    for inner, _ in _walk(box, ()):
        if isinstance(inner, boxes.TextBox):
            found.append((inner.position_x, inner.position_y, inner.text))
        elif isinstance(inner, boxes.ReplacedBox):
            found.append((inner.position_x, inner.position_y, "<img>"))
    return found


def style_css(style) -> str:
    """Inline CSS that gives a free-standing box the font and text layout of a host."""
    def length(value):
        return f"{value.value}{value.unit}" if hasattr(value, "unit") else (
            "normal" if value == "normal" else f"{value}px")

    color = style["color"].to("srgb")
    red, green, blue = (round(c * 255, 3) for c in color.coordinates)
    line_height = style["line_height"]
    families = ", ".join('"' + family.replace('"', "") + '"' for family in style["font_family"])
    return (f"font-family: {families}; font-size: {style['font_size']}px; "
            f"font-weight: {style['font_weight']}; font-style: {style['font_style']}; "
            f"font-stretch: {style['font_stretch']}; "
            f"line-height: {length(line_height) if hasattr(line_height, 'unit') else line_height}; "
            f"color: rgba({red}, {green}, {blue}, {color.alpha}); "
            f"text-align: {style['text_align_all']}; text-align-last: {style['text_align_last']}; "
            f"letter-spacing: {length(style['letter_spacing'])}; word-spacing: {length(style['word_spacing'])}; "
            f"text-indent: {length(style['text_indent'])}; white-space: {style['white_space']}; "
            f"overflow-wrap: {style['overflow_wrap']}; word-break: {style['word_break']}; "
            f"text-transform: {style['text_transform']}")


def values_section(code: str, group: int, hosts: Sequence[HostBox], contents: Sequence[str]) -> str:
    """One page of the values document: each host's content in a box placed where the skeleton has it
    (the box's place and style come from values_css; inline styles would make parsing slow)."""
    divs = "".join(f'<div data-reuse-value="{number}" class="{html_lib.escape(host.class_attr)} g{group}h{number}">'
                   f"{content}</div>" for number, (host, content) in enumerate(zip(hosts, contents, strict=True)))
    return f'<section class="vp" id="vp-{code}">{divs}</section>'


def values_css(measured: Sequence[tuple[int, Sequence[HostBox]]]) -> str:
    """The values document's page set-up and one rule per host (group g, host h) giving its place and
    style; `section.vp > div.gXhY` outranks any one-class rule of print.css."""
    rules = [VALUES_CSS]
    for group, hosts in measured:
        for number, host in enumerate(hosts):
            rules.append(f"section.vp > div.g{group}h{number} {{ position: absolute; left: {host.left}px; "
                         f"top: {host.top}px; width: {host.width}px; margin: 0; padding: 0; border: 0; "
                         f"background: none; height: auto; min-height: 0; max-height: none; {host.css} }}")
    return "\n".join(rules)


def check_values_page(page_box, hosts: Sequence[HostBox], exact: bool) -> bool:
    """True when every value box has its host's height and stays inside its width (exact: and every
    text lands on the skeleton's own positions — the proof that the style was copied right)."""
    seen = 0
    for box, _ in _walk(page_box, ()):
        element = getattr(box, "element", None)
        number = element.get("data-reuse-value") if element is not None else None
        if number is None or not isinstance(box, boxes.BlockContainerBox) or box.element_tag != "div":
            continue
        host = hosts[int(number)]
        if not box.children:
            return False
        top, bottom = _content_span(box)
        if abs(top - host.top) > _TOLERANCE or abs(bottom - top - host.height) > _TOLERANCE:
            return False
        left, right = box.content_box_x(), box.content_box_x() + box.width
        for inner, _ in _walk(box, ()):
            if isinstance(inner, (boxes.TextBox, boxes.ReplacedBox)) and (
                    inner.position_x < left - _TOLERANCE
                    or inner.position_x + inner.margin_width() > right + _TOLERANCE):
                return False
        if exact and not same_positions(_texts(box), host.texts):
            return False
        seen += 1
    return seen == len(hosts)


def compose(target: pikepdf.Pdf, values_page: pikepdf.Page, underlay: pikepdf.Object) -> None:
    """Append values_page to target with the skeleton Form XObject underneath it."""
    target.pages.append(values_page)
    target.pages[-1].add_underlay(underlay)


def as_xobject(target: pikepdf.Pdf, skeleton: pikepdf.Pdf, index: int) -> pikepdf.Object:
    """Page index of skeleton as a Form XObject of target (shared by every page that shows it)."""
    return target.copy_foreign(skeleton.pages[index].as_form_xobject())

