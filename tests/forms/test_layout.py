"""Every page of every form of `station forms list` stays inside the printable area of its sheet, and
nothing on it overlaps: no text leaves its table cell or signature box, no box overlaps another, no
value (ticket or ID number, date) is broken over two lines, nothing sits under the page QR.

One round with the longest realistic values (tests/forms/longround.py) is rendered once for the module
(`forms round` plus the archive forms), and every page of the print PDFs is read back with pdfium:
text as character boxes, table cells and signature boxes as the rectangles drawn for their borders.
Set LAYOUT_OUT=/some/dir to keep the rendered forms for a look.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from django.db import transaction

from pipeline.core.config import get_config
from pipeline.forms.registry import FORMS
from tests.forms.longround import NOTE, make_long_round

# layout does not depend on the database engine: run once, on SQLite (deselected in the PostgreSQL run)
pytestmark = [pytest.mark.django_db, pytest.mark.once]

MM = 72 / 25.4
TOL = 0.8  # pt: border widths and rounding
# printable area of a sheet: print.css @page margins (top: the body; the running header and the page
# QR sit in the top margin, which must still keep EDGE from the paper's edge)
A4_MARGINS = {"left": 25 * MM, "right": 14 * MM, "bottom": 16 * MM}
EDGE = 5 * MM  # nothing closer than this to the paper's edge (printers' unprintable rim)
GLUED = re.compile(r"[0-9A-Z-]")  # numbers and codes: 准考证号, 身份证号, 档号
DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2}")
FOOTER = re.compile(r"第\d+页共\d+页")


@dataclass
class Page:
    """What one printed page holds, in PDF points (origin bottom-left)."""

    label: str
    width: float
    height: float
    chars: np.ndarray  # (n, 4) left, bottom, right, top of each non-blank character
    text: str  # those characters, in drawing order
    rects: np.ndarray  # (m, 4) rectangles drawn (cell and box borders, backgrounds)
    lines: np.ndarray  # (k, 4) thin rules (signature lines, cut marks, underlines)
    qr: list  # bounds of each stamped QR symbol (several on a sheet of tickets or badges)
    images: np.ndarray


def _bounds(obj, matrices) -> tuple[float, float, float, float]:
    left, bottom, right, top = obj.get_bounds()
    for matrix in matrices:  # objects inside Form XObjects: into page space
        xs, ys = [], []
        for x, y in ((left, bottom), (left, top), (right, bottom), (right, top)):
            xs.append(matrix.a * x + matrix.c * y + matrix.e)
            ys.append(matrix.b * x + matrix.d * y + matrix.f)
        left, bottom, right, top = min(xs), min(ys), max(xs), max(ys)
    return left, bottom, right, top


def _objects(container, matrices=()):
    for obj in container.get_objects(max_depth=1) if hasattr(container, "get_objects") else ():
        yield obj, matrices
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            inner = [
                pdfium.PdfObject(
                    pdfium_c.FPDFFormObj_GetObject(obj.raw, i), page=obj.page, pdf=obj.pdf, level=obj.level + 1
                )
                for i in range(pdfium_c.FPDFFormObj_CountObjects(obj.raw))
            ]
            yield from _nested(inner, (obj.get_matrix(), *matrices))


def _nested(objects, matrices):
    for obj in objects:
        yield obj, matrices
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            inner = [
                pdfium.PdfObject(
                    pdfium_c.FPDFFormObj_GetObject(obj.raw, i), page=obj.page, pdf=obj.pdf, level=obj.level + 1
                )
                for i in range(pdfium_c.FPDFFormObj_CountObjects(obj.raw))
            ]
            yield from _nested(inner, (obj.get_matrix(), *matrices))


def read_page(page: pdfium.PdfPage, label: str) -> Page:
    """The character boxes, rectangles, rules and images of one page."""
    width, height = page.get_size()
    textpage = page.get_textpage()
    boxes, text = [], []
    for i in range(textpage.count_chars()):
        char = textpage.get_text_range(i, 1)
        if not char.strip():
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        if right - left <= 0 or top - bottom <= 0:
            continue
        boxes.append((left, bottom, right, top))
        text.append(char)
    rects, lines, images, qr = [], [], [], []
    for obj, matrices in _objects(page):
        kind = obj.type
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            box = _bounds(obj, matrices)
            w, h = box[2] - box[0], box[3] - box[1]
            segments = pdfium_c.FPDFPath_CountSegments(obj.raw)
            if segments > 60 and abs(w - h) < 1:  # the QR: hundreds of module rectangles
                qr.append(box)
                continue
            (rects if w > 2 and h > 2 else lines).append(box)
        elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images.append(_bounds(obj, matrices))
    for code in qr:  # a QR's white ground is drawn as a rectangle of its own
        rects = [
            r
            for r in rects
            if not (
                r[0] <= code[0] + 1
                and r[1] <= code[1] + 1
                and r[2] >= code[2] - 1
                and r[3] >= code[3] - 1
                and r[2] - r[0] < 30 * MM
            )
        ]
    return Page(
        label,
        width,
        height,
        np.array(boxes).reshape(-1, 4),
        "".join(text),
        np.array(rects).reshape(-1, 4),
        np.array(lines).reshape(-1, 4),
        qr,
        np.array(images).reshape(-1, 4),
    )


def margins(page: Page) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of the area the body may use; top: only EDGE is kept. A sheet of
    several tickets or badges: EDGE all round (each card keeps its own margins inside its cell)."""
    imposed = FORMS[page.label.split(" ")[0]].sheet if page.label.split(" ")[0] in FORMS else None
    if abs(page.width - 210 * MM) < 2 and abs(page.height - 297 * MM) < 2 and not imposed:
        return A4_MARGINS["left"], A4_MARGINS["bottom"], page.width - A4_MARGINS["right"], page.height - EDGE
    return EDGE, EDGE, page.width - EDGE, page.height - EDGE


def outside(boxes: np.ndarray, area: tuple) -> np.ndarray:
    left, bottom, right, top = area
    return (
        (
            (boxes[:, 0] < left - TOL)
            | (boxes[:, 1] < bottom - TOL)
            | (boxes[:, 2] > right + TOL)
            | (boxes[:, 3] > top + TOL)
        )
        if len(boxes)
        else np.zeros(0, bool)
    )


def page_footer(page: Page) -> np.ndarray:
    """Per character: part of the page-number footer "第 i 页 共 n 页" printed in the bottom margin of a
    numbered form (归档文件目录, 统计年报) — allowed there, as long as it keeps EDGE from the paper's edge."""
    if not len(page.chars) or margins(page)[1] == EDGE:
        return np.zeros(len(page.chars), bool)
    low = page.chars[:, 3] < A4_MARGINS["bottom"] + TOL
    text = "".join(page.text[i] for i in np.flatnonzero(low))
    return low if FOOTER.fullmatch(text) and (page.chars[low, 1] >= EDGE - TOL).all() else np.zeros(len(low), bool)


def problems_of(page: Page) -> list[str]:
    """Every layout fault of one page, in words."""
    found, area = [], margins(page)
    footer = page_footer(page)
    for name, boxes in (("text", page.chars), ("box", page.rects), ("rule", page.lines), ("image", page.images)):
        out = outside(boxes, area) & ~footer if name == "text" else outside(boxes, area)
        for index in np.flatnonzero(out)[:3]:
            what = f"“{page.text[index]}”" if name == "text" else ""
            found.append(f"{name}{what} at {np.round(boxes[index] / MM, 1).tolist()} mm leaves the printable area")
    cells = _cells_of_chars(page)
    found += _text_out_of_cells(page, cells)
    found += _overlapping_boxes(page)
    found += _overlapping_text(page)
    found += _broken_values(page, cells)
    if page.qr and len(page.chars):
        under = _intersects(page.chars, np.array(page.qr), 0.3).any(axis=1)
        found += [f"text “{page.text[i]}” under the page QR" for i in np.flatnonzero(under)[:3]]
    return found


def _intersects(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """(len a, len b) booleans: boxes overlapping by more than tol in both directions."""
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return (w > tol) & (h > tol)


def _cells_of_chars(page: Page) -> np.ndarray:
    """Per character, the index of the smallest rectangle around its centre (-1: none)."""
    if not len(page.chars) or not len(page.rects):
        return np.full(len(page.chars), -1)
    cx = (page.chars[:, 0] + page.chars[:, 2]) / 2
    cy = (page.chars[:, 1] + page.chars[:, 3]) / 2
    r = page.rects
    inside = (
        (r[None, :, 0] <= cx[:, None])
        & (cx[:, None] <= r[None, :, 2])
        & (r[None, :, 1] <= cy[:, None])
        & (cy[:, None] <= r[None, :, 3])
    )
    area = (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])
    smallest = np.where(inside, area[None, :], np.inf).argmin(axis=1)
    return np.where(inside.any(axis=1), smallest, -1)


def _text_out_of_cells(page: Page, cells: np.ndarray) -> list[str]:
    """A character whose centre lies in a cell must lie wholly in the smallest cell around its centre."""
    if not len(page.rects):
        return []
    held = cells >= 0
    cell = page.rects[np.maximum(cells, 0)]
    slack = 0.6
    out = held & (
        (page.chars[:, 0] < cell[:, 0] - slack)
        | (page.chars[:, 2] > cell[:, 2] + slack)
        | (page.chars[:, 1] < cell[:, 1] - slack)
        | (page.chars[:, 3] > cell[:, 3] + slack)
    )
    return [
        f"text “{page.text[i]}” at {np.round(page.chars[i] / MM, 1).tolist()} mm runs out of its box "
        f"{np.round(cell[i] / MM, 1).tolist()} mm"
        for i in np.flatnonzero(out)[:3]
    ]


def _overlapping_boxes(page: Page) -> list[str]:
    """Two drawn boxes that cross: they overlap, and neither holds the other."""
    r = page.rects
    if len(r) < 2:
        return []
    cross = _intersects(r, r, TOL)
    contains = (
        (r[:, None, 0] <= r[None, :, 0] + TOL)
        & (r[:, None, 1] <= r[None, :, 1] + TOL)
        & (r[:, None, 2] >= r[None, :, 2] - TOL)
        & (r[:, None, 3] >= r[None, :, 3] - TOL)
    )
    bad = np.triu(cross & ~contains & ~contains.T, 1)
    return [
        f"boxes {np.round(r[i] / MM, 1).tolist()} and {np.round(r[j] / MM, 1).tolist()} mm overlap"
        for i, j in np.argwhere(bad)[:3]
    ]


def _overlapping_text(page: Page) -> list[str]:
    """Two characters drawn over each other (a value running on into the next cell's text)."""
    c = page.chars
    if len(c) < 2:
        return []
    hits = np.triu(_intersects(c, c, 0.25 * np.median(c[:, 3] - c[:, 1])), 1)
    return [
        f"text “{page.text[i]}” and “{page.text[j]}” at {np.round(c[i] / MM, 1).tolist()} mm overlap"
        for i, j in np.argwhere(hits)[:3]
    ]


def _broken_values(page: Page, cells: np.ndarray) -> list[str]:
    """A number, code or date broken over two lines (a lone "X" of an ID number, "2026年12月|20日")."""
    found, in_date = [], np.zeros(len(page.text), bool)
    for match in DATE.finditer(page.text):
        in_date[match.start() : match.end() - 1] = True
    right_edge = np.where(cells >= 0, page.rects[np.maximum(cells, 0), 2] if len(page.rects) else 0, margins(page)[2])
    for i in range(len(page.text) - 1):
        a, b = page.text[i], page.text[i + 1]
        glued = (GLUED.match(a) and GLUED.match(b)) or in_date[i]
        if not glued or cells[i] != cells[i + 1]:
            continue
        first, second = page.chars[i], page.chars[i + 1]
        height = first[3] - first[1]
        at_end = right_edge[i] - first[2] < 2.5 * height  # the line was full there
        if at_end and first[1] - second[3] > -0.2 * height and second[0] < first[0]:  # next line, at the left
            found.append(f"“{page.text[max(0, i - 8) : i + 1]}|{page.text[i + 1 : i + 4]}” is broken over two lines")
    return found[:3]


def pages_of(path: Path, label: str) -> list[Page]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [read_page(pdf[i], f"{label} p{i + 1}") for i in range(len(pdf))]
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def printed(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, Path]:
    """form key → the PDF to check (the print PDF of `forms round`, or the form rendered alone),
    rendered once from the long round; the database is rolled back afterwards."""
    from pipeline.core.paths import data_paths
    from pipeline.forms.service import forms_generate_many, forms_round

    out = Path(os.environ["LAYOUT_OUT"]) if os.environ.get("LAYOUT_OUT") else tmp_path_factory.mktemp("layout")
    root = tmp_path_factory.mktemp("layout-data")
    old = os.environ.get("STATION_DATA")
    os.environ["STATION_DATA"] = str(root)
    try:
        data_paths().ensure()
        with django_db_blocker.unblock(), transaction.atomic():
            round_ = make_long_round(data_paths())
            batch = forms_round(round_=round_, out=out, workers=2)
            found = dict(batch.merged)
            others = [key for key in FORMS if key not in found and key != "filing-cover"]
            extra = forms_generate_many(
                forms=others, round_=round_, out=out / "extra", merged=True, workers=1, year=2026, category="KW"
            )
            found.update(extra.merged)
            cover = forms_generate_many(
                forms=["filing-cover"],
                round_=round_,
                out=out / "extra",
                merged=True,
                workers=1,
                category="KW",
                title=NOTE,
                responsible=NOTE[:40],
                date=round_.theory_at.date(),
                pages=12,
            )
            found.update(cover.merged)
            transaction.set_rollback(True)
    finally:
        if old is None:
            os.environ.pop("STATION_DATA", None)
        else:
            os.environ["STATION_DATA"] = old
    return found


@pytest.mark.parametrize("form", list(FORMS))
def test_every_page_stays_on_the_sheet_and_nothing_overlaps(printed, form):
    assert form in printed, f"{form} was not rendered for the layout test"
    problems = [f"{page.label}: {p}" for page in pages_of(printed[form], form) for p in problems_of(page)]
    assert not problems, "\n".join(problems[:20])


def _texts(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [re.sub(r"\s+", "", pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
    finally:
        pdf.close()


def test_the_forms_say_what_the_station_needs(printed):
    tickets = _texts(printed["admission-ticket"])
    assert all("座位号" in t and "工位号" in t and "考场待编排" not in t for t in tickets)
    assert len(tickets) == 156 and len(_texts(printed["badge"])) == 5  # 312 tickets 2-up, 37 badges 8-up
    assert not any("/2" in t for t in tickets + _texts(printed["badge"]))  # every ticket and badge one page
    covers = _texts(printed["packet-cover"])
    practical = [t for t in covers if "（实操考核）" in t]
    theory = [t for t in covers if "（理论考试）" in t]
    assert practical and theory
    assert not any("监考人员（签名）" in t for t in practical) and all("考评员（签名）" in t for t in practical)
    assert all("监考人员（签名）" in t for t in theory)
    schedule = "".join(_texts(printed["schedule"]))
    assert "第1场" in schedule and "实操考核" in schedule and "08:30" in schedule and "四级" in schedule
    staff = "".join(_texts(printed["staff-assignment"]))
    assert "考生001（亲属）" in staff and "*" not in staff  # recorded by ID number: the name is printed
    register = "".join(_texts(printed["score-register"]))
    assert "鉴定站（公章）" in register and "2026年12月20日" in register
    registration = _texts(printed["registration"])
    assert all("鉴定指导中心审核意见" in t for t in registration)
    assert len(registration) == 312  # one page per candidate, long values too


def _numbered_instances(pages: list[str]) -> list[list[str]]:
    """The pages cut into instances by their footers, each numbered 第 1 页 … 第 n 页 共 n 页 on its own."""
    instances: list[list[str]] = []
    for text in pages:
        (footer,) = FOOTER.findall(text)
        number, total = map(int, re.findall(r"\d+", footer))
        if number == 1:
            instances.append([])
        instances[-1].append(text)
        assert len(instances[-1]) == number and number <= total
    assert all(FOOTER.findall(pages[-1])[0].endswith(f"共{len(pages)}页") for pages in instances)
    return instances


def test_the_catalogue_shows_what_filing_kept_numbers_its_pages_and_ends_with_the_remarks_sheet(printed):
    instances = _numbered_instances(_texts(printed["archive-catalogue"]))  # one per category of the year
    assert len(instances) == len(get_config().categories)
    (pages,) = [pages for pages in instances if "类别：KW" in pages[0]]
    whole = "".join(pages)
    for doc_number in (
        "新人社鉴字〔2026〕第128号",
        "人社厅函〔2026〕第1280号之二（补充通知）",
        "XJRSJD-2026-000128-BC-07",
    ):
        assert doc_number in whole  # 文号 as filing kept it, wrapped in its cell
    assert "人力资源和社会保障部职业技能鉴定中心" in whole  # 责任者
    assert "20261231" in whole and "2026-12-31" not in whole  # DA/T 22: the date as 8 digits
    assert "保管期限：永久（Y）6件72页" in whole and "保管期限：10年（D10）66件792页" in whole
    assert whole.count("已销毁") >= 2
    remarks = pages[-1]
    assert remarks.startswith("备考表")
    assert "72件；在库70件840页，已销毁2件" in remarks
    assert "10年（D10）66件，件号0001–0066" in remarks and "永久（Y）6件，件号0001–0006" in remarks
    assert "已按销毁清册XH-2026-009销毁2件（件号0045–0046）" in remarks
    assert "立卷人（签名）" in remarks and "检查人（签名）" in remarks
    assert not any("备考表" in text for text in pages[:-1])  # the remarks sheet is a page of its own


def test_the_yearly_statistics_print_their_figures_charts_and_page_numbers(printed):
    (pages,) = _numbered_instances(_texts(printed["yearly-statistics"]))
    whole = "".join(pages)
    assert "本年借出25人次、25件次" in whole  # 25 loans, one a day
    assert "2026年末馆藏（件，按类别）" in whole and "2026年接收与销毁（件，按类别）" in whole
    assert "本年销毁" in whole and "统计人（签名）" in pages[-1]
