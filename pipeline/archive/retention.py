"""Pure retention rules: when an item's period starts and ends, and what blocks its destruction.

Imports nothing from Django, so it is tested without a database. The three clocks
(config/retention.toml): "document-date", "next-year" (1 January of the year after the
document's year) and "scores-recorded" (the day the round's scores were recorded, 第二十一条(八)).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from pipeline.core.config import Clock, RetentionClass


def add_years(day: dt.date, years: int) -> dt.date:
    """day plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def clock_start(cls: RetentionClass, doc_date: dt.date, scores_recorded_on: dt.date | None) -> dt.date | None:
    """The day the period starts; None when it has not started (scores not yet recorded)."""
    if cls.clock == Clock.DOCUMENT_DATE:
        return doc_date
    if cls.clock == Clock.NEXT_YEAR:
        return dt.date(doc_date.year + 1, 1, 1)
    return scores_recorded_on


def due_date(cls: RetentionClass, doc_date: dt.date,
             scores_recorded_on: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    """(clock_start, due): due is the first day the item may be destroyed; None = permanent or not started."""
    start = clock_start(cls, doc_date, scores_recorded_on)
    if cls.permanent or start is None:
        return start, None
    return start, add_years(start, cls.years)


@dataclass(frozen=True)
class Blocker:
    """One reason an item cannot be destroyed now."""

    code: str          # permanent, not_started, not_due, held, on_loan, destroyed
    message_zh: str


@dataclass(frozen=True)
class ItemState:
    """What the destruction check needs to know about one item (plain data)."""

    archival_code: str
    permanent: bool
    due: dt.date | None
    held_reasons: tuple[str, ...] = ()
    open_loans: tuple[str, ...] = ()
    destroyed: bool = False


def blockers(item: ItemState, as_of: dt.date) -> list[Blocker]:
    """Every reason the item may not be destroyed on as_of; empty list = it may be."""
    found: list[Blocker] = []
    if item.destroyed:
        found.append(Blocker("destroyed", f"{item.archival_code} 已销毁"))
    if item.permanent:
        found.append(Blocker("permanent", f"{item.archival_code} 为永久保管，不得销毁"))
    elif item.due is None:
        found.append(Blocker("not_started", f"{item.archival_code} 保管期限尚未起算（如成绩尚未登录）"))
    elif item.due > as_of:
        found.append(Blocker("not_due", f"{item.archival_code} 保管期至 {item.due.isoformat()} 方满，尚未到期"))
    for reason in item.held_reasons:
        found.append(Blocker("held", f"{item.archival_code} 已被保全（冻结）：{reason}"))
    for loan in item.open_loans:
        found.append(Blocker("on_loan", f"{item.archival_code} 有未结借阅：{loan}"))
    return found


def elapsed_zh(start: dt.date | None, as_of: dt.date) -> str:
    """已保管期限 as staff write it: 'N年M个月' from the clock start to as_of."""
    if start is None or as_of < start:
        return "—"
    months = (as_of.year - start.year) * 12 + as_of.month - start.month - (as_of.day < start.day)
    years, rest = divmod(months, 12)
    return f"{years}年{rest}个月" if rest else f"{years}年"


def rules_digest(classes: dict[str, RetentionClass]) -> tuple[str, dict]:
    """(sha256, canonical content) of the retention rules, to notice when config/ changed."""
    content = {key: cls.model_dump(mode="json") for key, cls in sorted(classes.items())}
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest(), content


def rules_changes(old: dict, new: dict) -> list[dict]:
    """Per class: what changed between two rule contents (added, removed, or old → new fields)."""
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        fields = sorted(f for f in set(before or {}) | set(after or {})
                        if (before or {}).get(f) != (after or {}).get(f))
        changes.append({"class": key, "old": before, "new": after, "fields": fields})
    return changes
