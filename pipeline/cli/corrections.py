"""station candidates photos|edit|remove — correcting a round's candidates after import."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.catalog.corrections import CorrectionReport, candidate_edit, candidate_remove, candidates_photos
from pipeline.catalog.services import SYSTEM_ACTOR
from pipeline.cli.common import JsonOption, acting_user, console, emit, render_reprints

app = typer.Typer(help="更正考生：补照片、修改、删除 / correct candidates", no_args_is_help=True)
UserOpt = typer.Option(None, "--user", help="执行操作的用户（写入审计日志；将验证密码）")
RoundOpt = typer.Option(None, "--round", help="批次代码（按身份证号查找且该人在多个批次报名时需要）")


def actor_of(user: str | None) -> str:
    return acting_user(user).username if user else SYSTEM_ACTOR


def render_changes(report: CorrectionReport, title: str) -> None:
    """Every change (masked), then the forms to reprint."""
    if report.changes:
        console.print(f"[bold]{title}[/]（{'预览，未执行' if report.dry_run else '已执行'}）：")
        for change in report.changes:
            if change.field.startswith(("新增", "删除")):
                console.print(f"  {change.who} {change.field}" + (f"（{change.new}）" if change.new else ""))
            else:
                console.print(f"  {change.who} {change.field}：“{change.old}” → “{change.new}”")
    elif not report.reprints:
        console.print("没有需要更改的内容。")
    render_reprints(report.reprints)
    for line in report.notes:
        console.print(f"[yellow]{line}[/]")


@app.command("photos")
def photos(round_code: str = typer.Argument(..., help="批次代码"),
           folder: Path = typer.Argument(..., help="照片文件夹：文件名为身份证号或准考证号，如 202612DG40001.jpg",
                                         file_okay=False),
           user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """补充或更换考生照片（文件名为身份证号或准考证号），与导入时一样检查并规范化为一寸照。"""
    report = candidates_photos(round_code=round_code, folder=folder, actor=actor_of(user))

    def render(_data) -> None:
        console.print(f"[green]已更新 {report.updated} 名考生的照片[/]（批次 {report.target}）")
        if report.not_in_sheet:
            console.print(f"[yellow]{len(report.not_in_sheet)} 个文件没有对应的考生（文件名应为身份证号或准考证号），"
                          f"未使用：[/]{'、'.join(report.not_in_sheet)}")
        if report.unchanged:
            console.print(f"[yellow]仍有 {report.unchanged} 名考生没有照片。[/]")
        render_reprints(report.reprints)
    for line in report.notes:
        console.print(f"[yellow]{line}[/]")

    emit(report.as_dict(), as_json, render)


@app.command("edit")
def edit(ref: str = typer.Argument(..., help="准考证号或身份证号"),
         name: str = typer.Option(None, "--name", help="姓名"),
         id_number: str = typer.Option(None, "--id-number", help="身份证号（性别、出生日期随之更新）"),
         phone: str = typer.Option(None, "--phone", help="联系电话"),
         occupation: str = typer.Option(None, "--occupation", help="工种（准考证号将重新编号）"),
         level: str = typer.Option(None, "--level", help="等级，如 四级（准考证号将重新编号）"),
         class_name: str = typer.Option(None, "--class", help="班级"),
         employer: str = typer.Option(None, "--employer", help="工作单位"),
         education: str = typer.Option(None, "--education", help="文化程度"),
         address: str = typer.Option(None, "--address", help="地址"),
         retake: str = typer.Option(None, "--retake", help="是否补考：是/否"),
         round_code: str = RoundOpt, user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """修改一名考生的信息（与名单导入相同的检查）；已打印的相关表单作废并列出需重印的。"""
    values = {"name": name, "id_number": id_number, "phone": phone, "occupation": occupation, "level": level,
              "class_name": class_name, "employer": employer, "education": education, "address": address,
              "is_retake": retake}
    report = candidate_edit(ref=ref, values={k: v for k, v in values.items() if v is not None},
                            round_code=round_code, actor=actor_of(user))
    emit(report.as_dict(), as_json, lambda _: render_changes(report, "考生信息修改"))


@app.command("remove")
def remove(ref: str = typer.Argument(..., help="准考证号或身份证号"),
           reason: str = typer.Option(..., "--reason", help="删除原因（记入审计日志）"),
           round_code: str = RoundOpt, user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """删除一名考生（未录成绩、无归档材料时）；其已打印的表单作废。"""
    report = candidate_remove(ref=ref, reason=reason, round_code=round_code, actor=actor_of(user))
    emit(report.as_dict(), as_json, lambda _: render_changes(report, "删除考生"))
