"""The last verify run, kept for the 校验 page: the whole report (personal numbers masked) in var/."""

from __future__ import annotations

import json

from django.utils import timezone

from pipeline.archive.store import write_file_atomic
from pipeline.archive.verify import verify_all
from pipeline.core.paths import DataPaths
from pipeline.core.privacy import mask_personal

REPORT = "verify-report.json"


def verify_run(*, paths: DataPaths, actor: str, progress=None) -> dict:
    """Run the full verify (as `station verify`), keep its report, and return it."""
    report = verify_all(paths, progress=progress).as_dict()
    record = json.loads(mask_personal(json.dumps({**report, "at": timezone.now().isoformat(), "by": actor},
                                                  ensure_ascii=False, default=str)))
    write_file_atomic(paths.var / REPORT, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
    try:   # the 首页's short record (h14b's dashboard), when present
        from pipeline.catalog.dashboard import verify_record
    except ImportError:
        return record
    verify_record(paths=paths, report=report)
    return record


def verify_report_last(*, paths: DataPaths) -> dict | None:
    """The last report kept, or None before the first run."""
    try:
        return json.loads((paths.var / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
