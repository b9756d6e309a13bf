"""统计 (charts + tables + xlsx), 审计日志 (filters), 校验 (last report, run in the background)."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from pipeline.catalog.audit_log import audit_actions, audit_detail_text, audit_entries
from pipeline.catalog.models import Role
from pipeline.catalog.people import role_require
from pipeline.core.config import get_config
from pipeline.core.paths import data_paths
from pipeline.reports.charts import hbars, stacked_bars
from pipeline.reports.holdings import falling_due, forms_returned, holdings, holdings_series, stats_xlsx
from pipeline.reports.verify_report import verify_report_last, verify_run
from pipeline.web.actions import day_field, redirect_to
from pipeline.web.jobs import job_start


def _tables(category: str):
    config, today = get_config(), timezone.localdate()
    return holdings(config=config, category=category), falling_due(today=today), forms_returned()


@require_GET
def stats_page(request):
    """Three charts drawn on the server, each with its numbers beside it; the same tables as xlsx."""
    config = get_config()
    category = request.GET.get("category", "") if request.GET.get("category", "") in config.categories else ""
    held, due, returned = _tables(category)
    labels, series = holdings_series(held)
    charts = [
        (held, stacked_bars(title="馆藏档案（按年度与保管期限）", labels=labels, series=series)),
        (
            due,
            stacked_bars(
                title=due.title,
                labels=[r[0].removesuffix("年") for r in due.rows],
                series=[("到期件数", [r[1] for r in due.rows])],
            ),
        ),
        (
            returned,
            hbars(
                title=returned.title,
                labels=[r[0] for r in returned.rows],
                series=[("已归档", [r[3] for r in returned.rows]), ("未交回", [r[4] for r in returned.rows])],
            ),
        ),
    ]
    return render(
        request,
        "web/stats.html",
        {
            "charts": [{"table": t, "svg": mark_safe(svg)} for t, svg in charts],  # our own SVG, values escaped
            "categories": [(code, c.label) for code, c in config.categories.items()],
            "category": category,
        },
    )


@require_GET
def stats_xlsx_view(request):
    """The 统计 tables as one .xlsx workbook."""
    response = HttpResponse(
        stats_xlsx(list(_tables(request.GET.get("category", "")))),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = "attachment; filename=\"stats.xlsx\"; filename*=UTF-8''%E7%BB%9F%E8%AE%A1.xlsx"
    return response


@require_GET
def audit_page(request):
    """The audit log with filters: who, what, when, which item."""
    get = request.GET
    date_from = day_field(get.get("date_from"), "起始日期", dt.date.min) if get.get("date_from") else None
    date_to = day_field(get.get("date_to"), "截止日期", dt.date.max) if get.get("date_to") else None
    entries = audit_entries(
        reader=request.user,
        actor=get.get("actor", ""),
        action=get.get("action", ""),
        target=get.get("target", ""),
        date_from=date_from,
        date_to=date_to,
    )
    page = Paginator(entries, 50).get_page(get.get("page"))
    rows = [{"entry": e, "detail": audit_detail_text(e)} for e in page]
    return render(request, "web/audit.html", {"rows": rows, "page": page, "actions": audit_actions(), "f": get})


@require_GET
def verify_page(request):
    """The last verify report and a button to run verify again in the background."""
    return render(
        request,
        "web/verify.html",
        {"report": verify_report_last(paths=data_paths()), "job": request.session.get("verify-job", "")},
    )


@require_POST
def verify_start(request):
    """Run the full verify in the background (station head or archivist)."""
    role_require(request.user, (Role.STATION_HEAD, Role.ARCHIVIST), "运行校验")
    paths, user = data_paths(), request.user

    def work(progress):
        report = verify_run(paths=paths, actor=user.username, progress=progress)
        verdict = (
            "校验通过：文件、件号、目录与审计日志均完整。"
            if report["ok"]
            else f"校验发现 {len(report['findings'])} 处问题。"
        )
        return {
            "lines": [f"已校验 {report['items']} 件档案、{report['files']} 个文件。", verdict],
            "links": [{"label": "查看报告", "url": reverse("web:verify")}],
        }

    request.session["verify-job"] = job_start(kind="verify", title="校验档案库", user=user, work=work)
    return redirect_to(reverse("web:verify"))
