"""The filing flow of one claimed file: STAGES, one ordered list of functions.

read → identify → group → classify → normalise → reserve → write → commit → index → release

Everything that can fail on bad input happens before `reserve`; a failure there quarantines the
file with its reason. `reserve` records the 档号 and the full item plan on the job in one
transaction, so after a crash the job resumes with the same codes and the same metadata (the
ingest time is fixed on the job), `item_write` finds identical content and the catalog rows
are get-or-create by 档号. The index is updated only after the catalog commit, and the inbox
file is released (moved to processed/<date>/) last.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.numbering import item_number_allocate
from pipeline.archive.store import ArchivedOriginals
from pipeline.catalog.models import FormInstance, IngestJob, ReviewItem
from pipeline.core.config import StationConfig
from pipeline.core.errors import BadInput, StationError
from pipeline.core.paths import DataPaths
from pipeline.ingest import docmeta, jobs
from pipeline.ingest.archiving import (
    catalog_item,
    entry_write,
    index_codes,
    job_quarantine,
    job_release,
    original_dir,
    original_pages,
    originals_of,
)
from pipeline.ingest.decide import group_set_aside, not_archived, reprint_conflict
from pipeline.ingest.guards import page_count, pdfa_review, until_deadline
from pipeline.ingest.identify import Group, GroupingResult, group_pages, page_infos
from pipeline.ingest.lane import OCR_WAIT, OcrDeferred, job_park, job_unpark, jobs_ocr_waiting
from pipeline.ingest.normalise import Conversion, archival_pdf
from pipeline.ingest.pages import iter_pages
from pipeline.ingest.plans import form_plan, ocr_text, pages_label, plain_plan, problem_zh, review_plan
from pipeline.ingest.watch import SYSTEM_CLOCK, Clock, StableTracker, category_hint, inbox_files, settled
from pipeline.ingest.work import Work

log = logging.getLogger("pipeline.ingest.flow")

COVER_FORMS = ("filing-cover", "packet-cover")
QR_DPI = 100       # first look: a 25 mm QR decodes at 100 dpi (a 200-dpi scan's JPEG is draft-decoded at 1/2)
READ_DPI = 150     # second look at pages with no QR found: QR retry and the blank check at full detail
State = IngestJob.State
REVIEW_OPEN = (ReviewItem.State.WAITING, ReviewItem.State.RESERVED)   # filed or discarded items are done




# ---------------------------------------------------------------- stages before reservation


def read(work: Work) -> None:
    """Look at each page: all at QR_DPI, then those without a QR again at READ_DPI (UnreadableFile if broken).
    A file over the page or time limit of [ingest] is not read further: it goes to review whole."""
    station, ink, limits = work.config.station.code, work.config.ingest.blank_page_ink_ratio, work.config.ingest
    count = page_count(work.source)
    if count > limits.max_pages:
        work.oversize = (f"共 {count} 页，超过每个文件 {limits.max_pages} 页的上限（station.toml [ingest] max_pages）",
                         f"{count} pages > max_pages {limits.max_pages}")
        work.infos = []
        return
    deadline = time.monotonic() + limits.max_seconds
    infos = page_infos(until_deadline(iter_pages(work.source, QR_DPI), deadline, work), station, ink,
                       progress=_page_ticks(work), total=count)
    again = {info.index for info in infos if not info.payloads}
    if again and work.oversize is None:
        second = until_deadline(iter_pages(work.source, READ_DPI, only=again), deadline, work)
        closer = {info.index: info for info in page_infos(second, station, ink, orient=True)}
        infos = [closer.get(info.index, info) for info in infos]
    work.infos = [] if work.oversize else infos


def _page_ticks(work: Work):
    if work.progress is None:
        return None
    return lambda done, total: work.progress("page", work.job.source_name, done)


def identify(work: Work) -> None:
    """Refuse a file with nothing on it: every page blank."""
    if work.oversize is None and work.infos and all(info.blank for info in work.infos):
        raise BadInput(f"文件 {work.job.source_name} 的 {len(work.infos)} 页全部是空白页，没有可归档的内容。"
                       "请检查扫描时纸张是否放反，重新扫描后放入收件箱。",
                       f"{work.job.source_name}: all {len(work.infos)} pages blank", code="all_blank")


def group(work: Work) -> None:
    """Split the stack into form instances, cover packets and unmarked runs (an oversize file: one run)."""
    if work.oversize is not None:
        work.grouping = GroupingResult([Group("unmarked", None, list(range(page_count(work.source))), 0)], [], [])
        return
    codes = {p.instance for info in work.infos for p in info.payloads}
    covers = set(FormInstance.objects.filter(code__in=codes, form__in=COVER_FORMS).values_list("code", flat=True))
    work.grouping = group_pages(work.infos, work.config.station.code, covers)


def classify(work: Work) -> None:
    """Decide for each group what it is filed as, or why it waits for a person."""
    if work.oversize is not None:
        grp = work.grouping.groups[0]
        work.reviews.append(review_plan(work, 1, grp, "too_large",
                                    f"{work.job.source_name} {work.oversize[0]}，未自动识别，以免耽误其他文件。"
                                    "请拆分成较小的文件后放入收件箱，"
                                    "或确认类别和题名后用 station review file 整件归档。",
                                    work.oversize[1]))
        return
    instances = {fi.code: fi for fi in FormInstance.objects.select_related("round").filter(
        code__in=[g.instance_code for g in work.grouping.groups if g.instance_code])}
    several = len([g for g in work.grouping.groups if g.kind == "unmarked"]) > 1
    for number, grp in enumerate(work.grouping.groups, start=1):
        try:
            _classify_group(work, number, grp, instances.get(grp.instance_code or ""), several=several)
        except OcrDeferred:
            raise                       # not a failure: the whole job waits in the OCR lane
        except Exception as exc:  # noqa: BLE001 — one group's failure is that group's only
            if len(work.grouping.groups) == 1:
                raise                   # the whole file is that group: quarantine the file as received
            _set_aside(work, number, grp.page_indices, "classify", exc)


def _classify_group(work: Work, number: int, grp: Group, instance: FormInstance | None, *, several: bool) -> None:
    """Decide one group: a plan to file, or a review entry with the reason."""
    problems = work.grouping.problems_for(grp.instance_code)
    if problems:
        work.reviews.append(review_plan(work, number, grp, problems[0].kind, problem_zh(problems, instance, grp),
                                    "; ".join(p.detail_en for p in problems)))
    elif grp.kind != "unmarked" and instance is None:
        work.reviews.append(review_plan(work, number, grp, "unknown_instance",
                                    f"二维码 {grp.instance_code} 在目录中找不到对应的表单（第 {pages_label(grp)} 页），"
                                    "可能来自另一套系统或已被删除。请确认文件类别和题名后手工归档。",
                                    f"instance {grp.instance_code} not in catalog"))
    elif instance is not None and instance.status == FormInstance.Status.FILED and not instance.superseded_by_id:
        work.reviews.append(review_plan(work, number, grp, "already_filed",
                                    f"{instance.title} 已经归档过（第 {pages_label(grp)} 页是再次扫描的副本）。"
                                    "如确需作为补充材料归档，请指定类别和题名。",
                                    f"instance {grp.instance_code} already filed"))
    elif instance is not None and (held := not_archived(instance, grp.page_indices)
                                   or reprint_conflict(instance, grp.page_indices)):
        work.reviews.append(review_plan(work, number, grp, held.kind, held.message, held.detail))
    elif instance is not None and (short := _cover_pages_short(instance, grp)):
        work.reviews.append(review_plan(work, number, grp, "cover_pages", short[0], short[1]))
    elif instance is not None:
        work.items.append(form_plan(work, number, grp, instance))
    else:
        _classify_unmarked(work, number, grp, several=several)


def _set_aside(work: Work, number: int, page_indices: list[int], stage: str, exc: Exception) -> None:
    """Quarantine one group's pages on their own; the other groups of the stack go on."""
    target = group_set_aside(paths=work.paths, job=work.job, source=work.source, work_dir=work.out,
                             page_indices=list(page_indices), stage=stage, exc=exc)
    work.set_aside.append(target.name)


def _cover_pages_short(instance: FormInstance, grp: Group) -> tuple[str, str] | None:
    """(Chinese reason, English detail) when a filing cover's stated page count was not scanned after it."""
    declared = instance.data.get("pages") if instance.form == "filing-cover" else None
    if not isinstance(declared, int) or declared < 1:
        return None
    scanned = len(grp.page_indices) - max(grp.pages_expected, 1)
    if scanned == declared:
        return None
    return (f"归档封面《{instance.title}》注明 {declared} 页，但封面后扫描到 {scanned} 页。"
            "请补扫缺页（或去掉多余页）后放入收件箱，或确认无误后用 station review file 归档。",
            f"filing cover {instance.code} declares {declared} pages, {scanned} scanned after it")


def _classify_unmarked(work: Work, number: int, grp: Group, *, several: bool) -> None:
    """Inbox sub-folder → category; else OCR text and the config rules; else review."""
    text = ocr_text(work, number, grp)
    stem = Path(work.job.source_name).stem + (f"（第 {pages_label(grp)} 页）" if several else "")
    if work.job.category_hint:
        category = work.config.categories[work.job.category_hint]
        work.items.append(plain_plan(work, number, grp, category.code, f"{category.label} {stem}", text))
        return
    in_title, in_body = docmeta.rules_matching(work.config.rules, text)   # words in the title lines decide
    if len({rule.category for rule in in_title}) == 1:
        rule = in_title[0]
        work.items.append(plain_plan(work, number, grp, rule.category, f"{rule.title} {stem}", text))
        return
    why, detail = docmeta.unclassified_reason(in_title, in_body)    # a person rather than a wrong category
    work.reviews.append(review_plan(work, number, grp, "unknown_category",
                                f"{work.job.source_name} 第 {pages_label(grp)} 页没有二维码，{why}"
                                "请用 station review file 指定类别和题名，或把文件放入对应类别的子文件夹。",
                                f"no QR, no inbox sub-folder; {detail}", text=text))


def normalise(work: Work) -> None:
    """Write each item's (and each review's) archival PDF into the job's work folder, once; and when
    the file becomes several items, each one's own pages of the original (original_for)."""
    work.out.mkdir(parents=True, exist_ok=True)
    split = len(work.items) + len(work.reviews) > 1
    for entry in [*work.items, *work.reviews]:
        try:
            _normalise_entry(work, entry, split=split)
        except Exception as exc:  # noqa: BLE001 — one group's failure is that group's only
            if len(work.grouping.groups) == 1:
                raise
            for plans in (work.items, work.reviews):
                if entry in plans:
                    plans.remove(entry)
            _set_aside(work, entry.get("number", 0), entry["source_pages_0"], "normalise", exc)
    for entry in [e for e in work.items if e["metadata"]["pdfa"]["route"] == "as_received"]:
        work.items.remove(entry)
        work.reviews.append(pdfa_review(work, entry))


def _normalise_entry(work: Work, entry: dict, *, split: bool) -> None:
    """One item's (or review's) archival PDF, pages upright, by the strongest route that works, and its own
    pages of the original."""
    target = work.out / entry["pdf"]
    conversion = Conversion(**entry.get("conversion", {}))
    if not target.exists():
        partial = target.with_name(f".{target.name}.part")
        text_pdf = work.out / entry["text_pdf"] if entry.get("text_pdf") else None
        archival_pdf(work.source, entry["source_pages_0"], partial, title=entry["title"],
                     author=work.config.station.name, subject=entry.get("subject", ""),
                     keywords=entry.get("keywords", ""), text_layer_pdf=text_pdf, turns=entry.get("turns"),
                     conversion=conversion)
        (work.out / f"{target.name}.pdfa.json").write_text(json.dumps(conversion.__dict__), encoding="utf-8")
        os.replace(partial, target)
    else:
        saved = work.out / f"{target.name}.pdfa.json"
        conversion = Conversion(**json.loads(saved.read_text(encoding="utf-8"))) if saved.exists() else conversion
    entry["metadata"]["pdfa"] = conversion.as_metadata()
    entry["metadata"]["original"] = "pages" if split else "whole"
    if split:
        original_pages(work.source, work.job.source_name, entry["source_pages_0"],
                       work.out / original_dir(entry["pdf"]))


# ---------------------------------------------------------------- reservation and after


def reserve(work: Work) -> None:
    """Allocate the 档号 and record them, the plan and the reviews on the job in ONE transaction."""
    with transaction.atomic():
        job = IngestJob.objects.select_for_update().get(pk=work.job.pk)
        if job.state != State.CLAIMED:
            raise StationError("作业状态已改变，稍后重试。", f"job {job.pk} is {job.state}", code="job_moved")
        for entry in work.items:
            code = item_number_allocate(fonds=work.config.station.fonds_code, year=entry["year"],
                                        retention=entry["retention_code"], category=entry["category"])
            entry["archival_code"] = str(code)
            entry["metadata"]["item_number"] = code.item
        for entry in work.reviews:
            ReviewItem.objects.create(job=job, kind=entry["kind"], message=entry["message"][:500],
                                      detail=entry["detail"], instance_code=entry.get("instance_code", ""),
                                      source_pages=entry["metadata"]["source_pages"],
                                      pdf=str((work.out / entry["pdf"]).relative_to(work.paths.root)),
                                      text=entry["metadata"].get("text", ""),
                                      plan={"page_numbers": entry.get("page_numbers", [])})
        job.plan, job.archival_codes = work.items, [e["archival_code"] for e in work.items]
        job.state = State.RESERVED
        job.save(update_fields=["plan", "archival_codes", "state", "updated_at"])
    work.job = job


def write(work: Work) -> None:
    """Write every planned archive item (idempotent: identical content already in place is fine)."""
    archived = ArchivedOriginals()     # this job's items share one copy of a whole original they have in common
    for entry in work.job.plan:
        entry_write(paths=work.paths, entry=entry, pdf=work.out / entry["pdf"],
                    originals=originals_of(work.out / original_dir(entry["pdf"]), work.source), archived=archived)


def commit(work: Work) -> None:
    """Catalog rows, form instances "filed" and the audit entries, in ONE transaction."""
    with transaction.atomic():
        for entry in work.job.plan:
            catalog_item(paths=work.paths, entry=entry, actor=jobs.ACTOR, action="item.file")
        _advance(work, State.COMMITTED)


def index(work: Work) -> None:
    """Add the filed items to the search index (after the commit: no ghosts on rollback)."""
    index_codes(work.paths, [e["archival_code"] for e in work.job.plan])
    _advance(work, State.INDEXED)


def release(work: Work) -> None:
    """Move the claimed file to processed/<date>/ — unless some of its pages wait for review."""
    if work.job.reviews.filter(state__in=REVIEW_OPEN).exists():
        _advance(work, State.REVIEW)
        return
    job_release(paths=work.paths, job=work.job)


STAGES: list[tuple[str, Callable[[Work], None]]] = [
    ("read", read), ("identify", identify), ("group", group), ("classify", classify),
    ("normalise", normalise), ("reserve", reserve), ("write", write), ("commit", commit),
    ("index", index), ("release", release),
]
RESUME_AT = {State.CLAIMED: "read", State.RESERVED: "write", State.COMMITTED: "index", State.INDEXED: "release"}


# ---------------------------------------------------------------- running a job


def job_run(*, job: IngestJob, paths: DataPaths, config: StationConfig,
            progress: Callable[[str, str, int], None] | None = None, may_ocr: Callable[[], bool] | None = None) -> str:
    """Run (or resume) one locked job through STAGES; return its final state (or "retry", "stuck", "ocr_wait").

    may_ocr: asked before each OCR; False parks the job in the OCR lane (lane.py) and returns "ocr_wait".

    Never raises, except on a full disk. A job that failed max_attempts times after its 档号 were reserved
    is marked stuck (kept, not resumed, shown by `status`); a worker killed mid-way is no failure."""
    job.refresh_from_db()
    if job.state not in RESUME_AT or job.reason.get("stuck"):
        return "stuck" if job.reason.get("stuck") else job.state
    source = jobs.job_source(paths, job)
    if source is None:
        return _source_gone(paths, job)
    work = Work(job=job, paths=paths, config=config, source=source, progress=progress, may_ocr=may_ocr)
    if job.attempts >= config.ingest.max_attempts:
        return _give_up(work)
    names = [name for name, _ in STAGES]
    reserved_before = job.state != State.CLAIMED
    for name, stage in STAGES[names.index(RESUME_AT[job.state]):]:
        try:
            stage(work)
            if name == "classify":
                job_unpark(job=work.job)
        except OcrDeferred as deferred:
            return job_park(job=work.job, pages=deferred.pages)
        except Exception as exc:  # noqa: BLE001 — the worker never dies on one file
            return _failed(work, name, exc, reserved=reserved_before or names.index(name) > names.index("reserve"))
        if progress:
            progress(name, job.source_name, len(work.infos))
    return work.job.state


def _error_of(work: Work, stage: str, exc: Exception) -> dict:
    """The reason record of a failure: ours (StationError) as it is, anything else as an internal error."""
    if isinstance(exc, StationError):
        log.warning("%s failed at %s: %s %s", work.job.source_name, stage, exc.code, exc.detail)
        return {**exc.as_dict(), "stage": stage}
    log.exception("unexpected error at %s on %s", stage, work.job.source_name)
    return {"code": "internal_error", "detail": f"{stage}: {traceback.format_exc()}", "stage": stage,
            "message": f"处理文件 {work.job.source_name} 时发生内部错误（步骤 {stage}）。"
                       "文件已隔离，未做任何改动；请联系系统维护人员查看日志 var/station.log，"
                       "问题解决后执行 station quarantine retry。"}


def _failed(work: Work, stage: str, exc: Exception, *, reserved: bool) -> str:
    """Before reservation: quarantine with the reason. After: keep the job to be resumed (up to max_attempts)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or getattr(exc, "code", "") == "disk_full":
        raise exc                  # not the file's fault: stop this worker with a plain message; resumed later
    error = _error_of(work, stage, exc)
    if reserved:
        work.job.attempts += 1
        log.error("job %s (%s) failed at %s (attempt %d of %d); will resume", work.job.pk, work.job.source_name,
                  stage, work.job.attempts, work.config.ingest.max_attempts)
        work.job.reason = {**error, "attempts": work.job.attempts}
        IngestJob.objects.filter(pk=work.job.pk).update(reason=work.job.reason, attempts=work.job.attempts)
        if work.job.attempts >= work.config.ingest.max_attempts:
            return _give_up(work)
        return "retry"
    job_quarantine(paths=work.paths, job=work.job, source=work.source, error=error)
    return State.QUARANTINED


def _give_up(work: Work) -> str:
    """A job that failed max_attempts times: stuck when its 档号 are reserved (else quarantined)."""
    job, last = work.job, dict(work.job.reason or {})
    stage = last.get("stage", "?")
    if job.state == State.CLAIMED:
        job_quarantine(paths=work.paths, job=job, source=work.source, error={
            "code": "too_many_attempts", "stage": stage, "detail": f"{job.attempts} runs did not finish; last: "
                                                                    f"{last.get('code', 'process ended')}",
            "message": f"文件 {job.source_name} 已处理 {job.attempts} 次仍未完成（可能每次都使处理进程中断）。"
                       "文件已隔离，未做任何改动；请联系系统维护人员查看日志 var/station.log，"
                       "问题解决后执行 station quarantine retry。"})
        return State.QUARANTINED
    codes = "、".join(job.archival_codes) or "（无）"
    reason = {**last, "stuck": True, "attempts": job.attempts,
              "message": f"{job.source_name} 已分配档号 {codes}，但在步骤 {stage} 连续 {job.attempts} 次失败，"
                         "已停止自动重试。请联系系统维护人员查看日志 var/station.log，排除原因后执行 "
                         "station ingest --once --retry-stuck。"}
    with transaction.atomic():
        IngestJob.objects.filter(pk=job.pk).update(reason=reason)
        audit_append(actor=jobs.ACTOR, action="ingest.stuck", target=job.sha256,
                     detail={"source": job.source_name, "stage": stage, "code": last.get("code", ""),
                             "archival_codes": list(job.archival_codes)})
    job.reason = reason
    log.error("job %s (%s) is stuck at %s after %d attempts", job.pk, job.source_name, stage, job.attempts)
    return "stuck"


def _source_gone(paths: DataPaths, job: IngestJob) -> str:
    """A job whose file already left work/: finish the release it was in, if it got that far."""
    if job.released_path and (paths.root / job.released_path).exists():
        IngestJob.objects.filter(pk=job.pk).update(state=State.FILED)
        return State.FILED
    log.error("job %s (%s) has no file in work/ and no release record", job.pk, job.source_name)
    return job.state


def _advance(work: Work, state: str) -> None:
    IngestJob.objects.filter(pk=work.job.pk).update(state=state, updated_at=timezone.now())
    work.job.state = state


# ---------------------------------------------------------------- shared with review


# ---------------------------------------------------------------- plans (plain data)


# ---------------------------------------------------------------- driving the flow


def ingest_path(*, path: Path, paths: DataPaths, config: StationConfig, inbox: Path | None = None,
                progress: Callable[[str, str, int], None] | None = None, clock: Clock = SYSTEM_CLOCK,
                may_ocr: Callable[[], bool] | None = None) -> str:
    """Claim one complete inbox file and run it; return "gone", "duplicate" or the job's state."""
    if not settled(path, config.ingest.stable_seconds, clock=clock):
        return "changed"           # replaced or written to since it was found complete: look again later
    hint = category_hint(inbox or paths.inbox, path, config)
    try:
        claim = jobs.claim_file(paths=paths, path=path, category_hint=hint)
    except Exception as exc:  # noqa: BLE001 — e.g. no permission to move it: leave it, log, go on
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or getattr(exc, "code", "") == "disk_full":
            raise                  # a full disk stops the worker with a plain message (nothing was moved)
        log.exception("could not claim %s", path)
        return "unclaimed"
    if claim.outcome != "job":
        return claim.outcome
    try:
        return job_run(job=claim.job, paths=paths, config=config, progress=progress, may_ocr=may_ocr)
    finally:
        claim.lock.release()


def jobs_resume(*, paths: DataPaths, config: StationConfig,
                progress: Callable[[str, str, int], None] | None = None,
                may_ocr: Callable[[], bool] | None = None) -> list[str]:
    """Finish half-done claims, then resume every unfinished job no other worker holds
    (with may_ocr given, not those parked in the OCR lane: ocr_lane_step takes them)."""
    jobs.jobs_recover(paths=paths)
    outcomes = []
    for job in jobs.jobs_resumable():
        if may_ocr is not None and OCR_WAIT in (job.reason or {}):
            continue
        lock = jobs.job_lock(paths, job)
        if lock is None:
            continue
        try:
            outcomes.append(job_run(job=job, paths=paths, config=config, progress=progress, may_ocr=may_ocr))
        finally:
            lock.release()
    return outcomes


def ocr_lane_step(*, paths: DataPaths, config: StationConfig, may_ocr: Callable[[], bool],
                  progress: Callable[[str, str, int], None] | None = None) -> str | None:
    """Run the oldest job parked in the OCR lane that no other worker holds, if may_ocr(); its outcome, or None."""
    for job in jobs_ocr_waiting():
        if not may_ocr():
            return None
        lock = jobs.job_lock(paths, job)
        if lock is None:
            continue
        try:
            return job_run(job=job, paths=paths, config=config, progress=progress, may_ocr=may_ocr)
        finally:
            lock.release()
    return None


def ingest_once(*, paths: DataPaths, config: StationConfig, inbox: Path | None = None,
                progress: Callable[[str, str, int], None] | None = None, tick: float = 0.2,
                clock: Clock = SYSTEM_CLOCK) -> dict[str, int]:
    """Resume unfinished jobs, then file every inbox file once it is complete; stop when none is left.

    A file that needs OCR steps aside (the OCR lane) while complete files wait behind it: those are filed
    first, and parked jobs are taken up again, oldest first, whenever nothing complete waits."""
    inbox = inbox or paths.inbox
    counts: dict[str, int] = {}
    tracker = StableTracker(config.ingest.stable_seconds, clock)
    waiting: list[Path] = []                  # complete inbox files not yet taken, in the order found

    def may_ocr() -> bool:
        waiting.extend(f for f in _unhanded(inbox, tracker) if tracker.check(f))
        return not waiting

    def count(outcome: str | None, name: str) -> None:
        if outcome is not None and outcome != OCR_WAIT:        # a parked job is counted when it ends
            counts[outcome] = counts.get(outcome, 0) + 1
            if progress:
                progress("file", name, 0)

    for outcome in jobs_resume(paths=paths, config=config, progress=progress, may_ocr=may_ocr):
        count(outcome, "")
    while True:
        may_ocr()
        if waiting:
            path = waiting.pop(0)
            count(ingest_path(path=path, paths=paths, config=config, inbox=inbox, progress=progress,
                              clock=clock, may_ocr=may_ocr), path.name)
            continue
        outcome = ocr_lane_step(paths=paths, config=config, may_ocr=may_ocr, progress=progress)
        if outcome is not None:
            count(outcome, "")
            continue
        if not waiting and not _unhanded(inbox, tracker):
            return counts
        clock.sleep(tick)


def _unhanded(inbox: Path, tracker: StableTracker) -> list[Path]:
    """Inbox files not yet handed to a worker (complete or still being written)."""
    return [f for f in inbox_files(inbox) if not tracker.handed(f)] if inbox.is_dir() else []
