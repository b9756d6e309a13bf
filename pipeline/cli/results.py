"""station results import|show."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from pipeline.catalog.services import SYSTEM_ACTOR, round_get
from pipeline.cli.common import JsonOption, acting_user, console, emit, err_console
from pipeline.core.domain import LEVEL_SHORT
from pipeline.core.errors import BadInput, StationError

app = typer.Typer(help="鉴定成绩 / scores and results", no_args_is_help=True)


def _json_error(exc: StationError) -> None:
    """With --json the problems are data on stdout; the exit code still says it failed."""
    sys.stdout.write(json.dumps(exc.as_dict(), ensure_ascii=False, indent=2) + "\n")
    raise typer.Exit(int(exc.exit_code))


@app.command("import")
def import_(file: Path = typer.Argument(..., help="成绩表 .xlsx 或 .csv"),
            round_code: str = typer.Option(..., "--round", help="鉴定批次代码"),
            skip_invalid: bool = typer.Option(False, "--skip-invalid", help="跳过有误的行，只导入正确的行"),
            user: str = typer.Option(None, "--user", help="执行导入的用户（写入审计日志；将验证密码）"),
            as_json: bool = JsonOption) -> None:
    """导入考评员的成绩表：准考证号、姓名、理论成绩、实操成绩、缺考、补考。"""
    from pipeline.catalog.scoring import results_import  # here, not at module level: CLI start-up time (openpyxl)
    actor = acting_user(user).username if user else SYSTEM_ACTOR
    try:
        report = results_import(round_=round_get(round_code), path=file, skip_invalid=skip_invalid, actor=actor)
    except StationError as exc:
        if as_json:
            _json_error(exc)
        raise

    def render(data: dict) -> None:
        console.print(f"[green]已导入成绩[/] {data['source']} → 批次 {data['round']}："
                      f"新增 {data['created']} 人，更新 {data['updated']} 人，其中合格 {data['passed']} 人。")
        if data["problems"]:
            err_console.print(f"[yellow]已跳过 {len(data['skipped_rows'])} 行有误的数据：[/]")
            for problem in data["problems"]:
                err_console.print(f"  · {problem}")
        if data["unscored"]:
            err_console.print(f"[yellow]注意[/]：本批次还有 {len(data['unscored'])} 名考生没有成绩"
                              f"（准考证号 {'、'.join(data['unscored'][:10])}{' 等' if len(data['unscored']) > 10 else ''}）。")

    emit(report.as_dict(), as_json, render)


@app.command("show")
def show(round_code: str = typer.Argument(..., help="鉴定批次代码"),
         candidates: bool = typer.Option(False, "--candidates", help="同时列出每位考生的成绩"),
         show_id: bool = typer.Option(False, "--show-id", help="显示完整身份证号（须 --user，且有权限，将记入审计日志）"),
         user: str = typer.Option(None, "--user", help="查看完整身份证号的用户名（验证密码）"),
         as_json: bool = JsonOption) -> None:
    """显示一期鉴定的成绩统计：应考、实考、缺考、合格、不合格、合格率（按工种 × 等级）。"""
    from pipeline.catalog.scoring import results_view, round_statistics  # here: CLI start-up time (openpyxl)
    if show_id and not user:
        raise BadInput("--show-id 需要同时用 --user 指明查看人（将验证密码并记入审计日志）。",
                       "--show-id without --user", code="show_id_user")
    round_ = round_get(round_code)
    acting = acting_user(user) if show_id else None
    groups, total = round_statistics(round_)
    data = {"round": round_.code, "name": round_.name, "scores_recorded_on": round_.scores_recorded_on,
            "groups": [g.as_dict() for g in groups], "total": total.as_dict()}
    if candidates or as_json or show_id:
        data["candidates"] = results_view(round_=round_, user=acting)

    def render(data: dict) -> None:
        table = Table("工种", "等级", "应考", "实考", "缺考", "合格", "不合格", "未登分", "合格率",
                      title=f"{data['round']} {data['name']} 鉴定结果统计")
        for g in data["groups"] + [data["total"]]:
            table.add_row(g["occupation"], g["level_zh"], *(str(g[k]) for k in (
                "expected", "sat", "absent", "passed", "failed", "pending")), g["pass_rate_text"])
        console.print(table)
        if data["total"]["pending"]:
            err_console.print(f"[yellow]注意[/]：还有 {data['total']['pending']} 名考生未登分，"
                              "请用 station results import 导入成绩。")
        if candidates or show_id:
            _render_candidates(data["candidates"], show_id)

    emit(data, as_json, render)


@app.command("report")
def report(round_code: str = typer.Argument(..., help="鉴定批次代码"),
           out: Path = typer.Option(..., "--out", help="输出目录"),
           evaluation: str = typer.Option("", "--evaluation", help="对考评小组工作的评价意见（第七条(九)）"),
           incident: list[str] = typer.Option([], "--incident", help="考场情况（违纪、设备异常等），可多次给出"),
           docx: bool = typer.Option(False, "--docx", help="同时生成可编辑的 Word 版"),
           as_json: bool = JsonOption) -> None:
    """生成职业技能鉴定报告（含合格率图表），并填写评价意见与考场情况。"""
    from pipeline.forms.service import forms_generate  # here, not at module level: CLI start-up time (weasyprint)
    batch = forms_generate(form="report", round_=round_get(round_code), formats=("pdf", "docx") if docx else ("pdf",),
                           out=out, workers=1, evaluation=evaluation, incidents=incident)
    data = [{"code": g.code, "pages": g.pages, "pdf": g.pdf, "docx": g.docx} for g in batch.instances]

    def render(rows: list[dict]) -> None:
        if not rows:
            err_console.print(f"[yellow]批次 {round_code} 尚未导入任何成绩，没有生成报告。[/]")
        for row in rows:
            console.print(f"[green]已生成鉴定报告[/] {row['pdf']}（{row['pages']} 页）")

    emit(data, as_json, render)


def _score_text(value, absent: bool) -> str:
    return "缺考" if absent else ("—" if value is None else str(value))


def _render_candidates(rows: list[dict], show_id: bool = False) -> None:
    table = Table("准考证号", "姓名", *(("身份证号",) if show_id else ()), "工种", "等级", "理论", "实操", "补考", "结果",
                  title="考生成绩")
    for r in rows:
        table.add_row(r["ticket_number"], r["name"], *((r["id_number"],) if show_id else ()), r["occupation"],
                      LEVEL_SHORT.get(r["level"], ""),
                      _score_text(r["theory"], r["theory_absent"]),
                      _score_text(r["practical"], r["practical_absent"]), "是" if r["is_retake"] else "",
                      r["outcome_zh"])
    console.print(table)
