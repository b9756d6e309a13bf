"""Correcting staff and rooms after import: edit or remove one, checked like a sheet row, audited.

A change that touches a stored seating plan voids the forms printed from it (listed to reprint) and
says which round to plan again; a round whose plan is already in use (scores, filed seating forms)
refuses the change (pipeline.catalog.assignment.assignment_lock_check).
"""

from __future__ import annotations

from dataclasses import asdict

from django.db import transaction

from pipeline.archive.audit import audit_append
from pipeline.catalog.corrections import Change, CorrectionReport, mask_phone
from pipeline.catalog.importing import ROLE_LABELS
from pipeline.catalog.models import Role, Room, Round, SeatAssignment, Staff, StaffDuty, Workstation
from pipeline.catalog.round_access import round_actor_require
from pipeline.catalog.services import SYSTEM_ACTOR
from pipeline.catalog.supersede import forms_affected, forms_supersede
from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import mask_id
from pipeline.core.errors import BadInput, NotFound
from pipeline.exams.sheets import Row
from pipeline.exams.staff import ROOM_KINDS, _room, _staff

STAFF_FORMS = ("badge", "staff-assignment", "seating-plan", "room-record", "paper-receipt", "packet-cover")
ROLE_ZH = dict(Role.choices)
KIND_ZH = {value: label for label, value in ROOM_KINDS.items() if label in ("理论", "实操")}


def _rounds_using(*, staff: Staff | None = None, room: Room | None = None) -> list[Round]:
    duties = StaffDuty.objects.filter(staff=staff) if staff else StaffDuty.objects.filter(room=room)
    ids = set(duties.values_list("round_id", flat=True))
    if room is not None:
        ids |= set(SeatAssignment.objects.filter(room=room).values_list("round_id", flat=True))
    return list(Round.objects.filter(pk__in=ids).order_by("code"))


def _replan_rounds(rounds: list[Round], reason: str, report: CorrectionReport) -> None:
    """Each round's plan is dropped (its forms superseded), to be made again with station assign."""
    from pipeline.catalog.assignment import REPLAN_FORMS, assignment_lock_check
    for round_ in rounds:
        assignment_lock_check(round_=round_, replan=True, reason=reason)
    for round_ in rounds:
        round_.seats.all().delete()
        round_.duties.all().delete()
        report.reprints += [r.as_dict() for r in forms_supersede(
            instances=forms_affected(round_=round_, forms=REPLAN_FORMS), reason=reason)]
        report.notes.append(f"批次 {round_.code} 的考场安排已撤销，请重新安排：station assign {round_.code}")


def _invalid(row: Row) -> BadInput:
    return BadInput("修改未执行，请改正以下问题后重试：", "edit rejected",
                    code="edit_invalid", problems=[f"{p.column}：{p.message}" for p in row.problems])


# ---------------------------------------------------------------- staff


def staff_get(badge: str) -> Staff:
    """The staff member with this badge number, or NotFound."""
    try:
        return Staff.objects.get(badge_number=badge.strip())
    except Staff.DoesNotExist:
        raise NotFound(f"没有胸卡编号为“{badge}”的工作人员（station import staff 导入的名单）。",
                       f"no staff {badge}", code="staff_not_found") from None


def _staff_cells(member: Staff) -> dict:
    return {"name": member.name, "badge": member.badge_number, "roles": "、".join(ROLE_ZH[r] for r in member.roles),
            "id_number": member.id_number, "phone": member.phone, "occupations": "、".join(member.occupations),
            "certificate": member.certificate}


STAFF_LABELS = {"name": "姓名", "roles": "角色", "id_number": "身份证号", "phone": "联系电话",
                "occupations": "考评工种", "certificate": "考评员证号"}
PRINTED_STAFF_FIELDS = {"name", "roles", "occupations", "certificate"}     # printed on badges and plans


def _staff_values(record) -> dict:
    return {"name": record.name, "roles": list(record.roles), "id_number": record.id_number, "phone": record.phone,
            "occupations": list(record.occupations), "certificate": record.certificate}


def _printed(member: Staff, new: dict) -> bool:
    return any(getattr(member, k) != new[k] for k in PRINTED_STAFF_FIELDS)


def staff_changes(member: Staff, new: dict) -> list[Change]:
    """The fields new changes on member, as shown to staff (ID and phone masked)."""
    shown = {"id_number": mask_id, "phone": mask_phone, "roles": lambda v: "、".join(ROLE_ZH[r] for r in v),
             "occupations": "、".join}
    changes = []
    for name, value in new.items():
        old = getattr(member, name)
        if old != value:
            show = shown.get(name, str)
            changes.append(Change(f"{member.name}（{member.badge_number}）", STAFF_LABELS[name],
                                  show(old) if old else "", show(value) if value else ""))
    return changes


def staff_supersede(*, badge: str, needles: set[str], reason: str) -> list[dict]:
    """Supersede the open badges and plans naming this staff member; what to reprint."""
    instances = forms_affected(round_=None, subjects={badge}, needles=needles, among=STAFF_FORMS, open_only=True)
    return [r.as_dict() for r in forms_supersede(instances=instances, reason=reason)]


def staff_edit(*, badge: str, values: dict[str, str], add_roles: list[str] = (), actor: str = SYSTEM_ACTOR,
               config: StationConfig | None = None) -> CorrectionReport:
    """Change one staff member (name, roles, ID, phone, occupations, certificate), checked like the sheet."""
    round_actor_require(actor=actor, action_zh="修改工作人员信息")
    config, member = config or get_config(), staff_get(badge)
    if not values and not add_roles:
        raise BadInput("请至少给出一项要修改的内容，如 --name、--roles、--add-role。", "nothing to edit",
                       code="edit_nothing")
    cells = {**_staff_cells(member), **values}
    cells["roles"] = "、".join([cells["roles"], *add_roles]).strip("、")
    row = Row(0, cells, {f: f"--{f.replace('_', '-')}" for f in cells}, "")
    record = _staff(row, config.occupations, ROLE_LABELS)
    if record is None:
        raise _invalid(row)
    new = _staff_values(record)
    report = CorrectionReport("staff", member.badge_number, changes=staff_changes(member, new))
    if not report.changes:
        report.unchanged = 1
        return report
    with transaction.atomic():
        needles = {member.badge_number, member.name}
        printed = _printed(member, new)
        for name, value in new.items():
            setattr(member, name, value)
        member.save()
        report.updated = 1
        if printed:
            report.reprints = staff_supersede(badge=member.badge_number, needles=needles,
                                              reason=f"工作人员信息更正：{'、'.join(c.field for c in report.changes)}")
        audit_append(actor=actor, action="staff.edit", target=member.badge_number,
                     detail={"changes": [asdict(c) for c in report.changes],
                             "superseded": [r["code"] for r in report.reprints]})
    return report


def staff_remove(*, badge: str, reason: str, actor: str = SYSTEM_ACTOR) -> CorrectionReport:
    """Remove a staff member; a round planned with them is un-planned (its forms voided) to be planned again."""
    round_actor_require(actor=actor, action_zh="删除工作人员")
    member = staff_get(badge)
    if not reason.strip():
        raise BadInput("请用 --reason 写明删除原因（记入审计日志）。", "no reason", code="reason_missing")
    who = f"{member.name}（{member.badge_number}）"
    report = CorrectionReport("staff", member.badge_number, removed=1,
                              changes=[Change(who, "删除工作人员", "", reason)])
    with transaction.atomic():
        _replan_rounds(_rounds_using(staff=member), f"工作人员 {who} 已删除：{reason}", report)
        badges = forms_affected(round_=None, subjects={member.badge_number}, among=("badge",), only_subject=True)
        report.reprints += [r.as_dict() for r in forms_supersede(
            instances=badges, reason=f"工作人员已删除：{reason}",
            removed={member.badge_number})]
        member.delete()
        audit_append(actor=actor, action="staff.remove", target=member.badge_number,
                     detail={"name": member.name, "reason": reason, "superseded": [r["code"] for r in report.reprints]})
    return report


# ---------------------------------------------------------------- rooms


def room_get(code: str) -> Room:
    """The room with this 考场编号, or NotFound."""
    try:
        return Room.objects.get(code=code.strip())
    except Room.DoesNotExist:
        raise NotFound(f"没有编号为“{code}”的考场（station import rooms 导入的名单）。", f"no room {code}",
                       code="room_not_found") from None


ROOM_LABELS = {"name": "考场名称", "kind": "类型", "capacity": "容量", "location": "地点", "occupations": "适用工种"}
STRUCTURAL_ROOM = ("类型", "容量", "适用工种", "工位")     # the stored plan no longer fits: plan again


def _room_values(record) -> dict:
    return {"name": record.name, "kind": record.kind, "capacity": record.capacity, "location": record.location,
            "occupations": ",".join(record.occupations)}


def room_changes(room: Room, record) -> list[Change]:
    """What a room record changes on a stored room, workstations included."""
    who = f"{room.name}（{room.code}）"
    changes = [Change(who, ROOM_LABELS[k], str(getattr(room, k)), str(v))
               for k, v in _room_values(record).items() if getattr(room, k) != v]
    stations = list(room.workstations.values_list("number", flat=True))
    if list(record.workstations) != stations:
        changes.append(Change(who, "工位", f"{len(stations)} 个", f"{len(record.workstations)} 个"))
    return changes


def room_edit(*, code: str, values: dict[str, str], actor: str = SYSTEM_ACTOR,
              config: StationConfig | None = None) -> CorrectionReport:
    """Change one room (name, kind, capacity, location, occupations, workstations), checked like the sheet."""
    round_actor_require(actor=actor, action_zh="修改考场")
    config, room = config or get_config(), room_get(code)
    if not values:
        raise BadInput("请至少给出一项要修改的内容，如 --capacity、--workstations。", "nothing to edit",
                       code="edit_nothing")
    stations = list(room.workstations.values_list("number", flat=True))
    cells = {"code": room.code, "name": room.name, "kind": KIND_ZH[room.kind], "capacity": str(room.capacity),
             "location": room.location, "occupations": room.occupations.replace(",", "、"),
             "workstations": ",".join(stations), **values}
    row = Row(0, cells, {f: f"--{f}" for f in cells}, "")
    record = _room(row, config.occupations)
    if record is None:
        raise _invalid(row)
    report = CorrectionReport("room", room.code, changes=room_changes(room, record))
    if not report.changes:
        report.unchanged = 1
        return report
    with transaction.atomic():
        room_write(room, record, report.changes, report)
        report.updated = 1
        audit_append(actor=actor, action="room.edit", target=room.code,
                     detail={"changes": [asdict(c) for c in report.changes],
                             "superseded": [r["code"] for r in report.reprints]})
    return report


def room_write(room: Room, record, changes: list[Change], report: CorrectionReport) -> None:
    """Store record on room (inside the caller's transaction): a structural change un-plans the rounds
    that use the room, any other supersedes the open forms naming it."""
    reason = f"考场 {room.name} 信息更正：{'、'.join(c.field for c in changes)}"
    if any(c.field in STRUCTURAL_ROOM for c in changes):
        _replan_rounds(_rounds_using(room=room), reason, report)
    else:
        from pipeline.catalog.assignment import REPLAN_FORMS
        instances = forms_affected(round_=None, needles={room.name}, among=REPLAN_FORMS, open_only=True)
        report.reprints += [r.as_dict() for r in forms_supersede(instances=instances, reason=reason)]
    for name, value in _room_values(record).items():
        setattr(room, name, value)
    room.save()
    room.workstations.exclude(number__in=record.workstations).delete()
    have = set(room.workstations.values_list("number", flat=True))
    Workstation.objects.bulk_create(Workstation(room=room, number=n) for n in record.workstations if n not in have)


def room_remove(*, code: str, reason: str, actor: str = SYSTEM_ACTOR) -> CorrectionReport:
    """Remove a room; a round planned with it is un-planned (its forms voided) to be planned again."""
    round_actor_require(actor=actor, action_zh="删除考场")
    room = room_get(code)
    if not reason.strip():
        raise BadInput("请用 --reason 写明删除原因（记入审计日志）。", "no reason", code="reason_missing")
    report = CorrectionReport("room", room.code, removed=1,
                              changes=[Change(f"{room.name}（{room.code}）", "删除考场", "", reason)])
    with transaction.atomic():
        _replan_rounds(_rounds_using(room=room), f"考场 {room.name} 已删除：{reason}", report)
        room.delete()
        audit_append(actor=actor, action="room.remove", target=code,
                     detail={"name": room.name, "reason": reason, "superseded": [r["code"] for r in report.reprints]})
    return report
