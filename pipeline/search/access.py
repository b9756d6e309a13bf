"""Who may see ID numbers unmasked in search results, and the audit of every unmasked view."""

from __future__ import annotations

from pipeline.audit import audit_append
from pipeline.catalog.models import Candidate, Role, Staff
from pipeline.catalog.services import user_roles
from pipeline.errors import Refused
from pipeline.search.schema import SearchResult

SHOW_ID_ROLES = frozenset({Role.STATION_HEAD.value, Role.ARCHIVIST.value, Role.EXAM_AFFAIRS.value})


def show_id_authorise(*, user) -> None:
    """Refuse unless the user holds a role that may see ID numbers (站长, 档案管理员, 考务人员)."""
    if not user_roles(user) & SHOW_ID_ROLES:
        allowed = "、".join(Role(role).label for role in sorted(SHOW_ID_ROLES))
        raise Refused(f"用户“{user.username}”无权查看完整身份证号（仅{allowed}可以）。"
                      "去掉 --show-id 可查看遮挡后的结果。",
                      f"user {user.username!r} lacks a role for show-id", code="show_id_refused")


def show_id_audit(*, user, result: SearchResult) -> None:
    """Record that the user saw these items' ID numbers unmasked."""
    audit_append(actor=user.username, action="search.show_id", target=result.query[:200],
                 detail={"items": [hit.archival_code for hit in result.hits]})


def catalog_words() -> list[str]:
    """Candidate and staff names from the catalog, for jieba's user dictionary."""
    names = set(Candidate.objects.values_list("name", flat=True))
    names.update(Staff.objects.values_list("name", flat=True))
    return sorted(name for name in names if name)
