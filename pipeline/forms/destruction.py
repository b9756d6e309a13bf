"""档案销毁清册 from a real destruction batch: 序号, 档号, 题名, 年度, 应保管期限, 已保管期限, 页数,
鉴定意见, 备注, with the proposer (编制人), approver and the two witnesses (第十八条(一)3、第二十六条(十)).
The only builder of "destruction-register"; its signed copy files itself by the QR on every page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from pipeline.archive.retention import elapsed_zh
from pipeline.catalog.models import DestructionBatch, DestructionEntry, FormInstance
from pipeline.core.config import get_config
from pipeline.core.errors import Conflict, NotFound
from pipeline.forms.anchor import audit_anchor_context
from pipeline.forms.builders import InstanceData, register, zh_date
from pipeline.forms.registry import FORMS
from pipeline.forms.service import forms_generate


def person_names(usernames: list[str], *, with_username: bool = True) -> dict[str, str]:
    """Printable name per station username: '王站长（head）' (or '王站长') when a full name is on file,
    else the username."""
    full = dict(User.objects.filter(username__in=[u for u in usernames if u]).values_list("username", "first_name"))
    return {u: (f"{full[u]}（{u}）" if with_username else full[u]) if full.get(u) and full[u] != u else u
            for u in usernames if u}


def _day(moment: dt.datetime | None) -> dt.date | None:
    """The local date of a stored moment."""
    return timezone.localtime(moment).date() if moment else None


def _period(retention_class: str, code: str) -> str:
    cls = get_config().retention.get(retention_class)
    if code == "Y" or (cls and cls.permanent):
        return "永久"
    return f"{cls.years}年" if cls else code


def register_row(number: int, entry: DestructionEntry, as_of: dt.date, executed: bool = False) -> dict:
    """One line of the register, for the template and the JSON view."""
    item = entry.item
    agreed = "已销毁" if executed else "到期，同意销毁"
    return {"number": number, "archival_code": item.archival_code, "title": item.title, "year": item.year,
            "retention": _period(item.retention_class, item.retention_code),
            "elapsed": elapsed_zh(item.clock_start, as_of), "pages": item.pages,
            "opinion": "不销毁" if entry.struck else agreed,
            "note": entry.struck_reason if entry.struck else "",
            "doc_date": item.doc_date.isoformat(), "due_date": item.due_date.isoformat() if item.due_date else ""}


def signers(batch: DestructionBatch) -> list[dict]:
    """编制人, 批准人, 监销人 ×2 in FormSpec order: name and date when known, else blank for the hand."""
    witnesses = list(batch.witnesses.order_by("at").values_list("user", "at"))[:2]
    witnesses += [("", None)] * (2 - len(witnesses))
    people = [(batch.proposed_by, batch.proposed_at), (batch.approved_by, batch.approved_at), *witnesses]
    names = person_names([user for user, _ in people])
    return [{"role": role, "name": names.get(user, ""), "date": zh_date(_day(at)) if user else zh_date(None)}
            for role, (user, at) in zip(FORMS["destruction-register"].signatures, people, strict=False)]


EXECUTED_SUFFIX = ":executed"


def register_data(batch: DestructionBatch) -> InstanceData:
    """The register of one batch as plain data; once executed, the final register (a record of its own)."""
    as_of = batch.as_of or timezone.localdate()
    executed = batch.state == DestructionBatch.State.EXECUTED
    entries = batch.entries.select_related("item").order_by("item__archival_code")
    rows = [register_row(number, entry, as_of, executed) for number, entry in enumerate(entries, 1)]
    witnesses = list(batch.witnesses.order_by("at").values_list("user", flat=True))
    kept = [r for r in rows if r["opinion"] != "不销毁"]
    names = person_names([batch.executed_by, *witnesses])
    final = {"executed": executed, "executed_at": zh_date(_day(batch.executed_at)) if executed else "",
             "executed_by": names.get(batch.executed_by, "") if executed else "",
             "witness_names": "、".join(names.get(w, w) for w in witnesses) if executed else ""}
    return InstanceData(
        form="destruction-register", subject=batch.code + (EXECUTED_SUFFIX if executed else ""),
        subject_label=f"销毁批次 {batch.code}" + ("（已执行）" if executed else ""),
        title=f"档案销毁清册 {batch.code}" + ("（已执行）" if executed else ""),
        doc_date=timezone.localtime(batch.executed_at if executed else batch.proposed_at).date(),
        context={"batch": batch.code, "as_of": zh_date(as_of), "opinion": batch.opinion,
                 "proposed_by": batch.proposed_by, "approved_by": batch.approved_by,
                 "witnesses": witnesses + [""] * (2 - len(witnesses)), "signers": signers(batch), "rows": rows,
                 "total_pages": sum(r["pages"] for r in kept), "count": len(kept),
                 "struck": len(rows) - len(kept), **final, **audit_anchor_context()})


@register("destruction-register")
def build_destruction_register(round_=None, subject: str | None = None, **opts) -> list[InstanceData]:
    """档案销毁清册 of one batch (subject = batch code), or of every batch still awaiting approval."""
    if subject:
        batches = list(DestructionBatch.objects.filter(code=subject.removesuffix(EXECUTED_SUFFIX)))
        if not batches:
            raise NotFound(f"没有编号为“{subject}”的销毁清册。", f"no batch {subject}", code="batch_not_found")
    else:
        batches = list(DestructionBatch.objects.filter(state=DestructionBatch.State.PROPOSED))
    return [register_data(batch) for batch in batches]


def destruction_register_render(*, batch_code: str, out, actor: str) -> list:
    """Render the register (PDF with a QR on every page, and DOCX); link the batch to its form instance."""
    result = forms_generate(form="destruction-register", round_=None, subject=batch_code,
                            formats=("pdf", "docx"), out=out, actor=actor)
    generated = result.instances[0]
    with transaction.atomic():
        batch = DestructionBatch.objects.select_for_update().get(code=batch_code)
        batch.form_instance = FormInstance.objects.get(code=generated.code)
        batch.save(update_fields=["form_instance"])
    return [path for path in (generated.pdf, generated.docx) if path]


def destruction_register_final(*, batch_code: str, out, actor: str) -> list:
    """The register of an executed batch (executed, time, executor, witnesses): a new permanent record
    with its own QR, so its signed copy files itself like the proposed one."""
    batch = DestructionBatch.objects.get(code=batch_code)
    if batch.state != DestructionBatch.State.EXECUTED:
        raise Conflict(f"销毁清册 {batch_code} 尚未执行，不能出具已执行的清册。",
                       f"batch {batch_code} is {batch.state}", code="batch_state")
    result = forms_generate(form="destruction-register", round_=None, subject=batch_code + EXECUTED_SUFFIX,
                            formats=("pdf", "docx"), out=out, actor=actor)
    generated = result.instances[0]
    return [path for path in (generated.pdf, generated.docx) if path]
