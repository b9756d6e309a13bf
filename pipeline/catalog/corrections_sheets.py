"""Re-importing corrected staff and room sheets (`station import staff|rooms FILE --update [--dry-run]`):
every change to an existing person or room is listed (secrets masked) before it is written, and the
forms it makes wrong are superseded, as with station staff|rooms edit. Only 考务人员 or 站长, previews included
(or the shell's system operator: catalog/round_access.py)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from django.db import transaction

from pipeline.archive.audit import audit_append
from pipeline.catalog.corrections import Change, CorrectionReport
from pipeline.catalog.corrections_staff import (
    _printed,
    _staff_values,
    room_changes,
    room_write,
    staff_changes,
    staff_supersede,
)
from pipeline.catalog.importing import ROLE_LABELS, ImportReport, _reject, rooms_import, staff_import
from pipeline.catalog.models import Room, Staff
from pipeline.catalog.round_access import round_actor_require
from pipeline.catalog.services import SYSTEM_ACTOR
from pipeline.core.config import StationConfig, get_config
from pipeline.core.errors import Conflict
from pipeline.exams.sheets import read_tables
from pipeline.exams.staff import RECUSAL_SHEET, parse_rooms, parse_staff


def _check_update(report: CorrectionReport, update: bool, kind: str, noun: str, unit: str) -> None:
    """A plain import never changes existing records unasked: --update says the changes are meant."""
    if report.updated and not update:
        raise Conflict(f"这份名单会修改 {report.updated} {unit}已有{noun}的信息。请先用 station import {kind} "
                       f"{report.target} --dry-run 查看更改，确认后加 --update 导入。",
                       f"{kind} sheet changes {report.updated} existing records", code="update_required",
                       problems=[f"{c.who} {c.field}：“{c.old}” → “{c.new}”" for c in report.changes if c.old or
                                 not c.field.startswith("新增")][:20])


def staff_update(*, path: Path, dry_run: bool = False, update: bool = True, actor: str = SYSTEM_ACTOR,
                 config: StationConfig | None = None) -> tuple[ImportReport | None, CorrectionReport]:
    """List what a staff sheet changes on staff already known; unless dry_run, import it and supersede."""
    round_actor_require(actor=actor, action_zh="导入或更正工作人员名单")
    config = config or get_config()
    parsed = parse_staff(read_tables(path), occupations=config.occupations, roles=ROLE_LABELS,
                         known_badges=Staff.objects.values_list("badge_number", flat=True))
    if parsed.problems:
        raise _reject("staff", parsed, sorted(parsed.problems, key=lambda p: (p.sheet == RECUSAL_SHEET, p.row)))
    known = {s.badge_number: s for s in Staff.objects.filter(badge_number__in=[r.badge for r in parsed.records])}
    report = CorrectionReport("staff", path.name, dry_run=dry_run)
    touched = []
    for record in parsed.records:
        member = known.get(record.badge)
        if member is None:
            report.added += 1
            report.changes.append(Change(f"{record.name}（{record.badge}）", "新增工作人员", "", f"第 {record.row} 行"))
            continue
        changes = staff_changes(member, _staff_values(record))
        report.changes += changes
        report.updated += bool(changes)
        report.unchanged += not changes
        if _printed(member, _staff_values(record)):
            touched.append((member.badge_number, {member.badge_number, member.name}))
    if dry_run:
        return None, report
    _check_update(report, update, "staff", "工作人员", "名")
    with transaction.atomic():
        imported = staff_import(path=path, actor=actor, config=config)
        for badge, needles in touched:
            report.reprints += staff_supersede(badge=badge, needles=needles, reason="工作人员名单更正")
        if report.updated:
            audit_append(actor=actor, action="staff.update", target=path.name,
                         detail={"changes": [asdict(c) for c in report.changes],
                                 "superseded": [r["code"] for r in report.reprints]})
    return imported, report


def rooms_update(*, path: Path, dry_run: bool = False, update: bool = True, actor: str = SYSTEM_ACTOR,
                 config: StationConfig | None = None) -> tuple[ImportReport | None, CorrectionReport]:
    """List what a room sheet changes on rooms already known; unless dry_run, import it, un-planning
    the rounds whose rooms change capacity, kind, occupations or workstations."""
    round_actor_require(actor=actor, action_zh="导入或更正考场名单")
    config = config or get_config()
    parsed = parse_rooms(read_tables(path)[0], occupations=config.occupations)
    if parsed.problems:
        raise _reject("rooms", parsed, sorted(parsed.problems, key=lambda p: p.row))
    known = {r.code: r for r in Room.objects.filter(code__in=[r.code for r in parsed.records])}
    report = CorrectionReport("rooms", path.name, dry_run=dry_run)
    pending = []
    for record in parsed.records:
        room = known.get(record.code)
        if room is None:
            report.added += 1
            report.changes.append(Change(f"{record.name}（{record.code}）", "新增考场", "", f"第 {record.row} 行"))
            continue
        changes = room_changes(room, record)
        report.changes += changes
        report.updated += bool(changes)
        report.unchanged += not changes
        if changes:
            pending.append((room, record, changes))
    if dry_run:
        return None, report
    _check_update(report, update, "rooms", "考场", "个")
    with transaction.atomic():
        for room, record, changes in pending:
            room_write(room, record, changes, report)
        imported = rooms_import(path=path, actor=actor, config=config)
        if report.updated:
            audit_append(actor=actor, action="rooms.update", target=path.name,
                         detail={"changes": [asdict(c) for c in report.changes],
                                 "superseded": [r["code"] for r in report.reprints]})
    return imported, report
