"""Archive items made for tests the way ingest makes them: the catalog row (catalog_item) and, for a filed item,
its folder with metadata.json (CONTRACTS §3), the audit entry and the saved row (item_file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.numbering import item_number_allocate
from pipeline.archive.retention import due_date
from pipeline.archive.store import archived_hashes, item_write
from pipeline.catalog.models import ArchiveItem
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode

# the metadata.json keys (CONTRACTS §3) that are catalog fields too
ROW_KEYS = (
    "fonds", "year", "retention_code", "category", "item_number", "title", "responsible", "doc_number", "pages",
    "secrecy", "restricted", "secret", "form", "round_code", "candidate_id_number", "candidate_name",
    "ticket_number", "occupation", "level", "retention_class", "source_name", "source_sha256", "text",
)  # fmt: skip


def catalog_item(
    *,
    category: str,
    doc_date: dt.date,
    title: str = "",
    code: ArchivalCode | None = None,
    scores_on: dt.date | None = None,
    **fields,
) -> ArchiveItem:
    """An unsaved catalog row as ingest writes it: the next 档号 of the category's series (or `code`), the
    category's retention class with clock start and due date, the station as 责任者; `fields` override.
    A title that names the 档号 is set on the row afterwards."""
    config = get_config()
    cls = config.retention[config.categories[category].retention]
    start, due = due_date(cls, doc_date, scores_on or doc_date)
    code = code or item_number_allocate(
        fonds=config.station.fonds_code, year=doc_date.year, retention=cls.code, category=category
    )
    values = {
        "archival_code": str(code),
        "fonds": code.fonds,
        "year": code.year,
        "retention_code": code.retention,
        "category": category,
        "item_number": code.item,
        "title": title,
        "responsible": config.station.name,
        "doc_date": doc_date,
        "pages": 1,
        "retention_class": cls.key,
        "clock_start": start,
        "due_date": due,
        "source_sha256": "0" * 64,
        "source_name": "scan.pdf",
        "folder": code.folder,
        "filed_at": timezone.now(),
    }
    return ArchiveItem(**{**values, **fields})


def item_file(paths, item: ArchiveItem, *, pdf: bytes, originals: list[Path], key=None) -> dict:
    """File an unsaved catalog row's item as ingest does: the folder (store.item_write, metadata.json from the
    row), the audit entry, then the row with the archived files' hashes. Returns the metadata written."""
    meta = {name: getattr(item, name) for name in ROW_KEYS}
    meta.update(
        doc_date=item.doc_date.isoformat(),
        clock_start=item.clock_start.isoformat() if item.clock_start else None,
        due_date=item.due_date.isoformat() if item.due_date else None,
        form_instance="",
        source_pages=list(range(1, item.pages + 1)),
        ingest_time=item.filed_at.isoformat(),
    )
    code = ArchivalCode.parse(item.archival_code)
    folder = item_write(paths=paths, code=code, pdf=pdf, originals=originals, metadata=meta, key=key)
    item.files_sha256 = archived_hashes(folder)
    item.folder = folder.relative_to(paths.archive).as_posix()
    detail = {"title": item.title, "files_sha256": item.files_sha256}
    audit_append(actor="ingest", action="item.file", target=str(code), detail=detail)
    item.save()
    return meta
