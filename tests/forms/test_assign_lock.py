"""`station assign` on a round whose seating forms are printed, re-planned, or already in use."""

from __future__ import annotations

import re

import pytest

from pipeline.catalog.models import AuditEntry, Candidate, FormInstance, SeatAssignment
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from tests.forms.test_room_forms import make_round
from tests.results.factories import write_xlsx

pytestmark = pytest.mark.django_db


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_printed_plan_is_locked_replan_needs_a_reason_and_supersedes_the_forms(tmp_path, data_root, capsys):
    make_round(12)
    assert main(["assign", "2026-12", "--seed", "7"]) == 0
    assert main(["assign", "2026-12", "--seed", "8"]) == 0            # nothing printed yet: free to re-plan
    out = tmp_path / "打印"
    assert main(["forms", "render", "seating-plan", "--round", "2026-12", "--out", str(out)]) == 0
    assert main(["forms", "render", "staff-assignment", "--round", "2026-12", "--out", str(out)]) == 0
    printed = set(FormInstance.objects.values_list("code", flat=True))
    seats = list(SeatAssignment.objects.values_list("candidate_id", "room_id", "workstation"))
    capsys.readouterr()
    assert main(["assign", "2026-12", "--seed", "9"]) == ExitCode.CONFLICT
    err = _flat(capsys.readouterr().err)
    assert "《职业技能鉴定实操考场安排表》" in err and "已经打印" in err and "--replan--reason" in err
    assert list(SeatAssignment.objects.values_list("candidate_id", "room_id", "workstation")) == seats
    assert main(["assign", "2026-12", "--replan"]) == ExitCode.BAD_INPUT              # no reason
    assert main(["assign", "2026-12", "--seed", "9", "--replan", "--reason", "实操一室停电"]) == 0
    text = _flat(capsys.readouterr().out)
    assert "受此更改影响" in text and "已作废，请重印" in text
    assert "stationformsrenderstaff-assignment--round2026-12" in text
    assert set(FormInstance.objects.filter(status=FormInstance.Status.SUPERSEDED)
               .values_list("code", flat=True)) == printed
    assert set(FormInstance.objects.values_list("supersede_reason", flat=True)) == {"重新安排考场：实操一室停电"}
    entry = AuditEntry.objects.filter(action="assignment.replan").get()
    assert entry.detail["reason"] == "实操一室停电" and set(entry.detail["superseded"]) == printed
    # the reprints are printed: the new plan is locked in its turn
    assert main(["forms", "render", "seating-plan", "--round", "2026-12", "--out", str(out)]) == 0
    assert main(["assign", "2026-12", "--json"]) == ExitCode.CONFLICT


def test_no_replan_once_scores_are_imported_or_seating_forms_filed(tmp_path, data_root, capsys):
    make_round(12)
    assert main(["assign", "2026-12", "--seed", "7"]) == 0
    assert main(["forms", "render", "seating-plan", "--round", "2026-12", "--out", str(tmp_path)]) == 0
    FormInstance.objects.filter(form="seating-plan").update(status=FormInstance.Status.FILED)   # signed, filed
    capsys.readouterr()
    assert main(["assign", "2026-12", "--replan", "--reason", "再排一次"]) == ExitCode.CONFLICT
    err = _flat(capsys.readouterr().err)
    assert "已经实施" in err and "《职业技能鉴定实操考场安排表》已签字归档" in err and "不能重新安排" in err
    FormInstance.objects.filter(form="seating-plan").update(status=FormInstance.Status.GENERATED)
    rows = [(c.ticket_number, c.name, c.id_number, 80, 85, "", "否") for c in Candidate.objects.all()]
    assert main(["results", "import", str(write_xlsx(tmp_path / "成绩.xlsx", rows)), "--round", "2026-12"]) == 0
    capsys.readouterr()
    assert main(["assign", "2026-12", "--replan", "--reason", "再排一次", "--json"]) == ExitCode.CONFLICT
    assert "已录入12名考生的成绩" in _flat(capsys.readouterr().err)
    assert main(["candidates", "remove", "T26120001", "--reason", "重复报名"]) == ExitCode.CONFLICT
    assert "已录入成绩，不能删除" in _flat(capsys.readouterr().err) and Candidate.objects.count() == 12
    assert not AuditEntry.objects.filter(action="assignment.replan").exists()


def test_candidate_moved_to_another_occupation_voids_their_seating_forms_and_says_to_plan_again(
        tmp_path, data_root, capsys):
    make_round(12)
    assert main(["assign", "2026-12", "--seed", "7"]) == 0
    assert main(["forms", "render", "seating-plan", "--round", "2026-12", "--out", str(tmp_path)]) == 0
    moved = Candidate.objects.get(ticket_number="T26120000")                     # 焊工
    Candidate.objects.filter(pk=moved.pk).update(gender="女")                   # as her ID number says
    sitting = SeatAssignment.objects.get(candidate=moved, room__kind="practical")
    capsys.readouterr()
    assert main(["candidates", "edit", "T26120000", "--name", "考生甲", "--occupation", "电工"]) == 0
    out = _flat(capsys.readouterr().out)
    assert "“焊工”→“电工”" in out and "“T26120000”→“202612DG40001”" in out
    assert "已安排考场" in out and "stationassign2026-12（安排表已打印时加--replan--reason" in out
    voided = FormInstance.objects.filter(status=FormInstance.Status.SUPERSEDED)
    assert [i.subject for i in voided] == [f"{sitting.room.code}@practical-{sitting.sitting}"]
    assert FormInstance.objects.filter(status=FormInstance.Status.GENERATED).exists()   # the other sittings stay
    assert main(["assign", "2026-12", "--replan", "--reason", "考生改报电工"]) == 0
