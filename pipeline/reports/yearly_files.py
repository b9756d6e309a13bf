"""`station report yearly`: the 统计年报 of one year as PDF (with SVG charts), DOCX (charts as PNG) and
xlsx, all from the same figures (the form instance's stored context)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pipeline.catalog.models import FormInstance
from pipeline.forms.service import forms_generate
from pipeline.forms.yearly import report_year

BOLD = Font(bold=True)


@dataclass
class YearlyReport:
    """What `report yearly` wrote, and the figures it printed."""

    year: int
    instance: str
    pdf: Path
    docx: Path | None
    xlsx: Path
    pages: int
    data: dict


def _sheet(book: Workbook, title: str, headers: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font, cell.alignment = BOLD, Alignment(horizontal="center")
    for row in rows:
        sheet.append(row)
    for index, header in enumerate(headers, 1):
        widest = max([len(str(header)) * 2] + [len(str(r[index - 1])) * 2 for r in rows])
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(60, max(8, widest + 2))
    sheet.freeze_panes = "A2"


def yearly_xlsx(data: dict, path: Path) -> Path:
    """The figures of one 统计年报 (its stored context) as an xlsx workbook, one sheet per table."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "总量", ["项目", "件数", "页数"],
           [[label, data[key]["items"], data[key]["pages"]] for key, label in
            (("opening", "年初馆藏"), ("received", "本年接收"), ("removed", "本年销毁"), ("closing", "年末馆藏"))])
    _sheet(book, "年末馆藏", ["年度", "保管期限", "类别", "件数", "页数"],
           [[r["year"], r["retention_zh"], r["category_zh"], r["items"], r["pages"]] for r in data["holdings"]])
    _sheet(book, "接收与销毁", ["类别", "保管期限", "接收件数", "接收页数", "销毁件数", "销毁页数"],
           [[r["category_zh"], r["retention_zh"], r["received_items"], r["received_pages"], r["removed_items"],
             r["removed_pages"]] for r in data["flow"]])
    loans = data["loans"]
    _sheet(book, "借阅利用", ["利用目的", "人次", "件次"],
           [[r["purpose"], r["visits"], r["items"]] for r in loans["by_purpose"]]
           + [["合计", loans["visits"], loans["items"]], ["其中复印（件次）", "", loans["copies"]],
              ["未获批准的申请（次）", "", loans["refused"]]])
    _sheet(book, "表单生成与归档", ["鉴定批次", "批次名称", "表单", "生成", "已归档", "未交回", "重印作废"],
           [[r["round"], r["round_name"], r["form_zh"], r["generated"], r["filed"], r["outstanding"], r["superseded"]]
            for r in data["forms"]])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def yearly_report_write(*, year: int | None, out: Path, actor: str = "system") -> YearlyReport:
    """Generate the year's 统计年报 (PDF + DOCX, a form instance with its QR, filed when signed) and its xlsx."""
    year = report_year(None, year)
    batch = forms_generate(form="yearly-statistics", round_=None, subject=str(year), formats=("pdf", "docx"),
                           out=out, workers=1, actor=actor)
    generated = batch.instances[0]
    data = FormInstance.objects.get(code=generated.code).data
    xlsx = yearly_xlsx(data, generated.pdf.with_suffix(".xlsx"))
    return YearlyReport(year=year, instance=generated.code, pdf=generated.pdf, docx=generated.docx, xlsx=xlsx,
                        pages=generated.pages, data=data)
