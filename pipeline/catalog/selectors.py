"""Reads from the catalog."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Q

from pipeline.catalog.models import Candidate, FormInstance, Round


def round_summary(round_: Round) -> dict:
    """A round with its occupation × level groups and counts."""
    groups = (round_.candidates.values("occupation", "level")
              .annotate(candidates=Count("id"), retakes=Count("id", filter=Q(is_retake=True)))
              .order_by("occupation", "level"))
    return {"code": round_.code, "name": round_.name, "theory_at": round_.theory_at,
            "practical_at": round_.practical_at, "candidates": round_.candidates.count(),
            "groups": list(groups)}


def instance_coverage(*, instance: FormInstance) -> tuple[list[str], list[int]]:
    """Every occupation and level a form instance covers: its candidate's, its room sitting's or its round's."""
    round_ = instance.round
    if round_ is None or not instance.subject:
        return [], []
    candidates = Candidate.objects.filter(round=round_)
    if "@" in instance.subject:            # a room × sitting: "ROOM@kind-N"
        room_code, _, rest = instance.subject.partition("@")
        sitting = rest.rpartition("-")[2]
        if not sitting.isdigit():
            return [], []
        candidates = candidates.filter(seats__room__code=room_code, seats__sitting=int(sitting))
    elif instance.subject != round_.code:  # a candidate's own form
        candidates = candidates.filter(id_number=instance.subject)
    pairs = set(candidates.values_list("occupation", "level"))
    return sorted({o for o, _ in pairs if o}), sorted({v for _, v in pairs if v is not None})


def catalog_ready() -> bool:
    """Whether the catalog database exists and every migration is applied (False before `station init`)."""
    try:
        connection.close()   # a fresh connection: the failed statement may have left this one aborted
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return False
