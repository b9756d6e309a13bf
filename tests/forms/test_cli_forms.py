"""station forms list|render|round and station cover, through the real CLI entry point."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from pipeline.catalog.models import FormInstance
from pipeline.cli.main import main
from tests.forms.scan import payloads, raster
from tests.forms.test_render import round_  # noqa: F401  (fixture)


@pytest.mark.django_db
def test_forms_list_json_names_every_tier1_form(capsys):
    assert main(["forms", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["key"] for r in rows if r["tier"] == 1} >= {"registration", "filing-cover", "archive-catalogue"}
    assert next(r for r in rows if r["key"] == "registration")["name"] == "职业技能鉴定报名登记表"


@pytest.mark.django_db
def test_forms_render_one_subject_both_formats(round_, tmp_path, capsys):  # noqa: F811
    subject = round_.candidates.first().id_number
    code = main(["forms", "render", "registration", "--round", "2026-12", "--subject", subject,
                 "--format", "both", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "已生成" in out and "职业技能鉴定报名登记表：1 份" in out
    assert len(list((tmp_path / "registration").glob("*.pdf"))) == 1
    assert len(list((tmp_path / "registration").glob("*.docx"))) == 1


@pytest.mark.django_db
def test_forms_render_unknown_form_and_bad_format_fail_in_chinese(round_, tmp_path, capsys):  # noqa: F811
    assert main(["forms", "render", "nosuch", "--round", "2026-12", "--out", str(tmp_path)]) == 5
    assert "没有名为“nosuch”的表单" in capsys.readouterr().err
    assert main(["forms", "render", "roster", "--round", "2026-12", "--format", "odt", "--out", str(tmp_path)]) == 2
    assert "--format 只能是 pdf、docx 或 both" in capsys.readouterr().err


@pytest.mark.django_db
def test_cover_makes_a_one_page_pdf_whose_qr_names_a_recorded_category(round_, tmp_path, capsys):  # noqa: F811
    code = main(["cover", "--category", "FW", "--title", "关于开展2026年职业技能鉴定工作的通知",
                 "--date", "2026-11-02", "--responsible", "厦门市职业技能鉴定指导中心", "--pages", "3",
                 "--out", str(tmp_path)])
    assert code == 0 and "已生成 1 份表单" in capsys.readouterr().out
    pdf = next((tmp_path / "filing-cover").glob("*.pdf"))
    assert len(PdfReader(str(pdf)).pages) == 1
    [payload] = payloads(raster(pdf.read_bytes()))
    row = FormInstance.objects.get(code=payload.instance)
    assert (row.form, row.category, row.retention_class) == ("filing-cover", "FW", "service-records")
    assert row.data["title"] == "关于开展2026年职业技能鉴定工作的通知" and row.data["pages"] == 3
    assert "鉴定服务记录与公文" in PdfReader(str(pdf)).pages[0].extract_text()


@pytest.mark.django_db
def test_cover_with_an_unknown_category_says_which_are_allowed(tmp_path, capsys):
    code = main(["cover", "--category", "ZZ", "--title", "合同", "--date", "2026-11-02",
                 "--responsible", "学院", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "“ZZ”不是已配置的类别" in err and "KW" in err
    assert not FormInstance.objects.exists()


@pytest.mark.django_db
def test_forms_round_makes_every_available_form_and_one_print_pdf_each(round_, tmp_path, capsys):  # noqa: F811
    assert main(["forms", "round", "2026-12", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "职业技能鉴定报名登记表：3 份" in out and "职业技能鉴定准考证：3 份" in out
    merged = PdfReader(str(tmp_path / "registration-全部打印.pdf"))
    single = sum(len(PdfReader(str(p)).pages) for p in (tmp_path / "registration").glob("*.pdf"))
    assert len(merged.pages) == single
    assert FormInstance.objects.filter(form="roster", round=round_).count() == 1


@pytest.mark.django_db
def test_forms_round_format_both_writes_the_docx_beside_the_pdfs(round_, tmp_path, capsys):  # noqa: F811
    assert main(["forms", "round", "2026-12", "--out", str(tmp_path), "--format", "both"]) == 0
    out = capsys.readouterr().out
    assert len(list((tmp_path / "registration").glob("*.docx"))) == 3
    assert len(list((tmp_path / "registration").glob("*.pdf"))) == 3
    assert len(list((tmp_path / "schedule").glob("*.docx"))) == 1
    assert not list((tmp_path / "roster").glob("*.docx"))            # no Word template: PDF only
    assert "共 0 页" not in out and "Word 版 3 份" in out
    import docx
    registration = docx.Document(str(next((tmp_path / "registration").glob("*.docx"))))
    assert len(registration.inline_shapes) == 1                      # the candidate's photo
    assert main(["forms", "round", "2026-12", "--out", str(tmp_path / "w"), "--format", "docx"]) == 0
    out = capsys.readouterr().out
    assert "共 0 页" not in out and "Word 版" in out and not list((tmp_path / "w").rglob("*.pdf"))


@pytest.mark.django_db
def test_tickets_print_two_per_sheet_and_badges_eight_each_with_its_own_qr(round_, tmp_path, capsys):  # noqa: F811
    from pipeline.catalog.models import Staff
    for n in range(2, 10):
        Staff.objects.create(name=f"工作人员{n}", badge_number=f"DH-{n:03d}", roles=["invigilator"])
    assert main(["forms", "round", "2026-12", "--out", str(tmp_path)]) == 0
    tickets = (tmp_path / "admission-ticket-全部打印.pdf").read_bytes()
    assert len(PdfReader(io.BytesIO(tickets)).pages) == 2                      # 3 tickets: 2 + 1
    codes = set(FormInstance.objects.filter(form="admission-ticket").values_list("code", flat=True))
    first_sheet = payloads(raster(tickets, 0, dpi=200))
    assert len(first_sheet) == 2 and {p.instance for p in first_sheet} < codes
    assert {p.instance for p in first_sheet + payloads(raster(tickets, 1, dpi=200))} == codes
    badges = (tmp_path / "badge-全部打印.pdf").read_bytes()
    assert len(PdfReader(io.BytesIO(badges)).pages) == 2                       # 9 badges: 8 + 1
    on_sheet = {p.instance for p in payloads(raster(badges, 0, dpi=300))}
    assert len(on_sheet) == 8
    single = next((tmp_path / "admission-ticket").glob("*.pdf"))
    page = PdfReader(str(single)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 210
    assert round(float(page.mediabox.height) / 72 * 25.4) in (148, 149)
    text = page.extract_text()
    assert "考场待编排" in text                                                 # no `station assign` yet
