"""件号 allocation without gaps or repeats, per fonds × year × retention × category.

The counter row is locked (SELECT … FOR UPDATE on PostgreSQL; an IMMEDIATE transaction on
SQLite), so concurrent workers serialise here. Call inside the transaction that records the
reservation, so a rolled-back job gives its number back.
"""

from __future__ import annotations

from django.db import transaction

from pipeline.catalog.models import NumberSeries
from pipeline.core.domain import ArchivalCode


def item_number_allocate(*, fonds: str, year: int, retention: str, category: str) -> ArchivalCode:
    """The next 档号 in its series."""
    with transaction.atomic():
        series, _ = NumberSeries.objects.select_for_update().get_or_create(
            fonds=fonds, year=year, retention=retention, category=category)
        series.last += 1
        series.save(update_fields=["last"])
        return ArchivalCode(fonds, year, retention, category, series.last)
