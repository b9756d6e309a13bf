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


def _filed_forms() -> list[str]:
    from pipeline.forms.registry import FORMS  # pure data; imported here to keep catalog imports light
    return [key for key, spec in FORMS.items() if spec.filed]


def forms_outstanding(*, round_: Round) -> list[FormInstance]:
    """The round's generated forms that come back to be filed and are not filed yet (reprints' old copies left out)."""
    return list(FormInstance.objects.filter(round=round_, form__in=_filed_forms())
                .exclude(status__in=[FormInstance.Status.FILED, FormInstance.Status.SUPERSEDED])
                .order_by("form", "subject_label", "created_at"))


def round_outstanding(*, round_: Round) -> dict:
    """Per form: generated, filed and still outstanding, with each outstanding candidate or room named."""
    from pipeline.forms.registry import FORMS
    live = (FormInstance.objects.filter(round=round_, form__in=_filed_forms())
            .exclude(status=FormInstance.Status.SUPERSEDED))
    counts = {row["form"]: row for row in live.values("form").annotate(
        generated=Count("id"), filed=Count("id", filter=Q(status=FormInstance.Status.FILED)))}
    missing = forms_outstanding(round_=round_)
    forms = [{"form": key, "name": FORMS[key].name_zh, "generated": row["generated"], "filed": row["filed"],
              "outstanding": [{"instance": i.code, "subject": i.subject, "subject_label": i.subject_label,
                               "title": i.title, "pages": i.pages, "status": i.status}
                              for i in missing if i.form == key]}
             for key, row in sorted(counts.items(), key=lambda kv: list(FORMS).index(kv[0]))]
    return {"round": round_.code, "generated": sum(f["generated"] for f in forms),
            "filed": sum(f["filed"] for f in forms), "outstanding": len(missing), "forms": forms}


def outstanding_by_round() -> dict[str, int]:
    """Round code → how many of its generated forms are not filed yet (rounds with none left out)."""
    rows = (FormInstance.objects.filter(round__isnull=False, form__in=_filed_forms())
            .exclude(status__in=[FormInstance.Status.FILED, FormInstance.Status.SUPERSEDED])
            .values("round__code").annotate(count=Count("id")).order_by("round__code"))
    return {row["round__code"]: row["count"] for row in rows}


def catalog_ready() -> bool:
    """Whether the catalog database exists and every migration is applied (False before `station init`)."""
    try:
        connection.close()   # a fresh connection: the failed statement may have left this one aborted
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return False
