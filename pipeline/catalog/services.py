"""Writes to the catalog: rounds; roles and authentication (accounts: people.py). Keyword-only, named <entity>_<action>.

Import, forms, ingest and retention services live in their own modules beside this one.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import Round
from pipeline.catalog.roles import SYSTEM_ACTOR, _role, user_roles  # noqa: F401 — imported from here by callers
from pipeline.catalog.round_access import round_actor_require
from pipeline.core.errors import BadInput, Conflict, NotFound, Refused


def round_add(*, code: str, name: str, theory_at: dt.datetime | None = None,
              practical_at: dt.datetime | None = None, actor: str = SYSTEM_ACTOR) -> Round:
    """Create an appraisal round with its short code (考务人员 or 站长: round_access.py)."""
    round_actor_require(actor=actor, action_zh="建立鉴定批次")
    code = code.strip()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise BadInput(f"批次代码“{code}”无效：请使用 1–32 位字母、数字、- 或 _，例如 2026-12。",
                       f"invalid round code {code!r}", code="round_code_invalid")
    if theory_at and practical_at and practical_at.date() < theory_at.date():
        raise BadInput("实操考核日期早于理论考试日期，请检查 --theory 与 --practical。",
                       f"practical {practical_at} before theory {theory_at}", code="round_dates")
    try:
        with transaction.atomic():
            round_ = Round.objects.create(code=code, name=name, theory_at=theory_at, practical_at=practical_at)
            audit_append(actor=actor, action="round.add", target=code,
                         detail={"name": name, "theory_at": theory_at, "practical_at": practical_at})
    except IntegrityError as exc:
        raise Conflict(f"批次代码“{code}”已存在，请换一个代码或使用 station rounds show {code} 查看。",
                       f"round {code} exists", code="round_exists") from exc
    return round_


def round_get(code: str) -> Round:
    """The round with this code, or a NotFound naming it."""
    try:
        return Round.objects.get(code=code)
    except Round.DoesNotExist:
        raise NotFound(f"没有代码为“{code}”的鉴定批次。用 station rounds list 查看已有批次。",
                       f"no round {code}", code="round_not_found") from None


def user_authenticate(*, username: str, password: str) -> User:
    """The user if the password is right, else Refused (the same message either way)."""
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise Refused(f"用户名或密码错误（用户“{username}”），操作未执行。",
                      f"authentication failed for {username!r}", code="auth_failed")
    return user
