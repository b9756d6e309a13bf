"""The four results forms rendered to real PDFs and read back; the chart has its Chinese glyphs."""

from __future__ import annotations

import io
from decimal import Decimal

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader

from pipeline.catalog.models import Score
from pipeline.catalog.scoring import results_import, round_statistics
from pipeline.core.errors import BadInput, ConfigError, Conflict
from pipeline.forms.builders import BUILDERS
from pipeline.forms.registry import FORMS
from pipeline.forms.results import pass_rate_chart
from pipeline.render.html import render_pdf_batch

from .factories import add_candidates, good_rows, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_round(round_with_candidates, tmp_path):
    path = write_xlsx(tmp_path / "scores.xlsx", good_rows(round_with_candidates.candidates.all()))
    results_import(round_=round_with_candidates, path=path)
    return round_with_candidates


def render(form: str, round_, **opts) -> PdfReader:
    (instance,) = BUILDERS[form](round_, **opts)
    (pdf,) = render_pdf_batch(FORMS[form], [("H4TEST01", instance)])
    return PdfReader(io.BytesIO(pdf.pdf))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def images_in(pdf: pikepdf.Pdf) -> list[pikepdf.PdfImage]:
    """Every distinct image XObject of the document, also inside form XObjects (the QR stamp may wrap content)."""
    found, seen = [], set()
    stack = [page.obj.get("/Resources", pikepdf.Dictionary()) for page in pdf.pages]
    while stack:
        xobjects = stack.pop().get("/XObject", pikepdf.Dictionary())
        for _, xobject in xobjects.items():
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            if xobject.get("/Subtype") == "/Image":
                found.append(pikepdf.PdfImage(xobject))
            elif "/Resources" in xobject:
                stack.append(xobject["/Resources"])
    return found


def test_report_pdf_has_the_figures_and_the_chart_image(scored_round):
    reader = render("report", scored_round, incidents=["实操一室3号工位万用表故障，更换后延时10分钟开考"],
                    evaluation="考评小组按规程组织考核，评分客观公正。")
    text = text_of(reader).replace(" ", "")
    for figure in ("应考12人", "实考11人", "缺考1人", "合格7人", "不合格4人", "63.6%", "33.3%", "66.7%", "100.0%"):
        assert figure in text, figure
    assert "刘洋" in text and "理论、实操" in text and "黄勇" in text       # absentees and the parts missed
    assert "万用表故障" in text and "评分客观公正" in text
    with pikepdf.open(io.BytesIO(_pdf_bytes(reader))) as pdf:
        charts = [img.as_pil_image().convert("RGB") for img in images_in(pdf) if img.width > 600]
    assert len(charts) == 1
    chart = charts[0]
    assert chart.width >= 1200                                              # 200 dpi, sharp when printed
    colours = {colour for _, colour in chart.getcolors(maxcolors=1 << 20)}
    assert (0x1F, 0x4E, 0x79) in colours and (0xC5, 0x5A, 0x11) in colours   # 电工 and 焊工 bars


def _pdf_bytes(reader: PdfReader) -> bytes:
    buffer = io.BytesIO()
    reader.stream.seek(0)
    buffer.write(reader.stream.read())
    return buffer.getvalue()


def test_chart_glyphs_are_in_the_noto_font_and_a_latin_font_is_refused(scored_round):
    groups, total = round_statistics(scored_round)
    png = pass_rate_chart(groups, total)
    assert Image.open(io.BytesIO(png)).format == "PNG"
    with pytest.raises(ConfigError) as caught:
        pass_rate_chart(groups, total, family="DejaVu Sans")
    assert caught.value.code == "chart_glyph_missing" and "方框" in caught.value.message_zh


def test_statistics_table_counts_per_occupation_and_level(scored_round):
    lines = [line.split() for line in text_of(render("statistics", scored_round)).splitlines()]
    assert ["电工", "四级", "4", "3", "1", "1", "2", "33.3%", "1", "1", "0"] in lines
    assert ["焊工", "五级", "3", "3", "0", "2", "1", "66.7%", "0", "1", "0"] in lines
    assert ["合计", "12", "11", "1", "7", "4", "63.6%", "2", "2", "0"] in lines


def test_qualified_roster_lists_passers_with_full_id_numbers_only(scored_round):
    text = text_of(render("qualified-roster", scored_round))
    for name in ("张伟", "陈杰", "杨静", "赵磊", "周敏", "吴婷", "孙强"):
        candidate = scored_round.candidates.get(name=name)
        assert candidate.id_number in text.replace(" ", ""), name
    for name in ("王芳", "李娜", "刘洋", "黄勇", "徐丽"):
        assert name not in text
    assert "合格人数：7 人" in text


def test_score_register_lists_everyone_with_scores_and_results(scored_round):
    reader = render("score-register", scored_round, unsealed_by="林一", checked_by="陈二", entered_by="王三")
    text = text_of(reader)
    rows = [line.split() for line in text.splitlines()]
    assert ["4", "2026120004", "刘洋", "男", "缺考", "缺考", "缺考"] in rows
    assert ["2", "2026120002", "王芳", "女", "72.5", "58", "不合格"] in rows
    assert ["1", "2026120007", "赵磊", "男", "60", "60", "合格"] in rows
    for label in ("拆封人", "核分人", "登分人", "考评组长", "考评小组成员", "林一", "陈二", "王三"):
        assert label in text


def test_score_register_refuses_one_person_as_two_clerks(scored_round):
    with pytest.raises(BadInput) as caught:
        BUILDERS["score-register"](scored_round, unsealed_by="林一", checked_by="林一")
    assert "三名不同人员" in caught.value.message_zh


def test_retake_note_names_the_round_the_part_was_kept_from(data_root, tmp_path):
    from pipeline.catalog.services import round_add

    earlier = round_add(code="2026-06", name="2026年6月鉴定")
    (first,) = add_candidates(earlier, [("周敏", "女", "焊工", 5)])
    Score.objects.create(candidate=first, theory=Decimal(81), practical=Decimal(42), recorded_on="2026-06-20")
    later = round_add(code="2026-12", name="2026年12月鉴定")
    (again,) = add_candidates(later, [("周敏", "女", "焊工", 5)], retake={1})
    sheet = write_xlsx(tmp_path / "s.xlsx", [(again.ticket_number, "周敏", "", "", 75, "", "是")])
    results_import(round_=later, path=sheet)
    (register,) = BUILDERS["score-register"](later)
    row = register.context["sections"][0]["rows"][0]
    assert (row["theory"], row["practical"], row["retake"], row["result"]) == ("81", "75", "是", "合格")
    assert row["note"] == "理论成绩保留自 2026-06 批次"


def test_before_any_score_there_is_nothing_to_print_and_a_half_scored_round_is_refused(round_with_candidates, tmp_path):
    from pipeline.forms.service import forms_generate_many

    for form in ("score-register", "qualified-roster", "statistics", "report"):
        assert BUILDERS[form](round_with_candidates) == []
    batch = forms_generate_many(forms=["score-register", "report"], round_=round_with_candidates,
                                out=tmp_path / "early", workers=1)           # `forms round` before the exam
    assert batch.instances == []
    rows = good_rows(round_with_candidates.candidates.all())
    results_import(round_=round_with_candidates, path=write_xlsx(tmp_path / "half.xlsx", rows[:10]))
    with pytest.raises(Conflict) as caught:
        BUILDERS["report"](round_with_candidates)
    assert "还有 2 名考生没有成绩" in caught.value.message_zh and "徐丽（2026120011）" in caught.value.message_zh


def test_forms_generate_records_the_report_instance(scored_round, tmp_path):
    from pipeline.catalog.models import FormInstance
    from pipeline.forms.service import forms_generate

    batch = forms_generate(form="report", round_=scored_round, out=tmp_path / "out", workers=1,
                           evaluation="评分客观公正。")
    (generated,) = batch.instances
    assert generated.pdf.is_file() and generated.pages == 2
    record = FormInstance.objects.get(code=generated.code)
    assert (record.form, record.retention_class, record.category) == ("report", "long-term", "CJ")
    assert record.data["total"]["passed"] == 7 and record.data["evaluation"] == "评分客观公正。"
    assert "chart_uri" not in record.data      # the 65 KB chart image is in the PDF, not in the catalog
    assert "63.6%" in PdfReader(generated.pdf).pages[0].extract_text()


def test_report_docx_has_the_summary_paragraph_and_the_chart(scored_round, tmp_path):
    import docx

    from pipeline.forms.service import forms_generate

    batch = forms_generate(form="report", round_=scored_round, out=tmp_path / "out", workers=1,
                           formats=("docx",), evaluation="评分客观公正。")
    document = docx.Document(str(batch.instances[0].docx))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "组织理论考试" in text and "总合格率 63.6%" in text and "评分客观公正。" in text
    assert len(document.inline_shapes) == 1                          # the pass-rate chart
