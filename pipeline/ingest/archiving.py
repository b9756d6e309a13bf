"""Writing a job's plan into the archive: item folders (with their own pages of the original), catalog rows
and audit entries, the search index, and the release or quarantine of the received file.

Shared by the ingest flow and the review actions (a reviewed item is written the same way).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import shutil
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pipeline import search
from pipeline.archive.audit import audit_append
from pipeline.archive.keys import decrypt, encrypt, key_require
from pipeline.archive.sealed import TEXT
from pipeline.archive.store import (
    ArchivedOriginals,
    archived_hashes,
    fsync_dir,
    item_folder,
    item_write,
    metadata_read,
    write_file_atomic,
)
from pipeline.catalog.models import ArchiveItem, FormInstance, IngestJob
from pipeline.core.domain import ArchivalCode
from pipeline.core.paths import DataPaths
from pipeline.ingest import jobs
from pipeline.ingest.normalise import original_extract
from pipeline.ingest.pages import sniff_format
from pipeline.ingest.quarantine import free_name, quarantine_file, short_name

log = logging.getLogger("pipeline.ingest.flow")
State = IngestJob.State


def original_dir(pdf_name: str) -> str:
    """The work-folder sub-folder holding the original pages of the item or review whose PDF is pdf_name."""
    return f"original-{Path(pdf_name).stem}"


def original_pages(source: Path, source_name: str, page_indices: list[int], folder: Path) -> Path:
    """folder/<name>.p<pages>.<pdf|tif>: the received file's pages of one item (written once)."""
    runs, start = [], None
    pages = [i + 1 for i in page_indices]
    for k, page in enumerate(pages):
        start = page if start is None else start
        if k + 1 == len(pages) or pages[k + 1] != page + 1:
            runs.append(f"{start}-{page}" if page != start else str(start))
            start = None
    suffix = ".pdf" if sniff_format(source) == "pdf" else ".tif"
    target = folder / f"{Path(short_name(source_name, '')).stem}.p{'_'.join(runs)[:60]}{suffix}"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        original_extract(source, page_indices, partial)
        os.replace(partial, target)
    return target


def originals_of(folder: Path, source: Path) -> list[Path]:
    """What goes into an item's original/: its own pages if they were cut out (folder), else the file."""
    own = sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else []
    return own or [source]


def entry_write(*, paths: DataPaths, entry: dict, pdf: Path, originals: list[Path],
                archived: ArchivedOriginals | None = None) -> Path:
    """item_write of one plan entry; a secret item's files encrypted, its sealed text beside them."""
    key, extra = None, None
    if entry["metadata"].get("secret"):
        key = key_require(f"归档保密档案 {entry['archival_code']}")
        extra = {TEXT: decrypt([key], base64.b64decode(entry.get("sealed_text", "")), TEXT)}
    return item_write(paths=paths, code=ArchivalCode.parse(entry["archival_code"]), pdf=pdf, originals=originals,
                      metadata=entry["metadata"], key=key, extra=extra, archived=archived)


def entry_seal(entry: dict) -> dict:
    """A secret entry keeps no text in clear (not in the plan, metadata.json, catalog or index):
    the text is sealed under the archive key (KeyMissing → the file is quarantined with the reason)."""
    meta = entry["metadata"]
    if meta.get("secret"):
        key = key_require(f"归档保密档案（{meta['category']} 类，{meta['title']}）")
        entry["sealed_text"] = base64.b64encode(encrypt(key, meta["text"].encode("utf-8"), TEXT)).decode("ascii")
        meta["text"] = ""
    return entry


def job_quarantine(*, paths: DataPaths, job: IngestJob, source: Path, error: dict) -> Path:
    """Set the claimed file aside with its reason; the job remembers where it went."""
    category = job.category_hint
    target = quarantine_file(paths=paths, source=source, sha256=job.sha256, error=error,
                             category_hint=category, original_name=job.source_name)
    with transaction.atomic():
        IngestJob.objects.filter(pk=job.pk).update(state=State.QUARANTINED,
                                                   reason={**error, "quarantined_as": target.name})
        audit_append(actor=jobs.ACTOR, action="ingest.quarantine", target=job.sha256,
                     detail={"source": job.source_name, "code": error.get("code"), "as": target.name})
    shutil.rmtree(jobs.job_folder(paths, job.sha256), ignore_errors=True)
    return target


def job_release(*, paths: DataPaths, job: IngestJob) -> Path:
    """Move the claimed file to processed/<date>/, then mark the job filed; idempotent."""
    if not job.released_path:
        folder = jobs.processed_folder(paths, job.ingest_time or timezone.now())
        folder.mkdir(parents=True, exist_ok=True)
        name = free_name(folder, job.source_name, job.sha256)
        if any(entry["metadata"].get("secret") for entry in job.plan or []):
            name += ".enc"
        job.released_path = str((folder / name).relative_to(paths.root))
        IngestJob.objects.filter(pk=job.pk).update(released_path=job.released_path)
    target = paths.root / job.released_path
    source = jobs.job_source(paths, job)
    if source is not None and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if any(entry["metadata"].get("secret") for entry in job.plan or []):
            # the scan holds exam papers: it is kept only as ciphertext outside the archive too
            key = key_require(f"保存含保密档案的扫描件 {job.source_name}")
            write_file_atomic(target, encrypt(key, source.read_bytes(), target.name))
        else:
            os.rename(source, target)
        fsync_dir(target.parent)
    IngestJob.objects.filter(pk=job.pk).update(state=State.FILED, updated_at=timezone.now())
    job.state = State.FILED
    shutil.rmtree(jobs.job_folder(paths, job.sha256), ignore_errors=True)
    return target


def catalog_item(*, paths: DataPaths, entry: dict, actor: str, action: str) -> ArchiveItem:
    """The ArchiveItem row of a written item (get-or-create by 档号) and its audit entry."""
    meta = entry["metadata"]
    code = ArchivalCode.parse(entry["archival_code"])
    instance = FormInstance.objects.filter(code=meta["form_instance"]).first() if meta["form_instance"] else None
    on_disk = metadata_read(item_folder(paths, code))
    files = archived_hashes(item_folder(paths, code), on_disk)
    item, created = ArchiveItem.objects.get_or_create(archival_code=str(code), defaults=dict(
        secret=bool(meta.get("secret")), encrypted=bool(on_disk.get("encrypted")),
        fonds=code.fonds, year=code.year, retention_code=code.retention, category=code.category,
        item_number=code.item, title=meta["title"], responsible=meta["responsible"],
        doc_number=meta.get("doc_number") or "",
        doc_date=dt.date.fromisoformat(meta["doc_date"]), pages=meta["pages"], secrecy=meta["secrecy"],
        restricted=meta["restricted"], form=meta["form"], form_instance=instance,
        round_code=meta["round_code"], candidate_id_number=meta["candidate_id_number"],
        candidate_name=meta["candidate_name"], ticket_number=meta["ticket_number"],
        occupation=meta["occupation"], level=meta["level"], retention_class=meta["retention_class"],
        clock_start=_date(meta["clock_start"]), due_date=_date(meta["due_date"]),
        source_sha256=meta["source_sha256"], source_name=meta["source_name"], folder=code.folder,
        text=meta["text"], filed_at=dt.datetime.fromisoformat(meta["ingest_time"]), files_sha256=files))
    if created:
        if instance is not None:
            FormInstance.objects.filter(pk=instance.pk).update(status=FormInstance.Status.FILED)
        audit_append(actor=actor, action=action, target=str(code),
                     detail={"title": meta["title"], "source_sha256": meta["source_sha256"],
                             "source_pages": meta["source_pages"], "form_instance": meta["form_instance"],
                             "files_sha256": files})
    return item


def index_codes(paths: DataPaths, codes: list[str]) -> int:
    """Index the items with these 档号 from their metadata.json (the archive is the truth)."""
    if not codes:
        return 0
    metas = [metadata_read(item_folder(paths, ArchivalCode.parse(code))) for code in codes]
    return search.index_items(metas)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
