"""Service: seat the candidates and staff the rooms of a round (pipeline.assign), store the plan.

Loads the round's rows into plain data, calls the pure solver, replaces the stored plan in one
transaction, records the seed on the Round and appends an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from pipeline import assign
from pipeline.audit import audit_append
from pipeline.catalog.models import Candidate, Recusal, Room, Round, SeatAssignment, Staff, StaffDuty
from pipeline.catalog.services import SYSTEM_ACTOR
from pipeline.config import StationConfig, get_config


@dataclass(frozen=True)
class AssignmentResult:
    """The stored plan and what the CLI prints about it."""

    round_code: str
    plan: assign.Plan
    candidates: int
    staff_names: dict[str, str]
    candidate_names: dict[str, str]


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


def assignment_make(*, round_: Round, seed: int | None = None, actor: str = SYSTEM_ACTOR,
                    config: StationConfig | None = None, progress: assign.Progress | None = None
                    ) -> AssignmentResult:
    """Make and store the seating and staffing plan of round_ (replacing any earlier plan)."""
    problem = assignment_problem(round_=round_, config=config or get_config())
    plan = assign.make_plan(problem, seed=seed, progress=progress)
    with transaction.atomic():
        _store(round_, plan)
        round_.seating_seed = plan.seed
        round_.save(update_fields=["seating_seed"])
        audit_append(actor=actor, action="assignment.make", target=round_.code,
                     detail={"seed": plan.seed, "sittings": len(plan.sittings), "seats": len(plan.seats),
                             "duties": len(plan.duties), "warnings": list(plan.warnings)})
    return AssignmentResult(round_.code, plan, len(problem.candidates),
                            {s.key: s.name for s in problem.staff},
                            {c.key: c.name for c in problem.candidates})


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
