"""Incoming documents keep their metadata: 责任者 and 文号 from the filing cover and from `review file`;
an OCR-filed notice is titled by its heading and dated by its 成文日期 (marked as guessed)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import weasyprint

from pipeline.archive.store import metadata_read
from pipeline.catalog.models import ArchiveItem, ReviewItem
from pipeline.catalog.rebuild import catalog_rebuild
from pipeline.cli.main import main
from pipeline.core.config import get_config
from pipeline.forms.catalogue import build_archive_catalogue
from pipeline.ingest import docmeta
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.scansim import ScanOptions, simulate
from tests.ingest.test_flow import fast_config
from tests.people import first_head

pytestmark = pytest.mark.django_db
ISSUER = "厦门市职业技能鉴定指导中心"
NOTICE = f"""<html><body style="font-family:'Noto Serif CJK SC','Noto Sans CJK SC';font-size:16pt;margin:25mm">
<p style="text-align:center;color:#c00;font-size:26pt;letter-spacing:4pt">{ISSUER}文件</p>
<p style="text-align:center">厦鉴〔2026〕12号</p><hr style="border:1px solid #c00">
<h1 style="text-align:center;font-size:20pt">关于做好2026年职业技能鉴定工作的通知</h1>
<p>各职业技能鉴定站：</p>
<p style="text-indent:2em">为做好本年度职业技能鉴定工作，现将有关事项通知如下。请各站按照规定组织实施，
认真做好考务管理和档案归档工作。</p>
<p style="text-align:right;margin-top:20mm">{ISSUER}</p>
<p style="text-align:right">{{date}}</p></body></html>"""


def notice_pdf(tmp_path, date_text: str, issuer: str = ISSUER):
    path = tmp_path / "notice.pdf"
    weasyprint.HTML(string=NOTICE.replace("{date}", date_text).replace(ISSUER, issuer)).write_pdf(path)
    return path


def _item_meta(data_root, item: ArchiveItem) -> dict:
    return metadata_read(data_root.archive / item.folder)


def test_cover_keeps_responsible_and_doc_number_into_metadata_catalogue_and_rebuild(data_root, tmp_path, capsys):
    covers = tmp_path / "cover"
    assert main(["cover", "--category", "FW", "--title", "关于做好2026年职业技能鉴定工作的通知", "--date", "2026-11-05",
                 "--responsible", ISSUER, "--doc-number", "厦鉴〔2026〕12号", "--pages", "1",
                 "--out", str(covers), "--json"]) == 0
    cover = json.loads(capsys.readouterr().out)["instances"][0]["pdf"]
    simulate([covers / cover if not cover.startswith("/") else __import__("pathlib").Path(cover),
              notice_pdf(tmp_path, "2026年11月5日")], data_root.inbox, ScanOptions(seed=2, stack=True, sign=False))
    ingest_once(paths=data_root, config=fast_config(0))
    (item,) = ArchiveItem.objects.all()
    assert (item.responsible, item.doc_number) == (ISSUER, "厦鉴〔2026〕12号")
    meta = _item_meta(data_root, item)
    assert (meta["responsible"], meta["doc_number"]) == (ISSUER, "厦鉴〔2026〕12号")
    (catalogue,) = build_archive_catalogue(None, year=2026, category="FW")
    assert catalogue.context["rows"][0]["doc_number"] == "厦鉴〔2026〕12号"
    ArchiveItem.objects.all().delete()
    catalog_rebuild(paths=data_root, config=get_config(), actor=first_head())
    assert ArchiveItem.objects.get().doc_number == "厦鉴〔2026〕12号"


def test_ocr_filed_notice_takes_its_heading_and_issue_date_marked_as_guessed(data_root, tmp_path):
    # "二〇二六年十一月五日" in the rendered serif is misread by Tesseract at 200 dpi;
    # its parsing is tested on text below
    simulate([notice_pdf(tmp_path, "2026年11月5日")], data_root.inbox / "公文", ScanOptions(seed=4, sign=False))
    ingest_once(paths=data_root, config=fast_config(0))
    (item,) = ArchiveItem.objects.all()
    assert item.title == "关于做好2026年职业技能鉴定工作的通知"
    assert item.doc_date == dt.date(2026, 11, 5)
    assert sorted(_item_meta(data_root, item)["guessed"]) == ["doc_date", "title"]


def test_review_file_keeps_responsible_and_doc_number(data_root, tmp_path, capsys):
    # from a body no classification rule knows: it waits for a person
    simulate([notice_pdf(tmp_path, "2026年11月5日", issuer="厦门海沧职业培训学校")], data_root.inbox,
             ScanOptions(seed=6, sign=False))
    ingest_once(paths=data_root, config=fast_config(0))
    (waiting,) = ReviewItem.objects.all()
    assert main(["review", "file", str(waiting.pk), "--category", "FW", "--title", "关于鉴定工作的通知",
                 "--responsible", "厦门海沧职业培训学校", "--doc-number", "厦鉴〔2026〕12号"]) == 0
    item = ArchiveItem.objects.get()
    assert (item.responsible, item.doc_number) == ("厦门海沧职业培训学校", "厦鉴〔2026〕12号")
    assert _item_meta(data_root, item)["doc_number"] == "厦鉴〔2026〕12号"


def test_issue_date_and_heading_from_text():
    text = ("厦门市职业技能鉴定指导中心文件\n厦鉴〔2026〕12号\n关于做好2026年职业技能\n鉴定工作的通知\n各站：…\n"
            "二〇二六年十一月五日\n")
    assert docmeta.issue_date(text) == dt.date(2026, 11, 5)
    assert docmeta.issue_date("2026年13月5日") is None
    assert docmeta.heading("各站：\n请按时报送。") is None
