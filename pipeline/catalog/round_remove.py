"""Removing a round imported by mistake: only while nothing of it has come back or been filed."""

from __future__ import annotations

import shutil

from django.db import transaction

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import ArchiveItem, FormInstance, Round, Score
from pipeline.catalog.round_access import round_actor_require
from pipeline.catalog.services import SYSTEM_ACTOR, round_get
from pipeline.core.errors import BadInput, Conflict
from pipeline.core.paths import data_paths
from pipeline.forms.registry import FORMS


def _filed(round_: Round) -> list[str]:
    """What of the round is already on record: archive items, scanned or filed forms, scores."""
    found = []
    items = ArchiveItem.objects.filter(round_code=round_.code)
    if items.exists():
        codes = list(items.order_by("archival_code").values_list("archival_code", flat=True)[:5])
        found.append(f"已归档 {items.count()} 件（{'、'.join(codes)}{'…' if items.count() > 5 else ''}）")
    back = round_.forms.filter(status__in=(FormInstance.Status.SCANNED, FormInstance.Status.FILED))
    for form in sorted(set(back.values_list("form", flat=True))):
        spec = FORMS.get(form)
        found.append(f"《{spec.name_zh if spec else form}》{back.filter(form=form).count()} 份已扫描回收")
    scores = Score.objects.filter(candidate__round=round_).count()
    if scores:
        found.append(f"已录入 {scores} 名考生的成绩")
    return found


def round_remove(*, code: str, reason: str, actor: str = SYSTEM_ACTOR) -> dict:
    """Delete a round with its candidates, photos, plan and unreturned forms; refused once anything is filed."""
    round_actor_require(actor=actor, action_zh="删除鉴定批次")
    round_ = round_get(code)
    if not reason.strip():
        raise BadInput("请用 --reason 写明删除批次的原因（记入审计日志）。", "no reason", code="reason_missing")
    filed = _filed(round_)
    if filed:
        raise Conflict(f"批次 {code} 已有材料归档或回收，不能删除：" + "；".join(filed) + "。"
                       "请改用 station candidates edit/remove 更正个别考生。",
                       f"round {code} has filed material", code="round_filed", problems=filed)
    with transaction.atomic():
        counts = {"candidates": round_.candidates.count(), "forms": round_.forms.count(),
                  "seats": round_.seats.count(), "duties": round_.duties.count()}
        round_.forms.all().delete()
        round_.seats.all().delete()
        round_.duties.all().delete()
        round_.candidates.all().delete()
        round_.delete()
        audit_append(actor=actor, action="round.remove", target=code, detail={"reason": reason, **counts})
        photos = data_paths().photos / code
        transaction.on_commit(lambda: shutil.rmtree(photos, ignore_errors=True))
    return {"round": code, **counts}
