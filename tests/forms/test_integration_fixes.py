"""The seams between the forms modules: destruction register, lending register, signatures as printed,
partial scores, packet covers per sitting — rendered to real PDFs/DOCX and read back."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from docx import Document
from PIL import Image
from pypdf import PdfReader

from pipeline.catalog.assignment import assignment_make
from pipeline.catalog.destruction import destruction_approve, destruction_propose, destruction_witness
from pipeline.catalog.loans import loan_approve, loan_lend, loan_request, loan_return
from pipeline.catalog.models import Candidate, FormInstance, Round, Score, SeatAssignment
from pipeline.cli.main import main
from pipeline.core.config import get_config
from pipeline.core.domain import QrPayload, id_check_digit
from pipeline.core.errors import Conflict
from pipeline.forms.registry import FORMS
from pipeline.forms.service import forms_build, forms_generate, forms_generate_many
from tests.forms.scan import payloads, raster
from tests.forms.test_room_forms import make_round
from tests.people import make_users
from tests.retention.conftest import make_item

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
NINE_COLUMNS = ["序号", "档号", "题名", "年度", "应保管期限", "已保管期限", "页数", "鉴定意见", "备注"]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def docx_text(path) -> str:
    doc = Document(str(path))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def in_order(haystack: str, needles: list[str]) -> bool:
    """True when every needle occurs in haystack, each after the previous one."""
    at = 0
    for needle in needles:
        at = haystack.find(needle, at)
        if at < 0:
            return False
        at += len(needle)
    return True


@pytest.fixture
def people(db, settings):
    """Station users with full names (w2 without one: the register then prints the username)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    spec = {"arch": (["archivist"], "林档案"), "head": (["station_head"], "王站长"),
            "w1": (["witness"], "张监销"), "w2": (["witness"], "")}
    return make_users(spec)


# ---------------------------------------------------------------- 1. destruction register

def test_destruction_register_prints_the_nine_columns_and_the_signers_once_known(data_root, people, tmp_path):
    go = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    keep = make_item(data_root, doc_date=dt.date(2019, 7, 1))
    batch = destruction_propose(actor=people["arch"], config=get_config(), as_of=dt.date(2026, 6, 1))

    proposed = forms_generate(form="destruction-register", round_=None, subject=batch.code,
                              formats=("pdf", "docx"), out=tmp_path / "a").instances[0]
    text = flat(pdf_text(proposed.pdf))
    assert in_order(text, NINE_COLUMNS)
    assert in_order(text, [go.archival_code, flat(go.title), "2019", "3年", "7年", "1", "到期，同意销毁"])
    assert in_order(text, ["编制人（签名）：林档案（arch）", "批准人（站长）（签名）：", "监销人（签名）：",
                           "监销人（签名）："])
    assert "王站长" not in text and "张监销" not in text          # not approved yet: blank lines to sign
    page = raster(proposed.pdf.read_bytes())
    assert QrPayload("DHJD", proposed.code, 1, proposed.pages) in payloads(page)
    row = FormInstance.objects.get(code=proposed.code)
    assert (row.retention_class, row.category) == ("archive-management", "DA")

    destruction_approve(actor=people["head"], batch_code=batch.code, strikes={keep.archival_code: "仍有查考价值"})
    destruction_witness(actor=people["w1"], batch_code=batch.code)
    destruction_witness(actor=people["w2"], batch_code=batch.code)
    signed = forms_generate(form="destruction-register", round_=None, subject=batch.code,
                            formats=("pdf", "docx"), out=tmp_path / "b").instances[0]
    text = flat(pdf_text(signed.pdf))
    today = timezone.localdate()
    assert in_order(text, [keep.archival_code, "不销毁", "仍有查考价值"])
    assert "共2件，拟销毁1件1页（划去1件）" in text
    assert in_order(text, ["编制人（签名）：林档案（arch）", "批准人（站长）（签名）：王站长（head）",
                           "监销人（签名）：张监销（w1）", "监销人（签名）：w2"])
    assert text.count(f"{today.year}年{today.month}月{today.day}日") == 4

    words = docx_text(signed.docx)
    assert in_order(flat(words), NINE_COLUMNS)
    for value in (go.archival_code, "7年", "到期，同意销毁", "仍有查考价值", "王站长（head）", "张监销（w1）", "w2"):
        assert value in words


# ---------------------------------------------------------------- 2. lending register

def test_lending_register_of_a_year_lists_a_real_loan_with_approval_and_signature_columns(
        data_root, people, tmp_path, capsys):
    item = make_item(data_root, doc_date=dt.date(2020, 6, 1), restricted=True)
    other = make_item(data_root, doc_date=dt.date(2021, 3, 1))
    due = timezone.localdate() + dt.timedelta(days=14)
    loan = loan_request(actor=people["arch"], item_code=item.archival_code, borrower="李四", purpose="复核成绩申诉",
                        copy_requested=True, due_back=due)
    loan_approve(actor=people["head"], loan_id=loan.id)
    loan_lend(actor=people["arch"], loan_id=loan.id)
    loan_return(actor=people["arch"], loan_id=loan.id)
    loan_request(actor=people["arch"], item_code=other.archival_code, borrower="赵六", purpose="查阅")
    year = timezone.localdate().year

    assert main(["loan", "register", "--year", str(year), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{year}年借阅登记表：2 次借阅" in out
    instance = FormInstance.objects.get(form="lending-register")
    assert (instance.subject, instance.retention_class, instance.category) == (str(year), "service-records", "FW")
    pdf = next((tmp_path / "lending-register").glob("*.pdf"))
    text = flat(pdf_text(pdf))
    assert in_order(text, ["序号", "档号", "题名", "借阅人", "借阅目的", "复印及审批", "借阅人签字", "经办人"])
    assert in_order(text, [item.archival_code, "李四", "复核成绩申诉", "申请复印；王站长批准", "借出", "应还",
                           f"{due.month}月{due.day}日", "归还", "林档案"])
    today = timezone.localdate()
    assert in_order(text, [other.archival_code, "赵六", "不复印；无需审批", f"{today.month}月{today.day}日申请应还"])
    assert QrPayload("DHJD", instance.code, 1, instance.pages) in payloads(raster(pdf.read_bytes()))


def test_lending_register_of_a_year_without_loans_is_blank_lines_and_a_bad_year_is_refused(
        data_root, people, tmp_path, capsys):
    assert main(["loan", "register", "--year", "2019", "--out", str(tmp_path)]) == 0
    pdf = next((tmp_path / "lending-register").glob("*.pdf"))
    text = flat(pdf_text(pdf))
    assert "共0次借阅" in text and in_order(text, ["借阅人签字", "经办人", "1借出应还归还", "9借出应还归还"])
    assert len(PdfReader(str(pdf)).pages) == 1                   # one page of lines to fill by hand
    assert main(["loan", "register", "--year", "26", "--out", str(tmp_path)]) == 2
    assert "年度“26”无效" in capsys.readouterr().err


# ---------------------------------------------------------------- 3. signatures as printed

@pytest.fixture
def assigned_round(data_root):
    round_ = make_round()
    assignment_make(round_=round_, seed=42)
    return round_


def test_registry_signature_roles_are_the_ones_the_templates_print(assigned_round, tmp_path):
    printed = {}
    for form, subject in (("seating-plan", "P1@practical-1"), ("room-record", "P1@practical-1"),
                          ("room-record", "T1@theory-1"), ("paper-receipt", "T1@theory-1")):
        generated = forms_generate(form=form, round_=assigned_round, subject=subject, formats=("pdf", "docx"),
                                   out=tmp_path).instances[0]
        printed[form, subject] = (flat(pdf_text(generated.pdf)), flat(docx_text(generated.docx)))
    assert FORMS["seating-plan"].signatures == ("编制人", "审核人", "考评组长")
    for text in printed["seating-plan", "P1@practical-1"]:
        assert in_order(text, [f"{role}（签名）" for role in FORMS["seating-plan"].signatures])
    pdf, word = printed["paper-receipt", "T1@theory-1"]
    assert in_order(pdf, ["交方（试卷保密人员）签字", "交出时间", "接方（监考）签字", "接收时间"])
    assert in_order(word, ["交方（试卷保密人员）（签名）", "交出时间", "接方（监考）（签名）", "接收时间"])
    assert "监督人" not in pdf + word
    practical, theory = printed["room-record", "P1@practical-1"][0], printed["room-record", "T1@theory-1"][0]
    assert in_order(practical, ["职责姓名胸卡编号签名", "考评组长（签名）", "考务人员（签名）"])
    assert in_order(theory, ["职责姓名胸卡编号签名", "主监考（签名）", "考务人员（签名）"])
    assert in_order(printed["room-record", "P1@practical-1"][1], ["职责姓名胸卡编号签名", "考评组长／主监考（签名）",
                                                                 "考务人员（签名）"])


# ---------------------------------------------------------------- 4. partial scores

@pytest.fixture
def photographed_round(data_root):
    """A round of three candidates with photos (so registration and tickets render), no seating yet."""
    Image.new("RGB", (295, 413), (180, 200, 230)).save(data_root.photos / "photo.jpg", quality=85)
    round_ = Round.objects.create(code="2026-12", name="2026年12月电工鉴定",
                                  theory_at=dt.datetime(2026, 12, 5, 9, tzinfo=TZ))
    for n, name in enumerate(["张伟", "王秀英", "李娜"]):
        first = f"35020019980101{n:03d}"
        Candidate.objects.create(round=round_, name=name, id_number=first + id_check_digit(first), gender="男",
                                 birth_date=dt.date(1998, 1, 1), occupation="电工", level=4,
                                 ticket_number=f"202612{n:04d}", photo="photo.jpg", sheet_row=n + 2)
    return round_


def _score(candidate: Candidate, theory: str, practical: str) -> None:
    Score.objects.create(candidate=candidate, theory=theory, practical=practical, recorded_on=dt.date(2026, 12, 10),
                         passed=float(theory) >= 60 and float(practical) >= 60)


def test_partly_scored_round_skips_the_results_forms_with_a_conflict_and_makes_the_rest(
        photographed_round, tmp_path, capsys):
    first, second, _ = photographed_round.candidates.order_by("ticket_number")
    _score(first, "80", "75")
    _score(second, "55", "70")
    with pytest.raises(Conflict) as caught:
        forms_build(form="score-register", round_=photographed_round)
    message = caught.value.message_zh
    assert "共 3 名考生，还有 1 名考生没有成绩" in message and "李娜（2026120002）" in message
    batch = forms_generate_many(forms=["statistics", "roster"], round_=photographed_round, out=tmp_path / "many",
                                workers=1)
    assert [g.form for g in batch.instances] == ["roster"] and "还有 1 名考生没有成绩" in batch.skipped["statistics"]

    assert main(["forms", "round", "2026-12", "--out", str(tmp_path / "round")]) == 0
    out = flat(capsys.readouterr().out)
    for form in ("score-register", "qualified-roster", "statistics", "report"):
        assert f"未生成{FORMS[form].name_zh}：无法生成《{FORMS[form].name_zh}》" in out
    assert "职业技能鉴定报名登记表：3份" in out
    assert not FormInstance.objects.filter(form__in=["score-register", "report"]).exists()


# ---------------------------------------------------------------- 5. packet covers per sitting

def test_packet_covers_are_one_per_room_and_sitting_with_the_room_record_keys_and_seated_counts(
        assigned_round, tmp_path):
    seated = Counter(SeatAssignment.objects.filter(round=assigned_round).values_list("room__code", "room__kind",
                                                                                     "sitting"))
    covers = forms_generate(form="packet-cover", round_=assigned_round, out=tmp_path).instances
    rows = {row.subject: row for row in FormInstance.objects.filter(form="packet-cover")}
    assert set(rows) == {f"{code}@{kind}-{n}" for code, kind, n in seated} and len(covers) == len(seated)
    records = {i.subject for i in forms_build(form="room-record", round_=assigned_round)}
    assert set(rows) == records
    assert {"实操一室 第1场", "实操一室 第2场", "理论一室 第1场"} <= {c.subject_label for c in covers}
    for cover in covers:
        row = FormInstance.objects.get(code=cover.code)
        code, kind, n = re.fullmatch(r"(\w+)@(\w+)-(\d+)", row.subject).groups()
        text = flat(pdf_text(cover.pdf))
        # label and value: a reused layout (render.reuse) draws the labels first, the values after
        assert "应考人数" in text and f"{seated[code, kind, int(n)]}人" in text and f"第{n}场" in text
        assert (row.category, row.retention_class) == ("SJ", "exam-papers")
    one = forms_generate(form="packet-cover", round_=assigned_round, subject="P1@practical-2", out=tmp_path / "one")
    assert [g.subject_label for g in one.instances] == ["实操一室 第2场"]


def test_packet_cover_before_station_assign_says_to_run_it(data_root, tmp_path):
    round_ = make_round(4)
    with pytest.raises(Conflict) as caught:
        forms_generate(form="packet-cover", round_=round_, out=tmp_path)
    assert "station assign 2026-12" in caught.value.message_zh
