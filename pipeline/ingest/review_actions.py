"""Working the review queue: look at an item's pages, discard it with a reason, or attach it to a form.

- `review_show` copies an item's page images (PNG, one per page) and its PDF to a folder.
- `review_discard` keeps the item's pages in processed/discarded/ beside a JSON file with the
  reason, marks the item DISCARDED and audits it; nothing is deleted.
- `review_attach` says "these pages are pages N… of form instance CODE" (a page whose QR could
  not be read, a form whose every QR was smudged). The item is joined with the instance's other
  pages still waiting in review (a "missing page" item, from the same scan or an earlier one):
  once together they make every page 1..n exactly once, the instance is filed as one archive
  item — metadata from its FormInstance, as if it had been scanned whole — and every item joined
  is marked filed with that 档号. Pages that do not complete the instance are refused with what
  is still missing, and nothing changes.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pikepdf
from django.db import transaction
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.numbering import item_number_allocate
from pipeline.archive.store import fsync_dir, item_write, write_json_atomic
from pipeline.catalog.models import ArchiveItem, Candidate, FormInstance, IngestJob, ReviewItem
from pipeline.core.config import StationConfig
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import BadInput, Conflict, NotFound
from pipeline.core.paths import DataPaths
from pipeline.forms.registry import FORMS
from pipeline.ingest import jobs
from pipeline.ingest.archiving import catalog_item, index_codes, job_release, original_dir, originals_of
from pipeline.ingest.flow import REVIEW_OPEN
from pipeline.ingest.normalise import archival_pdf
from pipeline.ingest.plans import flatten
from pipeline.ingest.review import _plan, review_get
from pipeline.ingest.review_pages import DISCARDED, discarded_pdf, review_page_images, review_pdf


def review_show(*, item_id: int, out: Path, paths: DataPaths) -> list[Path]:
    """Copy the item's page images and its PDF into out; return the files written."""
    item = review_get(item_id)
    images, pdf = review_page_images(item=item, paths=paths), review_pdf(item=item, paths=paths)
    if pdf is None:
        raise NotFound(f"待处理项 {item_id} 的页面文件已不在数据目录中，无法显示。请运行 station verify。",
                       f"review item {item_id}: no PDF at {item.pdf}", code="review_pages_missing")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in [*images, pdf]:
        name = f"item{item.pk}-{source.name}" if source in images else f"item{item.pk}.pdf"
        shutil.copyfile(source, out / name)
        written.append(out / name)
    return written


def _open_item(item_id: int) -> ReviewItem:
    """A review item a person may still act on (waiting), else Conflict saying what became of it."""
    item = review_get(item_id)
    if item.state == ReviewItem.State.WAITING:
        return item
    done = {ReviewItem.State.FILED: f"已归档为 {item.archival_code}", ReviewItem.State.DISCARDED: "已剔除",
            ReviewItem.State.RESERVED: f"正在归档（已分配档号 {item.archival_code}），请再次执行同一命令完成"}
    raise Conflict(f"待处理项 {item_id} {done.get(item.state, item.state)}，不能再处理。",
                   f"review item {item_id} is {item.state}", code="review_not_waiting")


def _release_if_done(paths: DataPaths, job_id: int) -> None:
    """Release the scan from work/ once none of its pages waits any longer."""
    job = IngestJob.objects.get(pk=job_id)
    if job.state == IngestJob.State.REVIEW and not job.reviews.filter(state__in=REVIEW_OPEN).exists():
        job_release(paths=paths, job=job)


def review_discard(*, item_id: int, reason: str, paths: DataPaths, actor: str = "staff") -> Path:
    """Set an item's pages aside for good: kept in processed/discarded/ with the reason; audited."""
    reason = reason.strip()
    if not reason:
        raise BadInput("请用 --reason 说明剔除原因（例如“准考证由考生本人保存，不归档”）。", "empty reason",
                       code="reason_missing")
    item = _open_item(item_id)
    source = paths.root / item.pdf
    target = discarded_pdf(item=item, paths=paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_file() and not target.exists():
        partial = target.with_name(f".{target.name}.part")
        shutil.copyfile(source, partial)
        partial.replace(target)
        fsync_dir(target.parent)
    originals = _own_originals(item, paths)
    kept = [target.name]
    for original in originals:
        copy = target.with_name(f"{target.stem}.original-{original.name}")
        if not copy.exists():
            shutil.copyfile(original, copy)
        kept.append(copy.name)
    now = timezone.now()
    write_json_atomic(target.with_name(target.name + ".reason.json"), {
        "item": item.pk, "reason": reason, "by": actor, "at": now.isoformat(timespec="seconds"),
        "kind": item.kind, "message": item.message, "instance_code": item.instance_code,
        "source_name": item.job.source_name, "source_sha256": item.job.sha256,
        "source_pages": item.source_pages, "files": kept})
    with transaction.atomic():
        updated = ReviewItem.objects.filter(pk=item.pk, state=ReviewItem.State.WAITING).update(
            state=ReviewItem.State.DISCARDED, resolved_by=actor, resolved_at=now)
        if updated:
            audit_append(actor=actor, action="review.discard", target=item.job.sha256,
                         detail={"item": item.pk, "reason": reason, "source": item.job.source_name,
                                 "pages": item.source_pages, "kept": f"processed/{DISCARDED}/{target.name}"})
    _release_if_done(paths, item.job_id)
    return target


def _own_originals(item: ReviewItem, paths: DataPaths) -> list[Path]:
    """The item's own pages of the received file, when the scan was split (else the whole file stays
    in processed/<date>/ when the scan is released)."""
    folder = (paths.root / item.pdf).parent / original_dir(Path(item.pdf).name)
    return sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else []


# ---------------------------------------------------------------- attach


def review_attach(*, item_id: int, instance_code: str, page: int | None, paths: DataPaths,
                  config: StationConfig, actor: str = "staff") -> str:
    """File an item as page(s) page… of form instance instance_code, with the instance's other waiting
    pages; return the 档号. Refused (nothing changed) unless every page 1..n is then there once.
    Run again after an interruption, it finishes the filing it had reserved."""
    item = review_get(item_id)
    if item.state == ReviewItem.State.RESERVED and item.plan.get("attach") == instance_code.strip().upper():
        joined = list(ReviewItem.objects.select_related("job").filter(archival_code=item.archival_code,
                                                                     state=ReviewItem.State.RESERVED))
        return _file_joined(joined, item.plan, paths, actor)
    item = _open_item(item_id)
    instance = _attachable(instance_code.strip().upper())
    partners = list(ReviewItem.objects.select_related("job").filter(
        instance_code=instance.code, state=ReviewItem.State.WAITING).exclude(pk=item.pk).order_by("id"))
    numbered = _numbered_pages(item, partners, instance, page)
    with_pages = sorted(numbered, key=lambda entry: entry[0])
    joined = [item, *partners]
    primary = max(joined, key=lambda r: len(r.source_pages))
    out = (paths.root / primary.pdf).parent / f"attach-{item.pk}.pdf"
    _joined_pdf(with_pages, out, title=instance.title, author=config.station.name, paths=paths)
    plan = _attach_plan(primary, instance, joined, config)
    plan["pdf"] = str(out.relative_to(paths.root))
    _reserve_joined(joined, plan, config)
    return _file_joined(joined, plan, paths, actor)


def _file_joined(joined: list[ReviewItem], plan: dict, paths: DataPaths, actor: str) -> str:
    """Write, catalog and index the reserved joined item; mark its review items filed; release scans."""
    code = plan["archival_code"]
    originals = {}
    for review in joined:
        source = jobs.job_source(paths, review.job)
        for path in originals_of((paths.root / review.pdf).parent / original_dir(Path(review.pdf).name),
                                 source) if source else []:
            originals.setdefault(path.resolve(), path)
    entry = {"archival_code": code, "metadata": plan["metadata"]}
    item_write(paths=paths, code=ArchivalCode.parse(code), pdf=paths.root / plan["pdf"],
               originals=list(originals.values()), metadata=plan["metadata"])
    with transaction.atomic():
        catalog_item(paths=paths, entry=entry, actor=actor, action="review.attach")
        ReviewItem.objects.filter(pk__in=[r.pk for r in joined]).update(
            state=ReviewItem.State.FILED, resolved_by=actor, resolved_at=timezone.now())
    index_codes(paths, [code])
    for job_id in {r.job_id for r in joined}:
        _release_if_done(paths, job_id)
    return code


def _attachable(code: str) -> FormInstance:
    """The form instance pages may be attached to: known, kept by the archive, not yet filed."""
    instance = FormInstance.objects.select_related("round").filter(code=code).first()
    if instance is None:
        raise NotFound(f"目录中没有编号为 {code} 的表单（编号印在二维码下方）。", f"no instance {code}",
                       code="instance_not_found")
    spec = FORMS.get(instance.form)
    if spec is not None and not spec.filed and not instance.retention_class:
        raise Conflict(f"《{instance.title}》不归档，不能把页面并入；不需要的页面请用 station review discard 剔除。",
                       f"instance {code} is not archived", code="instance_not_archived")
    filed = ArchiveItem.objects.filter(form_instance=instance).first()
    if filed is not None:
        raise Conflict(f"《{instance.title}》已归档为 {filed.archival_code}，不能再并入页面。"
                       "如需作为补充材料归档，请用 station review file。",
                       f"instance {code} already filed as {filed.archival_code}", code="instance_filed")
    return instance


def _numbered_pages(item: ReviewItem, partners: list[ReviewItem], instance: FormInstance,
                    page: int | None) -> list[tuple[int, ReviewItem, int]]:
    """(page number, review item, page index in its PDF) for every page joined; BadInput unless 1..n once."""
    known = []
    for partner in partners:
        numbers = partner.plan.get("page_numbers") or []
        if len(numbers) != len(partner.source_pages) or 0 in numbers:
            raise BadInput(f"待处理项 {partner.pk} 的页码未知，无法与待处理项 {item.pk} 合并。请分别处理。",
                           f"review item {partner.pk} has no page numbers", code="attach_pages_unknown")
        known += [(number, partner, index) for index, number in enumerate(numbers)]
    total = instance.pages or len(known) + len(item.source_pages)
    missing = [n for n in range(1, total + 1) if n not in {k[0] for k in known}]
    ours = list(range(page, page + len(item.source_pages))) if page else missing[:len(item.source_pages)]
    numbered = known + [(number, item, index) for index, number in enumerate(ours)]
    counts = sorted(n for n, _, _ in numbered)
    if counts != list(range(1, total + 1)):
        still = [n for n in range(1, total + 1) if n not in counts]
        twice = sorted({n for n in counts if counts.count(n) > 1 or n > total or n < 1})
        raise BadInput(f"并入后《{instance.title}》的页面仍不完整：共 {total} 页，"
                       + (f"缺第 {'、'.join(map(str, still))} 页" if still else "")
                       + ("；" if still and twice else "")
                       + (f"第 {'、'.join(map(str, twice))} 页重复或超出" if twice else "")
                       + "。请用 --page 指明页码，或先补扫缺页。",
                       f"attach {item.pk} to {instance.code}: missing {still}, repeated {twice}",
                       code="attach_incomplete")
    return numbered


def _joined_pdf(pages: list[tuple[int, ReviewItem, int]], out: Path, *, title: str, author: str,
                paths: DataPaths) -> None:
    """The archival PDF of the joined pages in page order, copied from the items' PDFs (lossless)."""
    opened: dict[int, pikepdf.Pdf] = {}
    joined = pikepdf.new()
    try:
        for _, review, index in pages:
            if review.pk not in opened:
                opened[review.pk] = pikepdf.open(paths.root / review.pdf)
            joined.pages.append(opened[review.pk].pages[index])
        buffer = io.BytesIO()
        joined.save(buffer)
    finally:
        for pdf in opened.values():
            pdf.close()
    plain = out.with_name(f".{out.stem}.plain.pdf")
    plain.write_bytes(buffer.getvalue())
    partial = out.with_name(f".{out.name}.part")
    archival_pdf(plain, list(range(len(pages))), partial, title=title, author=author)
    partial.replace(out)
    plain.unlink()


def _attach_plan(primary: ReviewItem, instance: FormInstance, joined: list[ReviewItem],
                 config: StationConfig) -> dict:
    """Metadata of the filed instance: as review_file makes it, plus what the FormInstance knows."""
    primary.instance_code = instance.code          # in memory only: _plan reads the instance from it
    category = instance.category or str(instance.data.get("category", ""))
    plan = _plan(primary, category, instance.data.get("document_title") or instance.title, config)
    meta = plan["metadata"]
    candidate = (Candidate.objects.filter(round=instance.round, id_number=instance.subject).first()
                 if instance.round and instance.subject else None)
    if candidate:
        meta.update(candidate_id_number=candidate.id_number, candidate_name=candidate.name,
                    ticket_number=candidate.ticket_number, occupation=candidate.occupation, level=candidate.level)
    meta.update(pages=sum(len(r.source_pages) for r in joined), text=flatten(instance.data),
                original="pages" if len(joined) > 1 else meta.get("original", "whole"),
                joined_from=[{"review_item": r.pk, "source_name": r.job.source_name, "source_sha256": r.job.sha256,
                              "source_pages": r.source_pages} for r in joined])
    plan["attach"] = instance.code
    return plan


def _reserve_joined(joined: list[ReviewItem], plan: dict, config: StationConfig) -> None:
    """Allocate the 档号 and record it on every joined item in one transaction."""
    with transaction.atomic():
        locked = list(ReviewItem.objects.select_for_update().filter(pk__in=[r.pk for r in joined]).order_by("id"))
        if any(r.state != ReviewItem.State.WAITING for r in locked):
            raise Conflict("另一位工作人员正在处理这些页面，请稍后用 station review list 查看。",
                           "joined review items changed meanwhile", code="review_moved")
        code = item_number_allocate(fonds=config.station.fonds_code, year=plan["year"],
                                    retention=plan["retention_code"], category=plan["category"])
        plan["archival_code"] = str(code)
        plan["metadata"]["item_number"] = code.item
        ReviewItem.objects.filter(pk__in=[r.pk for r in locked]).update(
            plan=plan, archival_code=str(code), state=ReviewItem.State.RESERVED)
