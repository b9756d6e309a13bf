"""Writes to form instances: a reprint supersedes the earlier print of the same form for the same subject.

Decision: the earlier instance is kept (never deleted), linked to its reprint (superseded_by,
superseded_at, supersede_reason) and marked SUPERSEDED — unless it is already FILED: then its
status stays FILED (the archive holds it; the status says so) and only the link is set, so a
scan of the reprint can be sent to review naming the filed one. An instance marked SUPERSEDED
earlier without a reprint (round corrections: "reprint needed") is linked to the reprint here.
Filing covers are each their own document and never supersede one another.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import FormInstance, Round
from pipeline.core.errors import Conflict

NEVER_SUPERSEDED = ("filing-cover",)
REPRINT = "重印"


def form_instance_supersede(*, old: FormInstance, new: FormInstance, actor: str,
                            reason: str = REPRINT) -> FormInstance:
    """Mark old as replaced by its reprint new (same form, same subject); audited. Returns old."""
    if old.pk == new.pk or old.form != new.form or old.subject != new.subject or old.round_id != new.round_id:
        raise Conflict(f"表单 {new.code} 不是表单 {old.code} 的重印（表单种类或对象不同），不能替代。",
                       f"{new.code} does not reprint {old.code}", code="supersede_mismatch")
    with transaction.atomic():
        locked = FormInstance.objects.select_for_update().get(pk=old.pk)
        if locked.superseded_by_id:
            return locked
        status = locked.status if locked.status == FormInstance.Status.FILED else FormInstance.Status.SUPERSEDED
        locked.status, locked.superseded_by, locked.superseded_at = status, new, timezone.now()
        locked.supersede_reason = (locked.supersede_reason or reason)[:300]
        locked.save(update_fields=["status", "superseded_by", "superseded_at", "supersede_reason"])
        audit_append(actor=actor, action="form.supersede", target=locked.code,
                     detail={"form": locked.form, "by": new.code, "reason": locked.supersede_reason,
                             "was_filed": status == FormInstance.Status.FILED})
    return locked


def form_instances_supersede_earlier(*, codes: list[str], round_: Round | None, actor: str) -> int:
    """For each newly generated instance (codes), supersede the current earlier print of the same form
    and subject in the same round; return how many were superseded."""
    new = {(fi.form, fi.subject): fi for fi in FormInstance.objects.filter(code__in=codes)
           .exclude(form__in=NEVER_SUPERSEDED).exclude(subject="")}
    if not new:
        return 0
    earlier = FormInstance.objects.filter(form__in={form for form, _ in new}, superseded_by__isnull=True,
                                          subject__in={subject for _, subject in new}).exclude(code__in=codes)
    earlier = earlier.filter(round=round_) if round_ is not None else earlier.filter(round__isnull=True)
    count = 0
    for old in earlier.order_by("created_at", "id"):
        reprint = new.get((old.form, old.subject))
        if reprint is not None:
            form_instance_supersede(old=old, new=reprint, actor=actor)
            count += 1
    return count
