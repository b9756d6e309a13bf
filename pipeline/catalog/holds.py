"""Item retention state, due-date recompute and holds (冻结): the catalog side of retention.

Role rules are enforced here, not in a shell, and no setting switches them off.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.retention import ItemState, blockers, due_date, rules_changes, rules_digest
from pipeline.catalog.models import ArchiveItem, Hold, Loan, RetentionRules, Role, Round
from pipeline.catalog.people import role_require
from pipeline.core.config import StationConfig
from pipeline.core.errors import BadInput, Conflict, NotFound

log = logging.getLogger("pipeline.archive.retention")
Progress = Callable[[int, int, str], None]
ROLE_ZH = dict(Role.choices)
OPEN_LOAN_STATES = (Loan.State.REQUESTED, Loan.State.APPROVED, Loan.State.LENT)


def item_get(code: str) -> ArchiveItem:
    """The catalog card of one 档号, or NotFound naming it."""
    try:
        return ArchiveItem.objects.get(archival_code=code.strip())
    except ArchiveItem.DoesNotExist:
        raise NotFound(f"没有档号为“{code}”的档案。请用 station search 或 station retention due 查找。",
                       f"no archive item {code}", code="item_not_found") from None


def holds_for(item: ArchiveItem) -> list[Hold]:
    """Active holds that cover the item: by its 档号, its round or its candidate."""
    scopes = Q(scope=Hold.Scope.ITEM, value=item.archival_code)
    if item.round_code:
        scopes |= Q(scope=Hold.Scope.ROUND, value=item.round_code)
    if item.candidate_id_number:
        scopes |= Q(scope=Hold.Scope.CANDIDATE, value=item.candidate_id_number)
    return list(Hold.objects.filter(scopes, released_at__isnull=True).order_by("id"))


def item_state(item: ArchiveItem, config: StationConfig) -> ItemState:
    """The plain facts the pure destruction check needs (built as for many items: register.item_states)."""
    from pipeline.catalog.register import item_states
    return item_states([item], config)[item.id]


def item_blockers(item: ArchiveItem, config: StationConfig, as_of: dt.date) -> list:
    """Why the item may not be destroyed on as_of (empty: it may)."""
    return blockers(item_state(item, config), as_of)


# ---------------------------------------------------------------- retention rules

def retention_recompute(*, config: StationConfig, actor: str) -> dict:
    """Store the rules if they changed since last seen, recompute every due date, audit who and what."""
    digest, content = rules_digest(config.retention)
    with transaction.atomic():
        last = RetentionRules.objects.select_for_update().first()
        changes = rules_changes(last.content if last else {}, content) if (not last or last.digest != digest) else []
        items = _recompute_due_dates(config)
        if not last or last.digest != digest:
            RetentionRules.objects.create(digest=digest, content=content, seen_at=timezone.now(), seen_by=actor)
        if changes or items:
            audit_append(actor=actor, action="retention.recompute", target=digest[:12],
                         detail={"old_digest": last.digest if last else None, "new_digest": digest,
                                 "rule_changes": changes, "items_changed": len(items), "items": items[:500]})
    return {"digest": digest, "previous": last.digest if last else None, "rule_changes": changes, "items": items}


def retention_check(*, config: StationConfig, actor: str) -> dict | None:
    """Recompute only when the rules changed since last seen (every retention command calls this)."""
    digest, _ = rules_digest(config.retention)
    last = RetentionRules.objects.first()
    if last and last.digest == digest:
        return None
    return retention_recompute(config=config, actor=actor)


def _recompute_due_dates(config: StationConfig) -> list[dict]:
    scores = dict(Round.objects.exclude(scores_recorded_on=None).values_list("code", "scores_recorded_on"))
    changed = []
    for item in ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED).order_by("id"):
        cls = config.retention.get(item.retention_class)
        if cls is None:
            continue
        # the round's recorded-scores day, else the clock start recorded when the item was filed
        start, due = due_date(cls, item.doc_date, scores.get(item.round_code) or item.clock_start)
        if (start, due) != (item.clock_start, item.due_date):
            changed.append({"item": item.archival_code, "old_due": item.due_date, "new_due": due})
            item.clock_start, item.due_date = start, due
            item.save(update_fields=["clock_start", "due_date"])
    return json.loads(json.dumps(changed, default=str))




# ---------------------------------------------------------------- holds

HOLD_ROLES = (Role.ARCHIVIST, Role.STATION_HEAD, Role.OFFICE_HEAD)


def hold_place(*, actor: User, reason: str, item_code: str = "", round_code: str = "",
               candidate_id_number: str = "") -> Hold:
    """Freeze one item, every item of a round, or every item of a candidate (also ones filed later)."""
    role_require(actor, HOLD_ROLES, "设置保全（冻结）")
    targets = [(s, v.strip()) for s, v in ((Hold.Scope.ITEM, item_code), (Hold.Scope.ROUND, round_code),
                                            (Hold.Scope.CANDIDATE, candidate_id_number)) if v and v.strip()]
    if len(targets) != 1:
        raise BadInput("请指定且只指定一个保全对象：档号，或 --round 批次代码，或 --candidate 身份证号。",
                       f"hold needs exactly one target, got {targets}", code="hold_target")
    if not reason.strip():
        raise BadInput("请用 --reason 写明保全原因（如：劳动争议待查）。", "hold without reason", code="hold_reason")
    scope, value = targets[0]
    item = item_get(value) if scope == Hold.Scope.ITEM else None
    if scope == Hold.Scope.ROUND and not (Round.objects.filter(code=value).exists()
                                          or ArchiveItem.objects.filter(round_code=value).exists()):
        raise NotFound(f"没有代码为“{value}”的鉴定批次或档案。", f"no round {value}", code="round_not_found")
    with transaction.atomic():
        hold = Hold.objects.create(scope=scope, value=value, item=item, reason=reason.strip(),
                                   placed_by=actor.username, placed_at=timezone.now())
        audit_append(actor=actor.username, action="hold.place", target=f"{scope}:{value}",
                     detail={"hold": hold.id, "reason": hold.reason})
    return hold


def hold_release(*, actor: User, hold_id: int, note: str = "") -> Hold:
    """Release an active hold (the item becomes destroyable again when due)."""
    role_require(actor, HOLD_ROLES, "解除保全")
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(id=hold_id).first()
        if hold is None:
            raise NotFound(f"没有编号为 {hold_id} 的保全记录（station hold list 查看）。", f"no hold {hold_id}",
                           code="hold_not_found")
        if hold.released_at:
            raise Conflict(f"保全 #{hold_id} 已于 {hold.released_at:%Y-%m-%d} 由 {hold.released_by} 解除。",
                           f"hold {hold_id} already released", code="hold_released")
        hold.released_by, hold.released_at = actor.username, timezone.now()
        hold.save(update_fields=["released_by", "released_at"])
        audit_append(actor=actor.username, action="hold.release", target=f"{hold.scope}:{hold.value}",
                     detail={"hold": hold.id, "note": note})
    return hold
