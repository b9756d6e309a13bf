"""station import candidates|staff|rooms — read a station's own sheet, check every row, import."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from pipeline.catalog.roles import SYSTEM_ACTOR
from pipeline.cli.common import JsonOption, acting_user, console, emit, err_console
from pipeline.core.errors import StationError

if TYPE_CHECKING:
    from pipeline.catalog.importing import ImportReport

app = typer.Typer(help="导入考生、工作人员、考场名单 / import sheets (.xlsx or .csv)", no_args_is_help=True)
FileArgument = typer.Argument(..., help="表格文件（.xlsx 或 .csv，UTF-8 或 GB18030）", dir_okay=False)
UserOpt = typer.Option(None, "--user", help="执行导入的用户（考务人员或站长；将验证密码）；不给出时为本机操作员")


def _actor(user: str | None) -> str:
    """The user named with --user (password checked), else the system operator at the station PC's shell."""
    return acting_user(user).username if user else SYSTEM_ACTOR


def _run(action: Callable[[], ImportReport], as_json: bool) -> ImportReport:
    """Run an import; with --json a refusal is printed as data on stdout (exit code unchanged)."""
    try:
        return action()
    except StationError as exc:
        if not as_json:
            raise
        sys.stdout.write(json.dumps(exc.as_dict(), ensure_ascii=False, indent=2) + "\n")
        raise typer.Exit(int(exc.exit_code)) from None


def _render_common(report: ImportReport) -> None:
    if report.skipped:
        console.print(f"[yellow]已跳过 {len(report.skipped)} 行有问题的数据（--skip-invalid），请改正后另行导入：[/]")
        for skipped in report.skipped:
            console.print(f"  第 {skipped['row']} 行 {skipped['who']}")
            for problem in skipped["problems"]:
                console.print(f"      · {problem}")
    if report.ignored_headers:
        console.print(f"[dim]未使用的列：{'、'.join(report.ignored_headers)}[/]")


def _render_candidates(report: ImportReport) -> None:
    console.print(f"[green]已导入 {report.imported} 名考生[/]到批次 {report.round_code}（来自 {report.source}）")
    table = Table("工种", "等级", "人数", "准考证号", title="准考证号分配")
    for group in report.groups:
        table.add_row(group["occupation"], group["level_name"], str(group["count"]),
                      f"{group['first_ticket']} – {group['last_ticket']}")
    if report.groups:
        console.print(table)
    _render_common(report)


@app.command("candidates")
def candidates(file: Path = FileArgument,
               round_code: str = typer.Option(..., "--round", help="批次代码（先用 station rounds add 建立）"),
               skip_invalid: bool = typer.Option(False, "--skip-invalid", help="跳过有问题的行，只导入无误的行"),
               update: bool = typer.Option(False, "--update", help="更正已导入的名单：按身份证号更新考生，新行加入"),
               dry_run: bool = typer.Option(False, "--dry-run", help="与 --update 一起：只列出将要做的更改"),
               user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """导入考生名单：逐行检查，分配准考证号，规范化照片。"""
    actor = _actor(user)
    if update or dry_run:
        _update(file, round_code, dry_run, as_json, actor)
        return
    with Progress(TextColumn("规范化照片"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True, disable=as_json or not err_console.is_terminal) as bar:
        task = bar.add_task("photos", total=None)
        from pipeline.catalog.importing import candidates_import  # sheet readers and photo tools: start-up

        report = _run(lambda: candidates_import(
            path=file, round_code=round_code, skip_invalid=skip_invalid, actor=actor,
            progress=lambda done, total: bar.update(task, completed=done, total=total)), as_json)
    emit(report.as_dict(), as_json, lambda _: _render_candidates(report))


def _update(file: Path, round_code: str, dry_run: bool, as_json: bool, actor: str) -> None:
    from pipeline.catalog.corrections import candidates_update
    from pipeline.cli.corrections import render_changes
    report = _run(lambda: candidates_update(path=file, round_code=round_code, dry_run=dry_run, actor=actor), as_json)

    def render(_data) -> None:
        render_changes(report, f"批次 {report.target} 名单更正")
        verb = "将" if dry_run else "已"
        console.print(f"[green]{verb}更新 {report.updated} 名、新增 {report.added} 名考生[/]；"
                      f"{report.unchanged} 名无变化。" + ("加 --update 不带 --dry-run 执行。" if dry_run else ""))
        if report.not_in_sheet:
            console.print(f"[yellow]{len(report.not_in_sheet)} 名考生不在此表中，保留未动"
                          f"（如需删除用 station candidates remove）：[/]{'、'.join(report.not_in_sheet)}")

    emit(report.as_dict(), as_json, render)


UpdateOpt = typer.Option(False, "--update", help="名单修改了已有记录时须加：列出每项更改后执行")
DryRunOpt = typer.Option(False, "--dry-run", help="只列出将要做的更改，不导入")


def _sheet_update(action, noun: str, unit: str, as_json: bool) -> None:
    from pipeline.cli.corrections import render_changes
    imported, report = _run(action, as_json)

    def render(_data) -> None:
        if report.updated or report.dry_run:
            render_changes(report, f"{noun}名单更正")
        if imported is not None:
            extra = (f"；回避关系 {imported.recusals} 条" if noun == "工作人员"
                     else f"；工位 {imported.workstations} 个")
            console.print(f"[green]{noun}：新增 {imported.imported} {unit}，更新 {report.updated} {unit}，"
                          f"{report.unchanged} {unit}无变化[/]{extra}（来自 {imported.source}）")
            _render_common(imported)
        for line in report.notes:
            console.print(f"[yellow]{line}[/]")

    emit({**(imported.as_dict() if imported else {}), "corrections": report.as_dict()}, as_json, render)


@app.command("staff")
def staff(file: Path = FileArgument, update: bool = UpdateOpt, dry_run: bool = DryRunOpt,
          user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """导入工作人员名单（按胸卡编号新增；修改已有人员须加 --update）及回避关系。"""
    from pipeline.catalog.corrections_sheets import staff_update
    actor = _actor(user)
    _sheet_update(lambda: staff_update(path=file, dry_run=dry_run, update=update, actor=actor), "工作人员", "人",
                  as_json)


@app.command("rooms")
def rooms(file: Path = FileArgument, update: bool = UpdateOpt, dry_run: bool = DryRunOpt,
          user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """导入考场（按考场编号新增；修改已有考场须加 --update）及实操工位。"""
    from pipeline.catalog.corrections_sheets import rooms_update
    actor = _actor(user)
    _sheet_update(lambda: rooms_update(path=file, dry_run=dry_run, update=update, actor=actor), "考场", "个", as_json)
