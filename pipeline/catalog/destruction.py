"""The two-witness destruction workflow (鉴定销毁, 第十八条(一)3).

Role rules are enforced here, not in a shell, and no setting switches them off:
proposer = archivist; approver = station head who is not the proposer; two distinct
witnesses (监销人) who are neither the proposer nor the approver; execute re-checks every item.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.retention import due_date
from pipeline.archive.store import (
    MANIFEST,
    item_folder,
    item_verify,
    make_writable,
    metadata_read,
    sha256_file,
    write_file_atomic,
)
from pipeline.catalog.holds import Progress, item_blockers, retention_check
from pipeline.catalog.models import ArchiveItem, DestructionBatch, DestructionEntry, Role, Round, Tombstone, Witness
from pipeline.catalog.people import role_require, same_person, user_person
from pipeline.catalog.register import destruction_approval_check, register_rows, register_version, row_digests
from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import BadInput, Conflict, NotFound, Refused
from pipeline.core.paths import DataPaths

try:  # the search index is derived and optional: destruction must not depend on it being installed
    from pipeline.search import remove_items as search_remove_items
except ImportError:
    search_remove_items = None



log = logging.getLogger("pipeline.archive.retention")
ROLE_ZH = dict(Role.choices)
OPEN_BATCH_STATES = (DestructionBatch.State.PROPOSED, DestructionBatch.State.APPROVED,
                     DestructionBatch.State.WITNESSED)
TOMBSTONES = ".tombstones"


def batch_get(code: str) -> DestructionBatch:
    """The destruction batch with this code, or NotFound naming it."""
    batch = DestructionBatch.objects.filter(code=code.strip()).first()
    if batch is None:
        raise NotFound(f"没有编号为“{code}”的销毁清册（station destruction list 查看）。", f"no batch {code}",
                       code="batch_not_found")
    return batch


def _batch_locked(code: str) -> DestructionBatch:
    batch_get(code)
    return DestructionBatch.objects.select_for_update().get(code=code.strip())


def _batch_state(batch: DestructionBatch, allowed: tuple[str, ...], action_zh: str) -> None:
    if batch.state not in allowed:
        raise Conflict(f"销毁清册 {batch.code} 当前状态为“{batch.get_state_display()}”，不能{action_zh}。",
                       f"batch {batch.code} is {batch.state}, cannot {action_zh}", code="batch_state")


def _next_batch_code(year: int) -> str:
    prefix = f"XH{year}-"
    taken = DestructionBatch.objects.filter(code__startswith=prefix).count()
    return f"{prefix}{taken + 1:03d}"


def destruction_candidates(*, config: StationConfig, as_of: dt.date) -> list[ArchiveItem]:
    """Filed items due by as_of, not blocked, and not already on an open register."""
    on_open = DestructionEntry.objects.filter(batch__state__in=OPEN_BATCH_STATES, struck=False).values("item_id")
    due = (ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED, due_date__lte=as_of)
           .exclude(id__in=on_open).order_by("fonds", "year", "retention_code", "category", "item_number"))
    return [item for item in due if not item_blockers(item, config, as_of)]


def destruction_propose(*, actor: User, config: StationConfig, as_of: dt.date) -> DestructionBatch:
    """Draw up a destruction register (档案销毁清册) of everything due and unblocked on as_of."""
    role_require(actor, (Role.ARCHIVIST,), "提出销毁清册")
    retention_check(config=config, actor=actor.username)
    with transaction.atomic():
        items = destruction_candidates(config=config, as_of=as_of)
        if not items:
            raise Conflict(f"截至 {as_of.isoformat()} 没有到期且未被保全、未借出的档案，无需造册。",
                           f"nothing due on {as_of}", code="nothing_due")
        batch = DestructionBatch.objects.create(code=_next_batch_code(as_of.year), proposed_by=actor.username,
                                                proposed_at=timezone.now(), as_of=as_of)
        DestructionEntry.objects.bulk_create([DestructionEntry(batch=batch, item=item) for item in items])
        audit_append(actor=actor.username, action="destruction.propose", target=batch.code,
                     detail={"as_of": as_of, "items": [i.archival_code for i in items]})
    return batch


def destruction_approve(*, actor: User, batch_code: str, strikes: dict[str, str] | None = None,
                        opinion: str = "") -> DestructionBatch:
    """The station head (not the proposer) approves the register, striking out items with a reason."""
    role_require(actor, (Role.STATION_HEAD,), "批准销毁清册")
    with transaction.atomic():
        batch = _batch_locked(batch_code)
        _batch_state(batch, (DestructionBatch.State.PROPOSED,), "批准")
        if same_person(actor.username, batch.proposed_by):
            raise Refused(f"销毁清册 {batch.code} 由 {batch.proposed_by} 提出，{actor.username} 与提出人为同一人，"
                          "须由另一位站长批准（职责分离）。",
                          "approver is the proposer", code="separation_of_duties")
        for code, reason in (strikes or {}).items():
            _strike(batch, code, reason)
        batch.state, batch.approved_by, batch.approved_at = (DestructionBatch.State.APPROVED, actor.username,
                                                             timezone.now())
        batch.opinion = opinion.strip() or batch.opinion
        rows = register_rows(batch, get_config())      # the version approved: any later change voids it
        batch.approved_version, batch.approved_rows = register_version(batch, rows), row_digests(rows)
        batch.save(update_fields=["state", "approved_by", "approved_at", "opinion", "approved_version",
                                  "approved_rows"])
        audit_append(actor=actor.username, action="destruction.approve", target=batch.code,
                     detail={"struck": strikes or {}, "opinion": batch.opinion, "version": batch.approved_version})
    return batch


def destruction_approval_require(*, batch_code: str, actor: str) -> DestructionBatch:
    """The batch, unless its register changed since it was approved: then the approval and the witnesses'
    confirmations are void (audited by register.destruction_approval_check) and the step is refused."""
    changes = destruction_approval_check(batch_code=batch_code, config=get_config(), actor=actor)
    if changes:
        raise Conflict(f"销毁清册 {batch_code} 在批准后已变更，批准与监销确认已作废，须站长重新批准："
                       + "；".join(changes[:10]) + ("……" if len(changes) > 10 else ""),
                       f"register {batch_code} changed after approval", code="approval_void", problems=changes)
    return batch_get(batch_code)


def _strike(batch: DestructionBatch, code: str, reason: str) -> None:
    if not reason.strip():
        raise BadInput(f"划去 {code} 须写明理由（--reason）。", "strike without reason", code="strike_reason")
    entry = batch.entries.filter(item__archival_code=code.strip()).first()
    if entry is None:
        raise NotFound(f"销毁清册 {batch.code} 中没有档号 {code}。", f"{code} not on {batch.code}",
                       code="entry_not_found")
    entry.struck, entry.struck_reason = True, reason.strip()
    entry.save(update_fields=["struck", "struck_reason"])


def destruction_witness(*, actor: User, batch_code: str) -> DestructionBatch:
    """A 监销人 confirms the approved register; the second distinct witness completes it."""
    role_require(actor, (Role.WITNESS,), "作为监销人确认")
    destruction_approval_require(batch_code=batch_code, actor=actor.username)
    with transaction.atomic():
        batch = _batch_locked(batch_code)
        _batch_state(batch, (DestructionBatch.State.APPROVED,), "监销确认")
        if any(same_person(actor.username, other) for other in (batch.proposed_by, batch.approved_by)):
            raise Refused(f"{actor.username} 与销毁清册 {batch.code} 的提出人或批准人为同一人，"
                          "不能兼任监销人（职责分离）。",
                          "witness is proposer or approver", code="separation_of_duties")
        if batch.witnesses.filter(user=actor.username).exists():
            raise Conflict(f"{actor.username} 已确认过销毁清册 {batch.code}；须由另一位监销人确认。",
                           "same witness twice", code="witness_twice")
        if any(same_person(actor.username, w) for w in batch.witnesses.values_list("user", flat=True)):
            raise Refused(f"{actor.username} 与已确认的监销人为同一人（同一工作人员的另一账号），"
                          f"须由另一位监销人确认销毁清册 {batch.code}（职责分离）。",
                          "both witnesses are one person", code="separation_of_duties")
        Witness.objects.create(batch=batch, user=actor.username, at=timezone.now())
        if batch.witnesses.count() >= 2:
            batch.state = DestructionBatch.State.WITNESSED
            batch.save(update_fields=["state"])
        audit_append(actor=actor.username, action="destruction.witness", target=batch.code,
                     detail={"witnesses": sorted(batch.witnesses.values_list("user", flat=True))})
    return batch


def separation_problems(batch: DestructionBatch) -> list[str]:
    """Why the batch's signatures do not satisfy separation of duties (empty: they do)."""
    problems = []
    proposer = user_person(batch.proposed_by)
    approver = user_person(batch.approved_by) if batch.approved_by else ""
    if not approver or approver == proposer:
        problems.append("未经提出人以外的站长批准")
    witnesses = {user_person(w) for w in batch.witnesses.values_list("user", flat=True)} - {proposer, approver}
    if len(witnesses) < 2:
        problems.append("监销人不足两名不同的人（提出人、批准人不计）")
    return problems


@dataclass
class ExecuteReport:
    """What execute did: destroyed items, items kept with the reason, index warning."""

    batch: str
    destroyed: list[str] = field(default_factory=list)
    kept: dict[str, list[str]] = field(default_factory=dict)
    index_warning: str = ""


def destruction_execute(*, actor: User, batch_code: str, config: StationConfig, paths: DataPaths,
                        today: dt.date | None = None, progress: Progress | None = None) -> ExecuteReport:
    """Destroy a witnessed register's items, re-checking each one now; keep tombstones for ever."""
    role_require(actor, (Role.ARCHIVIST, Role.STATION_HEAD), "执行销毁")
    batch = destruction_approval_require(batch_code=batch_code, actor=actor.username)
    _batch_state(batch, (DestructionBatch.State.WITNESSED,), "执行销毁")
    problems = separation_problems(batch)
    if problems:
        raise Refused(f"销毁清册 {batch.code} 不能执行：{'；'.join(problems)}。", f"separation: {problems}",
                      code="separation_of_duties", problems=problems)
    today = today or timezone.localdate()
    report = ExecuteReport(batch.code)
    entries = list(batch.entries.filter(struck=False).select_related("item").order_by("id"))
    for number, entry in enumerate(entries, 1):
        if progress:
            progress(number, len(entries), entry.item.archival_code)
        _execute_entry(entry, batch, actor, config, paths, today, report)
    _remove_from_index(report)
    with transaction.atomic():
        batch.state, batch.executed_by, batch.executed_at = (DestructionBatch.State.EXECUTED, actor.username,
                                                             timezone.now())
        batch.save(update_fields=["state", "executed_by", "executed_at"])
        audit_append(actor=actor.username, action="destruction.execute", target=batch.code,
                     detail={"destroyed": report.destroyed, "kept": report.kept})
    return report


def _execute_entry(entry: DestructionEntry, batch: DestructionBatch, actor: User, config: StationConfig,
                   paths: DataPaths, today: dt.date, report: ExecuteReport) -> None:
    item = ArchiveItem.objects.get(id=entry.item_id)
    folder = item_folder(paths, ArchivalCode.parse(item.archival_code))
    if item.status == ArchiveItem.Status.DESTROYED:  # resumed after a crash: finish the removal
        _remove_folder(folder)
        report.destroyed.append(item.archival_code)
        return
    reasons = [b.message_zh for b in item_blockers(item, config, today)]
    if not folder.is_dir():
        reasons.append(f"{item.archival_code} 的档案文件夹不存在")
    else:
        reasons += [f.message_zh for f in item_verify(folder, archive_root=paths.archive)]
        reasons += due_from_archive(item, folder, config, today)
    if reasons:
        with transaction.atomic():
            entry.struck, entry.struck_reason = True, "执行时复核未通过：" + "；".join(reasons)
            entry.save(update_fields=["struck", "struck_reason"])
            audit_append(actor=actor.username, action="destruction.keep", target=item.archival_code,
                         detail={"batch": batch.code, "reasons": reasons})
        report.kept[item.archival_code] = reasons
        return
    _destroy(item, batch, actor, folder, paths)
    report.destroyed.append(item.archival_code)


def due_from_archive(item: ArchiveItem, folder: Path, config: StationConfig, today: dt.date) -> list[str]:
    """Why the catalog's due date is not borne out by the item's own metadata.json and the retention rules."""
    code = item.archival_code
    try:
        meta = metadata_read(folder)
        cls = config.retention[meta["retention_class"]]
        doc_date = dt.date.fromisoformat(meta["doc_date"])
        recorded = dt.date.fromisoformat(meta["clock_start"]) if meta.get("clock_start") else None
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{code} 的 metadata.json 无法读取或其保管期限类别未配置，无法复核到期日"]
    if meta["retention_class"] != item.retention_class:
        return [f"{code} 数据库中的保管期限类别“{item.retention_class}”"
                f"与档案元数据中的“{meta['retention_class']}”不一致"]
    rounds = Round.objects.filter(code=meta.get("round_code") or "")
    scores = rounds.values_list("scores_recorded_on", flat=True).first()
    _, due = due_date(cls, doc_date, recorded or scores)
    if due is None:
        return [f"{code} 按档案元数据为永久保管或保管期限尚未起算，不得销毁"]
    reasons = []
    if due != item.due_date:
        reasons.append(f"{code} 数据库中的到期日 {item.due_date} 与按档案自身元数据和保管期限规则推算的 {due} 不一致"
                       "（数据库可能被改动，请运行 station verify 并报告站长）")
    if due > today:
        reasons.append(f"{code} 按档案自身元数据推算保管期至 {due} 方满，尚未到期")
    return reasons


def tombstone_record(item: ArchiveItem, batch: DestructionBatch, manifest_sha256: str, actor: str,
                     at: dt.datetime) -> dict:
    """The tombstone as a plain record (written to archive/.tombstones/<档号>.json and the catalog)."""
    return json.loads(json.dumps({
        "schema": "station-tombstone/1", "archival_code": item.archival_code, "title": item.title,
        "responsible": item.responsible, "doc_date": item.doc_date, "clock_start": item.clock_start,
        "due_date": item.due_date, "retention_class": item.retention_class, "retention_code": item.retention_code,
        "category": item.category, "pages": item.pages, "form": item.form, "round_code": item.round_code,
        "source_sha256": item.source_sha256, "manifest_sha256": manifest_sha256, "filed_at": item.filed_at,
        "destroyed_at": at, "destroyed_by": actor,
        "batch": {"code": batch.code, "as_of": batch.as_of, "proposed_by": batch.proposed_by,
                  "proposed_at": batch.proposed_at, "approved_by": batch.approved_by,
                  "approved_at": batch.approved_at, "opinion": batch.opinion,
                  "witnesses": [{"user": w.user, "at": w.at} for w in batch.witnesses.order_by("at")]},
    }, default=str))


def tombstone_path(paths: DataPaths, code: str) -> Path:
    """archive/.tombstones/<档号>.json — the truth about a destroyed item survives in archive/."""
    return paths.archive / TOMBSTONES / f"{code}.json"


def _destroy(item: ArchiveItem, batch: DestructionBatch, actor: User, folder: Path, paths: DataPaths) -> None:
    now = timezone.now()
    record = tombstone_record(item, batch, sha256_file(folder / MANIFEST), actor.username, now)
    # Tombstone file first: a crash after it leaves a folder that verify names and a rerun removes.
    write_file_atomic(tombstone_path(paths, item.archival_code),
                  json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
    with transaction.atomic():
        Tombstone.objects.create(
            archival_code=item.archival_code, title=item.title, doc_date=item.doc_date,
            retention_class=item.retention_class, retention_code=item.retention_code, due_date=item.due_date,
            pages=item.pages, source_sha256=item.source_sha256, manifest_sha256=record["manifest_sha256"],
            batch=batch, destroyed_at=now, destroyed_by=actor.username)
        item.status = ArchiveItem.Status.DESTROYED
        item.save(update_fields=["status"])
        audit_append(actor=actor.username, action="destruction.destroy", target=item.archival_code,
                     detail={"batch": batch.code, "manifest_sha256": record["manifest_sha256"]})
    _remove_folder(folder)


def _remove_folder(folder: Path) -> None:
    if folder.exists():
        make_writable(folder)
        shutil.rmtree(folder)


def _remove_from_index(report: ExecuteReport) -> None:
    if not report.destroyed or search_remove_items is None:
        return
    try:
        search_remove_items(report.destroyed)
    except Exception as exc:  # noqa: BLE001 — the index is derived; the destruction itself stands
        log.warning("search index removal failed for %s: %s", report.destroyed, exc)
        report.index_warning = "检索索引未能同步删除，请运行 station reindex 重建索引。"
