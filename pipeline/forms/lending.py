"""借阅登记表 (第十八条(一)2 "做好借阅文件的登记手续，按期验收。不经领导同意，不得随意复印"):
one register per calendar year, listing every loan requested that year (subject = "2026")."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pipeline.catalog.models import Loan
from pipeline.core.errors import BadInput
from pipeline.forms.builders import InstanceData, register
from pipeline.forms.destruction import person_names

MIN_LINES = 9   # a register page always offers this many lines; empty ones are for hand entry


def _day(value: dt.datetime | dt.date | None, year: int) -> str:
    """'3月2日' within the register's year, '2027年1月5日' outside it, '' when unknown."""
    if value is None:
        return ""
    day = timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
    return f"{day.month}月{day.day}日" if day.year == year else f"{day.year}年{day.month}月{day.day}日"


def _approval(loan: Loan, names: dict[str, str], year: int) -> str:
    """复印 and 领导审批 in one cell: '申请复印；王站长 批准 3月2日' / '不复印；无需审批' / '申请复印；待审批'."""
    use = "申请复印" if loan.copy_requested else "不复印"
    if loan.approved_by:
        verdict = "不批准" if loan.state == Loan.State.REFUSED else "批准"
        return f"{use}；{names.get(loan.approved_by, loan.approved_by)} {verdict} {_day(loan.approved_at, year)}"
    needs = loan.copy_requested or loan.item.restricted
    return f"{use}；{'待审批' if needs else '无需审批'}"


def loan_row(number: int, loan: Loan, names: dict[str, str], year: int) -> dict:
    """One line of the register."""
    item = loan.item
    return {"number": number, "loan": loan.id, "archival_code": item.archival_code, "title": item.title,
            "borrower": loan.borrower, "purpose": loan.purpose, "copy": loan.copy_requested,
            "approval": _approval(loan, names, year), "requested_on": _day(loan.requested_at, year),
            "lent_on": _day(loan.lent_at, year), "due_back": _day(loan.due_back, year),
            "returned_on": _day(loan.returned_at, year), "state": loan.get_state_display(),
            "handler": names.get(loan.requested_by, loan.requested_by)}


def _year(subject: str | None, year: int | None) -> int:
    """The register's year from the subject ("2026") or the year option, else this year; BadInput if malformed."""
    text = str(subject or year or timezone.localdate().year).strip()
    if not (text.isdigit() and len(text) == 4):
        raise BadInput(f"借阅登记表按年度生成，年度“{text}”无效，请写成 2026。", f"bad lending year {text!r}",
                       code="year_invalid")
    return int(text)


@register("lending-register")
def build_lending_register(round_=None, subject: str | None = None, *, year: int | None = None,
                           **opts) -> list[InstanceData]:
    """借阅登记表 of one year (subject or year; default this year): the year's loans, then blank lines."""
    year = _year(subject, year)
    loans = list(Loan.objects.filter(requested_at__year=year).select_related("item").order_by("requested_at", "id"))
    names = person_names(sorted({u for loan in loans for u in (loan.approved_by, loan.requested_by)}),
                         with_username=False)
    rows = [loan_row(number, loan, names, year) for number, loan in enumerate(loans, 1)]
    today = timezone.localdate()
    return [InstanceData(
        form="lending-register", subject=str(year), subject_label=f"{year}年借阅登记",
        title=f"{year}年 档案借阅登记表", doc_date=min(today, dt.date(year, 12, 31)),
        context={"year": year, "rows": rows, "count": len(rows), "category": "FW",
                 "out": sum(1 for loan in loans if loan.state == Loan.State.LENT),
                 "blank_rows": max(0, MIN_LINES - len(rows))})]
