"""Role names and the roles an account holds: the bottom of the
catalog's people layer (it imports only the models, so services.py and people.py can both build on it)."""

from __future__ import annotations

from django.contrib.auth.models import User

from pipeline.catalog.models import Role
from pipeline.core.errors import BadInput

SYSTEM_ACTOR = "system"     # the operator at the station PC's shell (a CLI command without --user)


def _role(value: str) -> Role:
    by_label = {label: Role(key) for key, label in Role.choices}
    if value in Role.values:
        return Role(value)
    if value in by_label:
        return by_label[value]
    allowed = "、".join(f"{key}（{label}）" for key, label in Role.choices)
    raise BadInput(f"角色“{value}”不存在。可用角色：{allowed}", f"unknown role {value!r}", code="role_unknown")


def user_roles(user: User) -> set[str]:
    """The role codes a user holds."""
    return set(user.groups.values_list("name", flat=True))
