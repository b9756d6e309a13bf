"""Signing a destruction register from one's own sign-in: approve, witness and execute one frozen version.

Each step takes the version the signer was shown and the signer's password typed again; the rules of
who may sign stay in catalog/destruction.py (role, not the proposer, two distinct witnesses). These are the
functions the web pages call; the CLI's steps check the same register version through
destruction_approval_check.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import User
from django.db import transaction

from pipeline.archive.audit import audit_append
from pipeline.catalog.models import DestructionBatch, Role, Witness
from pipeline.catalog.people import role_require, same_person
from pipeline.catalog.register import OPEN_STATES, SIGNED_STATES, destruction_approval_check, register_read
from pipeline.catalog.services import user_roles
from pipeline.core.config import StationConfig
from pipeline.core.errors import BadInput, Conflict, Refused
from pipeline.core.paths import DataPaths

log = logging.getLogger("pipeline.archive.retention")


def password_confirm(*, actor: User, password: str, action_zh: str) -> None:
    """Refuse unless the signed-in user typed their own password again (a two-person step)."""
    if not password or not actor.check_password(password):
        log.warning("password re-entry failed for %s (%s)", actor.username, action_zh)
        raise Refused(
            f"密码不正确：{action_zh}须由本人再次输入自己的登录密码。操作未执行。",
            f"password re-entry failed for {actor.username}",
            code="password_wrong",
        )


def _seen(register_version_now: str, seen: str, batch: DestructionBatch) -> None:
    if seen != register_version_now:
        raise Conflict(
            f"销毁清册 {batch.code} 在您打开之后已变更（您看到的版本 {seen[:12] or '—'}，"
            f"现在的版本 {register_version_now[:12]}）。请重新打开清册，核对后再签。",
            f"register {batch.code} version {seen[:12]} is stale",
            code="register_changed",
        )


def destruction_approve_signed(
    *,
    actor: User,
    batch_code: str,
    version: str,
    opinion: str,
    password: str,
    config: StationConfig,
    strikes: dict[str, str] | None = None,
) -> DestructionBatch:
    """The station head approves the version they were shown, with an opinion and their password again."""
    from pipeline.catalog.destruction import destruction_approve

    password_confirm(actor=actor, password=password, action_zh="批准销毁清册")
    if not opinion.strip():
        raise BadInput(
            "请填写鉴定意见（如：已到保管期限，经鉴定无继续保存价值，同意销毁）。",
            "approval without opinion",
            code="opinion_missing",
        )
    register = register_read(batch_code=batch_code, config=config, actor=actor.username)
    _seen(register.version, version, register.batch)
    strikes = {k: v for k, v in (strikes or {}).items() if k}
    blocked = [r for r in register.rows if r["blockers"] and not r["struck"] and r["archival_code"] not in strikes]
    if blocked:
        raise BadInput(
            "以下档案现在不能销毁，请先划去并写明理由，再批准："
            + "；".join(f"第{r['number']}行 {r['archival_code']}（{'；'.join(r['blockers'])}）" for r in blocked),
            f"{len(blocked)} blocked rows not struck",
            code="register_blocked_rows",
        )
    with transaction.atomic():
        batch = destruction_approve(actor=actor, batch_code=batch_code, strikes=strikes, opinion=opinion)
        audit_append(
            actor=actor.username,
            action="destruction.approve_version",
            target=batch.code,
            detail={
                "seen_version": version,
                "approved_version": batch.approved_version,
                "password_confirmed": True,
                "struck": sorted(strikes),
            },
        )
    return batch


def _still_approved(batch_code: str, actor: str) -> DestructionBatch:
    from pipeline.catalog.destruction import destruction_approval_require

    return destruction_approval_require(batch_code=batch_code, actor=actor)


def destruction_witness_signed(
    *, actor: User, batch_code: str, version: str, password: str, config: StationConfig
) -> DestructionBatch:
    """A 监销人 confirms the approved version they were shown, under their own sign-in and password."""
    from pipeline.catalog.destruction import destruction_witness

    password_confirm(actor=actor, password=password, action_zh="监销确认")
    batch = _still_approved(batch_code, actor.username)
    if batch.approved_version and version != batch.approved_version:
        _seen(batch.approved_version, version, batch)
    batch = destruction_witness(actor=actor, batch_code=batch_code)
    Witness.objects.filter(batch=batch, user=actor.username).update(version=version)
    return batch


def destruction_execute_ready(*, actor: User, batch_code: str, password: str, config: StationConfig) -> None:
    """Refuse now, before any work starts, what execute would refuse: password, role, state, a voided approval."""
    from pipeline.catalog.destruction import _batch_state, separation_problems

    password_confirm(actor=actor, password=password, action_zh="执行销毁")
    role_require(actor, (Role.ARCHIVIST, Role.STATION_HEAD), "执行销毁")
    batch = _still_approved(batch_code, actor.username)
    _batch_state(batch, (DestructionBatch.State.WITNESSED,), "执行销毁")
    problems = separation_problems(batch)
    if problems:
        raise Refused(
            f"销毁清册 {batch.code} 不能执行：{'；'.join(problems)}。",
            f"separation: {problems}",
            code="separation_of_duties",
            problems=problems,
        )


def destruction_execute_signed(
    *,
    actor: User,
    batch_code: str,
    password: str,
    config: StationConfig,
    paths: DataPaths,
    today: dt.date | None = None,
    progress=None,
):
    """Execute a witnessed register whose approved version still stands (password typed again)."""
    from pipeline.catalog.destruction import destruction_execute

    password_confirm(actor=actor, password=password, action_zh="执行销毁")
    _still_approved(batch_code, actor.username)
    return destruction_execute(
        actor=actor, batch_code=batch_code, config=config, paths=paths, today=today, progress=progress
    )


def destruction_entry_strike(
    *, actor: User, batch_code: str, item_code: str, reason: str, config: StationConfig
) -> list[str]:
    """Strike one row off an open register (archivist or head); a signed register loses its approval."""
    from pipeline.catalog.destruction import _batch_state, _strike, batch_get

    role_require(actor, (Role.ARCHIVIST, Role.STATION_HEAD), "划去销毁清册中的档案")
    with transaction.atomic():
        batch = DestructionBatch.objects.select_for_update().get(id=batch_get(batch_code).id)
        _batch_state(batch, OPEN_STATES, "划去档案")
        _strike(batch, item_code, reason)
        audit_append(
            actor=actor.username,
            action="destruction.strike",
            target=batch.code,
            detail={"item": item_code.strip(), "reason": reason.strip(), "state": batch.state},
        )
    return destruction_approval_check(batch_code=batch_code, config=config, actor=actor.username)


def destruction_queue(*, user: User, config: StationConfig) -> list[dict]:
    """What waits for this user, and only that: registers to approve, to confirm as witness, to execute."""
    roles, waiting = user_roles(user), []
    for batch in DestructionBatch.objects.filter(state__in=SIGNED_STATES).order_by("id"):
        destruction_approval_check(batch_code=batch.code, config=config, actor="system")
    for batch in DestructionBatch.objects.filter(state__in=OPEN_STATES).order_by("id"):
        action = _waiting_action(batch, user, roles)
        if action:
            waiting.append({"batch": batch, "action": action, "label": QUEUE_ZH[action]})
    return waiting


QUEUE_ZH = {"approve": "待您批准", "witness": "待您监销确认", "execute": "待执行销毁"}


def _waiting_action(batch: DestructionBatch, user: User, roles: set[str]) -> str:
    name = user.username
    if batch.state == DestructionBatch.State.PROPOSED:
        return "approve" if Role.STATION_HEAD in roles and not same_person(name, batch.proposed_by) else ""
    if batch.state == DestructionBatch.State.APPROVED:
        signed = [batch.proposed_by, batch.approved_by, *batch.witnesses.values_list("user", flat=True)]
        return "witness" if Role.WITNESS in roles and not any(same_person(name, s) for s in signed) else ""
    if batch.state == DestructionBatch.State.WITNESSED:
        return "execute" if roles & {Role.ARCHIVIST, Role.STATION_HEAD} else ""
    return ""


def batch_actions(*, batch: DestructionBatch, user: User) -> set[str]:
    """Which signing buttons the page offers this user (the services refuse the rest anyway)."""
    action = _waiting_action(batch, user, user_roles(user))
    actions = {action} if action else set()
    if batch.state in OPEN_STATES and user_roles(user) & {Role.ARCHIVIST, Role.STATION_HEAD}:
        actions.add("strike")
    return actions
