"""station users add|grant|revoke|disable|enable|list: accounts of persons, administered by the station head."""

from __future__ import annotations

import typer
from rich.table import Table

from pipeline.catalog.models import Role
from pipeline.catalog.people import roles_parse, user_add, user_grant, user_revoke, user_set_active, users_list
from pipeline.cli.common import JsonOption, acting_user, console, emit, read_new_password

app = typer.Typer(help="系统用户与角色（须站长本人验证） / users and roles", no_args_is_help=True)
ROLE_LABELS = dict(Role.choices)
RoleOption = typer.Option(..., "--role", help="角色，可多次给出：" + "、".join(f"{k}（{v}）" for k, v in Role.choices))
HeadOption = typer.Option(..., "--user", help="站长用户名（验证站长本人密码：终端输入或 STATION_PASSWORD_<用户名>）")


def _head(user: str):
    return acting_user(user, two_person=True)


def _roles(values) -> str:
    return "、".join(ROLE_LABELS.get(r, r) for r in sorted(values))


@app.command("add")
def add(name: str, role: list[str] = RoleOption, user: str = HeadOption,
        staff: str = typer.Option("", "--staff", help="已导入的工作人员工号（账号属于此人）"),
        full_name: str = typer.Option("", "--full-name", help="姓名（无 --staff 时必填）"),
        id_number: str = typer.Option("", "--id-number", help="身份证号（无 --staff 时必填，用于识别同一人）")) -> None:
    """站长新增用户：每个账号属于一名工作人员；新密码在终端输入两次，脚本可设 STATION_PASSWORD_<新用户名>。"""
    roles_parse(role)                     # an unknown role is named before anyone types a password
    head = _head(user)
    created = user_add(actor=head, username=name, password=read_new_password(name), roles=role,
                       staff_badge=staff, full_name=full_name, id_number=id_number)
    console.print(f"[green]已新增用户[/] {created.username}（{_roles(r.name for r in created.groups.all())}）")


@app.command("grant")
def grant(name: str, role: list[str] = RoleOption, user: str = HeadOption) -> None:
    """站长给用户增加角色（记入审计日志）。"""
    changed = user_grant(actor=_head(user), username=name, roles=role)
    console.print(f"[green]已授予[/] {changed.username}：{_roles(role)}")


@app.command("revoke")
def revoke(name: str, role: list[str] = RoleOption, user: str = HeadOption) -> None:
    """站长撤销用户的角色（记入审计日志）。"""
    changed = user_revoke(actor=_head(user), username=name, roles=role)
    console.print(f"[green]已撤销[/] {changed.username}：{_roles(role)}")


@app.command("disable")
def disable(name: str, user: str = HeadOption) -> None:
    """站长停用账号（不删除，记入审计日志）。"""
    user_set_active(actor=_head(user), username=name, active=False)
    console.print(f"[green]已停用[/] {name}")


@app.command("enable")
def enable(name: str, user: str = HeadOption) -> None:
    """站长重新启用账号（记入审计日志）。"""
    user_set_active(actor=_head(user), username=name, active=True)
    console.print(f"[green]已启用[/] {name}")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """列出用户、角色与所属工作人员。"""
    def render(data: list[dict]) -> None:
        table = Table("用户名", "姓名", "工号", "角色", "状态", title="系统用户")
        for row in data:
            table.add_row(row["username"], row["full_name"], row["staff"], _roles(row["roles"]),
                          "启用" if row["active"] else "停用")
        console.print(table)

    emit(users_list(), as_json, render)
