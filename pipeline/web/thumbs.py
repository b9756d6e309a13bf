"""Page thumbnails of archival PDFs: made once with pypdfium2, cached under the data root (var/thumbs)."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

from pipeline.archive.store import DOCUMENT, write_file_atomic
from pipeline.catalog.models import ArchiveItem
from pipeline.core.errors import NotFound
from pipeline.core.paths import DataPaths

WIDTH = 240                      # pixels: a column of thumbnails beside the PDF frame
_render_lock = threading.Lock()  # pdfium is not thread-safe: one render at a time per process


def thumbnail_path(*, paths: DataPaths, item: ArchiveItem, page: int) -> Path:
    """Where the PNG of one page lives in the cache: keyed by the document's hash, so a new file is a new key."""
    digest = (item.files_sha256 or {}).get(DOCUMENT) or hashlib.sha256(item.archival_code.encode()).hexdigest()
    return paths.var / "thumbs" / digest[:2] / f"{digest}-{page}-{WIDTH}.png"


def thumbnail_png(*, paths: DataPaths, item: ArchiveItem, page: int) -> bytes:
    """The PNG of page (1-based) of the item's archival PDF; rendered on first request, then read from cache.

    Encrypted items get none: a picture of a secret paper must not lie in clear in the data root."""
    if item.encrypted:
        raise NotFound(f"档案 {item.archival_code} 为加密保存的保密档案，不生成页面缩略图。",
                       f"no thumbnails for encrypted {item.archival_code}", code="thumbnail_encrypted")
    if not 1 <= page <= max(item.pages, 1) or item.status != ArchiveItem.Status.FILED:
        raise NotFound(f"档案 {item.archival_code} 没有第 {page} 页。", f"{item.archival_code}: no page {page}",
                       code="page_not_found")
    cached = thumbnail_path(paths=paths, item=item, page=page)
    if cached.is_file():
        return cached.read_bytes()
    data = _render(paths.archive / item.folder / DOCUMENT, page)
    write_file_atomic(cached, data)
    return data


def _render(pdf: Path, page: int) -> bytes:
    """One page of a PDF as a PNG WIDTH pixels wide."""
    import pypdfium2 as pdfium  # here: only the detail page needs it

    with _render_lock:
        document = pdfium.PdfDocument(str(pdf))
        try:
            if page > len(document):
                raise NotFound(f"档案文件没有第 {page} 页。", f"{pdf}: no page {page}", code="page_not_found")
            sheet = document[page - 1]
            scale = WIDTH / sheet.get_width()
            image = sheet.render(scale=scale).to_pil()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
