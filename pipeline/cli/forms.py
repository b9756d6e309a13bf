"""station forms list|render|round, and station cover (归档封面)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.catalog.services import SYSTEM_ACTOR, round_get
from pipeline.cli.common import JsonOption, acting_user, console, emit, err_console
from pipeline.core.errors import BadInput
from pipeline.core.labels import retention_label
from pipeline.forms.registry import FORMS

if TYPE_CHECKING:
    from pipeline.forms.service import Batch

app = typer.Typer(help="表单生成 / generate the regulation's forms", no_args_is_help=True)
OutOption = typer.Option(..., "--out", help="输出目录")
FORMAT_CHOICES = {"pdf": ("pdf",), "docx": ("docx",), "both": ("pdf", "docx")}


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """列出系统可生成的全部表单（依据条款、保管期限、是否有 Word 版）。"""
    from pipeline.forms.service import load_builders  # here, not at module level: CLI start-up time (weasyprint)
    builders = load_builders()
    rows = [{"key": s.key, "name": s.name_zh, "article": s.article, "per": s.per, "tier": s.tier,
             "retention_class": s.retention_class, "category": s.category, "docx": bool(s.docx),
             "available": s.key in builders} for s in FORMS.values()]

    def render(data: list[dict]) -> None:
        table = Table("表单", "名称", "依据", "保管期限", "类别", "Word", "可生成", title="表单一览")
        for row in data:
            kept = (retention_label(row["retention_class"]) if row["retention_class"] else None) or (
                "按所选类别" if row["key"] == "filing-cover" else "不归档")
            table.add_row(row["key"], row["name"], row["article"], kept,
                          row["category"] or "—", "是" if row["docx"] else "", "是" if row["available"] else "否")
        console.print(table)

    emit(rows, as_json, render)


def _progress_bar(quiet: bool = False) -> Progress:
    """The progress bar, on stderr so that --json output stays clean."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=False, disable=quiet)


def _report(batch: Batch, out: Path, as_json: bool) -> None:
    data = {"instances": [{"code": g.code, "form": g.form, "subject": g.subject_label, "pages": g.pages,
                           "pdf": g.pdf, "docx": g.docx} for g in batch.instances],
            "pages": batch.pages, "merged": batch.merged, "skipped": batch.skipped, "out": out}

    def render(d: dict) -> None:
        forms = {}
        for g in batch.instances:
            forms.setdefault(g.form, [0, 0, 0])
            forms[g.form][0] += 1
            forms[g.form][1] += g.pages
            forms[g.form][2] += g.docx is not None
        for key, (count, pages, docx) in forms.items():
            made = [f"PDF 共 {pages} 页"] if pages else []
            made += [f"Word 版 {docx} 份"] if docx else []
            console.print(f"  {FORMS[key].name_zh}：{count} 份，{'；'.join(made) or '无输出'}")
        for key, why in batch.skipped.items():
            console.print(f"  [yellow]未生成[/] {FORMS[key].name_zh if key in FORMS else key}：{why}")
        docx = sum(g.docx is not None for g in batch.instances)
        pages = f"PDF 共 {batch.pages} 页" if batch.pages else ""
        words = f"Word 版 {docx} 份" if docx else ""
        console.print(f"[green]已生成[/] {len(batch.instances)} 份表单"
                      f"（{'，'.join(x for x in (pages, words) if x)}），输出目录 {out}")

    emit(data, as_json, render)


@app.command("render")
def render_(form: str, round_code: str = typer.Option(None, "--round", help="鉴定批次代码"),
            subject: str = typer.Option(None, "--subject",
                                        help="只生成一个对象：身份证号/准考证号/考场@场次/胸卡编号…"),
            fmt: str = typer.Option("pdf", "--format", help="pdf | docx | both"),
            out: Path = OutOption, as_json: bool = JsonOption) -> None:
    """生成一种表单（整个批次，或 --subject 指定的一个对象）。"""
    from pipeline.forms.service import forms_generate  # here, not at module level: CLI start-up time (weasyprint)
    if fmt not in FORMAT_CHOICES:
        raise BadInput(f"--format 只能是 pdf、docx 或 both，而不是“{fmt}”。", f"bad --format {fmt}",
                       code="format_invalid")
    round_ = round_get(round_code) if round_code else None
    batch = forms_generate(form=form, round_=round_, subject=subject, formats=FORMAT_CHOICES[fmt], out=out)
    if not batch.instances:
        raise BadInput(f"《{FORMS[form].name_zh}》没有可生成的对象"
                       f"（批次 {round_code or '未指定'}，对象 {subject or '全部'}）。",
                       f"no instances of {form}", code="nothing_to_render")
    _report(batch, out, as_json)


@app.command("round")
def round_(round_code: str, out: Path = OutOption,
           fmt: str = typer.Option("pdf", "--format", help="pdf | docx | both（docx：有 Word 模板的表单另出可编辑版）"),
           outstanding: bool = typer.Option(False, "--outstanding",
                                            help="只补打尚未交回归档的表单（原编号、原二维码，不新建表单）"),
           form: list[str] = typer.Option(None, "--form", help="与 --outstanding 一起：只补打这种表单（可重复）"),
           instance: list[str] = typer.Option(None, "--instance",
                                              help="与 --outstanding 一起：只补打这个表单编号（可重复）"),
           user: str = typer.Option(None, "--user", help="执行操作的用户（考务人员或站长；将验证密码）"),
           as_json: bool = JsonOption) -> None:
    """生成一期鉴定的全部一级表单，并为每种表单合并一份打印用 PDF（--format both 另出可编辑 DOCX）。"""
    from pipeline.forms.service import forms_round  # here, not at module level: CLI start-up time (weasyprint)
    if fmt not in FORMAT_CHOICES:
        raise BadInput(f"--format 只能是 pdf、docx 或 both，而不是“{fmt}”。", f"bad --format {fmt}",
                       code="format_invalid")
    if (form or instance) and not outstanding:
        raise BadInput("--form 与 --instance 只能与 --outstanding 一起用（补打所选的未交回表单）。",
                       "--form/--instance without --outstanding", code="option_combination")
    round_obj = round_get(round_code)
    actor = acting_user(user).username if user else SYSTEM_ACTOR
    from pipeline.forms.reprint import forms_reprint_outstanding
    with _progress_bar(as_json) as bar:
        task = bar.add_task("排版生成", total=None)

        def progress(done: int, total: int, message: str) -> None:
            bar.update(task, completed=done, total=total, description=f"排版生成 {message}")

        if outstanding:
            chosen = {"forms": form or None, "instances": instance or None} if (form or instance) else {}
            batch = forms_reprint_outstanding(round_=round_obj, out=out, progress=progress, actor=actor, **chosen)
        else:
            batch = forms_round(round_=round_obj, out=out, progress=progress, formats=FORMAT_CHOICES[fmt],
                                actor=actor)
    _report(batch, out, as_json)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--date 的日期“{text}”无法识别，请写成 2026-12-05。", f"bad date {text!r}",
                       code="date_invalid") from None


def cover(category: str = typer.Option(..., "--category", help="类别代码：KW SJ CJ XY FW DA"),
          title: str = typer.Option(..., "--title", help="题名"),
          date: str = typer.Option(..., "--date", help="文件日期 2026-12-05"),
          responsible: str = typer.Option(..., "--responsible", help="责任者（发文/形成单位）"),
          doc_number: str = typer.Option("", "--doc-number", help="文号，如 厦人社〔2026〕12号（可选）"),
          pages: int = typer.Option(None, "--pages", help="文件页数（不含封面）"),
          round_code: str = typer.Option(None, "--round", help="所属鉴定批次（可选）"),
          out: Path = OutOption, as_json: bool = JsonOption) -> None:
    """生成归档封面：放在任意文件上面一同扫描，其后各页即按此类别和题名归档。"""
    from pipeline.forms.service import forms_generate  # here, not at module level: CLI start-up time (weasyprint)
    round_obj = round_get(round_code) if round_code else None
    batch = forms_generate(form="filing-cover", round_=round_obj, out=out, category=category.upper(),
                           title=title, date=_parse_date(date), responsible=responsible, pages=pages, workers=1,
                           doc_number=doc_number)
    _report(batch, out, as_json)


def register(main_app: typer.Typer) -> None:
    """Add `station forms …` and `station cover` to the main app."""
    main_app.add_typer(app, name="forms")
    main_app.command("cover")(cover)
