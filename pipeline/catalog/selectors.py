"""Reads from the catalog."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Q

from pipeline.catalog.models import Round


def round_summary(round_: Round) -> dict:
    """A round with its occupation × level groups and counts."""
    groups = (round_.candidates.values("occupation", "level")
              .annotate(candidates=Count("id"), retakes=Count("id", filter=Q(is_retake=True)))
              .order_by("occupation", "level"))
    return {"code": round_.code, "name": round_.name, "theory_at": round_.theory_at,
            "practical_at": round_.practical_at, "candidates": round_.candidates.count(),
            "groups": list(groups)}


def catalog_ready() -> bool:
    """Whether the catalog database exists and every migration is applied (False before `station init`)."""
    try:
        connection.close()   # a fresh connection: the failed statement may have left this one aborted
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return False
