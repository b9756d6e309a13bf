"""Page images of review items: one PNG per page, rendered once with pdfium and cached under the
data root (var/review-pages/<item>/), so a person can look at what waits without opening PDFs."""

from __future__ import annotations

import os
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.catalog.models import ReviewItem
from pipeline.core.paths import DataPaths

PAGE_DPI = 100
DISCARDED = "discarded"


def review_pdf(*, item: ReviewItem, paths: DataPaths) -> Path | None:
    """The item's pages as a PDF: in the job's work folder while it waits, in processed/discarded/ after."""
    for candidate in (paths.root / item.pdf, discarded_pdf(item=item, paths=paths)):
        if candidate.is_file():
            return candidate
    return None


def discarded_pdf(*, item: ReviewItem, paths: DataPaths) -> Path:
    """Where a discarded item's pages are kept."""
    return paths.processed / DISCARDED / f"{Path(item.job.source_name).stem}.item{item.pk}.pdf"


def review_page_images(*, item: ReviewItem, paths: DataPaths) -> list[Path]:
    """One PNG per page of the item (upright as the archival PDF shows it); rendered on first use."""
    folder = paths.var / "review-pages" / str(item.pk)
    done = sorted(folder.glob("page-*.png")) if folder.is_dir() else []
    if done and len(done) == len(item.source_pages):
        return done
    source = review_pdf(item=item, paths=paths)
    if source is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(source))
    try:
        images = []
        for number in range(len(document)):
            target = folder / f"page-{number + 1:03d}.png"
            if not target.exists():
                partial = target.with_name(f".{target.name}.part")
                document[number].render(scale=PAGE_DPI / 72, grayscale=True).to_pil().save(partial, "PNG")
                os.replace(partial, target)
            images.append(target)
        return images
    finally:
        document.close()
