"""The audit log as the 审计日志 page reads it: filtered by who, what, when and which item, newest first."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth.models import User
from django.db.models import QuerySet

from pipeline.catalog.models import AuditEntry, Role
from pipeline.catalog.people import role_require
from pipeline.core.privacy import mask_personal

READERS = (Role.STATION_HEAD, Role.ARCHIVIST, Role.OFFICE_HEAD)


def audit_actions() -> list[str]:
    """The kinds of entry in the log (their prefixes: loan, destruction, user …), for the filter."""
    return sorted({a.split(".")[0] for a in AuditEntry.objects.values_list("action", flat=True).distinct()})


def audit_entries(*, reader: User, actor: str = "", action: str = "", target: str = "",
                  date_from: dt.date | None = None, date_to: dt.date | None = None) -> QuerySet:
    """Entries matching every filter given (the reader must be head, archivist or office head)."""
    role_require(reader, READERS, "查看审计日志")
    entries = AuditEntry.objects.order_by("-seq")
    if actor.strip():
        entries = entries.filter(actor=actor.strip())
    if action.strip():
        entries = entries.filter(action__startswith=action.strip())
    if target.strip():
        entries = entries.filter(target__icontains=target.strip())
    if date_from:
        entries = entries.filter(at__date__gte=date_from)
    if date_to:
        entries = entries.filter(at__date__lte=date_to)
    return entries


def audit_detail_text(entry: AuditEntry) -> str:
    """An entry's detail as one line, personal numbers masked."""
    return mask_personal(json.dumps(entry.detail or {}, ensure_ascii=False, default=str))[:300]
