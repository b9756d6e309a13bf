"""统计年报 against the archive itself: the figures of `station report yearly --json` (and its xlsx and PDF)
equal counts made here, independently, by walking the archive folder's metadata.json files and
archive/.tombstones — items filed through the real inbox, items filed a year earlier and on both sides of
local midnight on New Year's Eve, an item destroyed through the full workflow, loans through the services."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
import pypdfium2 as pdfium
import pytest
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from pipeline.catalog.assignment import assignment_make
from pipeline.catalog.destruction import (
    destruction_approve,
    destruction_execute,
    destruction_propose,
    destruction_witness,
)
from pipeline.catalog.loans import loan_approve, loan_lend, loan_request, loan_return
from pipeline.catalog.models import ArchiveItem, Candidate, Round
from pipeline.cli.main import main
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode
from pipeline.forms.service import forms_generate_many
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.scansim import ScanOptions, simulate
from tests.forms.test_room_forms import make_round
from tests.ingest.test_flow import fast_config
from tests.items import catalog_item, item_file
from tests.retention.conftest import jpeg_file, users  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def pdf_pages(count: int, label: str) -> bytes:
    """A real PDF of `count` pages."""
    pdf = pikepdf.new()
    for _ in range(count):
        pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = label
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def file_item(paths, *, category: str, doc_date: dt.date, pages: int, filed_at: dt.datetime) -> ArchiveItem:
    """File one item as ingest does (store.item_write, catalog row, audit), at the given filing moment."""
    item = catalog_item(category=category, doc_date=doc_date, pages=pages, source_name="scan.jpg",
                        filed_at=filed_at)
    item.title = item.text = f"{doc_date.year} 统计测试 {item.archival_code}"
    scan = jpeg_file(paths.work / "scans" / item.archival_code, "scan.jpg")
    item_file(paths, item, pdf=pdf_pages(pages, item.archival_code), originals=[scan])
    return item


def counted_from_archive(archive: Path, year: int, zone: ZoneInfo) -> dict:
    """The year's figures counted straight from archive/: metadata.json of every item folder, and the
    tombstones of destroyed items (filed_at, destroyed_at). Not the catalog, not the selector."""
    start, end = dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)
    records = []
    for path in archive.rglob("metadata.json"):
        meta = json.loads(path.read_text(encoding="utf-8"))
        records.append(
            (
                meta["year"],
                meta["retention_code"],
                meta["category"],
                meta["pages"],
                dt.datetime.fromisoformat(meta["ingest_time"]),
                None,
                meta,
            )
        )
    for path in (archive / ".tombstones").glob("*.json"):
        stone = json.loads(path.read_text(encoding="utf-8"))
        code = ArchivalCode.parse(stone["archival_code"])
        records.append(
            (
                code.year,
                stone["retention_code"],
                stone["category"],
                stone["pages"],
                dt.datetime.fromisoformat(stone["filed_at"]),
                dt.datetime.fromisoformat(stone["destroyed_at"]),
                stone,
            )
        )
    holdings, flow = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0, 0, 0])
    totals = {"opening": [0, 0], "received": [0, 0], "removed": [0, 0], "closing": [0, 0]}
    filed_forms = defaultdict(set)
    for arch_year, retention, category, pages, filed, destroyed, meta in records:
        held_then = {moment: filed < moment and (destroyed is None or destroyed >= moment) for moment in (start, end)}
        for key, hit in (
            ("opening", held_then[start]),
            ("closing", held_then[end]),
            ("received", start <= filed < end),
            ("removed", destroyed is not None and start <= destroyed < end),
        ):
            if hit:
                totals[key][0] += 1
                totals[key][1] += pages
        if held_then[end]:
            holdings[(arch_year, retention, category)][0] += 1
            holdings[(arch_year, retention, category)][1] += pages
        if start <= filed < end:
            flow[(category, retention)][0] += 1
            flow[(category, retention)][1] += pages
        if destroyed is not None and start <= destroyed < end:
            flow[(category, retention)][2] += 1
            flow[(category, retention)][3] += pages
        if meta.get("form_instance") and meta.get("round_code"):
            filed_forms[(meta["round_code"], meta["form"])].add(meta["form_instance"])
    return {
        "totals": totals,
        "holdings": dict(holdings),
        "flow": dict(flow),
        "filed_forms": {key: len(codes) for key, codes in filed_forms.items()},
    }


@pytest.fixture
def station_year(data_root, users, tmp_path):  # noqa: F811
    """A year of work: a round's registrations generated and two filed through the inbox; items filed last
    year and at local New Year; one exam paper destroyed through the workflow; four loan requests."""
    zone = ZoneInfo(get_config().station.timezone)
    year = timezone.localdate().year
    round_ = make_round(6)
    Round.objects.filter(pk=round_.pk).update(
        theory_at=dt.datetime(year, 6, 5, 9, tzinfo=zone), practical_at=dt.datetime(year, 6, 6, 9, tzinfo=zone)
    )
    Image.new("RGB", (295, 413), (180, 200, 230)).save(data_root.photos / "photo.jpg", quality=85)
    Candidate.objects.filter(round=round_).update(photo="photo.jpg")
    assignment_make(round_=round_, seed=1)
    batch = forms_generate_many(
        forms=["registration", "room-record"], round_=round_, out=tmp_path / "printed", workers=1
    )
    registrations = sorted((g for g in batch.instances if g.form == "registration"), key=lambda g: g.code)
    simulate([g.pdf for g in registrations[:2]], data_root.inbox, ScanOptions(seed=3, stack=True))
    ingest_once(paths=data_root, config=fast_config(0))
    last_year = dt.datetime(year - 1, 3, 1, 10, tzinfo=zone)
    paper = file_item(data_root, category="SJ", doc_date=dt.date(2019, 6, 1), pages=4, filed_at=last_year)
    kept = file_item(data_root, category="CJ", doc_date=dt.date(year - 1, 2, 1), pages=7, filed_at=last_year)
    file_item(
        data_root,
        category="KW",
        doc_date=dt.date(year - 1, 12, 30),
        pages=3,  # last year, local time
        filed_at=dt.datetime(year - 1, 12, 31, 23, 30, tzinfo=zone),
    )
    file_item(
        data_root,
        category="KW",
        doc_date=dt.date(year - 1, 12, 30),
        pages=5,  # this year, local time
        filed_at=dt.datetime(year, 1, 1, 0, 10, tzinfo=zone),
    )
    file_item(
        data_root, category="CJ", doc_date=dt.date(year, 1, 5), pages=2, filed_at=dt.datetime(year, 1, 6, tzinfo=zone)
    )
    config = get_config()
    proposed = destruction_propose(actor=users["arch"], config=config, as_of=timezone.localdate())
    assert [e.item.archival_code for e in proposed.entries.all()] == [paper.archival_code]
    destruction_approve(actor=users["head"], batch_code=proposed.code)
    destruction_witness(actor=users["w1"], batch_code=proposed.code)
    destruction_witness(actor=users["w2"], batch_code=proposed.code)
    destruction_execute(actor=users["arch"], batch_code=proposed.code, config=config, paths=data_root)
    for copy, borrower, purpose in (
        (False, "王老师", "核对考生报名材料"),
        (True, "王老师", "核对考生报名材料"),
        (False, "市鉴定指导中心", "年度检查"),
    ):
        loan = loan_request(
            actor=users["arch"], item_code=kept.archival_code, borrower=borrower, purpose=purpose, copy_requested=copy
        )
        if copy:
            loan_approve(actor=users["head"], loan_id=loan.id)
        loan_lend(actor=users["arch"], loan_id=loan.id)
        loan_return(actor=users["arch"], loan_id=loan.id)
    refused = loan_request(
        actor=users["arch"], item_code=kept.archival_code, borrower="某公司", purpose="复印", copy_requested=True
    )
    loan_approve(actor=users["head"], loan_id=refused.id, approve=False)
    return year, zone, round_, batch


def test_yearly_figures_equal_counts_made_from_the_archive_folder(station_year, data_root, tmp_path, capsys):
    year, zone, round_, batch = station_year
    assert main(["report", "yearly", "--year", str(year), "--out", str(tmp_path / "report"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    truth = counted_from_archive(data_root.archive, year, zone)
    for key, (items, pages) in truth["totals"].items():
        assert report[key] == {"items": items, "pages": pages}, key
    assert report["received"]["items"] == 4 and report["removed"] == {"items": 1, "pages": 4}  # the case is live
    assert report["opening"]["items"] == 3  # 23:30 on New Year's Eve is last year's
    assert {(r["year"], r["retention"], r["category"]): [r["items"], r["pages"]] for r in report["holdings"]} == {
        k: list(v) for k, v in truth["holdings"].items()
    }
    assert {
        (r["category"], r["retention"]): [
            r["received_items"],
            r["received_pages"],
            r["removed_items"],
            r["removed_pages"],
        ]
        for r in report["flow"]
    } == {k: list(v) for k, v in truth["flow"].items()}
    assert (
        report["opening"]["items"] + report["received"]["items"] - report["removed"]["items"]
        == report["closing"]["items"]
    )
    loans = report["loans"]
    assert (loans["visits"], loans["items"], loans["copies"], loans["refused"]) == (2, 3, 1, 1)
    assert {r["purpose"]: (r["visits"], r["items"]) for r in loans["by_purpose"]} == {
        "核对考生报名材料": (1, 2),
        "年度检查": (1, 1),
    }
    forms = {(r["round"], r["form"]): r for r in report["forms"]}
    generated = {form: sum(1 for g in batch.instances if g.form == form) for form in ("registration", "room-record")}
    for form, count in generated.items():
        row = forms[(round_.code, form)]
        assert row["generated"] == count
        assert row["filed"] == truth["filed_forms"].get((round_.code, form), 0)
        assert row["outstanding"] == count - row["filed"]
    assert forms[(round_.code, "registration")]["filed"] == 2

    files = report["files"]
    book = load_workbook(files["xlsx"])
    sheet = {row[0]: row[1:] for row in book["总量"].iter_rows(min_row=2, values_only=True)}
    assert sheet["年末馆藏"] == (report["closing"]["items"], report["closing"]["pages"])
    assert sheet["本年销毁"] == (1, 4)
    assert [list(r) for r in book["借阅利用"].iter_rows(min_row=2, max_row=3, values_only=True)] == [
        ["核对考生报名材料", 1, 2],
        ["年度检查", 1, 1],
    ]
    with zipfile.ZipFile(files["docx"]) as docx:
        charts = [n for n in docx.namelist() if n.startswith("word/media/") and n.endswith(".png")]
        body = docx.read("word/document.xml").decode("utf-8")
    assert len(charts) == 4  # three charts and the QR
    assert "年末馆藏" in body and "{{" not in body
    pdf = pdfium.PdfDocument(files["pdf"])
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    pdf.close()
    closing = report["closing"]
    assert f"{closing['items']} 件 {closing['pages']} 页" in text
    assert "本年借出 2 人次、3 件次" in text
    assert f"{year}年末馆藏（件，按类别）" in text and "各批次表单生成与归档" in text  # the SVG charts' own text
