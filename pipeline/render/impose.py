"""Several small pages per A4 sheet with cut marks: admission tickets (2 per sheet) and badges (8).

Each instance keeps its own PDF, one page of its real size with its own QR (SJD1:<station>:<instance>:1/1);
only the merged print PDF is imposed: each instance page is placed unscaled as a Form XObject, so every
ticket or badge on the sheet still carries its own code. A scanned sheet therefore shows several QR codes;
ingest names the page by the first code of our station it reads, and these forms are not filed anyway.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
EDGE = 5 * MM            # no mark nearer the paper's edge than this (printers' unprintable rim)
MARK = 2 * MM            # length of a cut mark
MARK_GAP = 0.8 * MM      # a corner mark starts this far from the card's corner


def cell_origins(columns: int, rows: int, width: float, height: float, gap: float) -> list[tuple[float, float]]:
    """Lower-left corner of each cell on an A4 sheet, row by row from the top; the grid is centred."""
    left = (A4[0] - columns * width - (columns - 1) * gap) / 2
    top = A4[1] - (A4[1] - rows * height - (rows - 1) * gap) / 2
    return [(left + c * (width + gap), top - (r + 1) * height - r * gap) for r in range(rows) for c in range(columns)]


def _segment(x0: float, y0: float, x1: float, y1: float) -> str | None:
    inside = all(EDGE - 0.01 <= x <= A4[0] - EDGE + 0.01 for x in (x0, x1)) and \
        all(EDGE - 0.01 <= y <= A4[1] - EDGE + 0.01 for y in (y0, y1))
    return f"{x0:.2f} {y0:.2f} m {x1:.2f} {y1:.2f} l S" if inside else None


def cut_marks(origins: list[tuple[float, float]], width: float, height: float, gap: float) -> bytes:
    """Hairline marks on every cut line: at each card's corners, outside the card (cards with a gap
    between them), or at both paper edges of each line between cards that touch (half-sheet tickets)."""
    marks = []
    if gap:
        for x, y in origins:
            for cx, cy, dx, dy in ((x, y, -1, -1), (x + width, y, 1, -1), (x, y + height, -1, 1),
                                   (x + width, y + height, 1, 1)):
                marks.append(_segment(cx + dx * MARK_GAP, cy, cx + dx * (MARK_GAP + MARK), cy))
                marks.append(_segment(cx, cy + dy * MARK_GAP, cx, cy + dy * (MARK_GAP + MARK)))
    else:
        xs = sorted({round(x, 2) for x, _ in origins})[1:]
        ys = sorted({round(y, 2) for _, y in origins})[1:]
        for y in ys:
            marks += [_segment(EDGE, y, EDGE + MARK * 2, y), _segment(A4[0] - EDGE - MARK * 2, y, A4[0] - EDGE, y)]
        for x in xs:
            marks += [_segment(x, EDGE, x, EDGE + MARK * 2), _segment(x, A4[1] - EDGE - MARK * 2, x, A4[1] - EDGE)]
    return "\n".join(["q 0.3 w 0 G", *[m for m in marks if m], "Q"]).encode("ascii")


def impose(source: Path, target: Path, columns: int, rows: int) -> int:
    """Write target: the pages of source, columns × rows per A4 sheet with cut marks; return the sheets."""
    with pikepdf.open(source) as pdf, pikepdf.new() as out:
        pages = list(pdf.pages)
        if not pages:
            out.save(target)
            return 0
        x0, y0, x1, y1 = (float(v) for v in pages[0].mediabox)
        width, height = x1 - x0, y1 - y0
        spare = min(A4[0] - columns * width, A4[1] - rows * height)
        gap = min(6 * MM, spare / max(columns, rows)) if spare > 1 else 0.0
        origins = cell_origins(columns, rows, width, height, gap)
        for start in range(0, len(pages), columns * rows):
            sheet = out.add_blank_page(page_size=A4)
            placed = []
            for page, (x, y) in zip(pages[start:start + columns * rows], origins, strict=False):
                sheet.add_overlay(page, pikepdf.Rectangle(x, y, x + width, y + height))
                placed.append((x, y))
            sheet.contents_add(pikepdf.Stream(out, cut_marks(placed, width, height, gap)))
        out.save(target, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return len(out.pages)
