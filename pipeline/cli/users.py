"""station users add|list."""

from __future__ import annotations

import typer
from django.contrib.auth.models import User
from rich.table import Table

from pipeline.catalog.models import Role
from pipeline.catalog.services import user_add, user_roles
from pipeline.cli.common import JsonOption, console, emit, read_password

app = typer.Typer(help="系统用户与角色 / users and roles", no_args_is_help=True)
ROLE_LABELS = dict(Role.choices)


@app.command("add")
def add(name: str, role: list[str] = typer.Option(..., "--role", help="角色，可多次给出：" + "、".join(
            f"{k}（{v}）" for k, v in Role.choices)),
        full_name: str = typer.Option("", "--full-name", help="姓名")) -> None:
    """新增用户（密码在提示处输入，脚本可设 STATION_PASSWORD）。"""
    user = user_add(username=name, password=read_password(f"为 {name} 设置密码: "), roles=role,
                    full_name=full_name)
    console.print(f"[green]已新增用户[/] {user.username}（{'、'.join(ROLE_LABELS[r] for r in user_roles(user))}）")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """列出用户与角色。"""
    rows = [{"username": u.username, "full_name": u.first_name, "roles": sorted(user_roles(u)),
             "active": u.is_active} for u in User.objects.order_by("username")]

    def render(data: list[dict]) -> None:
        table = Table("用户名", "姓名", "角色", "状态", title="系统用户")
        for row in data:
            table.add_row(row["username"], row["full_name"], "、".join(ROLE_LABELS.get(r, r) for r in row["roles"]),
                          "启用" if row["active"] else "停用")
        console.print(table)

    emit(rows, as_json, render)
