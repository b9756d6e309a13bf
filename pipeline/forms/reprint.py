"""Print again a round's outstanding forms: the SAME instances (same codes, same QR), so a copy that
comes back files itself against the instance already in the catalog and nothing is superseded."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import Round
from pipeline.catalog.selectors import forms_outstanding
from pipeline.core.config import get_config
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


def forms_reprint_outstanding(*, round_: Round, out: Path, workers: int | None = None,
                              progress: Progress | None = None, actor: str = "system") -> Batch:
    """Render the round's outstanding forms again under their own instance codes, plus one print PDF per form."""
    wanted: dict[str, dict[str, object]] = defaultdict(dict)
    batch = Batch()
    for instance in forms_outstanding(round_=round_):
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
    audit_append(actor=actor, action="forms.reprint", target=round_.code,
                 detail={"instances": [g.code for g in batch.instances], "pages": batch.pages})
    return batch
