"""Service: seat the candidates and staff the rooms of a round (pipeline.exams.assign.planner), store the plan.

Loads the round's rows into plain data, calls the pure solver, replaces the stored plan in one
transaction, records the seed on the Round and appends an audit entry. Only 考务人员 or 站长 plan a round
(or the shell's system operator: catalog/round_access.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db import transaction

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import (
    ArchiveItem,
    Candidate,
    FormInstance,
    Recusal,
    Room,
    Round,
    Score,
    SeatAssignment,
    Staff,
    StaffDuty,
)
from pipeline.catalog.round_access import round_actor_require
from pipeline.catalog.services import SYSTEM_ACTOR
from pipeline.catalog.supersede import forms_affected, forms_supersede
from pipeline.core.config import StationConfig, get_config
from pipeline.core.errors import BadInput, Conflict
from pipeline.exams.assign import planner as assign
from pipeline.forms.registry import FORMS

# Forms printed from the seating plan: once one exists the plan is locked (re-planning needs --replan)
SEATING_FORMS = ("seating-plan", "staff-assignment", "room-record", "paper-receipt", "packet-cover")
# ...and the forms a new plan makes wrong (the ticket and schedule print rooms too)
REPLAN_FORMS = SEATING_FORMS + ("admission-ticket", "schedule")


@dataclass(frozen=True)
class AssignmentResult:
    """The stored plan and what the CLI prints about it."""

    round_code: str
    plan: assign.Plan
    candidates: int
    staff_names: dict[str, str]
    candidate_names: dict[str, str]
    reprints: tuple[dict, ...] = ()


def assignment_problem(*, round_: Round, config: StationConfig) -> assign.Problem:
    """The round's candidates, rooms, staff and recusals as the solver's plain data."""
    candidates = tuple(assign.CandidateIn(c.id_number, c.name, c.occupation, c.class_name, c.employer)
                       for c in round_.candidates.order_by("ticket_number"))
    rooms = tuple(assign.RoomIn(r.code, r.name, r.kind, r.capacity, _split(r.occupations),
                                tuple(r.workstations.values_list("number", flat=True)))
                  for r in Room.objects.prefetch_related("workstations").order_by("code"))
    staff = tuple(assign.StaffIn(s.badge_number, s.name, frozenset(s.roles), tuple(s.occupations))
                  for s in Staff.objects.order_by("badge_number"))
    ids = {c.key for c in candidates}
    recusals = tuple(assign.RecusalIn(r.staff.badge_number, r.candidate_id_number, r.relation)
                     for r in Recusal.objects.select_related("staff").filter(candidate_id_number__in=ids)
                     .order_by("staff__badge_number", "candidate_id_number"))
    ratios = {o.name: assign.Ratio(o.examiners_per_room, o.invigilators_per_room) for o in config.occupations}
    timing = assign.Timing(round_.theory_at, round_.theory_minutes, round_.practical_at, round_.practical_minutes)
    return assign.Problem(candidates, rooms, staff, recusals, ratios, timing)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("，", ",").replace("、", ",").split(",") if part.strip())


def assignment_lock_check(*, round_: Round, replan: bool = False, reason: str = "") -> None:
    """Refuse a new plan once its forms are printed (unless replan with a reason), and always once
    scores are imported or seating forms have come back signed."""
    scored = Score.objects.filter(candidate__round=round_).count()
    back = FormInstance.objects.filter(round=round_, form__in=SEATING_FORMS,
                                       status__in=(FormInstance.Status.SCANNED, FormInstance.Status.FILED))
    back_forms = sorted({FORMS[f].name_zh for f in back.values_list("form", flat=True)} | {
        FORMS[f].name_zh for f in ArchiveItem.objects.filter(round_code=round_.code, form__in=SEATING_FORMS)
        .values_list("form", flat=True)})
    if scored or back_forms:
        what = "；".join(([f"已录入 {scored} 名考生的成绩"] if scored else [])
                        + ([f"《{'》《'.join(back_forms)}》已签字归档" ] if back_forms else []))
        raise Conflict(f"批次 {round_.code} 的考场安排已经实施（{what}），不能重新安排。"
                       "个别考生的更正请用 station candidates edit。",
                       f"round {round_.code} locked: scores={scored} filed={back_forms}", code="assignment_locked")
    printed = FormInstance.objects.filter(round=round_, form__in=SEATING_FORMS, status__in=(
        FormInstance.Status.GENERATED,))
    if printed.exists() and not replan:
        names = "》《".join(sorted({FORMS[f].name_zh for f in printed.values_list("form", flat=True)}))
        raise Conflict(f"批次 {round_.code} 的《{names}》已经打印，重新安排会让它们作废。"
                       f"确需重排请加 --replan --reason “原因”（记入审计日志，并列出需要重印的表单）。",
                       f"round {round_.code} has printed seating forms", code="assignment_printed")
    if replan and not reason.strip():
        raise BadInput("--replan 须同时用 --reason 写明重新安排的原因。", "replan without reason",
                       code="reason_missing")


def assignment_make(*, round_: Round, seed: int | None = None, actor: str = SYSTEM_ACTOR,
                    config: StationConfig | None = None, progress: assign.Progress | None = None,
                    replan: bool = False, reason: str = "") -> AssignmentResult:
    """Make and store the seating and staffing plan of round_ (replacing an earlier plan only while
    its forms are unprinted, or with replan and a reason: those forms are then superseded)."""
    round_actor_require(actor=actor, action_zh="编排考场与工作人员")
    assignment_lock_check(round_=round_, replan=replan, reason=reason)
    problem = assignment_problem(round_=round_, config=config or get_config())
    plan = assign.make_plan(problem, seed=seed, progress=progress)
    plan = dataclasses.replace(plan, warnings=tuple(
        w.replace("station assign 批次代码", f"station assign {round_.code}") for w in plan.warnings))
    with transaction.atomic():
        Round.objects.select_for_update().get(pk=round_.pk)
        assignment_lock_check(round_=round_, replan=replan, reason=reason)
        reprints = [r.as_dict() for r in forms_supersede(
            instances=forms_affected(round_=round_, forms=REPLAN_FORMS), reason=f"重新安排考场：{reason}")]
        _store(round_, plan)
        round_.seating_seed = plan.seed
        round_.save(update_fields=["seating_seed"])
        audit_append(actor=actor, action="assignment.replan" if replan else "assignment.make", target=round_.code,
                     detail={"seed": plan.seed, "sittings": len(plan.sittings), "seats": len(plan.seats),
                             "duties": len(plan.duties), "warnings": list(plan.warnings), "reason": reason,
                             "superseded": [r["code"] for r in reprints]})
    return AssignmentResult(round_.code, plan, len(problem.candidates),
                            {s.key: s.name for s in problem.staff},
                            {c.key: c.name for c in problem.candidates}, tuple(reprints))


def _store(round_: Round, plan: assign.Plan) -> None:
    SeatAssignment.objects.filter(round=round_).delete()
    StaffDuty.objects.filter(round=round_).delete()
    rooms = {r.code: r for r in Room.objects.all()}
    candidates = {c.id_number: c for c in Candidate.objects.filter(round=round_)}
    staff = {s.badge_number: s for s in Staff.objects.all()}
    starts = {(s.kind, s.room_code, s.index): s.starts_at for s in plan.sittings}
    SeatAssignment.objects.bulk_create(
        SeatAssignment(round=round_, candidate=candidates[seat.candidate_key], room=rooms[seat.room_code],
                       sitting=seat.sitting, workstation=seat.place,
                       starts_at=starts[seat.kind, seat.room_code, seat.sitting])
        for seat in plan.seats)
    StaffDuty.objects.bulk_create(
        StaffDuty(round=round_, staff=staff[duty.staff_key], room=rooms[duty.room_code], sitting=duty.sitting,
                  duty=duty.duty)
        for duty in plan.duties)
