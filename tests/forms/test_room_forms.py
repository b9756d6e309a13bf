"""station assign + the four room-level forms, rendered to real PDFs and read back."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from pipeline.catalog.assignment import assignment_make
from pipeline.catalog.models import (
    AuditEntry,
    Candidate,
    Recusal,
    Room,
    Round,
    SeatAssignment,
    Staff,
    StaffDuty,
    Workstation,
)
from pipeline.catalog.people import head_create_first, user_add
from pipeline.cli.main import main
from pipeline.core.domain import id_check_digit, mask_id
from pipeline.core.errors import Conflict
from pipeline.forms.registry import FORMS
from pipeline.forms.rooms import build_paper_receipt, build_room_record, build_seating_plan, build_staff_assignment
from pipeline.render.html import render_pdf_batch
from tests.people import PASSWORD

ZONE = ZoneInfo("Asia/Shanghai")


def id_number(n: int) -> str:
    first = f"35020019900101{n:03d}"
    return first + id_check_digit(first)


def make_round(n: int = 24) -> Round:
    """A round with 电工 and 焊工 candidates from two classes, two theory and two practical rooms."""
    round_ = Round.objects.create(code="2026-12", name="2026年12月电工焊工鉴定",
                                  theory_at=dt.datetime(2026, 12, 5, 9, tzinfo=ZONE),
                                  practical_at=dt.datetime(2026, 12, 6, 8, 30, tzinfo=ZONE))
    for i in range(n):
        Candidate.objects.create(round=round_, name=f"考生{i:02d}", id_number=id_number(i), gender="男",
                                 birth_date=dt.date(1990, 1, 1), phone="13800000000",
                                 occupation="电工" if i % 2 else "焊工", level=4, ticket_number=f"T2612{i:04d}",
                                 class_name=f"2024级{i % 2 + i // 12}班")
    Room.objects.create(code="T1", name="理论一室", kind="theory", capacity=30, location="教学楼301")
    Room.objects.create(code="T2", name="理论二室", kind="theory", capacity=30, location="教学楼302")
    p1 = Room.objects.create(code="P1", name="实操一室", kind="practical", capacity=8, occupations="电工",
                             location="实训楼101")
    Room.objects.create(code="P2", name="实操二室", kind="practical", capacity=8, occupations="焊工")
    for n_ws in range(1, 11):
        Workstation.objects.create(room=p1, number=f"D{n_ws:02d}")
    people = [("王强", "E01", ["examiner"]), ("李明", "E02", ["examiner"]), ("赵刚", "E03", ["chief_examiner"]),
              ("陈磊", "E04", ["examiner"]), ("刘洋", "E05", ["chief_examiner"]), ("孙伟", "E06", ["examiner"]),
              ("周敏", "I01", ["invigilator"]), ("吴芳", "I02", ["invigilator"]), ("郑丽", "I03", ["invigilator"]),
              ("冯静", "I04", ["invigilator"]), ("何平", "A01", ["exam_affairs"]), ("林秀", "C01", ["paper_custodian"])]
    for name, badge, roles in people:
        Staff.objects.create(name=name, badge_number=badge, roles=roles,
                             occupations=["电工", "焊工"] if badge.startswith("E") else [])
    return round_


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.django_db
def test_assign_stores_seats_duties_seed_and_audit(data_root, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    round_ = make_round()
    # the 考务人员 何平 plans the round under her own account (accounts tied to staff already in the round's pool)
    head = head_create_first(username="head", password=PASSWORD, full_name="", staff_badge="C01")
    user_add(actor=head, username="kw01", password=PASSWORD, roles=["exam_affairs"], staff_badge="A01")
    Recusal.objects.create(staff=Staff.objects.get(name="王强"), candidate_id_number=id_number(1),
                           candidate_name="考生01", relation="apprentice")
    result = assignment_make(round_=round_, seed=42, actor="kw01")
    round_.refresh_from_db()
    assert round_.seating_seed == 42
    seats = SeatAssignment.objects.filter(round=round_)
    assert Counter(s.room.kind for s in seats) == {"theory": 24, "practical": 24}
    workstations = set(seats.filter(room__code="P1").values_list("workstation", flat=True))
    assert workstations <= {f"D{n:02d}" for n in range(1, 11)}
    for room_code, sitting in set(seats.values_list("room__code", "sitting")):
        assert seats.filter(room__code=room_code, sitting=sitting).count() <= Room.objects.get(code=room_code).capacity
    student_room = seats.get(candidate__id_number=id_number(1), room__kind="practical")
    assert not StaffDuty.objects.filter(round=round_, staff__name="王强", room=student_room.room,
                                        sitting=student_room.sitting).exists()
    entry = AuditEntry.objects.get(action="assignment.make")
    assert entry.actor == "kw01" and entry.detail["seed"] == 42
    again = assignment_make(round_=round_, seed=42, actor="kw01")
    assert again.plan == result.plan
    assert SeatAssignment.objects.filter(round=round_).count() == 48   # replaced, not added


@pytest.mark.django_db
def test_assign_refuses_with_the_people_named_and_keeps_the_old_plan(data_root):
    round_ = make_round(4)
    assignment_make(round_=round_, seed=1)
    Staff.objects.filter(badge_number__in=["E04", "E05", "E06"]).update(occupations=[])   # certificates lapsed
    Recusal.objects.create(staff=Staff.objects.get(name="李明"), candidate_id_number=id_number(3),
                           candidate_name="考生03", relation="relative")
    with pytest.raises(Conflict) as caught:
        assignment_make(round_=round_, seed=1)
    message = caught.value.message_zh
    assert "李明" in message and "考生03" in message and "亲属" in message
    assert SeatAssignment.objects.filter(round=round_).count() == 8


@pytest.mark.django_db
def test_cli_assign_prints_the_plan_and_the_seed(data_root, capsys):
    make_round()
    assert main(["assign", "2026-12", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "随机种子 7" in out and "实操一室" in out and "已安排" in out
    assert main(["assign", "2026-12", "--seed", "7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 7 and data["candidates"] == 24
    assert sum(r["candidates"] for r in data["sittings"] if r["kind"] == "practical") == 24
    assert main(["assign", "1999-01"]) == 5
    assert "没有代码为“1999-01”的鉴定批次" in capsys.readouterr().err


@pytest.mark.django_db
def test_cli_assign_infeasible_exits_conflict_naming_people(data_root, capsys):
    make_round(4)
    Staff.objects.filter(badge_number__in=["E04", "E05", "E06"]).delete()
    Recusal.objects.create(staff=Staff.objects.get(name="王强"), candidate_id_number=id_number(0),
                           candidate_name="考生00", relation="student")
    assert main(["assign", "2026-12"]) == 4
    err = capsys.readouterr().err
    assert "王强" in err and "考生00" in err and "师生" in err and "焊工" in err


@pytest.mark.django_db
def test_forms_need_a_stored_plan(data_root):
    round_ = make_round(2)
    with pytest.raises(Conflict) as caught:
        build_seating_plan(round_)
    assert "请先运行 station assign 2026-12" in caught.value.message_zh


@pytest.mark.django_db
def test_seating_plan_pdf_shows_room_sitting_workstations_and_seed(data_root):
    round_ = make_round()
    assignment_make(round_=round_, seed=20261206)
    instances = build_seating_plan(round_)
    assert [i.subject_label for i in instances][:2] == ["实操一室 第1场", "实操二室 第1场"]
    assert all(i.seed == 20261206 for i in instances)
    first = instances[0]
    assert first.subject == "P1@practical-1"
    rendered = render_pdf_batch(FORMS["seating-plan"], [(f"SEAT{n:04d}", i) for n, i in enumerate(instances)])
    assert len(rendered) == len(instances)
    text = pdf_text(rendered[0].pdf)
    assert "职业技能鉴定实操考场安排表" in text and "实操一室" in text and "随机种子：20261206" in text
    seats = SeatAssignment.objects.filter(round=round_, room__code="P1", sitting=1).select_related("candidate")
    for seat in seats:
        assert seat.candidate.name in text and seat.workstation in text
    assert "编制人" in text and "审核人" in text
    some = seats.first().candidate.id_number
    assert mask_id(some) in text and some not in text      # ID numbers masked on a plan posted at the door


@pytest.mark.django_db
def test_room_record_and_paper_receipt_pdfs(data_root):
    round_ = make_round()
    assignment_make(round_=round_, seed=3)
    records = build_room_record(round_)
    kinds = Counter(i.subject.split("@")[1].split("-")[0] for i in records)
    assert kinds["theory"] >= 1 and kinds["practical"] >= 1
    rendered = render_pdf_batch(FORMS["room-record"], [(f"REC{n:05d}", i) for n, i in enumerate(records)])
    theory = next(r for r, i in zip(rendered, records, strict=True) if i.subject.startswith("T1@"))
    practical = next(r for r, i in zip(rendered, records, strict=True) if i.subject.startswith("P1@"))
    t_text, p_text = pdf_text(theory.pdf), pdf_text(practical.pdf)
    expected = SeatAssignment.objects.filter(round=round_, room__code="T1").count()
    assert re.search(rf"应到人数\s*{expected}\s*人", t_text)
    assert "当众拆封" in t_text and "违纪情况" in t_text and "设备异常" not in t_text
    assert "设备异常" in p_text and "考评组长" in p_text
    for duty in StaffDuty.objects.filter(round=round_, room__code="P1", sitting=1).select_related("staff"):
        assert duty.staff.name in p_text
    receipts = build_paper_receipt(round_)
    assert {i.subject_label for i in receipts} <= {"理论一室 第1场", "理论二室 第1场"}
    pdf = render_pdf_batch(FORMS["paper-receipt"], [("RCPT0001", receipts[0])])[0]
    text = pdf_text(pdf.pdf)
    invigilators = StaffDuty.objects.filter(round=round_, room__code=receipts[0].subject.split("@")[0],
                                            duty="invigilator").values_list("staff__name", flat=True)
    assert f"应领 {receipts[0].context['copies']} 份" in text
    assert "林秀" in text and all(name in text for name in invigilators)
    assert "交方（试卷保密人员）" in text and "接方（监考）" in text and "密封完好" in text


@pytest.mark.django_db
def test_staff_assignment_lists_everyone_with_a_recusal_declaration_column(data_root):
    round_ = make_round()
    Recusal.objects.create(staff=Staff.objects.get(name="王强"), candidate_id_number=id_number(1),
                           candidate_name="考生01", relation="apprentice")
    assignment_make(round_=round_, seed=9)
    (instance,) = build_staff_assignment(round_)
    assert instance.subject == "2026-12" and instance.seed == 9
    pdf = render_pdf_batch(FORMS["staff-assignment"], [("STAF0001", instance)])[0]
    text = pdf_text(pdf.pdf)
    assert "回避声明签名" in text and "站长" in text and "随机种子：9" in text
    for name in set(StaffDuty.objects.filter(round=round_).values_list("staff__name", flat=True)):
        assert name in text
    assert "考生01（师徒）" in text
    reader = PdfReader(io.BytesIO(pdf.pdf))
    assert len(reader.pages) == pdf.pages
