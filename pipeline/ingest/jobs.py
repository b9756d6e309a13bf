"""Durable ingest jobs: claim an inbox file by atomic rename, record it keyed by its hash, resume.

A claim goes inbox/<file> → work/.claim-<uuid>/source/<file> (one rename, same file system),
is hashed, then the claim folder is renamed to work/<sha256>/ and an IngestJob row records it.
A worker holds an flock on the job's folder while it works, so several workers (and a restart
after kill -9) never work on one job at once; the kernel drops the lock when a process dies.
Every step can be repeated: recovery finishes half-done claims and resumes unfinished jobs.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.store import fsync_dir, sha256_file, write_json_atomic
from pipeline.catalog.models import ArchiveItem, AuditEntry, IngestJob, ReviewItem
from pipeline.core.paths import DataPaths
from pipeline.ingest.quarantine import free_name, quarantine_list
from pipeline.ingest.watch import inbox_files, inbox_ignored

log = logging.getLogger("pipeline.ingest.jobs")

CLAIM_PREFIX = ".claim-"
CLAIM_INFO = "claim.json"
SOURCE_DIR = "source"
ACTIVE = (IngestJob.State.CLAIMED, IngestJob.State.RESERVED, IngestJob.State.COMMITTED,
          IngestJob.State.INDEXED)
ACTOR = "ingest"


class DirLock:
    """An exclusive, non-blocking flock on a folder; released on close or process death."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def acquire(cls, folder: Path) -> DirLock | None:
        """The lock, or None when another process holds it (or the folder is gone)."""
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(fd)

    def release(self) -> None:
        """Drop the lock."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


@dataclass
class Claim:
    """The outcome of claiming one inbox file."""

    outcome: str                 # "job" | "duplicate" | "gone"
    job: IngestJob | None = None
    lock: DirLock | None = None


def job_folder(paths: DataPaths, sha256: str) -> Path:
    """work/<sha256>/ — the job's claimed file (source/) and its stage outputs (out/)."""
    return paths.work / sha256


def job_source(paths: DataPaths, job: IngestJob) -> Path | None:
    """The claimed file of a job, while it is still in work/."""
    folder = job_folder(paths, job.sha256) / SOURCE_DIR
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    return files[0] if files else None


def claim_file(*, paths: DataPaths, path: Path, category_hint: str = "") -> Claim:
    """Take path out of the inbox into a job; duplicates of known bytes are set aside."""
    paths.work.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    fresh = paths.work / f"{CLAIM_PREFIX}{token}.new"
    fresh.mkdir()
    lock = DirLock.acquire(fresh)
    write_json_atomic(fresh / CLAIM_INFO, {"source_name": path.name, "category_hint": category_hint,
                                           "claimed_at": timezone.now().isoformat()})
    claim_dir = paths.work / f"{CLAIM_PREFIX}{token}"
    os.rename(fresh, claim_dir)   # recovery only looks at folders without ".new", so this one is whole
    (claim_dir / SOURCE_DIR).mkdir()
    try:
        move_in(path, claim_dir / SOURCE_DIR / path.name)
    except FileNotFoundError:      # another worker claimed it first
        shutil.rmtree(claim_dir, ignore_errors=True)
        lock.release()
        return Claim("gone")
    except BaseException:          # no permission, disk full…: no empty .claim-* folder is left behind
        shutil.rmtree(claim_dir, ignore_errors=True)
        lock.release()
        raise
    fsync_dir(claim_dir / SOURCE_DIR)
    fsync_dir(path.parent)
    return settle_claim(paths=paths, claim_dir=claim_dir, lock=lock)


def move_in(source: Path, target: Path) -> None:
    """Move source to target: one rename, or — from another file system (a network share: EXDEV) —
    copy, fsync, check the copy's SHA-256 against the source, then remove the source."""
    try:
        os.rename(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    digest = sha256_file(source)
    try:
        with open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        if sha256_file(target) != digest or sha256_file(source) != digest:
            raise OSError(errno.EIO, f"copy of {source.name} differs from the source (changed while copied?)")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    os.unlink(source)
    log.info("claimed %s across file systems (copy, fsync, hash checked, source removed)", source.name)


def settle_claim(*, paths: DataPaths, claim_dir: Path, lock: DirLock) -> Claim:
    """Hash a claimed file and record it as a job (or a duplicate drop); idempotent."""
    info = json.loads((claim_dir / CLAIM_INFO).read_text(encoding="utf-8"))
    sources = sorted((claim_dir / SOURCE_DIR).iterdir()) if (claim_dir / SOURCE_DIR).is_dir() else []
    if not sources:                # crashed before the inbox file was moved in
        shutil.rmtree(claim_dir, ignore_errors=True)
        lock.release()
        return Claim("gone")
    source = sources[0]
    sha = sha256_file(source)
    existing = IngestJob.objects.filter(sha256=sha).first()
    if existing and existing.state != IngestJob.State.QUARANTINED:
        duplicate_record(paths=paths, source=source, sha256=sha, job=existing)
        shutil.rmtree(claim_dir, ignore_errors=True)
        lock.release()
        return Claim("duplicate", existing)
    target = job_folder(paths, sha)
    if existing and target.exists():   # leftover work folder of the quarantined attempt
        _drop_stale(target)
    try:
        os.rename(claim_dir, target)
    except OSError:                # the same bytes are being claimed by another worker right now
        duplicate_record(paths=paths, source=source, sha256=sha, job=existing)
        shutil.rmtree(claim_dir, ignore_errors=True)
        lock.release()
        return Claim("duplicate", existing)
    fsync_dir(paths.work)
    job = job_record(paths=paths, sha256=sha, info=info)
    return Claim("job", job, lock)


def _drop_stale(folder: Path) -> None:
    stale = DirLock.acquire(folder)
    if stale is not None:
        shutil.rmtree(folder, ignore_errors=True)
        stale.release()


def job_record(*, paths: DataPaths, sha256: str, info: dict) -> IngestJob:
    """Create (or re-open, after a quarantine retry) the job row for work/<sha256>/."""
    fields = {"source_name": info["source_name"], "category_hint": info.get("category_hint", ""),
              "work_path": str(job_folder(paths, sha256)), "state": IngestJob.State.CLAIMED,
              "reason": {}, "plan": [], "archival_codes": [], "released_path": "",
              "ingest_time": timezone.now().replace(microsecond=0)}
    with transaction.atomic():
        job, created = IngestJob.objects.select_for_update().get_or_create(sha256=sha256, defaults=fields)
        if not created and job.state == IngestJob.State.QUARANTINED:
            for key, value in fields.items():
                setattr(job, key, value)
            job.attempts = 0       # a new claim of quarantined bytes gets its own max_attempts runs
            job.save()
            audit_append(actor=ACTOR, action="ingest.retry", target=sha256, detail={"source": job.source_name})
        elif created:
            audit_append(actor=ACTOR, action="ingest.claim", target=sha256, detail={"source": job.source_name})
    return job


def duplicate_record(*, paths: DataPaths, source: Path, sha256: str, job: IngestJob | None) -> Path:
    """Move a drop of already-known bytes to processed/duplicates/ and log it against the 档号."""
    folder = paths.processed / "duplicates"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / free_name(folder, source.name, sha256)
    if target.exists():
        target = folder / f"{uuid.uuid4().hex[:8]}-{source.name}"
    os.rename(source, target)
    fsync_dir(folder)
    codes = list(job.archival_codes) if job else []
    with transaction.atomic():
        if job:
            IngestJob.objects.filter(pk=job.pk).update(duplicate_drops=job.duplicate_drops + 1)
        audit_append(actor=ACTOR, action="ingest.duplicate", target=codes[0] if codes else sha256,
                     detail={"source": source.name, "sha256": sha256, "archival_codes": codes,
                             "moved_to": str(target.relative_to(paths.root))})
    log.info("duplicate drop %s of %s → %s", source.name, codes or sha256, target)
    return target


def jobs_recover(*, paths: DataPaths) -> None:
    """Finish claims cut short by a crash and drop leftovers of finished jobs."""
    if not paths.work.is_dir():
        return
    for folder in sorted(paths.work.iterdir()):
        lock = DirLock.acquire(folder) if folder.is_dir() else None
        if lock is None:
            continue               # another worker is on it (or it is not a folder)
        try:
            _recover_one(paths, folder, lock)
        finally:
            lock.release()


def _recover_one(paths: DataPaths, folder: Path, lock: DirLock) -> None:
    if folder.name.startswith(CLAIM_PREFIX) and folder.name.endswith(".new"):
        shutil.rmtree(folder, ignore_errors=True)
    elif folder.name.startswith(CLAIM_PREFIX):
        log.info("recovering half-done claim %s", folder.name)
        settle_claim(paths=paths, claim_dir=folder, lock=DirLock(-1))
    elif (folder / CLAIM_INFO).is_file():
        job = IngestJob.objects.filter(sha256=folder.name).first()
        if job is None:
            log.info("recovering unrecorded job %s", folder.name)
            job_record(paths=paths, sha256=folder.name,
                       info=json.loads((folder / CLAIM_INFO).read_text(encoding="utf-8")))
        elif job.state in (IngestJob.State.FILED, IngestJob.State.QUARANTINED):
            shutil.rmtree(folder, ignore_errors=True)


def jobs_resumable() -> list[IngestJob]:
    """Jobs a worker may pick up: claimed but not yet filed and not stuck, oldest first."""
    return [job for job in IngestJob.objects.filter(state__in=ACTIVE).order_by("created_at", "id")
            if not job.reason.get("stuck")]


def jobs_stuck() -> list[IngestJob]:
    """Jobs set aside after max_attempts runs with their 档号 reserved: a person must look."""
    return [job for job in IngestJob.objects.filter(state__in=ACTIVE).order_by("created_at", "id")
            if job.reason.get("stuck")]


def jobs_unstick() -> int:
    """Let stuck jobs be resumed again (after the cause was fixed); return how many."""
    stuck = jobs_stuck()
    with transaction.atomic():
        for job in stuck:
            reason = {k: v for k, v in job.reason.items() if k != "stuck"}
            IngestJob.objects.filter(pk=job.pk).update(reason=reason, attempts=0)
            audit_append(actor=ACTOR, action="ingest.unstick", target=job.sha256, detail={"source": job.source_name})
    return len(stuck)


def job_lock(paths: DataPaths, job: IngestJob) -> DirLock | None:
    """Lock a job's folder for this worker, or None when another worker holds it."""
    return DirLock.acquire(job_folder(paths, job.sha256))


def processed_folder(paths: DataPaths, moment: dt.datetime) -> Path:
    """processed/<YYYY-MM-DD>/ for a job's fixed ingest time."""
    return paths.processed / timezone.localtime(moment).date().isoformat()


def ingest_status(*, paths: DataPaths, today: dt.date | None = None) -> dict:
    """What staff want to know about the inbox: queued, filed, waiting (review, OCR lane), set aside, duplicates."""
    from pipeline.ingest.lane import ocr_lane_status  # lane.py builds on this module
    from_inbox = [p for p in inbox_files(paths.inbox)] if paths.inbox.is_dir() else []
    ignored = inbox_ignored(paths.inbox) if paths.inbox.is_dir() else []
    stuck = jobs_stuck()
    active = IngestJob.objects.filter(state__in=ACTIVE)
    today = today or timezone.localdate()
    # a range on filed_at, not filed_at__date: that runs a Python function on every row under SQLite
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    items = ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED)
    waiting = ReviewItem.objects.filter(state__in=(ReviewItem.State.WAITING, ReviewItem.State.RESERVED))
    quarantined = quarantine_list(paths)
    oldest = [dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC) for p in from_inbox]
    oldest += [job.created_at for job in active.order_by("created_at")[:1]]
    oldest += [item.created_at for item in waiting.order_by("created_at")[:1]]
    return {"queued": len(from_inbox) + active.count(), "in_inbox": len(from_inbox), "in_progress": active.count(),
            "filed_today": items.filter(filed_at__gte=midnight, filed_at__lt=midnight + dt.timedelta(days=1)).count(),
            "filed_total": items.count(),
            "waiting_review": waiting.count(), "quarantined": len(quarantined), "ocr_waiting": ocr_lane_status(),
            "duplicates": AuditEntry.objects.filter(action="ingest.duplicate").count(),
            "oldest_waiting": min(oldest) if oldest else None,
            "stuck": [{"source_name": job.source_name, "sha256": job.sha256, "state": job.state,
                       "archival_codes": list(job.archival_codes), "stage": job.reason.get("stage", ""),
                       "code": job.reason.get("code", ""), "message": job.reason.get("message", ""),
                       "attempts": job.attempts, "since": job.updated_at} for job in stuck],
            "ignored": [{"path": str(path.relative_to(paths.inbox)), "kind": kind} for path, kind in ignored]}
