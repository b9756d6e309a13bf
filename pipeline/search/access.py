"""Who may see what in search results: ID numbers unmasked, restricted items' content; and the
audit of every such view."""

from __future__ import annotations

from pipeline.archive.audit import audit_append
from pipeline.catalog.items import RESTRICTED_ROLES
from pipeline.catalog.models import Candidate, Role, Staff
from pipeline.catalog.people import user_roles_checked
from pipeline.core.errors import Refused
from pipeline.search import search
from pipeline.search.schema import SearchFilters, SearchResult
from pipeline.search.snippets import mask_ids

SHOW_ID_ROLES = frozenset({Role.STATION_HEAD.value, Role.ARCHIVIST.value, Role.EXAM_AFFAIRS.value})


def show_id_authorise(*, user, roles: set[str] | None = None) -> None:
    """Refuse unless the user holds a role that may see ID numbers (站长, 档案管理员, 考务人员);
    roles: the user's checked roles when already known."""
    if not (user_roles_checked(user) if roles is None else roles) & SHOW_ID_ROLES:
        allowed = "、".join(Role(role).label for role in sorted(SHOW_ID_ROLES))
        raise Refused(f"用户“{user.username}”无权查看完整身份证号（仅{allowed}可以）。"
                      "去掉 --show-id 可查看遮挡后的结果。",
                      f"user {user.username!r} lacks a role for show-id", code="show_id_refused")


def show_id_audit(*, user, result: SearchResult) -> None:
    """Record that the user saw these items' ID numbers unmasked."""
    audit_append(actor=user.username, action="search.show_id", target=mask_ids(result.query)[:200],
                 detail={"items": [hit.archival_code for hit in result.hits]})


def search_for(*, user, query: str, filters: SearchFilters | None = None, limit: int = 20,
               show_id: bool = False, snippets_for: range | None = None) -> SearchResult:
    """Search as this user (None: nobody signed in): restricted items' content only for the roles
    that handle them (站长, 档案管理员, 试卷保密人员), every such view in the audit log."""
    roles = user_roles_checked(user) if user is not None else set()
    if show_id:
        show_id_authorise(user=user, roles=roles)
    see = bool(roles & RESTRICTED_ROLES)
    result = search(query, filters, limit, show_id=show_id, see_restricted=see, snippets_for=snippets_for)
    if show_id:
        show_id_audit(user=user, result=result)
    shown = [hit.archival_code for hit in result.hits if hit.restricted and not hit.withheld]
    if shown:
        audit_append(actor=user.username, action="search.restricted", target=mask_ids(query)[:200],
                     detail={"items": shown})
    return result


def catalog_words() -> list[str]:
    """Candidate and staff names from the catalog, for jieba's user dictionary."""
    names = set(Candidate.objects.values_list("name", flat=True))
    names.update(Staff.objects.values_list("name", flat=True))
    return sorted(name for name in names if name)
