"""Loans (借阅, 第十八条(一)2): request, approve by someone other than the requester, lend, return."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.catalog.holds import item_get
from pipeline.catalog.models import ArchiveItem, Loan, Role
from pipeline.catalog.people import role_require, same_person
from pipeline.catalog.services import user_roles
from pipeline.core.errors import BadInput, Conflict, NotFound, Refused

LOAN_APPROVERS = (Role.STATION_HEAD, Role.OFFICE_HEAD)


def _loan(loan_id: int) -> Loan:
    loan = Loan.objects.select_for_update().select_related("item").filter(id=loan_id).first()
    if loan is None:
        raise NotFound(f"没有编号为 {loan_id} 的借阅记录（station loan list 查看）。", f"no loan {loan_id}",
                       code="loan_not_found")
    return loan


def _loan_state(loan: Loan, allowed: tuple[str, ...], action_zh: str) -> None:
    if loan.state not in allowed:
        raise Conflict(f"借阅 #{loan.id} 当前状态为“{loan.get_state_display()}”，不能{action_zh}。",
                       f"loan {loan.id} is {loan.state}, cannot {action_zh}", code="loan_state")


def loan_request(*, actor: User, item_code: str, borrower: str, purpose: str, copy_requested: bool = False,
                 due_back: dt.date | None = None) -> Loan:
    """Register a loan request (借阅登记) for one filed item."""
    if not user_roles(actor):
        raise Refused(f"用户“{actor.username}”没有任何角色，不能登记借阅。", "no role", code="role_required")
    if not borrower.strip() or not purpose.strip():
        raise BadInput("请写明借阅人（--borrower）和借阅目的（--purpose）。", "loan without borrower/purpose",
                       code="loan_fields")
    item = item_get(item_code)
    if item.status != ArchiveItem.Status.FILED:
        raise Conflict(f"{item.archival_code} 已销毁，不能借阅。", "item destroyed", code="item_destroyed")
    with transaction.atomic():
        loan = Loan.objects.create(item=item, borrower=borrower.strip(), purpose=purpose.strip(),
                                   copy_requested=copy_requested, requested_by=actor.username,
                                   requested_at=timezone.now(), due_back=due_back)
        audit_append(actor=actor.username, action="loan.request", target=item.archival_code,
                     detail={"loan": loan.id, "borrower": loan.borrower, "copy": copy_requested,
                             "restricted": item.restricted})
    return loan


def loan_approve(*, actor: User, loan_id: int, approve: bool = True, note: str = "") -> Loan:
    """A leader approves (or refuses) a loan; copying is allowed only with this approval."""
    role_require(actor, LOAN_APPROVERS, "审批借阅")
    with transaction.atomic():
        loan = _loan(loan_id)
        _loan_state(loan, (Loan.State.REQUESTED,), "审批")
        if same_person(actor.username, loan.requested_by):
            raise Refused(f"借阅 #{loan.id} 由 {loan.requested_by} 登记，{actor.username} 与其为同一人，须由另一位领导审批。",
                          "loan approver is the requester", code="separation_of_duties")
        loan.state = Loan.State.APPROVED if approve else Loan.State.REFUSED
        loan.approved_by, loan.approved_at = actor.username, timezone.now()
        loan.save(update_fields=["state", "approved_by", "approved_at"])
        audit_append(actor=actor.username, action="loan.approve" if approve else "loan.refuse",
                     target=loan.item.archival_code, detail={"loan": loan.id, "note": note})
    return loan


def loan_lend(*, actor: User, loan_id: int) -> Loan:
    """Hand the item out; a restricted item or any copy needs a recorded approval first."""
    role_require(actor, (Role.ARCHIVIST,), "办理借出")
    with transaction.atomic():
        loan = _loan(loan_id)
        needs_approval = loan.item.restricted or loan.copy_requested
        allowed = (Loan.State.APPROVED,) if needs_approval else (Loan.State.REQUESTED, Loan.State.APPROVED)
        if needs_approval and loan.state == Loan.State.REQUESTED:
            raise Refused(f"借阅 #{loan.id}（{loan.item.archival_code}）"
                          f"{'为限制利用档案' if loan.item.restricted else '申请复制'}，须经站长或办公室主任批准后方可借出"
                          f"（station loan approve {loan.id}）。", "approval required", code="loan_needs_approval")
        _loan_state(loan, allowed, "借出")
        if loan.item.status != ArchiveItem.Status.FILED:
            raise Conflict(f"{loan.item.archival_code} 已销毁，不能借出。", "item destroyed", code="item_destroyed")
        loan.state, loan.lent_at = Loan.State.LENT, timezone.now()
        loan.save(update_fields=["state", "lent_at"])
        audit_append(actor=actor.username, action="loan.lend", target=loan.item.archival_code,
                     detail={"loan": loan.id, "borrower": loan.borrower, "copy": loan.copy_requested,
                             "restricted_view": loan.item.restricted})
    return loan


def loan_return(*, actor: User, loan_id: int) -> Loan:
    """Record that the item came back (按期验收)."""
    role_require(actor, (Role.ARCHIVIST,), "办理归还")
    with transaction.atomic():
        loan = _loan(loan_id)
        _loan_state(loan, (Loan.State.LENT,), "归还")
        loan.state, loan.returned_at = Loan.State.RETURNED, timezone.now()
        loan.save(update_fields=["state", "returned_at"])
        audit_append(actor=actor.username, action="loan.return", target=loan.item.archival_code,
                     detail={"loan": loan.id})
    return loan
