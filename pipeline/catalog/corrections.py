"""Correcting a round's candidates after import: re-import with --update, photos, edit, remove.

Every value is checked with the same rules as the sheet (pipeline.exams.sheets, pipeline.exams.photos), every
change is listed (ID and phone numbers masked) before it is applied, audited, and the printed forms
it makes wrong are superseded (pipeline.catalog.supersede) and listed to be reprinted. Only 考务人员 or
站长 correct a round, previews included (or the shell's system operator: catalog/round_access.py).
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction

from pipeline.archive.audit import audit_append
from pipeline.archive.store import sha256_file
from pipeline.catalog.importing import ImportReport, Progress, _reject, _save_candidates, _stage_photos
from pipeline.catalog.models import Candidate, Round
from pipeline.catalog.round_access import round_actor_require
from pipeline.catalog.services import SYSTEM_ACTOR, round_get
from pipeline.catalog.supersede import ROUND_FORMS, forms_affected, forms_supersede
from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import LEVEL_SHORT, mask_id
from pipeline.core.errors import BadInput, Conflict, NotFound
from pipeline.core.paths import data_paths
from pipeline.exams.candidates import (
    CANDIDATE_COLUMNS,
    CandidateRecord,
    _candidate,
    assign_tickets,
    parse_candidates,
    round_digits,
)
from pipeline.exams.sheets import Row, normalise_id, read_tables

FIELDS_ZH = {"name": "姓名", "gender": "性别", "birth_date": "出生日期", "phone": "联系电话", "occupation": "工种",
             "level": "等级", "class_name": "班级", "employer": "工作单位", "education": "文化程度",
             "address": "地址", "is_retake": "是否补考", "id_number": "身份证号", "photo": "照片",
             "ticket_number": "准考证号"}
STRUCTURAL = {"occupation", "level", "is_retake"}     # change counts on the round's summary forms


def mask_phone(value: str) -> str:
    """138****5678: a phone number in a change list."""
    return value[:3] + "*" * max(0, len(value) - 7) + value[-4:] if len(value) >= 7 else "*" * len(value)


def _shown(name: str, value: object) -> str:
    if name == "id_number":
        return mask_id(str(value))
    if name == "phone":
        return mask_phone(str(value))
    if name == "level":
        return LEVEL_SHORT.get(value, str(value))
    if name == "is_retake":
        return "是" if value else "否"
    return "" if value is None else str(value)


@dataclass
class Change:
    """One field of one record, old → new, as shown to staff (secrets masked)."""

    who: str
    field: str
    old: str
    new: str


@dataclass
class CorrectionReport:
    """What a correction did (or, with dry_run, would do)."""

    kind: str
    target: str
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    not_in_sheet: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)             # what staff must do next (plan again …)
    reprints: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _who(candidate: Candidate) -> str:
    return f"{candidate.name}（{candidate.ticket_number}）"


def candidate_diff(candidate: Candidate, record: CandidateRecord, *, new_photo: bool = False) -> list[Change]:
    """The fields a record changes on a stored candidate."""
    changes = []
    for name in ("name", "id_number", "gender", "birth_date", "phone", "occupation", "level", "class_name",
                 "employer", "education", "address", "is_retake"):
        old, new = getattr(candidate, name), getattr(record, name)
        if old != new:
            changes.append(Change(_who(candidate), FIELDS_ZH[name], _shown(name, old), _shown(name, new)))
    if new_photo:
        changes.append(Change(_who(candidate), "照片", "有" if candidate.photo else "无", "新照片"))
    return changes


def candidate_get(*, ref: str, round_code: str | None = None) -> Candidate:
    """A candidate by ticket number, or by ID number (in round_code when given)."""
    rows = Candidate.objects.select_related("round")
    rows = rows.filter(round__code=round_code) if round_code else rows
    found = list(rows.filter(ticket_number=ref.strip().upper())) or list(rows.filter(id_number=normalise_id(ref)))
    if not found:
        where = f"批次 {round_code} 中" if round_code else ""
        raise NotFound(f"{where}没有准考证号或身份证号为 {mask_id(ref) if len(ref) == 18 else ref} 的考生。"
                       "用 station rounds show 查看批次，或检查号码。", "candidate not found",
                       code="candidate_not_found")
    if len(found) > 1:
        rounds = "、".join(c.round.code for c in found)
        raise BadInput(f"该身份证号在多个批次（{rounds}）都有报名，请加 --round 指定批次，或改用准考证号。",
                       "candidate in several rounds", code="candidate_ambiguous")
    return found[0]


# ---------------------------------------------------------------- applying one record


def _renumber(candidate: Candidate, record: CandidateRecord) -> str:
    """A new ticket in the record's occupation × level sequence (the old one is not reused)."""
    from pipeline.catalog.importing import _last_sequences
    digits = round_digits(candidate.round.code, candidate.round.pk)
    [(_, ticket)] = assign_tickets([record], digits=digits, last_seq=_last_sequences(candidate.round, digits))
    return ticket


def _apply(candidate: Candidate, record: CandidateRecord, photo: Path | None, report: CorrectionReport) -> None:
    """Write record's values onto candidate; a new occupation or level gets a new ticket number."""
    old_ticket, photos = candidate.ticket_number, data_paths().photos
    if (record.occupation, record.level) != (candidate.occupation, candidate.level):
        candidate.ticket_number = _renumber(candidate, record)
        report.changes.append(Change(_who(candidate), "准考证号", old_ticket, candidate.ticket_number))
    for name in ("name", "id_number", "gender", "birth_date", "phone", "occupation", "level", "class_name",
                 "employer", "education", "address", "is_retake"):
        setattr(candidate, name, getattr(record, name))
    target = photos / candidate.round.code / f"{candidate.ticket_number}.jpg"
    if photo is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(photo, target)
        if candidate.photo and candidate.photo != f"{candidate.round.code}/{target.name}":
            (photos / candidate.photo).unlink(missing_ok=True)
        candidate.photo = f"{candidate.round.code}/{target.name}"
    elif candidate.photo and old_ticket != candidate.ticket_number:
        os.replace(photos / candidate.photo, target)
        candidate.photo = f"{candidate.round.code}/{target.name}"
    candidate.save()


def _seating_note(round_: Round, report: CorrectionReport) -> None:
    """A planned round whose candidates were added or moved to another occupation must be planned again."""
    if round_.seats.exists():
        report.notes.append(f"批次 {round_.code} 已安排考场：新增或改了工种的考生还没有座位/工位，请重新运行 "
                            f"station assign {round_.code}（安排表已打印时加 --replan --reason “考生名单更正”）。")


def _supersede_for(candidates: list[tuple[str, tuple[str, ...], bool]], round_: Round, reason: str,
                   removed: set[str] = frozenset()) -> list[dict]:
    """Supersede the forms of these (ID number, numbers printed on other forms, structural change) candidates."""
    if not candidates:
        return []
    subjects = {c[0] for c in candidates if c[0]}
    needles = {n for c in candidates for n in c[1]}
    whole = ROUND_FORMS if any(c[2] for c in candidates) else ()
    instances = forms_affected(round_=round_, subjects=subjects, needles=needles, forms=whole)
    return [r.as_dict() for r in forms_supersede(instances=instances, reason=reason, removed=removed)]


# ---------------------------------------------------------------- import --update


def candidates_update(*, path: Path, round_code: str, dry_run: bool = False, actor: str = SYSTEM_ACTOR,
                      config: StationConfig | None = None, progress: Progress | None = None) -> CorrectionReport:
    """Re-import a corrected sheet: rows matched by ID number update the candidate, new rows are added,
    candidates missing from the sheet are listed and kept."""
    round_actor_require(actor=actor, action_zh="预览考生名单更正" if dry_run else "更正考生名单")
    config, round_ = config or get_config(), round_get(round_code)
    parsed = parse_candidates(read_tables(path)[0], occupations=config.occupations)
    staging = data_paths().photos / ".staging" / uuid.uuid4().hex
    try:
        staged, photo_problems = _stage_photos(parsed, path.parent, staging, progress)
        if parsed.problems or photo_problems:
            raise _reject("candidates", parsed, sorted(parsed.problems + photo_problems, key=lambda p: p.row))
        current = {c.id_number: c for c in round_.candidates.select_related("round")}
        report = CorrectionReport("candidates", round_.code, dry_run=dry_run)
        pairs = [(current[r.id_number], r) for r in parsed.records if r.id_number in current]
        fresh = [r for r in parsed.records if r.id_number not in current]
        sheet_ids = {r.id_number for r in parsed.records}
        report.not_in_sheet = [_who(c) for i, c in current.items() if i not in sheet_ids]
        for candidate, record in pairs:
            report.changes += candidate_diff(candidate, record, new_photo=record.row in staged)
        changed = [(c, r) for c, r in pairs if candidate_diff(c, r, new_photo=r.row in staged)]
        report.updated, report.unchanged, report.added = len(changed), len(pairs) - len(changed), len(fresh)
        report.changes += [Change(f"{r.name}（{mask_id(r.id_number)}）", "新增考生", "", f"第 {r.row} 行")
                           for r in fresh]
        if not dry_run and (changed or fresh):
            _update_write(round_, changed, fresh, staged, report, actor, sha256_file(path))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _update_write(round_: Round, changed, fresh, staged, report: CorrectionReport, actor: str, sha: str) -> None:
    with transaction.atomic():
        Round.objects.select_for_update().get(pk=round_.pk)
        touched = []
        for candidate, record in changed:
            structural = (candidate.occupation, candidate.level, candidate.is_retake) != (
                record.occupation, record.level, record.is_retake)
            photo_only = not candidate_diff(candidate, record)        # only the photo forms change
            numbers = () if photo_only else (candidate.id_number, candidate.ticket_number)
            touched.append((candidate.id_number, numbers, structural))
            _apply(candidate, record, staged.get(record.row), report)
            touched.append((candidate.id_number, () if photo_only else (candidate.ticket_number,), structural))
        if fresh:
            _save_candidates(round_, fresh, staged, data_paths().photos / round_.code,
                             ImportReport("candidates", "", round_code=round_.code), actor, sha)
            touched.append(("", (), True))
        report.reprints = _supersede_for(touched, round_, f"考生名单更正（{len(changed)} 人更新，{len(fresh)} 人新增）")
        if fresh or any(c.field == "工种" for c in report.changes):
            _seating_note(round_, report)
        audit_append(actor=actor, action="candidates.update", target=round_.code,
                     detail={"sha256": sha, "updated": len(changed), "added": len(fresh),
                             "changes": [asdict(c) for c in report.changes],
                             "superseded": [r["code"] for r in report.reprints]})


# ---------------------------------------------------------------- edit and remove


EDITABLE = {"name": "name", "id_number": "id_number", "phone": "phone", "occupation": "occupation",
            "level": "level", "class_name": "class_name", "employer": "employer", "education": "education",
            "address": "address", "is_retake": "is_retake"}


def _as_cells(candidate: Candidate) -> dict:
    return {"name": candidate.name, "id_number": candidate.id_number, "gender": candidate.gender,
            "birth_date": candidate.birth_date, "phone": candidate.phone, "occupation": candidate.occupation,
            "level": LEVEL_SHORT.get(candidate.level, str(candidate.level)), "class_name": candidate.class_name,
            "employer": candidate.employer, "education": candidate.education, "address": candidate.address,
            "is_retake": "是" if candidate.is_retake else "否"}


def candidate_edit(*, ref: str, values: dict[str, str], round_code: str | None = None, actor: str = SYSTEM_ACTOR,
                   config: StationConfig | None = None) -> CorrectionReport:
    """Change some fields of one candidate, checked as a sheet row would be."""
    round_actor_require(actor=actor, action_zh="修改考生信息")
    config, candidate = config or get_config(), candidate_get(ref=ref, round_code=round_code)
    unknown = set(values) - set(EDITABLE)
    if unknown or not values:
        raise BadInput("请至少给出一项要修改的内容，如 --name、--phone、--employer。", f"bad fields {unknown}",
                       code="edit_nothing")
    cells = {**_as_cells(candidate), **{k: v for k, v in values.items()}}
    if "id_number" in values:      # gender and birth date follow the new ID number
        cells.pop("gender"), cells.pop("birth_date")
    headers = {c.field: f"--{c.field.replace('_', '-')}" for c in CANDIDATE_COLUMNS if c.field != "photo"}
    row = Row(candidate.sheet_row or 0, cells, headers, "")
    record = _candidate(row, config.occupations, [])
    if row.problems or record is None:
        raise BadInput("修改未执行，请改正以下问题后重试：", "edit rejected",
                       code="edit_invalid", problems=[f"{p.column}：{p.message}" for p in row.problems])
    if "id_number" in values and Candidate.objects.filter(round=candidate.round, id_number=record.id_number) \
            .exclude(pk=candidate.pk).exists():
        raise BadInput(f"批次 {candidate.round.code} 已有身份证号为 {mask_id(record.id_number)} 的考生。",
                       "id number taken in round", code="duplicate_imported")
    report = CorrectionReport("candidate", candidate.ticket_number, changes=candidate_diff(candidate, record))
    if not report.changes:
        report.unchanged = 1
        return report
    with transaction.atomic():
        before = (candidate.id_number, (candidate.id_number, candidate.ticket_number),
                  (candidate.occupation, candidate.level, candidate.is_retake) != (
                      record.occupation, record.level, record.is_retake))
        _apply(candidate, record, None, report)
        report.updated = 1
        if any(c.field == "工种" for c in report.changes):
            _seating_note(candidate.round, report)
        report.reprints = _supersede_for([before, (candidate.id_number, (candidate.ticket_number,), False)],
                                         candidate.round, f"考生信息更正：{'、'.join(c.field for c in report.changes)}")
        audit_append(actor=actor, action="candidate.edit", target=candidate.ticket_number,
                     detail={"round": candidate.round.code, "changes": [asdict(c) for c in report.changes],
                             "superseded": [r["code"] for r in report.reprints]})
    return report


def candidate_remove(*, ref: str, reason: str, round_code: str | None = None,
                     actor: str = SYSTEM_ACTOR) -> CorrectionReport:
    """Remove a candidate who has no scores and nothing filed; the forms naming them are voided."""
    round_actor_require(actor=actor, action_zh="删除考生")
    from pipeline.catalog.models import ArchiveItem, Score
    candidate = candidate_get(ref=ref, round_code=round_code)
    if not reason.strip():
        raise BadInput("请用 --reason 写明删除原因（记入审计日志）。", "no reason", code="reason_missing")
    if Score.objects.filter(candidate=candidate).exists():
        raise Conflict(f"考生 {_who(candidate)} 已录入成绩，不能删除。", "candidate has scores",
                       code="candidate_scored")
    filed = ArchiveItem.objects.filter(round_code=candidate.round.code, candidate_id_number=candidate.id_number)
    if filed.exists():
        codes = "、".join(filed.values_list("archival_code", flat=True)[:5])
        raise Conflict(f"考生 {_who(candidate)} 已有归档材料（{codes}），不能删除；如报名有误请在档案中另行说明。",
                       "candidate has filed items", code="candidate_filed")
    report = CorrectionReport("candidate", candidate.ticket_number, removed=1,
                              changes=[Change(_who(candidate), "删除考生", "", reason)])
    with transaction.atomic():
        key = (candidate.id_number, (candidate.id_number, candidate.ticket_number), True)
        round_ = candidate.round
        if candidate.photo:
            photo = data_paths().photos / candidate.photo
            transaction.on_commit(lambda: photo.unlink(missing_ok=True))
        candidate.delete()
        report.reprints = _supersede_for([key], round_, f"考生已删除：{reason}", removed={key[0]})
        audit_append(actor=actor, action="candidate.remove", target=candidate.ticket_number,
                     detail={"round": round_.code, "name": report.changes[0].who, "reason": reason,
                             "superseded": [r["code"] for r in report.reprints]})
    return report



# ---------------------------------------------------------------- photos added later


PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def candidates_photos(*, round_code: str, folder: Path, actor: str = SYSTEM_ACTOR,
                      progress: Progress | None = None) -> CorrectionReport:
    """Photos named by ID or ticket number (张三 的 350203….jpg or 202612DG40001.jpg), in folder or its
    sub-folders, for a round's candidates: all checked and normalised first; one bad photo and none is taken."""
    round_actor_require(actor=actor, action_zh="更新考生照片")
    from pipeline.exams.photos import PhotoJob, normalise_all
    round_ = round_get(round_code)
    if not folder.is_dir():
        raise BadInput(f"照片文件夹 {folder} 不存在。", "photo folder missing", code="photo_folder_missing")
    by_key = {}
    for candidate in round_.candidates.select_related("round"):
        by_key[candidate.id_number] = by_key[candidate.ticket_number] = candidate
    files = _photo_files(folder)
    matched = {p: by_key.get(normalise_id(p.stem)) for p in files}
    report = CorrectionReport("photos", round_.code,
                              not_in_sheet=[p.relative_to(folder).as_posix() for p, c in matched.items() if c is None])
    pairs = [(p, c) for p, c in matched.items() if c is not None]
    twice = {c.ticket_number for _, c in pairs if sum(1 for _, d in pairs if d.pk == c.pk) > 1}
    if twice:
        raise BadInput(f"同一考生有两张照片（准考证号 {'、'.join(sorted(twice))}），请只留一张。",
                       "two photos for one candidate", code="photo_twice")
    staging = data_paths().photos / ".staging" / uuid.uuid4().hex
    try:
        jobs = [PhotoJob(n, p, staging / f"{n}.jpg") for n, (p, _) in enumerate(pairs)]
        results = normalise_all(jobs, progress=progress)
        bad = [f"{pairs[r.key][0].relative_to(folder).as_posix()}：{r.problem}"
               for r in results if r.problem is not None]
        if bad:
            raise BadInput(f"{len(bad)} 张照片不能使用，未更新任何照片。请换成清晰的证件照后重试。",
                           f"{len(bad)} bad photos", code="photo_invalid", problems=bad)
        with transaction.atomic():
            touched = []
            for result in results:
                candidate = pairs[result.key][1]
                report.changes.append(Change(_who(candidate), "照片", "有" if candidate.photo else "无", "新照片"))
                record = _record_of(candidate)
                _apply(candidate, record, result.target, report)
                touched.append(candidate.id_number)
            report.updated = len(touched)
            instances = forms_affected(round_=round_, subjects=touched, only_subject=True)
            report.reprints = [r.as_dict() for r in forms_supersede(instances=instances, reason="考生照片更新")]
            audit_append(actor=actor, action="candidates.photos", target=round_.code,
                         detail={"folder": folder.name, "updated": len(touched), "unmatched": report.not_in_sheet,
                                 "superseded": [r["code"] for r in report.reprints]})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.unchanged = round_.candidates.filter(photo="").count()     # still without a photo
    return report


def _photo_files(folder: Path) -> list[Path]:
    """The photos in folder and its sub-folders (照片/2026/…); hidden files and folders left out, and linked
    folders not entered (a link loop must not hang the import)."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root) / n for n in names if not n.startswith(".") and Path(n).suffix.lower() in PHOTO_SUFFIXES]
    return sorted(p for p in found if p.is_file())


def _record_of(candidate: Candidate) -> CandidateRecord:
    """The stored candidate as a record (for a photo-only change)."""
    return CandidateRecord(candidate.sheet_row or 0, candidate.name, candidate.id_number, candidate.gender,
                           candidate.birth_date, candidate.phone, candidate.occupation, "", candidate.level,
                           candidate.class_name, candidate.employer, candidate.education, candidate.address,
                           "", candidate.is_retake)
