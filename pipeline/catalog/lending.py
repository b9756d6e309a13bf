"""Loans as the 借阅 page lists them: by state, overdue ones, and which steps a user may take on each.

Reads only; the steps themselves (request, approve, lend, return) are catalog/loans.py's loan_* functions,
which check the roles and the separation of duties again whatever the page offered.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db.models import QuerySet

from pipeline.catalog.models import Loan, Role
from pipeline.catalog.people import same_person
from pipeline.catalog.services import user_roles

LOAN_APPROVERS = (Role.STATION_HEAD, Role.OFFICE_HEAD)


def loan_needs_approval(loan: Loan) -> bool:
    """A restricted item, or any copy, is lent only after a leader's recorded approval (第十八条(一)2)."""
    return bool(loan.item.restricted or loan.copy_requested)


def loans_list(*, state: str = "", year: int | None = None) -> QuerySet:
    """Loans newest first, optionally of one state and one year of request."""
    loans = Loan.objects.select_related("item").order_by("-requested_at", "-id")
    if state in Loan.State.values:
        loans = loans.filter(state=state)
    if year:
        loans = loans.filter(requested_at__year=year)
    return loans


def loans_overdue(*, today: dt.date) -> list[Loan]:
    """Items lent out whose return date has passed, longest overdue first."""
    return list(Loan.objects.select_related("item").filter(state=Loan.State.LENT, due_back__lt=today)
                .order_by("due_back", "id"))


def loan_actions(*, loan: Loan, user: User) -> list[str]:
    """The steps the page offers this user on this loan: approve/refuse, lend, return (services re-check)."""
    roles, actions = user_roles(user), []
    if (loan.state == Loan.State.REQUESTED and roles & set(LOAN_APPROVERS)
            and not same_person(user.username, loan.requested_by)):
        actions += ["approve", "refuse"]
    if Role.ARCHIVIST in roles:
        if loan.state == Loan.State.APPROVED or (loan.state == Loan.State.REQUESTED and not loan_needs_approval(loan)):
            actions.append("lend")
        if loan.state == Loan.State.LENT:
            actions.append("return")
    return actions
