"""Planning errors staff can act on, and the staff/rooms commands they point to (station staff|rooms edit|remove)."""

from __future__ import annotations

import re
import time

import pytest

from pipeline.catalog.models import AuditEntry, FormInstance, Room, SeatAssignment, Staff, StaffDuty, Workstation
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from tests.forms.test_room_forms import make_round

pytestmark = pytest.mark.django_db


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_too_few_invigilators_names_role_sitting_shortfall_and_the_fix(data_root, capsys):
    make_round(50)                                       # 50 candidates: both 30-seat theory rooms at once
    Staff.objects.filter(badge_number="I04").delete()    # 3 invigilators for 2 rooms × 2
    started = time.monotonic()
    assert main(["assign", "2026-12", "--seed", "1"]) == ExitCode.CONFLICT
    assert time.monotonic() - started < 20               # found before any solving, not after minutes
    err = _flat(capsys.readouterr().err)
    assert "监考不够：理论考试同时开考2个理论考场（理论一室、理论二室）" in err
    assert "共需4名" in err and "只有3人" in err and "还差1名" in err
    assert "stationstaffedit胸卡编号--add-role监考" in err and "invigilators_per_room" in err
    assert "多于可用人员" not in err and "并行上限" not in err
    # the command it names fixes it
    assert main(["staff", "edit", "C01", "--add-role", "监考"]) == 0
    assert "“试卷保密人员”→“试卷保密人员、监考”" in _flat(capsys.readouterr().out)
    assert main(["assign", "2026-12", "--seed", "1"]) == 0
    assert "并行上限" not in capsys.readouterr().err


def test_no_chief_examiner_warning_names_the_examiners_and_the_command_that_appoints_one(data_root, capsys):
    make_round(12)
    for member in Staff.objects.filter(badge_number__in=["E03", "E05"]):
        member.roles = ["examiner"]
        member.certificate = "KP-001"
        member.save()
    assert main(["assign", "2026-12", "--seed", "3"]) == 0
    err = _flat(capsys.readouterr().err)
    assert "没有登记为考评组长的考评员" in err and "代行" not in err
    badge = re.search(r"stationstaffedit(E\d\d)--add-role考评组长，然后重新运行stationassign2026-12", err)
    assert badge, err
    assert main(["staff", "edit", badge[1], "--add-role", "考评组长"]) == ExitCode.BAD_INPUT   # no certificate
    assert "--certificate：考评员须填写考评员资格证号" in _flat(capsys.readouterr().err)
    assert main(["staff", "edit", badge[1], "--add-role", "考评组长", "--certificate", "KP-2026-09"]) == 0
    assert "chief_examiner" in Staff.objects.get(badge_number=badge[1]).roles
    assert main(["assign", "2026-12", "--seed", "3"]) == 0
    assert StaffDuty.objects.filter(duty="chief_examiner", staff__badge_number=badge[1]).exists()
    assert AuditEntry.objects.filter(action="staff.edit", target=badge[1]).count() == 1


def test_room_edit_after_printing_unplans_the_round_and_lists_reprints(tmp_path, data_root, capsys):
    make_round(12)
    assert main(["assign", "2026-12", "--seed", "2"]) == 0
    assert main(["forms", "render", "seating-plan", "--round", "2026-12", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["rooms", "edit", "P1", "--capacity", "abc"]) == ExitCode.BAD_INPUT
    assert "容量“abc”应为正整数" in _flat(capsys.readouterr().err)
    assert main(["rooms", "edit", "P1", "--workstations", "D01-D06", "--capacity", "6"]) == 0
    out = _flat(capsys.readouterr().out)
    assert "工位：“10个”→“6个”" in out and "批次2026-12的考场安排已撤销" in out and "stationassign2026-12" in out
    assert not SeatAssignment.objects.exists()
    assert set(FormInstance.objects.values_list("status", flat=True)) == {FormInstance.Status.SUPERSEDED}
    assert Workstation.objects.filter(room__code="P1").count() == 6
    assert main(["assign", "2026-12", "--seed", "2"]) == 0                  # plain assign again: not locked
    assert main(["rooms", "edit", "T2", "--location", "教学楼402"]) == 0
    assert Room.objects.get(code="T2").location == "教学楼402"


def test_staff_and_room_remove_need_a_reason_and_refuse_once_the_plan_is_in_use(tmp_path, data_root, capsys):
    make_round(12)
    assert main(["assign", "2026-12", "--seed", "2"]) == 0
    assert main(["staff", "remove", "C01"]) == 2                           # --reason is required
    assert main(["staff", "remove", "C01", "--reason", "调离"]) == 0        # not in the plan: nothing else changes
    assert SeatAssignment.objects.exists()
    assert main(["forms", "render", "seating-plan", "--round", "2026-12", "--out", str(tmp_path)]) == 0
    FormInstance.objects.update(status=FormInstance.Status.FILED)
    capsys.readouterr()
    assert main(["rooms", "remove", "P2", "--reason", "装修"]) == ExitCode.CONFLICT
    assert "不能重新安排" in _flat(capsys.readouterr().err) and Room.objects.filter(code="P2").exists()
    assert main(["staff", "remove", "E01", "--reason", "调离"]) == ExitCode.CONFLICT
    assert Staff.objects.filter(badge_number="E01").exists()
    assert [e.detail["reason"] for e in AuditEntry.objects.filter(action="staff.remove")] == ["调离"]


def test_practical_shortage_names_occupations_rooms_and_the_shortfall():
    from pipeline.exams.assign.diagnose import shortage
    from tests.forms.test_assign import problem, staff

    p = problem(40, people=staff(examiners=5))
    slots = [("理论考试", [("theory", "", "理论一室")]),
             ("实操第 1 场", [("practical", "电工", "实操一室"), ("practical", "焊工", "实操二室")])]
    found = shortage(p, slots)
    text = found.message_zh
    assert found.code == "staff_short" and text.startswith("考评员不够：实操第 1 场同时开考 2 个实操考场")
    assert "电工 1 个（实操一室）" in text and "共需考评员 6 名" in text and "只有 5 人" in text and "还差 1 名" in text
    assert "station staff edit 胸卡编号 --add-role 考评员 --occupations" in text
    assert found.problems == ["实操第 1 场：考评员 需要 6，可用 5，差 1"]
    assert shortage(problem(40), slots) is None
