"""Viewing one archive item: a restricted item (exam papers) only by roles that handle them, logged."""

from __future__ import annotations

from pathlib import Path

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import ArchiveItem, Role
from pipeline.catalog.sealing import secret_authorise
from pipeline.catalog.people import user_roles_checked
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode, mask_id
from pipeline.core.errors import NotFound, Refused
from pipeline.core.paths import DataPaths
from pipeline.archive.store import DOCUMENT

RESTRICTED_ROLES = frozenset({Role.STATION_HEAD.value, Role.ARCHIVIST.value, Role.PAPER_CUSTODIAN.value})
FULL_ID_ROLES = frozenset({Role.STATION_HEAD.value, Role.ARCHIVIST.value, Role.EXAM_AFFAIRS.value})


def _category_restricted(code: str) -> bool:
    """True when today's config makes the item's category restricted (it may have been open at filing)."""
    category = get_config().categories.get(code)
    return bool(category and category.restricted)


def item_view(*, code: str, user, paths: DataPaths) -> dict:
    """An item's catalog card and file path; restricted items need a role and every view is audited."""
    try:
        code = str(ArchivalCode.parse_typed(code))   # "-" or "." for "·", full-width, spaces
    except ValueError:
        pass                                          # not a 档号 at all: reported as not found below
    try:
        item = ArchiveItem.objects.get(archival_code=code)
    except ArchiveItem.DoesNotExist:
        raise NotFound(f"没有档号为 {code} 的档案。可用 station search 查找。", f"no item {code}",
                       code="item_not_found") from None
    roles = user_roles_checked(user) if user else set()
    if item.secret:
        secret_authorise(user=user, code=code, action_zh="查看")
        audit_append(actor=user.username, action="item.view_secret", target=code)
    elif item.restricted or _category_restricted(item.category):
        if not roles & RESTRICTED_ROLES:
            allowed = "、".join(Role(role).label for role in sorted(RESTRICTED_ROLES))
            who = f"用户“{user.username}”" if user else "未指明用户（--user）"
            raise Refused(f"档案 {code} 为限制利用档案（{item.secrecy or '试卷'}），{who}无权查看；仅{allowed}可以。",
                          f"restricted item {code} refused to {getattr(user, 'username', None)!r}",
                          code="restricted_refused")
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


def item_get(code: str) -> ArchiveItem:
    """The item with this 档号, or NotFound naming it."""
    try:
        return ArchiveItem.objects.get(archival_code=code)
    except ArchiveItem.DoesNotExist:
        raise NotFound(f"没有档号为 {code} 的档案。可用 station search 查找。", f"no item {code}",
                       code="item_not_found") from None
