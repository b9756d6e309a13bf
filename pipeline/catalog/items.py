"""Viewing one archive item: a restricted item (exam papers) only by roles that handle them, logged."""

from __future__ import annotations

import contextlib
from pathlib import Path

from pipeline.archive.audit import audit_append
from pipeline.archive.keys import key_require
from pipeline.archive.sealed import document_plain
from pipeline.archive.store import DOCUMENT
from pipeline.catalog.holds import holds_for
from pipeline.catalog.models import ArchiveItem, AuditEntry, Role
from pipeline.catalog.people import user_roles_checked
from pipeline.catalog.sealing import secret_authorise
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode, mask_id
from pipeline.core.errors import NotFound, Refused
from pipeline.core.paths import DataPaths
from pipeline.core.privacy import mask_personal

RESTRICTED_ROLES = frozenset({Role.STATION_HEAD.value, Role.ARCHIVIST.value, Role.PAPER_CUSTODIAN.value})
FULL_ID_ROLES = frozenset({Role.STATION_HEAD.value, Role.ARCHIVIST.value, Role.EXAM_AFFAIRS.value})


def _category_restricted(code: str) -> bool:
    """True when today's config makes the item's category restricted (it may have been open at filing)."""
    category = get_config().categories.get(code)
    return bool(category and category.restricted)


def _item_lookup(code: str) -> ArchiveItem:
    """The item with this 档号 as staff typed it ("-" or "." for "·", full-width, spaces), or NotFound."""
    with contextlib.suppress(ValueError):             # not a 档号 at all: reported as not found below
        code = str(ArchivalCode.parse_typed(code))
    try:
        return ArchiveItem.objects.get(archival_code=code)
    except ArchiveItem.DoesNotExist:
        raise NotFound(f"没有档号为 {code} 的档案。可用 station search 查找。", f"no item {code}",
                       code="item_not_found") from None


def _authorise(*, item: ArchiveItem, user, roles: set[str]) -> None:
    """Refuse a restricted or secret item to a user without the right (第二十七条)."""
    code = item.archival_code
    if item.secret:
        secret_authorise(user=user, code=code, action_zh="查看")
    elif (item.restricted or _category_restricted(item.category)) and not roles & RESTRICTED_ROLES:
        allowed = "、".join(Role(role).label for role in sorted(RESTRICTED_ROLES))
        who = f"用户“{user.username}”" if user else "未指明用户（--user）"
        category = get_config().categories.get(item.category)
        kind = item.secrecy or (category.label if category else item.category)
        raise Refused(f"档案 {code} 为限制利用档案（{kind}），{who}无权查看；仅{allowed}可以。",
                      f"restricted item {code} refused to {getattr(user, 'username', None)!r}",
                      code="restricted_refused")


def item_authorise(*, code: str, user) -> ArchiveItem:
    """The item if this user may see it; a refusal is written to the audit log, then raised."""
    item = _item_lookup(code)
    roles = user_roles_checked(user) if user else set()
    try:
        _authorise(item=item, user=user, roles=roles)
    except Refused as refusal:
        audit_append(actor=getattr(user, "username", "") or "(anonymous)", action="item.view_refused",
                     target=item.archival_code, detail={"code": refusal.code})
        raise
    return item


def item_view(*, code: str, user, paths: DataPaths) -> dict:
    """An item's catalog card and file path; restricted items need a role and every view (or refusal) is audited."""
    item = item_authorise(code=code, user=user)
    code = item.archival_code
    roles = user_roles_checked(user) if user else set()
    if item.secret:
        audit_append(actor=user.username, action="item.view_secret", target=code)
    elif item.restricted or _category_restricted(item.category):
        audit_append(actor=user.username, action="item.view_restricted", target=code)
    full_id = bool(roles & FULL_ID_ROLES)
    folder = paths.archive / item.folder if item.folder else None
    return {"archival_code": item.archival_code, "title": item.title, "responsible": item.responsible,
            "doc_date": item.doc_date, "pages": item.pages, "category": item.category,
            "retention_class": item.retention_class, "due_date": item.due_date, "status": item.status,
            "restricted": item.restricted, "secret": item.secret, "encrypted": item.encrypted,
            "round_code": item.round_code, "candidate_name": item.candidate_name,
            "candidate_id_number": item.candidate_id_number if full_id else mask_id(item.candidate_id_number)
            if item.candidate_id_number else "",
            "document": str(Path(folder) / DOCUMENT) if folder and item.status == ArchiveItem.Status.FILED
            and not item.encrypted else ""}


def item_document(*, code: str, user, paths: DataPaths, inline: bool) -> tuple[ArchiveItem, bytes]:
    """The item's archival PDF (decrypted for those who may open a secret item), the delivery audited."""
    item = item_authorise(code=code, user=user)
    if item.status != ArchiveItem.Status.FILED or not item.folder:
        raise NotFound(f"档案 {item.archival_code} 已销毁，没有档案文件。", f"item {item.archival_code} not filed",
                       code="item_destroyed")
    keys = [key_require(f"打开保密档案 {item.archival_code}")] if item.encrypted else []
    data = document_plain(paths.archive / item.folder, keys)
    audit_append(actor=user.username, action="item.download", target=item.archival_code,
                 detail={"inline": inline, "bytes": len(data), "encrypted": item.encrypted})
    return item, data


def item_get(code: str) -> ArchiveItem:
    """The item with this 档号, or NotFound naming it."""
    try:
        return ArchiveItem.objects.get(archival_code=code)
    except ArchiveItem.DoesNotExist:
        raise NotFound(f"没有档号为 {code} 的档案。可用 station search 查找。", f"no item {code}",
                       code="item_not_found") from None


def item_detail(*, code: str, user, paths: DataPaths) -> dict:
    """The record page's facts: the card (item_view: checked, audited), holds, loans, the item's audit trail."""
    card = item_view(code=code, user=user, paths=paths)
    item = ArchiveItem.objects.get(archival_code=card["archival_code"])
    holds = [{"id": h.id, "scope": h.get_scope_display(), "reason": mask_personal(h.reason), "placed_by": h.placed_by,
              "placed_at": h.placed_at} for h in holds_for(item)]
    loans = [{"id": loan.id, "borrower": loan.borrower, "purpose": loan.purpose, "state": loan.get_state_display(),
              "requested_at": loan.requested_at, "due_back": loan.due_back} for loan in item.loans.order_by("-id")]
    trail = [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action}
             for e in AuditEntry.objects.filter(target=item.archival_code).order_by("seq")]
    return {"card": card, "item": item, "holds": holds, "loans": loans, "trail": trail}
