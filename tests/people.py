"""Station accounts made the lawful way, for every test: the first head by init's service, every other
account by that head, each tied to its own person (a staff record with a valid ID number)."""

from __future__ import annotations

import itertools

from django.contrib.auth.models import User

from pipeline.catalog.people import head_create_first, head_exists, user_add, user_grant
from pipeline.cli.common import password_variable
from pipeline.core.domain import id_check_digit

PASSWORD = "correct-horse-1"
HEAD = "head"
_serial = itertools.count(1)


def person_id() -> str:
    """A valid (check digit) ID number, different for each call."""
    first17 = f"11010519800101{next(_serial) % 1000:03d}"
    return first17 + id_check_digit(first17)


def first_head(username: str = HEAD, *, full_name: str = "王站长", password: str = PASSWORD) -> User:
    """The first station head (as `station init --head` makes it), or the existing one."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    return head_create_first(username=username, password=password, full_name=full_name, id_number=person_id())


def make_users(spec: dict, *, head: str = HEAD, password: str = PASSWORD) -> dict[str, User]:
    """name → roles (or (roles, full name)); the head named `head` is made first if no head exists yet.

    Each account is its own person unless spec gives ("same-as", other name): then a second account of
    that person (a staff record with the same ID number)."""
    made: dict[str, User] = {}
    ids: dict[str, str] = {}
    head_user = User.objects.filter(username=head).first()
    if head_user is None and not head_exists():
        head_roles, head_name = _parts(spec.get(head, (["station_head"], "")))
        head_user = first_head(head, full_name=head_name or "王站长", password=password)
        extra = sorted(set(head_roles) - {"station_head"})
        if extra:
            user_grant(actor=head_user, username=head, roles=extra)
    made[head] = head_user
    for name, value in spec.items():
        if name == head:
            continue
        roles, full = _parts(value)
        same = value[2] if isinstance(value, tuple) and len(value) > 2 else None
        ids[name] = ids[same] if same else person_id()
        made[name] = user_add(actor=head_user, username=name, password=password, roles=roles,
                              full_name=full or name, id_number=ids[name])
    return made


def _parts(value) -> tuple[list[str], str]:
    if isinstance(value, tuple):
        return list(value[0]), value[1]
    return list(value), ""


def login_env(monkeypatch, names, *, password: str = PASSWORD) -> None:
    """Each named user's own password variable (STATION_PASSWORD_<NAME>), as an unattended script sets it."""
    for name in names:
        monkeypatch.setenv(password_variable(name), password)
