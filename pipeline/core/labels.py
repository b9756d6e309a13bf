"""One table of the Chinese labels staff see for codes kept in --json and logs (roles, states) and
local display times. CLI renderers use these instead of printing keys or UTC times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pipeline.catalog.models import ArchiveItem, FormInstance, IngestJob, ReviewItem, Role

ROLE_ZH = dict(Role.choices)
STATE_ZH = {**dict(IngestJob.State.choices), **dict(ReviewItem.State.choices),
            **dict(FormInstance.Status.choices), **dict(ArchiveItem.Status.choices)}


STAGE_ZH = {"read": "读取页面", "identify": "识别二维码", "group": "分组排页", "classify": "分类",
            "normalise": "转换 PDF/A", "reserve": "分配档号", "write": "写入档案", "commit": "编目",
            "index": "建立索引", "release": "移出收件箱"}      # the ingest STAGES (pipeline/ingest/flow.py)


def stage_label(value: str) -> str:
    """An ingest stage key (classify…) as staff read it."""
    return STAGE_ZH.get(value, value)


def state_label(value: str) -> str:
    """A state or status key (filed, waiting…) as staff read it."""
    return STATE_ZH.get(value, value)


def retention_label(key: str) -> str:
    """A retention class key (exam-affairs) as its Chinese label from config/retention.toml."""
    from pipeline.core.config import get_config
    classes = get_config().retention
    return classes[key].label if key in classes else key


def retention_key(text: str) -> str | None:
    """A retention class given by key or Chinese label → its key; None if neither."""
    from pipeline.core.config import get_config
    classes, value = get_config().retention, (text or "").strip()
    if value in classes:
        return value
    return next((key for key, cls in classes.items() if cls.label == value), None)


def role_key(text: str) -> str | None:
    """A role given by key (archivist) or Chinese name (档案管理员) → its key; None if neither."""
    value = (text or "").strip()
    if value in ROLE_ZH:
        return value
    return next((key for key, label in ROLE_ZH.items() if label == value), None)


def local_time(value: str | dt.datetime | None, timezone: str | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO or aware time shown in the station's time zone as 2026-12-05 09:00 ("—" when empty)."""
    if not value:
        return "—"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if timezone is None:
        from pipeline.core.config import get_config
        timezone = get_config().station.timezone
    return moment.astimezone(ZoneInfo(timezone)).strftime(fmt)
