"""Per-group decisions of a scanned stack that need more than the grouping: forms the archive does
not keep, reprints and superseded prints, and setting one group's pages aside when it fails.

Each form group of a stack is decided on its own (filed, sent to review with a reason, or set
aside): a group that raises is quarantined as an extract of its own pages, and the rest of the
stack goes on (STYLE.md: a failure in one part of a batch is that part's failure only).
"""

from __future__ import annotations

import hashlib
import logging
import os
import traceback
from dataclasses import dataclass
from pathlib import Path

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import ArchiveItem, FormInstance
from pipeline.core.errors import StationError
from pipeline.core.paths import DataPaths
from pipeline.forms.registry import FORMS
from pipeline.ingest.normalise import original_extract
from pipeline.ingest.pages import sniff_format
from pipeline.ingest.quarantine import quarantine_file

log = logging.getLogger(__name__)

ACTOR = "ingest"
# Why a form that comes back scanned is not kept in the archive (registry: no retention class).
NOT_ARCHIVED_WHY = {
    "admission-ticket": "准考证由考生本人保存",
    "badge": "胸卡由工作人员本人佩戴，用后收回",
}


@dataclass(frozen=True)
class Decision:
    """A group that waits for a person: English kind and detail, Chinese message."""

    kind: str
    message: str
    detail: str


def page_list(page_indices: list[int]) -> str:
    """1-based scan pages as staff read them: 3–5 or 2、7."""
    numbers = [i + 1 for i in page_indices]
    if len(numbers) > 1 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}–{numbers[-1]}"
    return "、".join(map(str, numbers))


def not_archived(instance: FormInstance, page_indices: list[int]) -> Decision | None:
    """A scanned form the archive does not keep (admission ticket, badge): to review, to be discarded."""
    spec = FORMS.get(instance.form)
    if spec is None or spec.filed or instance.retention_class:
        return None
    why = NOT_ARCHIVED_WHY.get(instance.form, f"《{spec.name_zh}》不属于归档范围")
    return Decision("not_archived",
                    f"此表不归档（{why}）：{instance.title}，扫描文件第 {page_list(page_indices)} 页。"
                    "核对后请用 station review discard 剔除（页面保留在 processed/discarded/）。",
                    f"form {instance.form} ({instance.code}) has no retention class: not archived")


def _filed_code(instance: FormInstance) -> str:
    """The 档号 an instance was filed under, or ""."""
    item = ArchiveItem.objects.filter(form_instance=instance).order_by("id").first()
    return item.archival_code if item else ""


def _older(instance: FormInstance) -> list[FormInstance]:
    """The earlier prints this instance replaces, nearest first (the chain of superseded_by links)."""
    found, frontier = [], [instance]
    while frontier and len(found) < 50:
        frontier = list(FormInstance.objects.filter(superseded_by__in=frontier).order_by("-created_at"))
        found += frontier
    return found


def reprint_conflict(instance: FormInstance, page_indices: list[int]) -> Decision | None:
    """A scan of a superseded print, or of a reprint whose earlier print is already filed: to review."""
    pages = page_list(page_indices)
    if instance.status == FormInstance.Status.SUPERSEDED or instance.superseded_by_id:
        newer = instance.superseded_by
        if newer is None:
            return Decision("superseded_instance",
                            f"《{instance.title}》（表单 {instance.code}，扫描文件第 {pages} 页）已作废"
                            f"（{instance.supersede_reason or '数据已更正'}），需重印后签字再扫描。"
                            "请核对后用 station review discard 剔除此页。",
                            f"instance {instance.code} superseded without a reprint yet")
        code = _filed_code(newer)
        state = f"新版已归档为 {code}" if code else "新版尚未归档"
        return Decision("superseded_instance",
                        f"《{instance.title}》扫描文件第 {pages} 页是旧版（表单 {instance.code}），"
                        f"已重印为表单 {newer.code}，{state}。请核对：旧版不需保留时用 station review discard 剔除，"
                        "确需保留时用 station review file 作为补充材料归档。",
                        f"instance {instance.code} superseded by {newer.code} (filed as {code or '-'})")
    for older in _older(instance):
        code = _filed_code(older)
        if code:
            return Decision("reprint_of_filed",
                            f"《{instance.title}》（表单 {instance.code}，扫描文件第 {pages} 页）是重印版，"
                            f"而旧版（表单 {older.code}）已归档为 {code}。请核对两份内容："
                            "新版需归档时用 station review file 归档，不需要时用 station review discard 剔除。",
                            f"instance {instance.code} reprints {older.code}, already filed as {code}")
    return None


def group_set_aside(*, paths: DataPaths, job, source: Path, work_dir: Path, page_indices: list[int],
                    stage: str, exc: Exception) -> Path:
    """Quarantine one group's own pages (cut from the scan, bytes as received) with why; return the file."""
    what = page_list(page_indices)
    name = Path(job.source_name)
    runs = what.replace("–", "-").replace("、", "_")
    extract_name = f"{name.stem}.p{runs}{'.pdf' if sniff_format(source) == 'pdf' else '.tif'}"
    work_dir.mkdir(parents=True, exist_ok=True)
    extract = work_dir / f"aside-{runs}-{extract_name}"
    original_extract(source, page_indices, extract)
    sha = hashlib.sha256(extract.read_bytes()).hexdigest()
    if isinstance(exc, StationError):
        log.warning("set aside %s pages %s at %s: %s %s", job.source_name, what, stage, exc.code, exc.detail)
        error = {**exc.as_dict(), "message": f"文件 {job.source_name} 第 {what} 页：{exc.message_zh}"
                 "（其余页面已照常处理。）"}
    else:
        log.exception("unexpected error at %s on %s pages %s", stage, job.source_name, what)
        error = {"code": "internal_error", "detail": f"{stage} pages {what}: {traceback.format_exc()}",
                 "message": f"处理文件 {job.source_name} 第 {what} 页时发生内部错误（步骤 {stage}）。"
                            f"这几页已单独隔离为 {extract_name}，其余页面已照常处理；请联系系统维护人员查看日志 "
                            "var/station.log，问题解决后执行 station quarantine retry。"}
    target = quarantine_file(paths=paths, source=extract, sha256=sha, error={**error, "stage": stage},
                             category_hint=job.category_hint, original_name=extract_name)
    if extract.exists():
        os.unlink(extract)
    audit_append(actor=ACTOR, action="ingest.set_aside", target=job.sha256,
                 detail={"source": job.source_name, "pages": [i + 1 for i in page_indices],
                         "code": error.get("code"), "as": target.name})
    return target
