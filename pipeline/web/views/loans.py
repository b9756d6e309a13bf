"""借阅: request, approve (never the requester), lend, return, the overdue list, the yearly register as PDF.

Each step is one catalog/loans.py call; the page shows a user only the steps that are theirs
(catalog/lending.loan_actions) and the service refuses a forged one.
"""

from __future__ import annotations

from pathlib import Path

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pipeline.catalog.lending import loan_actions, loans_list, loans_overdue
from pipeline.catalog.models import Loan
from pipeline.core.errors import NotFound
from pipeline.core.paths import data_paths
from pipeline.web.actions import act, attachment, day_field, int_field, redirect_to
from pipeline.web.jobs import job_start

PER_PAGE = 50


def _register_dir(year: int) -> Path:
    return data_paths().generated / "web" / "lending" / str(year)


@require_GET
def loans_page(request):
    """Every loan (filtered by state), the overdue ones first, the request form and the yearly register."""
    today = timezone.localdate()
    state = request.GET.get("state", "")
    page = Paginator(loans_list(state=state), PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"loan": loan, "actions": loan_actions(loan=loan, user=request.user),
             "overdue": loan.state == Loan.State.LENT and loan.due_back and loan.due_back < today}
            for loan in page]
    year = int_field(request.GET.get("year"), "年度", today.year)
    return render(request, "web/loans.html", {
        "rows": rows, "page": page, "state": state, "states": Loan.State.choices, "today": today,
        "overdue": loans_overdue(today=today), "year": year, "files": _files(year),
        "job": request.session.get(f"lending-job-{year}", "")})


def _files(year: int) -> list[str]:
    folder = _register_dir(year)
    return sorted(p.name for p in folder.rglob("*.pdf")) if folder.is_dir() else []


@require_POST
def loan_request_view(request):
    """Register a loan request for one item (any station role)."""
    from pipeline.catalog.loans import loan_request

    def call():
        post = request.POST
        due_back = day_field(post.get("due_back"), "应还日期") if post.get("due_back") else None
        loan = loan_request(actor=request.user, item_code=post.get("item", ""), borrower=post.get("borrower", ""),
                            purpose=post.get("purpose", ""), copy_requested=post.get("copy") == "on",
                            due_back=due_back)
        return f"已登记借阅 #{loan.id}：{loan.item.archival_code}，借阅人 {loan.borrower}。"
    return act(request, reverse("web:loans"), call)


@require_POST
def loan_step(request, loan_id: int, step: str):
    """One step on one loan: approve, refuse, lend or return."""
    from pipeline.catalog.loans import loan_approve, loan_lend, loan_return
    calls = {"approve": lambda: loan_approve(actor=request.user, loan_id=loan_id, approve=True,
                                             note=request.POST.get("note", "")),
             "refuse": lambda: loan_approve(actor=request.user, loan_id=loan_id, approve=False,
                                            note=request.POST.get("note", "")),
             "lend": lambda: loan_lend(actor=request.user, loan_id=loan_id),
             "return": lambda: loan_return(actor=request.user, loan_id=loan_id)}
    if step not in calls:
        raise NotFound("没有这个借阅操作。", f"no loan step {step}", code="loan_step")

    def call():
        loan = calls[step]()
        return f"借阅 #{loan.id}（{loan.item.archival_code}）：{loan.get_state_display()}。"
    return act(request, reverse("web:loans"), call)


@require_POST
def loan_register(request):
    """Make the year's 借阅登记表 (PDF, QR on every page) in the background."""
    from pipeline.forms.service import forms_generate
    year = int_field(request.POST.get("year"), "年度", timezone.localdate().year)
    user, out = request.user, _register_dir(year)

    def work(progress):
        progress(0, 1, "正在排版借阅登记表")
        made = forms_generate(form="lending-register", round_=None, subject=str(year), out=out, workers=1,
                              actor=user.username).instances[0]
        url = reverse("web:loan_register_file", args=[year, Path(made.pdf).name])
        return {"lines": [f"{year}年借阅登记表，共 {made.pages} 页。"],
                "links": [{"label": f"下载 {Path(made.pdf).name}", "url": url}]}
    request.session[f"lending-job-{year}"] = job_start(kind="lending-register", title=f"生成{year}年借阅登记表",
                                                      user=user, work=work)
    return redirect_to(reverse("web:loans") + f"?year={year}#register")


@require_GET
def loan_register_file(request, year: int, name: str):
    """Download one year's register PDF."""
    if name not in _files(year):
        raise NotFound(f"没有{year}年借阅登记表文件“{name}”，请先生成。", f"no lending register {name}",
                       code="register_file_missing")
    path = next(_register_dir(year).rglob(name))
    return attachment(path, name)
