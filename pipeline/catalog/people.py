"""People, not user names: station accounts tied to staff records, administered by the station head.

Every account belongs to a person — a `Staff` record (`Staff.user`); two accounts are the same person
when they are tied to the same staff record or to staff records with the same ID number. Separation
of duties compares persons (`same_person`). Every user and role change is an audit entry; the audit
log is replayed to tell which accounts and roles were given lawfully (`account_problems`): a user or
role that the log does not account for (a raw INSERT, Django's createsuperuser) is refused at the
moment it is used and named by `station verify`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import AuditEntry, Role, Staff
from pipeline.catalog.roles import _role, user_roles
from pipeline.core.domain import IdNumber, mask_id
from pipeline.core.errors import BadInput, Conflict, NotFound, Refused

HEAD = Role.STATION_HEAD.value
INIT_ACTOR = "init"
USER_ACTIONS = ("user.add", "user.grant", "user.revoke", "user.disable", "user.enable")
ROLE_ZH = dict(Role.choices)


# ---------------------------------------------------------------- persons

def person_key(staff: Staff | None, username: str = "") -> str:
    """Who an account is: the staff record's ID number (hashed), else its badge, else the account itself."""
    if staff is None:
        return f"user:{username}"
    if staff.id_number:
        return "id:" + hashlib.sha256(staff.id_number.strip().upper().encode()).hexdigest()[:20]
    return f"staff:{staff.badge_number}"


def user_person(username: str) -> str:
    """The person key of a station account (by username)."""
    return person_key(Staff.objects.filter(user__username=username).first(), username)


def same_person(first: str, second: str) -> bool:
    """True when two usernames are the same account or accounts of the same person."""
    if not first or not second:
        return False
    return first == second or user_person(first) == user_person(second)


# ---------------------------------------------------------------- what the audit log accounts for

@dataclass
class Account:
    """One account as the audit log says it should be."""

    roles: set[str] = field(default_factory=set)
    active: bool = True
    person: str | None = None       # None: filed before persons were recorded (not compared)


def accounts_expected(username: str | None = None) -> dict[str, Account]:
    """username → Account, replayed from the user.* audit entries in order."""
    entries = AuditEntry.objects.filter(action__in=USER_ACTIONS).order_by("seq")
    if username is not None:
        entries = entries.filter(target=username)
    accounts: dict[str, Account] = {}
    for entry in entries:
        detail = entry.detail or {}
        roles = set(detail.get("roles") or [])
        if entry.action == "user.add":
            accounts[entry.target] = Account(roles=roles, person=detail.get("person"))
            continue
        account = accounts.setdefault(entry.target, Account(active=False))
        if entry.action == "user.grant":
            account.roles |= roles
        elif entry.action == "user.revoke":
            account.roles -= roles
        else:
            account.active = entry.action == "user.enable"
    return accounts


def account_problems(user: User, expected: Account | None) -> list[tuple[str, str]]:
    """(kind, Chinese message) for each way the database account differs from the audit log."""
    name = user.username
    problems = []
    if user.is_superuser or user.is_staff:
        problems.append(("user_superuser", f"用户“{name}”带有 Django 管理员标志（superuser/staff），"
                                           "本系统从不设置该标志"))
    if expected is None:
        return [("user_unaccounted", f"用户“{name}”在数据库中存在，但审计日志中没有站长建立该用户的记录"
                                     "（可能是直接写入数据库或用 createsuperuser 建立的）"), *problems]
    roles = user_roles(user)
    for role in sorted(roles - expected.roles):
        problems.append(("role_unaccounted", f"用户“{name}”的角色“{ROLE_ZH.get(role, role)}”在审计日志中没有"
                                             "站长授予的记录（可能是直接写入数据库的）"))
    for role in sorted(expected.roles - roles):
        problems.append(("role_missing", f"用户“{name}”的角色“{ROLE_ZH.get(role, role)}”按审计日志应存在，"
                                         "但数据库中没有（被直接删除）"))
    if user.is_active and not expected.active:
        problems.append(("user_reenabled", f"用户“{name}”已按审计日志停用，但数据库中仍为启用"))
    if expected.person is not None and user_person(name) != expected.person:
        problems.append(("person_changed", f"用户“{name}”所关联的工作人员与建立该用户时审计日志记录的不同"))
    return problems


def accounts_check() -> list[tuple[str, str, str]]:
    """(kind, username, message) for every account or role the audit log does not account for."""
    expected = accounts_expected()
    found = []
    for user in User.objects.order_by("username"):
        found += [(kind, user.username, message)
                  for kind, message in account_problems(user, expected.get(user.username))]
    for name in sorted(set(expected) - set(User.objects.values_list("username", flat=True))):
        found.append(("user_missing", name, f"审计日志中建立的用户“{name}”在数据库中不存在（被直接删除）"))
    return found


def account_require_accounted(user: User) -> None:
    """Refuse an account whose roles or person the audit log does not account for."""
    problems = account_problems(user, accounts_expected(user.username).get(user.username))
    if problems:
        raise Refused(f"用户“{user.username}”的账号或角色未经站长依法设置，操作未执行；"
                      "请报告站长并运行 station verify。",
                      f"account {user.username!r} not accounted for: {[k for k, _ in problems]}",
                      code="account_unaccounted", problems=[m for _, m in problems])


def user_roles_checked(user: User) -> set[str]:
    """The roles a user holds, for a permission check: refused when the audit log does not account for them."""
    account_require_accounted(user)
    return user_roles(user)


def role_require(actor: User, roles: tuple[str, ...], action_zh: str) -> None:
    """Refused unless the actor holds one of the roles and the account is accounted for in the audit log."""
    if not user_roles(actor) & set(roles):
        need = "或".join(ROLE_ZH[r] for r in roles)
        raise Refused(f"用户“{actor.username}”无权{action_zh}：需要{need}角色。",
                      f"{actor.username} lacks role {roles} for {action_zh}", code="role_required")
    account_require_accounted(actor)



def require_station_head(user: User) -> None:
    """Refuse unless user holds the station head role, given as the audit log records (superuser is not enough)."""
    if not user or HEAD not in user_roles(user):
        who = getattr(user, "username", "")
        raise Refused(f"此操作须由站长本人验证身份后执行；用户“{who}”不是站长。",
                      f"{who!r} is not a station head", code="station_head_required")
    account_require_accounted(user)


def head_exists() -> bool:
    """True when some account holds the station head role."""
    return User.objects.filter(groups__name=HEAD, is_active=True).exists()


# ---------------------------------------------------------------- administration

def roles_parse(roles: list[str]) -> list[str]:
    """Role keys from keys or Chinese labels; BadInput naming an unknown one or none given."""
    values = sorted({_role(r).value for r in roles})
    if not values:
        raise BadInput("请至少指定一个角色（--role）。", "no role given", code="role_missing")
    return values


def _check_password(password: str) -> None:
    try:
        validate_password(password)
    except ValidationError as exc:
        raise BadInput("密码不符合要求：至少 8 位。", f"weak password: {exc.messages}", code="password_weak") from exc


def _staff_for(*, username: str, staff_badge: str, full_name: str, id_number: str, roles: list[str]) -> Staff:
    """The staff record the new account belongs to: an imported one by badge, or a new one."""
    if staff_badge:
        staff = Staff.objects.filter(badge_number=staff_badge.strip()).first()
        if staff is None:
            raise NotFound(f"没有工号为“{staff_badge}”的工作人员（先用 station import staff 导入）。",
                           f"no staff {staff_badge}", code="staff_not_found")
        if staff.user_id:
            raise Conflict(f"工作人员 {staff.name}（{staff.badge_number}）已有账号“{staff.user.username}”，"
                           "一人只能关联一个账号。", f"staff {staff_badge} already has an account", code="staff_linked")
        return staff
    if not full_name.strip() or not id_number.strip():
        raise BadInput("每个账号须关联一名工作人员：请用 --staff 给出已导入的工号，或用 --full-name 与 --id-number "
                       "给出本人姓名和身份证号。", "account without a person", code="person_missing")
    try:
        number = IdNumber.parse(id_number).value
    except ValueError as exc:
        raise BadInput(f"身份证号有误：{exc}", f"bad id number {mask_id(id_number)}", code="id_invalid") from None
    return Staff.objects.create(name=full_name.strip(), badge_number=f"U-{username}"[:32], roles=roles,
                                id_number=number)


def _create(*, actor: str, username: str, password: str, roles: list[str], staff_badge: str,
            full_name: str, id_number: str) -> User:
    values = roles_parse(roles)
    if not username.strip():
        raise BadInput("用户名不能为空。", "empty username", code="username_missing")
    _check_password(password)
    try:
        with transaction.atomic():
            staff = _staff_for(username=username, staff_badge=staff_badge, full_name=full_name,
                               id_number=id_number, roles=values)
            user = User.objects.create_user(username=username, password=password,
                                            first_name=full_name.strip() or staff.name)
            user.groups.add(*[Group.objects.get_or_create(name=role)[0] for role in values])
            Staff.objects.filter(pk=staff.pk).update(user=user)
            audit_append(actor=actor, action="user.add", target=username,
                         detail={"roles": values, "staff": staff.badge_number, "person": person_key(staff)})
    except IntegrityError as exc:
        raise Conflict(f"用户“{username}”已存在。", f"user {username} exists", code="user_exists") from exc
    return user


def head_create_first(*, username: str, password: str, full_name: str, id_number: str = "",
                      staff_badge: str = "") -> User:
    """The first station head, made by `station init` while no head exists (afterwards: only by a head)."""
    if head_exists():
        raise Refused("已有站长账号：新增用户须由站长本人验证身份后执行（station users add … --user 站长用户名）。",
                      "a station head exists", code="head_exists")
    return _create(actor=INIT_ACTOR, username=username, password=password, roles=[HEAD],
                   staff_badge=staff_badge, full_name=full_name, id_number=id_number)


def user_add(*, actor: User, username: str, password: str, roles: list[str], staff_badge: str = "",
             full_name: str = "", id_number: str = "") -> User:
    """A station head adds an account for one person (a staff record) with roles; audited."""
    require_station_head(actor)
    return _create(actor=actor.username, username=username, password=password, roles=roles,
                   staff_badge=staff_badge, full_name=full_name, id_number=id_number)


def _target(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"没有用户“{username}”（station users list 查看）。", f"no user {username}",
                       code="user_not_found")
    return user


def user_grant(*, actor: User, username: str, roles: list[str]) -> User:
    """A station head gives roles to an account; audited."""
    require_station_head(actor)
    values = sorted({_role(r).value for r in roles})
    user = _target(username)
    with transaction.atomic():
        user.groups.add(*[Group.objects.get_or_create(name=role)[0] for role in values])
        audit_append(actor=actor.username, action="user.grant", target=username, detail={"roles": values})
    return user


def user_revoke(*, actor: User, username: str, roles: list[str]) -> User:
    """A station head takes roles away from an account (not the last head's own head role); audited."""
    require_station_head(actor)
    values = sorted({_role(r).value for r in roles})
    user = _target(username)
    if HEAD in values and not User.objects.filter(groups__name=HEAD, is_active=True).exclude(pk=user.pk).exists():
        raise Refused("不能撤销最后一位站长的站长角色。", "last head", code="last_head")
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=values))
        audit_append(actor=actor.username, action="user.revoke", target=username, detail={"roles": values})
    return user


def user_set_active(*, actor: User, username: str, active: bool) -> User:
    """A station head disables (or enables again) an account; audited."""
    require_station_head(actor)
    user = _target(username)
    if user.pk == actor.pk and not active:
        raise Refused("不能停用自己的账号。", "disable self", code="disable_self")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        audit_append(actor=actor.username, action="user.enable" if active else "user.disable", target=username)
    user.refresh_from_db()
    return user


def users_list() -> list[dict]:
    """Every account with its roles, person (staff) and state."""
    staff = {s.user_id: s for s in Staff.objects.exclude(user=None)}
    return [{"username": u.username, "full_name": u.first_name, "roles": sorted(user_roles(u)),
             "staff": staff[u.pk].badge_number if u.pk in staff else "", "active": u.is_active}
            for u in User.objects.order_by("username")]


def user_password_change(*, user: User, old_password: str, new_password: str) -> User:
    """A user changes their own password (the old one required, at least 8 characters); audited."""
    if not user.check_password(old_password):
        raise Refused("原密码不正确，密码未更改。", f"{user.username}: wrong old password", code="password_wrong")
    _check_password(new_password)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_append(actor=user.username, action="user.password", target=user.username)
    return user
