"""Builders of the room-level forms, from the stored plan of `station assign`:
实操考场安排表 (seating-plan), 工作人员安排表 (staff-assignment), 考场情况记录表 (room-record),
试卷领取单 (paper-receipt), 试卷袋封签／答卷封面 (packet-cover). Every per-sitting form has the same
subject key "ROOM@kind-N" and label "实操一室 第1场", so their scans meet in the archive."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pipeline.catalog.models import Recusal, Role, Room, Round, SeatAssignment, Staff, StaffDuty
from pipeline.core.config import get_config
from pipeline.core.domain import LEVEL_SHORT, mask_id, natural_key
from pipeline.core.errors import Conflict, NotFound
from pipeline.forms.builders import InstanceData, register, round_date, zh_date
from pipeline.forms.registry import FORMS

KIND_ZH = {"theory": "理论考试", "practical": "实操考核"}
DUTY_ZH = dict(StaffDuty.Duty.choices)
DUTY_ORDER = {"chief_examiner": 0, "examiner": 1, "invigilator": 2, "exam_affairs": 3}
RELATION_ZH = dict(Recusal.Relation.choices)


@dataclass(frozen=True)
class _Sitting:
    room: Room
    index: int
    starts_at: dt.datetime | None
    seats: tuple[SeatAssignment, ...]
    duties: tuple[StaffDuty, ...]

    @property
    def key(self) -> str:
        return f"{self.room.code}@{self.room.kind}-{self.index}"

    @property
    def label(self) -> str:
        return f"{self.room.name} 第{self.index}场"


def _local(moment: dt.datetime | None) -> str:
    if not moment:
        return "另行通知"
    local = moment.astimezone(ZoneInfo(get_config().station.timezone))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _ends(round_: Round, sitting: _Sitting) -> str:
    if not sitting.starts_at:
        return ""
    minutes = round_.theory_minutes if sitting.room.kind == "theory" else round_.practical_minutes
    end = (sitting.starts_at + dt.timedelta(minutes=minutes)).astimezone(ZoneInfo(get_config().station.timezone))
    return f"{end:%H:%M}"


def _sittings(round_: Round, kind: str | None = None) -> list[_Sitting]:
    """The round's room × sittings from the stored plan, or Conflict telling staff to run assign."""
    seats = SeatAssignment.objects.filter(round=round_).select_related("candidate", "room")
    duties = StaffDuty.objects.filter(round=round_).select_related("staff", "room")
    if not seats.exists():
        raise Conflict(f"批次 {round_.code} 还没有考场安排，请先运行 station assign {round_.code}。",
                       f"no seating plan stored for round {round_.code}", code="assignment_missing")
    by_key, rooms, starts = defaultdict(list), {}, {}
    for seat in seats:
        by_key[seat.room.code, seat.sitting].append(seat)
        rooms[seat.room.code] = seat.room
        starts[seat.room.code, seat.sitting] = seat.starts_at
    staff = defaultdict(list)
    for duty in duties:
        staff[duty.room.code, duty.sitting].append(duty)
    out = []
    for (code, index) in sorted(by_key, key=lambda k: (rooms[k[0]].kind != "theory", k[1], k[0])):
        if kind and rooms[code].kind != kind:
            continue
        ordered_seats = sorted(by_key[code, index], key=lambda s: natural_key(s.workstation))
        ordered_duties = sorted(staff[code, index], key=lambda d: (DUTY_ORDER.get(d.duty, 9), d.staff.badge_number))
        out.append(_Sitting(rooms[code], index, starts[code, index], tuple(ordered_seats), tuple(ordered_duties)))
    return out



def _pick(sittings: list[_Sitting], subject: str | None, form: str) -> list[_Sitting]:
    if not subject:
        return sittings
    chosen = [s for s in sittings if subject in (s.key, s.label)]
    if not chosen:
        known = "、".join(s.key for s in sittings)
        raise NotFound(f"《{FORMS[form].name_zh}》没有考场场次“{subject}”。可用：{known}",
                       f"no sitting {subject!r}", code="sitting_not_found")
    return chosen


def _round(round_: Round) -> dict:
    return {"code": round_.code, "name": round_.name, "seed": round_.seating_seed}


def _staff_row(duty: StaffDuty) -> dict:
    return {"name": duty.staff.name, "badge": duty.staff.badge_number, "duty": DUTY_ZH.get(duty.duty, duty.duty),
            "certificate": duty.staff.certificate}


def _sitting_fields(round_: Round, sitting: _Sitting) -> dict:
    occupations = sorted({s.candidate.occupation for s in sitting.seats})
    levels = sorted({s.candidate.level for s in sitting.seats})
    return {"room": sitting.room.name, "room_code": sitting.room.code, "location": sitting.room.location,
            "kind": KIND_ZH.get(sitting.room.kind, sitting.room.kind), "sitting": sitting.index,
            "label": sitting.label, "starts": _local(sitting.starts_at), "ends": _ends(round_, sitting),
            "occupation": "、".join(occupations), "levels": "、".join(LEVEL_SHORT.get(v, str(v)) for v in levels),
            "expected": len(sitting.seats), "staff": [_staff_row(d) for d in sitting.duties]}


def room_sittings(round_: Round) -> list[dict]:
    """The printable fields of every room × sitting of the stored plan ([] before `station assign`)."""
    if not SeatAssignment.objects.filter(round=round_).exists():
        return []
    return [_sitting_fields(round_, sitting) for sitting in _sittings(round_)]


def _instance(form: str, round_: Round, sitting: _Sitting, context: dict, **extra) -> InstanceData:
    return InstanceData(form=form, subject=sitting.key, subject_label=sitting.label,
                        title=f"{round_.code} {sitting.label} {FORMS[form].name_zh}", doc_date=round_date(round_),
                        context=context, round_code=round_.code, **extra)


@register("seating-plan")
def build_seating_plan(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """实操考场安排表: one per practical room × sitting — workstation → candidate, with the seed."""
    instances = []
    for sitting in _pick(_sittings(round_, "practical"), subject, "seating-plan"):
        rows = [{"workstation": s.workstation, "ticket_number": s.candidate.ticket_number, "name": s.candidate.name,
                 "id_number": mask_id(s.candidate.id_number), "level": LEVEL_SHORT.get(s.candidate.level, ""),
                 "group": s.candidate.class_name or s.candidate.employer} for s in sitting.seats]
        context = {"round": _round(round_), **_sitting_fields(round_, sitting), "rows": rows,
                   "seed": round_.seating_seed}
        instances.append(_instance("seating-plan", round_, sitting, context, seed=round_.seating_seed))
    return instances


@register("room-record")
def build_room_record(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """考场情况记录表: one per room × sitting, theory and practical — 应到 printed, the rest by hand."""
    instances = []
    for sitting in _pick(_sittings(round_), subject, "room-record"):
        context = {"round": _round(round_), **_sitting_fields(round_, sitting),
                   "practical": sitting.room.kind == "practical",
                   "tickets": [s.candidate.ticket_number for s in sitting.seats]}
        instances.append(_instance("room-record", round_, sitting, context))
    return instances


@register("paper-receipt")
def build_paper_receipt(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """试卷领取单: one per handover — each theory room × sitting; 份数 = candidates seated there."""
    custodians = [s.name for s in Staff.objects.order_by("badge_number") if Role.PAPER_CUSTODIAN.value in s.roles]
    instances = []
    for sitting in _pick(_sittings(round_, "theory"), subject, "paper-receipt"):
        receivers = [d.staff.name for d in sitting.duties if d.duty == "invigilator"]
        context = {"round": _round(round_), **_sitting_fields(round_, sitting), "copies": len(sitting.seats),
                   "custodians": custodians, "receivers": receivers}
        instances.append(_instance("paper-receipt", round_, sitting, context))
    return instances


@register("packet-cover")
def build_packet_cover(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """试卷袋封签／答卷封面: one per room × sitting; 应考 = candidates seated there; its QR files the
    graded papers stacked behind it (exam-papers, 3 years)."""
    instances = []
    for sitting in _pick(_sittings(round_), subject, "packet-cover"):
        context = {"round": _round(round_), **_sitting_fields(round_, sitting), "count": len(sitting.seats),
                   "category": "SJ"}
        instance = _instance("packet-cover", round_, sitting, context)
        instance.title = f"{round_.code} {sitting.label} {context['kind']} 答卷"
        instances.append(instance)
    return instances


@register("staff-assignment")
def build_staff_assignment(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """工作人员安排表: one per round — who is where, and each person's 回避 declaration to sign."""
    sittings = _sittings(round_)
    rows = [{"label": s.label, "kind": KIND_ZH.get(s.room.kind, ""), "starts": _local(s.starts_at),
             "occupation": _sitting_fields(round_, s)["occupation"] if s.room.kind == "practical" else "（各工种）",
             "staff": "、".join(f"{d.staff.name}（{DUTY_ZH.get(d.duty, d.duty)}）" for d in s.duties)}
            for s in sittings]
    people = {}
    for s in sittings:
        for d in s.duties:
            entry = people.setdefault(d.staff.badge_number, {"name": d.staff.name, "badge": d.staff.badge_number,
                                                             "duties": []})
            entry["duties"].append(f"{s.label}（{DUTY_ZH.get(d.duty, d.duty)}）")
    names = dict(round_.candidates.values_list("id_number", "name"))   # a recusal recorded by ID number only
    recused = defaultdict(list)
    for r in Recusal.objects.filter(candidate_id_number__in=names, staff__badge_number__in=people).select_related("staff"):
        recused[r.staff.badge_number].append(f"{r.candidate_name or names.get(r.candidate_id_number) or mask_id(r.candidate_id_number)}"
                                             f"（{RELATION_ZH.get(r.relation, r.relation)}）")
    persons = [{**p, "duties": "；".join(p["duties"]), "recusals": "、".join(recused[b])}
               for b, p in sorted(people.items())]
    context = {"round": _round(round_), "rows": rows, "people": persons, "date": zh_date(round_date(round_))}
    if subject and subject != round_.code:
        raise NotFound(f"工作人员安排表按批次生成，请用批次代码 {round_.code}。", f"bad subject {subject!r}",
                       code="subject_invalid")
    return [InstanceData(form="staff-assignment", subject=round_.code, subject_label=f"{round_.code} 工作人员安排表",
                         title=f"{round_.code} {round_.name} {FORMS['staff-assignment'].name_zh}",
                         doc_date=round_date(round_), context=context, round_code=round_.code,
                         seed=round_.seating_seed)]
