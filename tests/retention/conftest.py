"""Archive items written with the real store (real PDF and JPEG bytes) and station users by role."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pikepdf
import pytest
from PIL import Image

from pipeline.catalog.models import ArchiveItem
from tests.items import catalog_item, item_file
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
    item = catalog_item(category=category, doc_date=doc_date, scores_on=scores_on, restricted=restricted,
                        round_code=round_code, candidate_id_number=candidate, occupation="电工", level=4,
                        source_name="scan.jpg")
    item.title = item.text = f"{doc_date.year} 测试档案 {item.item_number:04d}"
    scan = jpeg_file(paths.work / "scans" / str(next(_counter)), "scan.jpg")
    item_file(paths, item, pdf=pdf_bytes(item.archival_code), originals=[scan])
    return item


@pytest.fixture
def users(db, settings):
    """One station user per name in USERS, each its own person, all with PASSWORD, made by the head
    (a fast hasher: Argon2 is slow by design)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_users(USERS)
