"""Print again a round's outstanding forms: the SAME instances (same codes, same QR), so a copy that
comes back files itself against the instance already in the catalog and nothing is superseded.

All of them, or only those staff tick: whole form kinds (`forms`) and single forms by code (`instances`,
e.g. every outstanding form of one candidate). Only 考务人员 or 站长 reprint (catalog/round_access.py).
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import FormInstance, Round
from pipeline.catalog.roles import SYSTEM_ACTOR
from pipeline.catalog.round_access import round_actor_require
from pipeline.catalog.selectors import forms_outstanding
from pipeline.core.config import get_config
from pipeline.core.errors import BadInput
from pipeline.forms.registry import FORMS
from pipeline.forms.service import (
    PRINT_DIR,
    Batch,
    Generated,
    Progress,
    Rendering,
    _chunks,
    _stem,
    _write_merged,
    default_workers,
    forms_build,
    planning_order,
    spec_get,
    start_pool,
)

ROUND_BUILT = ("candidate", "round", "room-sitting", "handover", "staff")   # rebuilt from the round alone


def reprint_selection(*, round_: Round, forms: Collection[str] | None = None,
                      instances: Collection[str] | None = None) -> tuple[list[FormInstance], dict[str, str]]:
    """The outstanding forms chosen (all when neither forms nor instances is given), and per form key why a
    chosen code is left out (it came back or was voided meanwhile); BadInput for a name that does not exist."""
    found = forms_outstanding(round_=round_)
    if forms is None and instances is None:
        return found, {}
    kinds, codes = set(forms or ()), {c.strip() for c in instances or () if c.strip()}
    unknown = sorted(kinds - set(FORMS))
    if unknown:
        raise BadInput(f"没有表单“{'、'.join(unknown)}”（station forms list 查看表单代码）。",
                       f"unknown forms {unknown}", code="form_unknown")
    stale = codes - {i.code for i in found}
    known = dict(FormInstance.objects.filter(round=round_, code__in=stale).values_list("code", "form"))
    if stale - set(known):
        missing = "、".join(sorted(stale - set(known)))
        raise BadInput(f"批次 {round_.code} 没有编号为 {missing} 的表单，请核对编号"
                       f"（网页上刷新后重新勾选；命令行用 station rounds outstanding {round_.code} 查看）。",
                       f"no instances {missing} in {round_.code}", code="instance_not_found")
    left_out: dict[str, list[str]] = defaultdict(list)
    for code, form in sorted(known.items()):
        left_out[form].append(code)
    chosen = [i for i in found if i.form in kinds or i.code in codes]
    if not chosen:
        raise BadInput("没有可补打的表单：未选择任何表单，或所选的表单都已交回归档或作废。请重新选择要补打的表单。",
                       f"nothing outstanding selected in {round_.code}", code="reprint_nothing")
    return chosen, {form: f"{'、'.join(c)} 已交回归档或已作废，未补打。" for form, c in left_out.items()}


def forms_reprint_outstanding(*, round_: Round, out: Path, workers: int | None = None,
                              progress: Progress | None = None, actor: str = SYSTEM_ACTOR,
                              forms: Collection[str] | None = None,
                              instances: Collection[str] | None = None) -> Batch:
    """Render the round's outstanding forms (or only the chosen kinds and codes) again under their own
    instance codes, plus one print PDF per form."""
    round_actor_require(actor=actor, action_zh="补打未交回的表单")
    chosen, left_out = reprint_selection(round_=round_, forms=forms, instances=instances)
    wanted: dict[str, dict[str, object]] = defaultdict(dict)
    batch = Batch(skipped=left_out)
    for instance in chosen:
        if spec_get(instance.form).per in ROUND_BUILT:
            wanted[instance.form][instance.subject] = instance    # the newest copy of a subject wins
        else:
            batch.skipped[instance.form] = "请用 station forms render 单独重新生成。"
    config = get_config()
    total = sum(len(v) for v in wanted.values())
    pool = start_pool(workers or default_workers()) if total > 20 else None
    print_dir = out / PRINT_DIR
    print_dir.mkdir(parents=True, exist_ok=True)
    rendering, items_of = Rendering(config, pool, progress), {}
    try:
        for form in planning_order(list(wanted)):
            spec = spec_get(form)
            items = [(wanted[form][data.subject[:100]].code, data)
                     for data in forms_build(form=form, round_=round_) if data.subject[:100] in wanted[form]]
            folder = out / spec.key
            folder.mkdir(parents=True, exist_ok=True)
            items_of[form] = (spec, items, folder)
            rendering.add(_chunks(spec, items, [folder / f"{_stem(config, c, d)}.pdf" for c, d in items], print_dir))
        written = rendering.results()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    for spec, items, _folder in items_of.values():
        for code, data in items:
            pdf = written[code]
            batch.instances.append(Generated(code=code, form=spec.key, subject_label=data.subject_label,
                                             pages=pdf.pages, pdf=pdf.path))
    _write_merged(batch, rendering.jobs, out)
    shutil.rmtree(print_dir, ignore_errors=True)
    detail: dict = {"instances": [g.code for g in batch.instances], "pages": batch.pages}
    if forms is not None or instances is not None:
        detail["selected"] = {"forms": sorted(forms or ()), "instances": sorted(instances or ())}
    audit_append(actor=actor, action="forms.reprint", target=round_.code, detail=detail)
    return batch
