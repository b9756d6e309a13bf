"""station rebuild-catalog: ArchiveItem rows, 件号 counters and tombstones from archive/ alone.

The archive folder is the truth (DESIGN.md). Due dates are recomputed from today's retention
rules, so a rule change made since filing is honoured. Rows the archive does not know are
reported, never deleted: a person decides.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.retention import due_date
from pipeline.archive.store import archived_hashes, iter_item_folders, metadata_read
from pipeline.archive.verify import read_tombstones
from pipeline.catalog.models import ArchiveItem, DestructionBatch, FormInstance, NumberSeries, Round, Tombstone, Witness
from pipeline.catalog.people import require_station_head
from pipeline.core.config import StationConfig
from pipeline.core.domain import ArchivalCode
from pipeline.core.paths import DataPaths

Progress = Callable[[int, int, str], None]


@dataclass
class RebuildReport:
    """What the rebuild wrote, and what it could not use."""

    items: int = 0
    destroyed: int = 0
    series: int = 0
    unreadable: list[str] = field(default_factory=list)
    unknown_rows: list[str] = field(default_factory=list)


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _moment(value) -> dt.datetime:
    if not value:
        return timezone.now()
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else timezone.make_aware(moment)


def _dates(meta: dict, config: StationConfig, scores: dict) -> tuple[dt.date | None, dt.date | None]:
    cls = config.retention.get(meta.get("retention_class", ""))
    if cls is None:
        return _date(meta.get("clock_start")), _date(meta.get("due_date"))
    recorded = scores.get(meta.get("round_code", "")) or _date(meta.get("clock_start"))
    return due_date(cls, _date(meta["doc_date"]), recorded)


def item_fields(meta: dict, folder: str, config: StationConfig, scores: dict) -> dict:
    """ArchiveItem field values from one metadata.json (CONTRACTS §3)."""
    code = ArchivalCode.parse(meta["archival_code"])
    start, due = _dates(meta, config, scores)
    instance = FormInstance.objects.filter(code=meta.get("form_instance") or "").first()
    return {"fonds": code.fonds, "year": code.year, "retention_code": code.retention, "category": code.category,
            "item_number": code.item, "title": meta.get("title", ""), "responsible": meta.get("responsible", ""),
            "doc_number": meta.get("doc_number") or "",
            "doc_date": _date(meta["doc_date"]), "pages": int(meta.get("pages") or 0),
            "secrecy": meta.get("secrecy", ""), "restricted": bool(meta.get("restricted")),
            "secret": bool(meta.get("secret")), "encrypted": bool(meta.get("encrypted")),
            "files_sha256": meta.get("files_sha256") or {},
            "form": meta.get("form", ""), "form_instance": instance, "round_code": meta.get("round_code", ""),
            "candidate_id_number": meta.get("candidate_id_number", ""),
            "candidate_name": meta.get("candidate_name", ""), "ticket_number": meta.get("ticket_number", ""),
            "occupation": meta.get("occupation", ""), "level": meta.get("level") or None,
            "retention_class": meta.get("retention_class", ""), "clock_start": start, "due_date": due,
            "source_sha256": meta.get("source_sha256", ""), "source_name": meta.get("source_name", ""),
            "folder": folder, "text": meta.get("text", ""), "filed_at": _moment(meta.get("ingest_time")),
            "status": ArchiveItem.Status.FILED}


def _batch(record: dict) -> DestructionBatch:
    info = record.get("batch") or {}
    batch, created = DestructionBatch.objects.get_or_create(code=info.get("code") or "UNKNOWN", defaults={
        "state": DestructionBatch.State.EXECUTED, "proposed_by": info.get("proposed_by", ""),
        "proposed_at": _moment(info.get("proposed_at")), "approved_by": info.get("approved_by", ""),
        "approved_at": _moment(info.get("approved_at")) if info.get("approved_at") else None,
        "executed_by": record.get("destroyed_by", ""), "executed_at": _moment(record.get("destroyed_at")),
        "as_of": _date(info.get("as_of")),
        "opinion": info.get("opinion") or "已到保管期限，经鉴定无继续保存价值，同意销毁"})
    if created:
        for witness in info.get("witnesses", []):
            Witness.objects.get_or_create(batch=batch, user=witness["user"], defaults={"at": _moment(witness["at"])})
    return batch


def _tombstone(code: str, record: dict) -> None:
    parsed = ArchivalCode.parse(code)
    batch = _batch(record)
    doc_date = _date(record.get("doc_date")) or dt.date(parsed.year, 1, 1)
    ArchiveItem.objects.update_or_create(archival_code=code, defaults={
        "fonds": parsed.fonds, "year": parsed.year, "retention_code": parsed.retention, "category": parsed.category,
        "item_number": parsed.item, "title": record.get("title", ""), "responsible": record.get("responsible", ""),
        "doc_date": doc_date, "pages": int(record.get("pages") or 0), "form": record.get("form", ""),
        "round_code": record.get("round_code", ""), "retention_class": record.get("retention_class", ""),
        "clock_start": _date(record.get("clock_start")), "due_date": _date(record.get("due_date")),
        "source_sha256": record.get("source_sha256", ""), "source_name": "", "folder": parsed.folder,
        "filed_at": _moment(record.get("filed_at")), "status": ArchiveItem.Status.DESTROYED})
    Tombstone.objects.update_or_create(archival_code=code, defaults={
        "title": record.get("title", ""), "doc_date": doc_date, "retention_class": record.get("retention_class", ""),
        "retention_code": parsed.retention, "due_date": _date(record.get("due_date")),
        "pages": int(record.get("pages") or 0), "source_sha256": record.get("source_sha256", ""),
        "manifest_sha256": record.get("manifest_sha256", ""), "batch": batch,
        "destroyed_at": _moment(record.get("destroyed_at")), "destroyed_by": record.get("destroyed_by", "")})


def catalog_rebuild(*, paths: DataPaths, config: StationConfig, actor: User,
                    progress: Progress | None = None) -> RebuildReport:
    """The station head upserts every item and tombstone found in archive/, then sets each 件号 counter
    to its series' maximum."""
    require_station_head(actor)
    report = RebuildReport()
    scores = dict(Round.objects.exclude(scores_recorded_on=None).values_list("code", "scores_recorded_on"))
    folders = list(iter_item_folders(paths))
    highest: dict[tuple, int] = defaultdict(int)
    seen: set[str] = set()
    with transaction.atomic():
        for number, folder in enumerate(folders, 1):
            if progress:
                progress(number, len(folders), folder.name)
            code = _rebuild_item(folder, paths, config, scores, report)
            if code:
                seen.add(str(code))
                highest[code.series] = max(highest[code.series], code.item)
        for code, record in read_tombstones(paths).items():
            if code in seen:  # folder still present: verify names it; the item stays filed
                continue
            if not record:
                report.unreadable.append(f".tombstones/{code}.json")
                continue
            _tombstone(code, record)
            parsed = ArchivalCode.parse(code)
            highest[parsed.series] = max(highest[parsed.series], parsed.item)
            report.destroyed += 1
        for (fonds, year, retention, category), last in highest.items():
            series, _ = NumberSeries.objects.get_or_create(fonds=fonds, year=year, retention=retention,
                                                           category=category)
            series.last = max(series.last, last)  # never lower: a lost folder's number is not reused
            series.save(update_fields=["last"])
        report.series = len(highest)
        known = seen | set(read_tombstones(paths))
        report.unknown_rows = sorted(set(ArchiveItem.objects.values_list("archival_code", flat=True)) - known)
        audit_append(actor=actor.username, action="catalog.rebuild", detail={
            "items": report.items, "destroyed": report.destroyed, "series": report.series,
            "unreadable": report.unreadable, "unknown_rows": report.unknown_rows[:200]})
    return report


def _rebuild_item(folder: Path, paths: DataPaths, config: StationConfig, scores: dict,
                  report: RebuildReport) -> ArchivalCode | None:
    rel = folder.relative_to(paths.archive).as_posix()
    try:
        meta = metadata_read(folder)
        code = ArchivalCode.parse(meta["archival_code"])
        fields = item_fields(meta, rel, config, scores)
    except (OSError, ValueError, KeyError, TypeError):
        report.unreadable.append(rel)
        return None
    fields["files_sha256"] = archived_hashes(folder, meta)   # the audit keeps the filing hashes: verify compares
    ArchiveItem.objects.update_or_create(archival_code=str(code), defaults=fields)
    report.items += 1
    return code
