"""What waits for a user (首页): inbox, review, quarantine, forms not returned, items falling due,
approvals and witness signatures waiting for this user, loans overdue, the last verify result."""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.contrib.auth.models import User
from django.utils import timezone

from pipeline.archive.store import write_json_atomic
from pipeline.catalog.models import ArchiveItem, DestructionBatch, IngestJob, Loan, Role, Round
from pipeline.catalog.people import same_person
from pipeline.catalog.register import held_q
from pipeline.catalog.selectors import outstanding_by_round
from pipeline.catalog.services import user_roles
from pipeline.core.paths import DataPaths
from pipeline.core.privacy import mask_personal

log = logging.getLogger("pipeline.catalog.dashboard")
VERIFY_LAST = "verify-last.json"
DUE_WINDOW_DAYS = 90


def inbox_summary(*, paths: DataPaths) -> dict:
    """Files queued, review items waiting, files quarantined, jobs stuck, filed today."""
    from pipeline.ingest.jobs import ingest_status  # here: the ingest package loads the file watcher
    status = ingest_status(paths=paths)
    return {"queued": status["queued"], "in_inbox": status["in_inbox"], "in_progress": status["in_progress"],
            "waiting_review": status["waiting_review"], "quarantined": status["quarantined"],
            "stuck": len(status["stuck"]), "filed_today": status["filed_today"],
            "filed_total": status["filed_total"], "oldest_waiting": status["oldest_waiting"]}


def inbox_activity(*, paths: DataPaths, limit: int = 10) -> dict:
    """Files waiting in the inbox, files being filed, and the items filed last (newest first)."""
    from pipeline.ingest.jobs import ACTIVE
    from pipeline.ingest.watch import inbox_files
    waiting = inbox_files(paths.inbox) if paths.inbox.is_dir() else []
    working = IngestJob.objects.filter(state__in=ACTIVE).order_by("created_at")
    # newest first along the index (status, filed_at): no sort of every filed row
    filed = ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED).order_by("-filed_at", "-id")[:limit]
    return {"waiting": sorted(p.relative_to(paths.inbox).as_posix() for p in waiting)[:limit],
            "working": [job.source_name for job in working[:limit]],
            "filed": [{"archival_code": i.archival_code, "title": mask_personal(i.title),
                       "source_name": i.source_name, "filed_at": i.filed_at} for i in filed]}


def forms_not_returned() -> list[dict]:
    """Per round (newest first): how many generated forms have not come back to be filed."""
    counts = outstanding_by_round()
    names = dict(Round.objects.filter(code__in=counts).values_list("code", "name"))
    return [{"round": code, "name": names.get(code, ""), "outstanding": count}
            for code, count in sorted(counts.items(), reverse=True)]


def items_falling_due(*, today: dt.date, within_days: int = DUE_WINDOW_DAYS) -> dict:
    """Filed items already due, and those falling due within the window (earliest first, ten shown); an item
    under a hold (保全/冻结: its own, its round's or its candidate's) does not fall due and is counted apart."""
    dated = ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED, due_date__isnull=False,
                                       due_date__lte=today + dt.timedelta(days=within_days))
    held = held_q()
    filed = dated.exclude(held)
    soon = filed.filter(due_date__gt=today)
    return {"due": filed.filter(due_date__lte=today).count(), "soon": soon.count(), "within_days": within_days,
            "held": dated.filter(held).count(),
            "next": [{"archival_code": i.archival_code, "title": i.title, "due_date": i.due_date}
                     for i in soon.order_by("due_date", "archival_code")[:10]]}


def approvals_waiting(*, user: User) -> list[dict]:
    """Loans and destruction registers this user may approve and has not (never their own requests)."""
    from pipeline.catalog.loans import LOAN_APPROVERS  # here: catalog imports stay light
    roles, waiting = user_roles(user), []
    if roles & set(LOAN_APPROVERS):
        for loan in Loan.objects.filter(state=Loan.State.REQUESTED).select_related("item").order_by("id"):
            if not same_person(user.username, loan.requested_by):
                waiting.append({"kind": "loan", "id": loan.id, "target": loan.item.archival_code,
                                "by": loan.requested_by, "at": loan.requested_at,
                                "copy": loan.copy_requested, "restricted": loan.item.restricted})
    if Role.STATION_HEAD in roles:
        for batch in DestructionBatch.objects.filter(state=DestructionBatch.State.PROPOSED).order_by("id"):
            if not same_person(user.username, batch.proposed_by):
                waiting.append({"kind": "destruction", "id": batch.id, "target": batch.code,
                                "by": batch.proposed_by, "at": batch.proposed_at})
    return waiting


def witness_waiting(*, user: User) -> list[dict]:
    """Approved destruction registers this 监销人 may still sign (not proposer, approver or a signed witness)."""
    if Role.WITNESS not in user_roles(user):
        return []
    waiting = []
    for batch in DestructionBatch.objects.filter(state=DestructionBatch.State.APPROVED).order_by("id"):
        signed = list(batch.witnesses.values_list("user", flat=True))
        others = [batch.proposed_by, batch.approved_by, *signed]
        if not any(same_person(user.username, other) for other in others):
            waiting.append({"code": batch.code, "approved_by": batch.approved_by, "approved_at": batch.approved_at,
                            "signed": len(signed)})
    return waiting


def loans_overdue(*, today: dt.date) -> list[dict]:
    """Loans lent out whose due-back day has passed, most overdue first."""
    rows = (Loan.objects.filter(state=Loan.State.LENT, due_back__lt=today).select_related("item")
            .order_by("due_back", "id"))
    return [{"id": x.id, "item": x.item.archival_code, "borrower": x.borrower, "due_back": x.due_back,
             "days": (today - x.due_back).days} for x in rows]


def verify_record(*, paths: DataPaths, report: dict) -> None:
    """Keep the outcome of a verify run (counts, problems masked) for the 首页."""
    findings = report.get("findings", [])
    write_json_atomic(paths.var / VERIFY_LAST, {
        "at": timezone.now().isoformat(), "ok": bool(report.get("ok")), "items": report.get("items", 0),
        "files": report.get("files", 0), "problems": len(findings),
        "first": [mask_personal(f.get("message_zh", "")) for f in findings[:5]]})


def verify_last(*, paths: DataPaths) -> dict | None:
    """The last verify outcome recorded, or None when verify has not run (or its record is unreadable)."""
    path = paths.var / VERIFY_LAST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["at"] = dt.datetime.fromisoformat(data["at"])
        return data
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("verify record %s unreadable", path, exc_info=True)
        return None


def home_summary(*, user: User, paths: DataPaths, today: dt.date | None = None) -> dict:
    """Everything the 首页 shows for user."""
    today = today or timezone.localdate()
    return {"inbox": inbox_summary(paths=paths), "forms": forms_not_returned(),
            "due": items_falling_due(today=today), "approvals": approvals_waiting(user=user),
            "witness": witness_waiting(user=user), "overdue": loans_overdue(today=today),
            "verify": verify_last(paths=paths), "today": today}
