"""The review queue: pages of a scan that wait for a person, and filing them by hand.

A review item comes from a grouping problem (missing or repeated page, foreign QR…), an
unknown form instance or an unmarked document no rule recognised. `review_file` files it
under the category and title a person gives, with the same care as the flow: 档号 reserved
in the transaction that records it, item written, catalog commit, index, then — when no page
of the scan waits any longer — the scan is released from work/.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pipeline.archive.numbering import item_number_allocate
from pipeline.archive.retention import due_date
from pipeline.catalog.models import FormInstance, IngestJob, ReviewItem
from pipeline.core.config import StationConfig
from pipeline.core.errors import BadInput, Conflict, NotFound
from pipeline.core.paths import DataPaths
from pipeline.ingest import jobs
from pipeline.ingest.archiving import (
    catalog_item,
    entry_seal,
    entry_write,
    index_codes,
    job_release,
    original_dir,
    originals_of,
)
from pipeline.ingest.flow import REVIEW_OPEN
from pipeline.ingest.review_pages import review_page_images


def review_list(*, paths: DataPaths | None = None) -> list[dict]:
    """Every item waiting for a person, oldest first; with paths, a PNG per page of each (images)."""
    rows = []
    for item in ReviewItem.objects.select_related("job").filter(state__in=REVIEW_OPEN).order_by("created_at", "id"):
        images = [str(p) for p in review_page_images(item=item, paths=paths)] if paths else []
        rows.append({"id": item.pk, "kind": item.kind, "message": item.message, "detail": item.detail,
                     "source_name": item.job.source_name, "source_pages": item.source_pages,
                     "instance_code": item.instance_code, "pdf": item.pdf, "state": item.state,
                     "created_at": item.created_at, "images": images})
    return rows


def review_get(item_id: int) -> ReviewItem:
    """The review item with this number, or NotFound naming it."""
    try:
        return ReviewItem.objects.select_related("job").get(pk=item_id)
    except ReviewItem.DoesNotExist:
        raise NotFound(f"没有编号为 {item_id} 的待处理项。用 station review list 查看待处理项。",
                       f"no review item {item_id}", code="review_not_found") from None


def review_file(*, item_id: int, category: str, title: str, paths: DataPaths, config: StationConfig,
                actor: str = "staff", responsible: str = "", doc_number: str = "") -> str:
    """File a waiting item under category with title; return its 档号 (resumable if interrupted)."""
    item = review_get(item_id)
    if item.state == ReviewItem.State.FILED:
        raise Conflict(f"待处理项 {item_id} 已归档为 {item.archival_code}，无需再次归档。",
                       f"review item {item_id} already filed", code="review_filed")
    if item.state == ReviewItem.State.RESERVED and item.plan.get("attach"):
        raise Conflict(f"待处理项 {item_id} 正在并入表单 {item.plan['attach']} 归档，请再次执行 "
                       f"station review attach {item_id} --instance {item.plan['attach']} 完成。",
                       f"review item {item_id} reserved by an attach", code="review_attaching")
    if item.state == ReviewItem.State.DISCARDED:
        raise Conflict(f"待处理项 {item_id} 已剔除（页面保存在 processed/discarded/），不能再归档。",
                       f"review item {item_id} discarded", code="review_discarded")
    own_pages = (paths.root / item.pdf).parent / original_dir(Path(item.pdf).name)   # a split stack's
    if item.state == ReviewItem.State.WAITING:
        plan = _plan(item, category, title.strip(), config)
        plan["metadata"].update(responsible=responsible or plan["metadata"]["responsible"], doc_number=doc_number)
        plan["metadata"]["original"] = "pages" if own_pages.is_dir() else "whole"
        item = _reserve(item, plan, config)
    source = jobs.job_source(paths, item.job)
    if source is None:
        raise NotFound(f"待处理项 {item_id} 对应的扫描文件 {item.job.source_name} 已不在工作区 work/ 中，无法归档。"
                       "请运行 station verify 并联系系统维护人员。", f"job {item.job.pk} source missing",
                       code="review_source_missing")
    entry = item.plan
    entry_write(paths=paths, entry=entry, pdf=paths.root / item.pdf, originals=originals_of(own_pages, source))
    with transaction.atomic():
        catalog_item(paths=paths, entry=entry, actor=actor, action="review.file")
        ReviewItem.objects.filter(pk=item.pk).update(state=ReviewItem.State.FILED, resolved_by=actor,
                                                     resolved_at=timezone.now())
    index_codes(paths, [entry["archival_code"]])
    job = IngestJob.objects.get(pk=item.job.pk)
    if job.state == IngestJob.State.REVIEW and not job.reviews.filter(state__in=REVIEW_OPEN).exists():
        job_release(paths=paths, job=job)
    return entry["archival_code"]


def _plan(item: ReviewItem, category: str, title: str, config: StationConfig) -> dict:
    """The metadata of a hand-filed item: the person's category and title, the rest from the scan."""
    if category not in config.categories:
        allowed = "、".join(f"{c.code}（{c.label}）" for c in config.categories.values())
        raise BadInput(f"类别“{category}”不存在。可用类别：{allowed}", f"unknown category {category!r}",
                       code="category_unknown")
    if not title:
        raise BadInput("请用 --title 给出题名（例如“2026年度考评任务书”）。", "empty title", code="title_missing")
    job = item.job
    instance = FormInstance.objects.select_related("round").filter(code=item.instance_code).first() \
        if item.instance_code else None
    retention_class = (instance.retention_class if instance and instance.category == category and
                       instance.retention_class else config.categories[category].retention)
    cls = config.retention[retention_class]
    ingest_day = timezone.localtime(job.ingest_time).date()
    doc_date = instance.doc_date if instance else ingest_day
    scores_on = instance.round.scores_recorded_on if instance and instance.round else ingest_day
    start, due = due_date(cls, doc_date, scores_on)
    meta = {"title": title, "responsible": config.station.name, "doc_date": doc_date.isoformat(),
            "pages": len(item.source_pages), "secrecy": "", "restricted": config.categories[category].restricted,
            "secret": config.categories[category].secret,
            "form": instance.form if instance else "", "form_instance": instance.code if instance else "",
            "round_code": instance.round.code if instance and instance.round else "",
            "candidate_id_number": "", "candidate_name": "", "ticket_number": "", "occupation": "",
            "level": None, "retention_class": retention_class, "category": category,
            "fonds": config.station.fonds_code, "year": doc_date.year, "retention_code": cls.code,
            "clock_start": start.isoformat() if start else None, "due_date": due.isoformat() if due else None,
            "source_name": job.source_name, "source_sha256": job.sha256, "source_pages": item.source_pages,
            "ingest_time": job.ingest_time.isoformat(), "text": item.text}
    if item.kind == "pdfa_failed":      # no PDF/A route worked: the document is kept as received, and says why
        meta["pdfa"] = {"route": "as_received", "validated": False, "findings": item.detail.split("; ")[:10]}
    return entry_seal({"category": category, "year": doc_date.year, "retention_code": cls.code, "metadata": meta})


def _reserve(item: ReviewItem, plan: dict, config: StationConfig) -> ReviewItem:
    """Allocate the 档号 and record it with the plan on the review item in one transaction."""
    with transaction.atomic():
        locked = ReviewItem.objects.select_for_update().select_related("job").get(pk=item.pk)
        if locked.state != ReviewItem.State.WAITING:
            return locked
        code = item_number_allocate(fonds=config.station.fonds_code, year=plan["year"],
                                    retention=plan["retention_code"], category=plan["category"])
        plan["archival_code"] = str(code)
        plan["metadata"]["item_number"] = code.item
        locked.plan, locked.archival_code, locked.state = plan, str(code), ReviewItem.State.RESERVED
        locked.save(update_fields=["plan", "archival_code", "state"])
    return locked


def oldest_waiting() -> dt.datetime | None:
    """When the oldest item still waiting for a person arrived."""
    first = ReviewItem.objects.filter(state__in=REVIEW_OPEN).order_by("created_at").first()
    return first.created_at if first else None
