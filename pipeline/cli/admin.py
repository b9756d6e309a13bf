"""station init: create the data folders and the catalog database, check config/, make the first station head."""

from __future__ import annotations

import io
import sys

import typer
from django.core.management import call_command

from pipeline.catalog.people import head_create_first, head_exists
from pipeline.cli.common import console, read_new_password
from pipeline.core.config import load_config
from pipeline.core.paths import config_dir, data_paths


def _first_head(username: str, full_name: str, id_number: str, staff: str) -> None:
    if head_exists():
        if username:
            console.print(f"[yellow]已有站长账号，未建立“{username}”[/]：新增用户须由站长本人验证身份"
                          "（station users add … --user 站长用户名）。")
        return
    if not username and sys.stdin.isatty():
        console.print("尚无站长账号，现在建立第一位站长（此后新增用户须由站长本人验证）。")
        username = typer.prompt("站长用户名")
        full_name = full_name or typer.prompt("站长姓名")
        id_number = id_number or typer.prompt("站长身份证号")
    if not username:
        console.print("[yellow]尚无站长账号[/]：请运行 station init --head 用户名 --head-name 姓名 --head-id 身份证号"
                      "（密码在终端输入，脚本可设 STATION_PASSWORD_<用户名>）。")
        return
    head = head_create_first(username=username, password=read_new_password(username), full_name=full_name,
                             id_number=id_number, staff_badge=staff)
    console.print(f"[green]已建立站长账号[/] {head.username}（{head.first_name}）")


def init(head: str = typer.Option("", "--head", help="第一位站长的用户名（仅在尚无站长时）"),
         head_name: str = typer.Option("", "--head-name", help="第一位站长的姓名"),
         head_id: str = typer.Option("", "--head-id", help="第一位站长的身份证号"),
         head_staff: str = typer.Option("", "--head-staff", help="或：已导入的工作人员工号")) -> None:
    """初始化：检查配置，建立数据目录和目录数据库（可重复执行）；尚无站长时建立第一位站长。"""
    config = load_config()
    paths = data_paths()
    paths.ensure()
    for category in config.categories.values():
        (paths.inbox / category.inbox_folder).mkdir(exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
    console.print(f"[green]已初始化[/]：{config.station.name}")
    console.print(f"  配置目录：{config_dir()}")
    console.print(f"  数据目录：{paths.root}（档案 {paths.archive}，收件箱 {paths.inbox}）")
    _first_head(head.strip(), head_name, head_id, head_staff)


def register(app: typer.Typer) -> None:
    """Add the top-level admin commands to app."""
    app.command("init")(init)
