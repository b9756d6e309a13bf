"""station init: create the data folders and the catalog database, check config/."""

from __future__ import annotations

import io

import typer
from django.core.management import call_command

from pipeline.cli.common import console
from pipeline.config import load_config
from pipeline.paths import config_dir, data_paths


def init() -> None:
    """初始化：检查配置，建立数据目录和目录数据库（可重复执行）。"""
    config = load_config()
    paths = data_paths()
    paths.ensure()
    for category in config.categories.values():
        (paths.inbox / category.inbox_folder).mkdir(exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
    console.print(f"[green]已初始化[/]：{config.station.name}")
    console.print(f"  配置目录：{config_dir()}")
    console.print(f"  数据目录：{paths.root}（档案 {paths.archive}，收件箱 {paths.inbox}）")


def register(app: typer.Typer) -> None:
    """Add the top-level admin commands to app."""
    app.command("init")(init)
