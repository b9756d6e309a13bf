"""Import services: candidates, staff (with recusals) and rooms from a station's own sheets.

Each import checks every row first (pipeline.exams.sheets, pipeline.exams.photos), then writes in one
transaction with one audit entry. A sheet with bad rows imports nothing, unless the caller
asks to skip them (candidates only) — then the skipped rows are listed in the report.
Only 考务人员 or 站长 import (or the shell's system operator: catalog/round_access.py).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction

from pipeline.archive.audit import audit_append
from pipeline.archive.store import sha256_file
from pipeline.catalog.models import Candidate, Recusal, Role, Room, Round, Staff, Workstation
from pipeline.catalog.round_access import round_actor_require
from pipeline.catalog.services import SYSTEM_ACTOR, round_get
from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import LEVEL_SHORT
from pipeline.core.errors import Conflict
from pipeline.core.paths import UnsafePath, data_paths, safe_join
from pipeline.exams.candidates import CandidateRecord, assign_tickets, parse_candidates, round_digits
from pipeline.exams.photos import PhotoJob, normalise_all
from pipeline.exams.sheets import ImportRejected, Parsed, Problem, read_tables
from pipeline.exams.staff import RECUSAL_SHEET, RecusalRecord, parse_rooms, parse_staff

Progress = Callable[[int, int], None]
KIND_ZH = {"candidates": "考生", "staff": "工作人员", "rooms": "考场"}


@dataclass
class ImportReport:
    """What an import did, for the CLI and --json (ID numbers masked)."""

    kind: str
    source: str
    imported: int = 0
    updated: int = 0
    round_code: str = ""
    recusals: int = 0
    workstations: int = 0
    groups: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _reject(kind: str, parsed: Parsed, problems: list[Problem]) -> ImportRejected:
    rows = len({(p.sheet, p.row) for p in problems})
    return ImportRejected(
        f"表格 {parsed.source} 有 {len(problems)} 处问题（涉及 {rows} 行），未导入任何{KIND_ZH[kind]}。"
        "请按下列提示逐条修改后重新导入" + ("，或加 --skip-invalid 只导入无误的行。" if kind == "candidates" else "。"),
        f"{parsed.source}: {len(problems)} problems in {rows} rows; nothing imported", problems=problems)


def _skipped(parsed: Parsed, problems: list[Problem]) -> list[dict]:
    by_row: dict[int, list[str]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append(problem.text)
    return [{"row": row, "who": parsed.labels.get(row, ""), "problems": texts} for row, texts in sorted(by_row.items())]


# ---------------------------------------------------------------- candidates


def _stage_photos(parsed: Parsed, folder: Path, staging: Path, progress: Progress | None) -> tuple[
        dict[int, Path], list[Problem]]:
    """Normalise the photo of every row that names one (valid or not: report everything at once)."""
    column = parsed.headers.get("photo", "照片")
    jobs, problems = [], []
    for row, cells in parsed.cells.items():
        if cells.get("photo"):
            try:
                jobs.append(PhotoJob(row, safe_join(folder, cells["photo"]), staging / f"{row}.jpg"))
            except UnsafePath as exc:       # a cell must not make us read outside the sheet's folder
                problems.append(Problem(row, column, f"照片文件名{exc.message_zh}请改为表格所在文件夹下的"
                                        "相对路径（如 photos/张三.jpg），并把照片放到那里。", exc.code))
    staged = {}
    for result in normalise_all(jobs, progress=progress):
        if result.problem is None:
            staged[result.key] = result.target
        else:
            problems.append(Problem(result.key, column, str(result.problem), result.problem.code))
    return staged, problems


def _last_sequences(round_: Round, digits: str) -> dict[tuple[str, int], int]:
    """The highest ticket sequence used so far per occupation code × level in the round."""
    last: dict[tuple[str, int], int] = {}
    for ticket in round_.candidates.values_list("ticket_number", flat=True):
        body = ticket[len(digits):]
        if ticket.startswith(digits) and len(body) >= 6 and body[-5:].isdigit():
            key = (body[:-5], int(body[-5]))
            last[key] = max(last.get(key, 0), int(body[-4:]))
    return last


def candidates_import(*, path: Path, round_code: str, skip_invalid: bool = False, actor: str = SYSTEM_ACTOR,
                      config: StationConfig | None = None, progress: Progress | None = None) -> ImportReport:
    """Check every row and photo of a candidate sheet, then add the candidates to the round."""
    round_actor_require(actor=actor, action_zh="导入考生名单")
    config = config or get_config()
    round_ = round_get(round_code)
    table = read_tables(path)[0]
    existing = dict(round_.candidates.values_list("id_number", "ticket_number"))
    parsed = parse_candidates(table, occupations=config.occupations, existing=existing)
    photos = data_paths().photos
    staging = photos / ".staging" / uuid.uuid4().hex
    try:
        staged, photo_problems = _stage_photos(parsed, path.parent, staging, progress)
        problems = sorted(parsed.problems + photo_problems, key=lambda p: p.row)
        bad = {p.row for p in problems}
        accepted = [r for r in parsed.records if r.row not in bad]
        if problems and (not skip_invalid or not accepted):
            raise _reject("candidates", parsed, problems)
        report = ImportReport("candidates", path.name, round_code=round_.code, skipped=_skipped(parsed, problems),
                              ignored_headers=parsed.ignored_headers)
        _save_candidates(round_, accepted, staged, photos / round_.code, report, actor, sha256_file(path))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _save_candidates(round_: Round, records: list[CandidateRecord], staged: dict[int, Path], photo_dir: Path,
                     report: ImportReport, actor: str, sha256: str) -> None:
    """One transaction: lock the round, number the tickets, insert, place photos, audit."""
    placed: list[Path] = []
    try:
        with transaction.atomic():
            round_ = Round.objects.select_for_update().get(pk=round_.pk)
            clash = round_.candidates.filter(id_number__in=[r.id_number for r in records]).count()
            if clash:
                raise Conflict(f"导入期间有 {clash} 名考生已被另一次导入加入批次 {round_.code}，请重新导入。",
                               f"{clash} candidates appeared concurrently in {round_.code}", code="import_race")
            digits = round_digits(round_.code, round_.pk)
            numbered = assign_tickets(records, digits=digits, last_seq=_last_sequences(round_, digits))
            _check_tickets_free(round_, [ticket for _, ticket in numbered])
            rows = [_candidate_row(round_, record, ticket, record.row in staged) for record, ticket in numbered]
            Candidate.objects.bulk_create(rows, batch_size=500)
            placed = _place_photos(numbered, staged, photo_dir)
            report.imported, report.groups = len(rows), _groups(numbered)
            audit_append(actor=actor, action="candidates.import", target=round_.code,
                         detail={"source": report.source, "sha256": sha256, "imported": len(rows),
                                 "skipped_rows": [s["row"] for s in report.skipped],
                                 "tickets": [numbered[0][1], numbered[-1][1]]})
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise


def _check_tickets_free(round_: Round, tickets: list[str]) -> None:
    taken = Candidate.objects.filter(ticket_number__in=tickets).exclude(round=round_).values_list(
        "round__code", flat=True).first()
    if taken:
        raise Conflict(f"批次 {round_.code} 与批次 {taken} 的代码数字相同，准考证号会重复。"
                       "请为新批次换一个数字不同的代码（如 2026-12 与 2027-06）。",
                       f"ticket numbers of {round_.code} collide with round {taken}", code="ticket_collision")


def _candidate_row(round_: Round, record: CandidateRecord, ticket: str, has_photo: bool) -> Candidate:
    return Candidate(round=round_, name=record.name, id_number=record.id_number, gender=record.gender,
                     birth_date=record.birth_date, phone=record.phone, occupation=record.occupation,
                     level=record.level, ticket_number=ticket, class_name=record.class_name,
                     employer=record.employer, education=record.education, address=record.address,
                     photo=f"{round_.code}/{ticket}.jpg" if has_photo else "", is_retake=record.is_retake,
                     sheet_row=record.row)


def _place_photos(numbered: list[tuple[CandidateRecord, str]], staged: dict[int, Path], folder: Path) -> list[Path]:
    """Rename each staged photo to <ticket>.jpg in the round's photo folder."""
    folder.mkdir(parents=True, exist_ok=True)
    placed = []
    for record, ticket in numbered:
        if record.row in staged:
            target = folder / f"{ticket}.jpg"
            os.replace(staged[record.row], target)
            placed.append(target)
    return placed


def _groups(numbered: list[tuple[CandidateRecord, str]]) -> list[dict]:
    groups: dict[tuple[str, int], dict] = {}
    for record, ticket in numbered:
        group = groups.setdefault((record.occupation, record.level), {
            "occupation": record.occupation, "level": record.level, "level_name": LEVEL_SHORT[record.level],
            "count": 0, "first_ticket": ticket})
        group["count"] += 1
        group["last_ticket"] = ticket
    return list(groups.values())


# ---------------------------------------------------------------- staff and recusals

ROLE_LABELS = {label: value for value, label in Role.choices}


def staff_import(*, path: Path, actor: str = SYSTEM_ACTOR, config: StationConfig | None = None) -> ImportReport:
    """Add or update staff by badge number; their recusals are replaced by the sheet's."""
    round_actor_require(actor=actor, action_zh="导入工作人员名单")
    config = config or get_config()
    tables = read_tables(path)
    parsed = parse_staff(tables, occupations=config.occupations, roles=ROLE_LABELS,
                         known_badges=Staff.objects.values_list("badge_number", flat=True))
    if parsed.problems:
        raise _reject("staff", parsed, sorted(parsed.problems, key=lambda p: (p.sheet == RECUSAL_SHEET, p.row)))
    photos = data_paths().photos
    staging = photos / ".staging" / uuid.uuid4().hex
    try:
        staged, photo_problems = _stage_photos(parsed, path.parent, staging, None)
        if photo_problems:
            raise _reject("staff", parsed, photo_problems)
        return _save_staff(parsed, staged, photos / "staff", path, actor)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _save_staff(parsed: Parsed, staged: dict[int, Path], photo_dir: Path, path: Path, actor: str) -> ImportReport:
    """One transaction: add or update each member (a photo given replaces the one on file), recusals, audit."""
    report = ImportReport("staff", path.name, ignored_headers=parsed.ignored_headers)
    photo_dir.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        staff = {}
        for record in parsed.records:
            defaults = {"name": record.name, "roles": list(record.roles), "id_number": record.id_number,
                        "phone": record.phone, "occupations": list(record.occupations),
                        "certificate": record.certificate}
            if record.row in staged:
                name = f"{re.sub(r'[^0-9A-Za-z_-]', '_', record.badge)}.jpg"
                os.replace(staged[record.row], photo_dir / name)
                defaults["photo"] = f"staff/{name}"
            member, created = Staff.objects.update_or_create(badge_number=record.badge, defaults=defaults)
            staff[record.badge] = member
            report.imported += created
            report.updated += not created
        report.recusals = _replace_recusals(staff, parsed)
        audit_append(actor=actor, action="staff.import", target=path.name,
                     detail={"sha256": sha256_file(path), "created": report.imported, "updated": report.updated,
                             "recusals": report.recusals})
    return report


def _replace_recusals(staff: dict[str, Staff], parsed: Parsed) -> int:
    """Recusals of the sheet's staff become exactly the sheet's; others' get the 回避关系 rows added."""
    Recusal.objects.filter(staff__in=staff.values()).delete()
    wanted: dict[tuple[str, str], RecusalRecord] = {}
    for record in [r for s in parsed.records for r in s.recusals] + list(parsed.recusals):
        key = (record.badge, record.candidate_id_number)
        if key not in wanted or (record.candidate_name and not wanted[key].candidate_name):
            wanted[key] = record
    others = {s.badge_number: s for s in Staff.objects.filter(badge_number__in={b for b, _ in wanted} - set(staff))}
    members = {**others, **staff}
    for (badge, id_number), record in wanted.items():
        Recusal.objects.update_or_create(staff=members[badge], candidate_id_number=id_number, defaults={
            "candidate_name": record.candidate_name, "relation": record.relation})
    return len(wanted)


# ---------------------------------------------------------------- rooms


def rooms_import(*, path: Path, actor: str = SYSTEM_ACTOR, config: StationConfig | None = None) -> ImportReport:
    """Add or update rooms by 考场编号, with exactly the workstations the sheet lists."""
    round_actor_require(actor=actor, action_zh="导入考场名单")
    config = config or get_config()
    parsed = parse_rooms(read_tables(path)[0], occupations=config.occupations)
    if parsed.problems:
        raise _reject("rooms", parsed, sorted(parsed.problems, key=lambda p: p.row))
    report = ImportReport("rooms", path.name, ignored_headers=parsed.ignored_headers)
    with transaction.atomic():
        for record in parsed.records:
            room, created = Room.objects.update_or_create(code=record.code, defaults={
                "name": record.name, "kind": record.kind, "capacity": record.capacity,
                "location": record.location, "occupations": ",".join(record.occupations)})
            report.imported += created
            report.updated += not created
            room.workstations.exclude(number__in=record.workstations).delete()
            have = set(room.workstations.values_list("number", flat=True))
            Workstation.objects.bulk_create(Workstation(room=room, number=n) for n in record.workstations
                                            if n not in have)
            report.workstations += len(record.workstations)
        audit_append(actor=actor, action="rooms.import", target=path.name,
                     detail={"sha256": sha256_file(path), "created": report.imported, "updated": report.updated,
                             "workstations": report.workstations})
    return report
