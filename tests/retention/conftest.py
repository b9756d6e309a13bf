"""Archive items written with the real store (real PDF and JPEG bytes) and station users by role."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pikepdf
import pytest
from django.utils import timezone
from PIL import Image

from pipeline.archive.audit import audit_append
from pipeline.archive.numbering import item_number_allocate
from pipeline.archive.retention import due_date
from pipeline.archive.store import archived_hashes, item_write
from pipeline.catalog.models import ArchiveItem
from pipeline.core.config import get_config
from tests.people import make_users

USERS = {"arch": ["archivist"], "arch2": ["archivist"], "head": ["station_head"], "head2": ["station_head"],
         "w1": ["witness"], "w2": ["witness"], "w3": ["witness"], "clerk": ["exam_affairs"],
         "boss": ["archivist", "station_head", "witness"]}   # one person holding every role: separation bites
_counter = itertools.count(1)


def pdf_bytes(label: str) -> bytes:
    """A real one-page PDF whose content differs per label."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = label
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def jpeg_file(folder, name: str):
    """A real JPEG scan on disk."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), (next(_counter) % 255, 120, 200)).save(path, "JPEG")
    return path


def make_item(paths, *, category: str = "SJ", doc_date: dt.date = dt.date(2019, 6, 1), round_code: str = "",
              candidate: str = "", restricted: bool = False, scores_on: dt.date | None = None) -> ArchiveItem:
    """File one item the way ingest does: store.item_write, then the catalog row."""
    config = get_config()
    cat = config.categories[category]
    cls = config.retention[cat.retention]
    start, due = due_date(cls, doc_date, scores_on or doc_date)
    code = item_number_allocate(fonds=config.station.fonds_code, year=doc_date.year, retention=cls.code,
                                category=category)
    scan = jpeg_file(paths.work / "scans" / str(next(_counter)), "scan.jpg")
    title = f"{doc_date.year} 测试档案 {code.item:04d}"
    meta = {"fonds": code.fonds, "year": code.year, "retention_code": code.retention, "category": category,
            "item_number": code.item, "title": title, "responsible": config.station.name,
            "doc_date": doc_date.isoformat(), "pages": 1, "secrecy": "", "restricted": restricted, "form": "",
            "form_instance": "", "round_code": round_code, "candidate_id_number": candidate,
            "candidate_name": "", "ticket_number": "", "occupation": "电工", "level": 4,
            "retention_class": cls.key, "clock_start": start.isoformat() if start else None,
            "due_date": due.isoformat() if due else None, "source_name": "scan.jpg", "source_sha256": "0" * 64,
            "source_pages": [1], "ingest_time": timezone.now().isoformat(), "text": title}
    folder = item_write(paths=paths, code=code, pdf=pdf_bytes(str(code)), originals=[scan], metadata=meta)
    files = archived_hashes(folder)
    audit_append(actor="ingest", action="item.file", target=str(code), detail={"title": title, "files_sha256": files})
    return ArchiveItem.objects.create(files_sha256=files,
        archival_code=str(code), fonds=code.fonds, year=code.year, retention_code=code.retention,
        category=category, item_number=code.item, title=title, responsible=config.station.name,
        doc_date=doc_date, pages=1, restricted=restricted, round_code=round_code, candidate_id_number=candidate,
        retention_class=cls.key, clock_start=start, due_date=due, source_sha256="0" * 64, source_name="scan.jpg",
        folder=folder.relative_to(paths.archive).as_posix(), text=title, filed_at=timezone.now())


@pytest.fixture
def users(db, settings):
    """One station user per name in USERS, each its own person, all with PASSWORD, made by the head
    (a fast hasher: Argon2 is slow by design)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_users(USERS)
