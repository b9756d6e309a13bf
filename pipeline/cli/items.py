"""station show: one archive item's card (restricted items: role checked, view audited)."""

from __future__ import annotations

import typer

from pipeline.catalog.items import item_view
from pipeline.cli.common import JsonOption, acting_user, console, emit
from pipeline.core.labels import retention_label, state_label
from pipeline.core.paths import data_paths

LABELS = {"archival_code": "档号", "title": "题名", "responsible": "责任者", "doc_date": "日期", "pages": "页数",
          "category": "类别", "retention_class": "保管期限类别", "due_date": "到期日", "status": "状态",
          "restricted": "限制利用", "round_code": "批次", "candidate_name": "考生", "candidate_id_number": "身份证号",
          "document": "档案文件"}


def show_command(code: str = typer.Argument(..., help="档号"),
                 user: str = typer.Option(None, "--user", help="查看限制利用档案（试卷）时必须给出并验证密码"),
                 as_json: bool = JsonOption) -> None:
    """查看一件档案的目录信息与文件位置（限制利用档案需有权限，且每次查看记入审计日志）。"""
    card = item_view(code=code, user=acting_user(user) if user else None, paths=data_paths())

    def render(data: dict) -> None:
        shown = {**data, "retention_class": retention_label(data.get("retention_class") or ""),
                 "status": state_label(data.get("status") or "")}
        for key, label in LABELS.items():
            value = shown.get(key)
            console.print(f"{label}：{'是' if value is True else '否' if value is False else value or '—'}")

    emit(card, as_json, render)


def register(app: typer.Typer) -> None:
    """Add `show` to the top-level command."""
    app.command("show")(show_command)
