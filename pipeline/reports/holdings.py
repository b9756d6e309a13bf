"""The numbers behind the 统计 page: holdings, items falling due, forms not yet returned — and their xlsx.

Selectors only (reads); the charts are drawn from these by pipeline/reports/charts.py.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear

from pipeline.catalog.models import ArchiveItem, FormInstance, Round
from pipeline.core.config import StationConfig

FILED = ArchiveItem.Status.FILED


@dataclass
class Table:
    """A titled table: header and rows of plain values (what the page shows and the xlsx holds)."""

    title: str
    header: list[str]
    rows: list[list]


def _period(config: StationConfig, code: str) -> str:
    if code == "Y":
        return "永久"
    return f"{code[1:]}年" if code.startswith("D") else code


def holdings(*, config: StationConfig, category: str = "") -> Table:
    """Items and pages in the archive by year × retention period × category."""
    items = ArchiveItem.objects.filter(status=FILED)
    if category:
        items = items.filter(category=category)
    rows = (
        items.values("year", "retention_code", "category")
        .annotate(n=Count("id"), pages=Sum("pages"))
        .order_by("year", "retention_code", "category")
    )
    labels = {code: c.label for code, c in config.categories.items()}
    return Table(
        "馆藏档案（年度 × 保管期限 × 类别）",
        ["年度", "保管期限", "类别", "件数", "页数"],
        [
            [
                r["year"],
                _period(config, r["retention_code"]),
                labels.get(r["category"], r["category"]),
                r["n"],
                r["pages"] or 0,
            ]
            for r in rows
        ],
    )


def holdings_series(table: Table) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Years as labels, one stacked series per retention period (counts summed over categories)."""
    years = sorted({row[0] for row in table.rows})
    periods = sorted(
        {row[1] for row in table.rows}, key=lambda p: (p != "永久", -int(p[:-1]) if p[:-1].isdigit() else 0)
    )
    counts = {(y, p): 0 for y in years for p in periods}
    for year, period, _, n, _ in table.rows:
        counts[(year, period)] += n
    return [str(y) for y in years], [(p, [counts[(y, p)] for y in years]) for p in periods]


def falling_due(*, today: dt.date, years: int = 10) -> Table:
    """Items falling due per year for the next `years` years (and those already due, still kept)."""
    filed = ArchiveItem.objects.filter(status=FILED)
    overdue = filed.filter(due_date__lt=dt.date(today.year, 1, 1)).count()
    per_year = dict(
        filed.filter(due_date__year__gte=today.year, due_date__year__lt=today.year + years)
        .annotate(y=ExtractYear("due_date"))
        .values("y")
        .annotate(n=Count("id"))
        .values_list("y", "n")
    )
    rows = [[f"{today.year}年以前", overdue]] + [
        [f"{y}年", per_year.get(y, 0)] for y in range(today.year, today.year + years)
    ]
    return Table(f"今后十年每年到期的档案（{today.year}–{today.year + years - 1}）", ["到期年度", "件数"], rows)


def forms_returned(*, limit: int = 20) -> Table:
    """Per round (newest first): forms generated to come back, filed, not yet returned."""
    from pipeline.catalog.selectors import _filed_forms

    live = FormInstance.objects.filter(round__isnull=False, form__in=_filed_forms()).exclude(
        status=FormInstance.Status.SUPERSEDED
    )
    counts = {
        r["round__code"]: r
        for r in live.values("round__code").annotate(
            total=Count("id"), filed=Count("id", filter=Q(status=FormInstance.Status.FILED))
        )
    }
    rounds = [r for r in Round.objects.order_by("-created_at").values_list("code", "name") if r[0] in counts][:limit]
    return Table(
        "各批次表单交回情况",
        ["批次", "名称", "应交回", "已归档", "未交回"],
        [
            [code, name, counts[code]["total"], counts[code]["filed"], counts[code]["total"] - counts[code]["filed"]]
            for code, name in rounds
        ],
    )


def stats_xlsx(tables: list[Table]) -> bytes:
    """The tables as one workbook, a sheet each (title in the first row, header in bold)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for number, table in enumerate(tables, 1):
        sheet = book.create_sheet(f"{number}.{table.title[:26]}")
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        for index in range(len(table.header)):
            sheet.column_dimensions[chr(ord("A") + index)].width = 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
