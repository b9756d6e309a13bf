"""Reads the CLI and the web share: the due list, holds, loans, destruction registers, rounds."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count

from pipeline.catalog.models import ArchiveItem, DestructionBatch, FormInstance, Hold, Loan, Round
from pipeline.core.config import StationConfig
from pipeline.core.privacy import mask_personal


def retention_due(*, config: StationConfig, as_of: dt.date) -> dict:
    """Filed items due by as_of, each with why it may not be destroyed, grouped by retention class × year."""
    from pipeline.catalog.holds import item_blockers  # here: catalog imports stay light
    rows = []
    for item in ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED, due_date__lte=as_of).order_by("id"):
        reasons = [b.message_zh for b in item_blockers(item, config, as_of)]
        rows.append({"archival_code": item.archival_code, "title": item.title, "class": item.retention_class,
                     "year": item.year, "due_date": item.due_date, "blocked": reasons})
    groups = Counter((r["class"], r["year"]) for r in rows)
    return {"as_of": as_of, "items": rows,
            "groups": [{"class": c, "year": y, "count": n} for (c, y), n in sorted(groups.items())]}


def holds_list() -> list[dict]:
    """Every hold, released ones too, with a candidate's ID number masked."""
    return [{"id": h.id, "scope": h.scope, "value": mask_personal(h.value), "reason": h.reason,
             "placed_by": h.placed_by, "placed_at": h.placed_at, "released_by": h.released_by,
             "released_at": h.released_at} for h in Hold.objects.order_by("id")]


def loans_list() -> list[dict]:
    """Every loan in the order it was registered."""
    return [{"id": x.id, "item": x.item.archival_code, "borrower": x.borrower, "purpose": x.purpose,
             "copy": x.copy_requested, "state": x.state, "requested_by": x.requested_by,
             "approved_by": x.approved_by, "lent_at": x.lent_at, "due_back": x.due_back,
             "returned_at": x.returned_at} for x in Loan.objects.select_related("item").order_by("id")]


def batch_row(batch: DestructionBatch) -> dict:
    """One destruction register's state, signatures and counts."""
    return {"code": batch.code, "state": batch.state, "proposed_by": batch.proposed_by,
            "proposed_at": batch.proposed_at, "approved_by": batch.approved_by,
            "witnesses": list(batch.witnesses.order_by("at").values_list("user", flat=True)),
            "executed_by": batch.executed_by, "executed_at": batch.executed_at,
            "entries": batch.entries.count(), "struck": batch.entries.filter(struck=True).count()}


def batches_list() -> list[dict]:
    """Every destruction register in the order it was proposed."""
    return [batch_row(b) for b in DestructionBatch.objects.order_by("id")]


def rounds_list() -> list[dict]:
    """Every round with its candidate count, newest first."""
    return [{"code": r.code, "name": r.name, "theory_at": r.theory_at, "practical_at": r.practical_at,
             "candidates": r.n} for r in Round.objects.annotate(n=Count("candidates"))]


def lending_register_count(*, instance_code: str) -> int:
    """How many loans a generated 借阅登记表 lists."""
    return int(FormInstance.objects.get(code=instance_code).data["count"])
