"""The OCR lane: a file whose unmarked pages need OCR steps aside while complete files wait in the inbox.

OCR costs seconds a page; QR-marked forms cost a fraction of that. A job about to OCR a group asks
`work.may_ocr()`; when another complete file waits, it raises OcrDeferred and the job is parked
(state still "claimed", `reason["ocr_wait"]` = the pages to read, shown by `station status`). The
worker takes parked jobs again, oldest first, once the inbox has nothing complete for it; a parked
job repeats its quick stages (reading the pages, QR) but OCR results already made are kept in its
work folder, so it never reads a page twice.
"""

from __future__ import annotations

from django.utils import timezone

from pipeline.catalog.models import IngestJob
from pipeline.ingest.jobs import jobs_resumable

OCR_WAIT = "ocr_wait"


class OcrDeferred(Exception):
    """A group's OCR is put off: other files are waiting in the inbox."""

    def __init__(self, pages: int) -> None:
        super().__init__(f"OCR of {pages} page(s) deferred: other inbox files are waiting")
        self.pages = pages


def job_park(*, job: IngestJob, pages: int) -> str:
    """Record that the job waits in the OCR lane; return OCR_WAIT."""
    job.reason = {OCR_WAIT: pages, "since": timezone.now().isoformat()}
    IngestJob.objects.filter(pk=job.pk).update(reason=job.reason, updated_at=timezone.now())
    return OCR_WAIT


def job_unpark(*, job: IngestJob) -> None:
    """The job got past its OCR: no longer waiting in the lane."""
    if OCR_WAIT in (job.reason or {}):
        job.reason = {}
        IngestJob.objects.filter(pk=job.pk).update(reason={})


def jobs_ocr_waiting() -> list[IngestJob]:
    """Jobs parked in the OCR lane, oldest first."""
    return [job for job in jobs_resumable() if OCR_WAIT in (job.reason or {})]


def ocr_lane_status() -> dict:
    """How many files and pages wait for OCR, and since when."""
    waiting = jobs_ocr_waiting()
    return {"files": len(waiting), "pages": sum(int(job.reason.get(OCR_WAIT, 0)) for job in waiting),
            "since": min((job.reason.get("since", "") for job in waiting), default="") or None}
