"""station staff edit|remove, station rooms edit|remove — correcting staff and rooms after import."""

from __future__ import annotations

import typer

from pipeline.catalog.corrections import CorrectionReport
from pipeline.catalog.corrections_staff import room_edit, room_remove, staff_edit, staff_remove
from pipeline.cli.common import JsonOption, console, emit
from pipeline.cli.corrections import UserOpt, actor_of, render_changes

staff_app = typer.Typer(help="更正工作人员：修改、删除 / correct staff", no_args_is_help=True)
rooms_app = typer.Typer(help="更正考场：修改、删除 / correct rooms", no_args_is_help=True)
ReasonOpt = typer.Option(..., "--reason", help="删除原因（记入审计日志）")


def _show(report: CorrectionReport, title: str) -> None:
    render_changes(report, title)
    for line in report.notes:
        console.print(f"[yellow]{line}[/]")


@staff_app.command("edit")
def staff_edit_cmd(badge: str = typer.Argument(..., help="胸卡编号"),
                   name: str = typer.Option(None, "--name", help="姓名"),
                   roles: str = typer.Option(None, "--roles", help="全部角色，如 考评员、考评组长（替换原有角色）"),
                   add_role: list[str] = typer.Option([], "--add-role", help="增加一个角色，如 考评组长（可重复）"),
                   id_number: str = typer.Option(None, "--id-number", help="身份证号"),
                   phone: str = typer.Option(None, "--phone", help="联系电话"),
                   occupations: str = typer.Option(None, "--occupations", help="考评工种，如 电工、焊工"),
                   certificate: str = typer.Option(None, "--certificate", help="考评员证号"),
                   user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """修改一名工作人员（与名单导入相同的检查）；已打印的胸卡、安排表作废并列出需重印的。"""
    values = {"name": name, "roles": roles, "id_number": id_number, "phone": phone, "occupations": occupations,
              "certificate": certificate}
    report = staff_edit(badge=badge, values={k: v for k, v in values.items() if v is not None},
                        add_roles=list(add_role), actor=actor_of(user))
    emit(report.as_dict(), as_json, lambda _: _show(report, "工作人员信息修改"))


@staff_app.command("remove")
def staff_remove_cmd(badge: str = typer.Argument(..., help="胸卡编号"), reason: str = ReasonOpt,
                     user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """删除一名工作人员；用到此人的考场安排撤销（考场安排已实施的批次拒绝），需重新 station assign。"""
    report = staff_remove(badge=badge, reason=reason, actor=actor_of(user))
    emit(report.as_dict(), as_json, lambda _: _show(report, "删除工作人员"))


@rooms_app.command("edit")
def room_edit_cmd(code: str = typer.Argument(..., help="考场编号"),
                  name: str = typer.Option(None, "--name", help="考场名称"),
                  kind: str = typer.Option(None, "--kind", help="理论 或 实操"),
                  capacity: str = typer.Option(None, "--capacity", help="容量"),
                  location: str = typer.Option(None, "--location", help="地点"),
                  occupations: str = typer.Option(None, "--occupations", help="适用工种，如 电工、焊工"),
                  workstations: str = typer.Option(None, "--workstations", help="工位，如 A01-A20 或 20"),
                  user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """修改一个考场（与名单导入相同的检查）；容量、工位等变化时撤销用到它的考场安排。"""
    values = {"name": name, "kind": kind, "capacity": capacity, "location": location, "occupations": occupations,
              "workstations": workstations}
    report = room_edit(code=code, values={k: v for k, v in values.items() if v is not None}, actor=actor_of(user))
    emit(report.as_dict(), as_json, lambda _: _show(report, "考场信息修改"))


@rooms_app.command("remove")
def room_remove_cmd(code: str = typer.Argument(..., help="考场编号"), reason: str = ReasonOpt,
                    user: str = UserOpt, as_json: bool = JsonOption) -> None:
    """删除一个考场；用到它的考场安排撤销（考场安排已实施的批次拒绝），需重新 station assign。"""
    report = room_remove(code=code, reason=reason, actor=actor_of(user))
    emit(report.as_dict(), as_json, lambda _: _show(report, "删除考场"))
