"""Identify scanned pages by their QR payload and group a stack into form instances.

`decode_page` and `is_blank` look at one page image; `page_infos` runs them over a stack,
each page on its own, so one unreadable page never stops the rest; `group_pages` is pure:
it turns the per-page findings into groups (form instances, cover-sheet packets, runs of
unmarked pages) and problems (missing, duplicate, foreign, mixed page totals) that send a
form to review instead of filing it incomplete.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from pipeline.core.domain import QrPayload
from pipeline.ingest.orient import osd_turn, qr_turn
from pipeline.ingest.pages import PageImage

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# 0/0 = printed from an editable DOCX: the page number is unknown (CONTRACTS.md §2).
_UNNUMBERED_RE = re.compile(r"^SJD1:(?P<station>[A-Z0-9]{2,8}):(?P<instance>[0-9A-Z]{8}):0/0$")
INK_DELTA = 48          # a pixel is ink when this much darker than the paper around it
MARGIN = 0.04           # scanner edge shadows and punch holes live in the outer 4 %
SHADOW_ROWS = 0.3       # a side whose outermost line is this much dark carries an edge shadow
SHADOW_DEPTH = 0.15     # how far in from the edge a shadow is taken away (beyond MARGIN)


# ---------------------------------------------------------------- one page


def parse_payload(text: str) -> QrPayload | None:
    """Our payload in a QR text (including 0/0 pages), or None for a foreign QR code."""
    payload = QrPayload.decode(text)
    if payload is not None:
        return payload
    match = _UNNUMBERED_RE.match(text.strip())
    return QrPayload(match["station"], match["instance"], 0, 0) if match else None


_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _read(image: Image.Image, **options) -> tuple[list[QrPayload], int]:
    """Decode the QR codes zxing-cpp finds in image; keep ours, in reading order, no repeats;
    and the turn that shows the page upright, from the first of ours (0 when none)."""
    found, turn = [], None
    for barcode in zxingcpp.read_barcodes(image, formats=_QR_ONLY, **options):
        payload = parse_payload(barcode.text)
        if payload is not None and payload not in found:
            found.append(payload)
            turn = qr_turn(barcode.orientation) if turn is None else turn
    return found, turn or 0


def _attempts(image: Image.Image) -> Iterable[tuple[str, Callable[[], Image.Image]]]:
    """Harder looks at a page, cheapest first: upscaled, binarised, sharpened, tilted."""
    yield "upscale", lambda: image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC)
    yield "autocontrast", lambda: ImageOps.autocontrast(image, cutoff=1)
    yield "binarise", lambda: _binarise(image)
    yield "sharpen", lambda: image.filter(ImageFilter.SHARPEN)
    for angle in (-4, 4, -8, 8):
        yield f"rotate{angle}", partial(_tilt, image, angle)


def _tilt(image: Image.Image, angle: int) -> Image.Image:
    """image turned by angle degrees on white paper."""
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)


def _binarise(image: Image.Image) -> Image.Image:
    """Global threshold halfway between paper and ink (Otsu would do no better on forms)."""
    values = np.asarray(image)
    low, high = np.percentile(values, (2, 90))
    threshold = (float(low) + float(high)) / 2
    return Image.fromarray(np.where(values > threshold, 255, 0).astype(np.uint8), "L")


def decode_page(image: Image.Image) -> list[QrPayload]:
    """Our QR payloads on a page image (any station): as-is first, harder looks only if none found."""
    return decode_page_turn(image)[0]


def decode_page_turn(image: Image.Image) -> tuple[list[QrPayload], int]:
    """decode_page, and the clockwise turn (0/90/180/270) that shows the page upright (from its QR)."""
    gray = image if image.mode == "L" else image.convert("L")
    found, turn = _read(gray)
    if found:
        return found, turn
    for name, make in _attempts(gray):
        # the small tilts of the last attempts never change the quarter turn the angle rounds to
        found, turn = _read(make(), try_downscale=False) if name == "upscale" else _read(make())
        if found:
            log.debug("QR found after %s", name)
            return found, turn
    return [], 0


def ink_map(image: Image.Image) -> np.ndarray:
    """Boolean map of ink pixels: clearly darker than the paper and not an isolated speck."""
    values = np.asarray(image if image.mode == "L" else image.convert("L"), dtype=np.int16)
    height, width = values.shape
    side = 1.5 * min(height, width)    # a 5 m banner's margin is that of a sheet, not 4 % of 5 m
    my, mx = int(min(height, side) * MARGIN), int(min(width, side) * MARGIN)
    values = values[my:height - my, mx:width - mx]
    paper = int(np.percentile(values[::4, ::4], 90))
    dark = _without_edge_shadows(values < paper - INK_DELTA)
    padded = np.pad(dark, 1).astype(np.uint8)
    neighbours = sum(padded[1 + dy:padded.shape[0] - 1 + dy, 1 + dx:padded.shape[1] - 1 + dx]
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
    return dark & (neighbours >= 2)   # a stroke pixel has stroke neighbours; a speck of dust has none


def _without_edge_shadows(dark: np.ndarray) -> np.ndarray:
    """dark less the shadow a scanner lid or a sheet edge casts along a side wider than MARGIN.

    A side is shadowed when more than SHADOW_ROWS of its outermost line is dark; then each row
    (column) loses its dark run from that edge inwards, at most SHADOW_DEPTH of the page: a
    shadow is a band touching the edge, ink never is (a form's print keeps its margins).
    """
    dark = dark.copy()
    for turned in (dark, dark.T):                      # rows, then columns: views into dark
        for side in (turned, turned[:, ::-1]):
            if side.shape[1] == 0 or side[:, 0].mean() <= SHADOW_ROWS:
                continue
            depth = max(1, int(side.shape[1] * SHADOW_DEPTH))
            band = side[:, :depth]
            run = np.where(band.all(axis=1), depth, np.argmin(band, axis=1))
            band[np.arange(depth)[None, :] < run[:, None]] = False
    return dark


def is_blank(image: Image.Image, ink_ratio: float) -> bool:
    """True only for a truly blank side: no region (about 1/10 of the page wide) holds ink_ratio ink.

    Measured per region rather than over the whole page, so a faint signature — a few
    thousandths of an A4 sheet — still makes a page "not blank", while dust and JPEG noise
    (removed first by ink_map) never do. The outer 4 % margin is ignored (edge shadows).
    """
    ink = ink_map(image)
    if not ink.any():
        return True
    tile = max(16, min(ink.shape) // 10)
    rows, cols = ink.shape[0] // tile, ink.shape[1] // tile
    if rows == 0 or cols == 0:
        return ink.mean() < ink_ratio
    tiles = ink[:rows * tile, :cols * tile].reshape(rows, tile, cols, tile).mean(axis=(1, 3))
    return bool(tiles.max() < ink_ratio)


@dataclass
class PageInfo:
    """What one page says: its 0-based position in the file, our QR payloads, whether it is blank."""

    index: int
    payloads: list[QrPayload]
    blank: bool
    error: str = ""          # English note when the page could not be examined (kept, never blank)
    turn: int = 0            # clockwise degrees that show the page upright (orient.py)


def page_info(page: PageImage, station_code: str, ink_ratio: float, *, orient: bool = False) -> PageInfo:
    """Examine one page; a failure is recorded on the page, never raised.
    orient: ask Tesseract which way up a page without a QR is (a QR page knows it from its symbol)."""
    try:
        payloads, turn = decode_page_turn(page.image)
        payloads.sort(key=lambda p: p.station != station_code)   # our station's first
        blank = not payloads and is_blank(page.image, ink_ratio)
        if orient and not payloads and not blank:
            turn = osd_turn(page.image)
        return PageInfo(page.index, payloads, blank, turn=turn)
    except Exception as exc:  # noqa: BLE001 — one bad page must not stop the stack
        log.warning("page %d could not be examined: %r", page.index, exc)
        return PageInfo(page.index, [], False, error=f"{type(exc).__name__}: {exc}")


def page_infos(pages: Iterable[PageImage], station_code: str, ink_ratio: float,
               progress: Progress | None = None, total: int = 0, *, orient: bool = False) -> list[PageInfo]:
    """Examine each page on its own (pages may be a lazy iterator, e.g. pages.iter_pages)."""
    infos = []
    for page in pages:
        infos.append(page_info(page, station_code, ink_ratio, orient=orient))
        if progress:
            progress(len(infos), total)
    return infos


# ---------------------------------------------------------------- grouping (pure)


@dataclass
class Group:
    """Pages that make one document.

    kind "form": one form instance, page_indices in i/n order (0/0 pages in scan order);
    kind "cover": a filing cover or packet cover, its own pages then the unmarked pages that
    followed it until the next QR page; kind "unmarked": a run of consecutive pages without
    a QR (instance_code None). pages_expected is n of i/n (0 when unknown: 0/0 or unmarked).
    """

    kind: str
    instance_code: str | None
    page_indices: list[int]
    pages_expected: int
    station: str = ""


@dataclass
class Problem:
    """Why a form cannot be filed as scanned.

    kind: "missing_page" (pages = the missing page numbers i), "duplicate_page" (pages = the
    page numbers scanned more than once), "foreign_station" (pages = the page numbers found,
    detail names the station), "mixed_totals" (pages = the page numbers found, detail names
    the different totals). scan_indices are the 0-based positions in the file concerned.
    """

    kind: str
    instance_code: str
    detail_en: str
    pages: list[int]
    scan_indices: list[int] = field(default_factory=list)


@dataclass
class GroupingResult:
    """Groups in order of first appearance, problems, and the blank pages dropped (0-based)."""

    groups: list[Group]
    problems: list[Problem]
    blank_dropped: list[int]

    def problems_for(self, instance_code: str | None) -> list[Problem]:
        """The problems of one instance (none for unmarked groups)."""
        return [p for p in self.problems if instance_code and p.instance_code == instance_code]

    @property
    def fileable(self) -> list[Group]:
        """Form and cover groups without any problem (unmarked groups need rules or review)."""
        return [g for g in self.groups if g.kind != "unmarked" and not self.problems_for(g.instance_code)]


@dataclass
class _Seen:
    """Pages of one instance as they turn up in the stack."""

    station: str
    order: int
    hits: list[tuple[int, QrPayload]] = field(default_factory=list)   # (scan index, payload)
    attached: list[int] = field(default_factory=list)                 # unmarked pages after a cover


def group_pages(infos: list[PageInfo], station_code: str, cover_codes: set[str]) -> GroupingResult:
    """Split a scanned stack into form instances, cover packets and unmarked runs (pure)."""
    seen: dict[str, _Seen] = {}
    unmarked: list[list[int]] = []            # runs of unmarked pages not after a cover
    order: list[tuple[str, int | str]] = []      # ("instance", code) | ("unmarked", run number)
    blank: list[int] = []
    current: str | None = None                # instance of the last QR page
    previous_unmarked = False
    for info in sorted(infos, key=lambda i: i.index):
        if info.blank and not info.payloads:
            blank.append(info.index)
            continue
        if info.payloads:
            payload = _choose(info.payloads, station_code)
            entry = seen.get(payload.instance)
            if entry is None:
                entry = seen[payload.instance] = _Seen(payload.station, len(order))
                order.append(("instance", payload.instance))
            entry.hits.append((info.index, payload))
            current, previous_unmarked = payload.instance, False
        elif current in cover_codes:
            seen[current].attached.append(info.index)
        else:
            if not previous_unmarked:
                unmarked.append([])
                order.append(("unmarked", len(unmarked) - 1))
            unmarked[-1].append(info.index)
            previous_unmarked = True
    groups = [_group(key, seen, unmarked, cover_codes) for key in order]
    problems = [p for code, entry in seen.items() for p in _problems(code, entry, station_code)]
    return GroupingResult(groups, problems, blank)


def _choose(payloads: list[QrPayload], station_code: str) -> QrPayload:
    """The payload that names the page: our station's first, else the first found."""
    return next((p for p in payloads if p.station == station_code), payloads[0])


def _group(key: tuple[str, int | str], seen: dict[str, _Seen], unmarked: list[list[int]],
           cover_codes: set[str]) -> Group:
    """Build one Group from what was collected for it."""
    _kind, ref = key
    if isinstance(ref, int):          # ("unmarked", run number)
        return Group("unmarked", None, list(unmarked[ref]), 0)
    entry = seen[ref]
    # numbered pages by i (a duplicate stays next to its twin), 0/0 pages keep scan order after them
    ordered = sorted(entry.hits, key=lambda hit: (hit[1].page == 0, hit[1].page or 0, hit[0]))
    totals = Counter(p.pages for _, p in entry.hits)
    expected = totals.most_common(1)[0][0]
    return Group("cover" if ref in cover_codes else "form", ref,
                 [index for index, _ in ordered] + entry.attached, expected, entry.station)


def _problems(code: str, entry: _Seen, station_code: str) -> list[Problem]:
    """What keeps one instance from being filed: foreign, mixed totals, duplicates, gaps."""
    indices = [index for index, _ in entry.hits]
    numbers = sorted({p.page for _, p in entry.hits})
    if entry.station != station_code:
        return [Problem("foreign_station", code, f"instance {code} belongs to station {entry.station}, "
                        f"not {station_code}", numbers, indices)]
    totals = sorted({p.pages for _, p in entry.hits})
    if len(totals) > 1:
        return [Problem("mixed_totals", code, f"instance {code} pages claim different totals "
                        f"{'/'.join(map(str, totals))}", numbers, indices)]
    total = totals[0]
    if total == 0:
        return []                                  # 0/0: page numbers unknown, nothing to check
    problems = []
    counts = Counter(p.page for _, p in entry.hits)
    twice = sorted(n for n, c in counts.items() if c > 1)
    if twice:
        problems.append(Problem("duplicate_page", code, f"instance {code} page(s) {twice} scanned more than once",
                                twice, [i for i, p in entry.hits if p.page in twice]))
    missing = [n for n in range(1, total + 1) if n not in counts]
    if missing:
        problems.append(Problem("missing_page", code, f"instance {code} is missing page(s) {missing} of {total}",
                                missing, indices))
    return problems

