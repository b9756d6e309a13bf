"""station audit verify|list: the hash-chained audit log."""

from __future__ import annotations

import typer
from rich.table import Table

from pipeline.audit import audit_list
from pipeline.cli.common import JsonOption, console, emit
from pipeline.errors import IntegrityProblem
from pipeline.paths import data_paths
from pipeline.verify import audit_check
from pipeline.labels import local_time

app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)


@app.command("verify")
def verify(as_json: bool = JsonOption) -> None:
    """校验审计日志的哈希链：发现被修改、删除或调换顺序的记录。"""
    findings = audit_check(data_paths())
    emit({"ok": not findings, "findings": [f.__dict__ for f in findings]}, as_json,
         lambda _: console.print("[green]审计日志完整[/]：哈希链校验通过。") if not findings else None)
    if findings:
        raise IntegrityProblem("审计日志校验未通过，请立即报告站长并保留现场：",
                               f"audit chain broken: {[f.kind for f in findings]}", code="audit_broken",
                               problems=[f.message_zh for f in findings])


@app.command("list")
def list_(limit: int = typer.Option(50, "--limit", help="显示最近多少条"),
          actor: str = typer.Option("", "--actor", help="只看某用户"),
          action: str = typer.Option("", "--action", help="只看某类操作（前缀，如 destruction）"),
          as_json: bool = JsonOption) -> None:
    """列出最近的审计记录（新的在前）。"""
    rows = [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "target": e.target,
             "detail": e.detail, "hash": e.hash} for e in audit_list(limit=limit, actor=actor, action=action)]

    def render(data: list[dict]) -> None:
        table = Table("序号", "时间", "用户", "操作", "对象", title="审计日志")
        for row in data:
            table.add_row(str(row["seq"]), local_time(row["at"], fmt="%Y-%m-%d %H:%M:%S"), row["actor"], row["action"],
                          row["target"])
        console.print(table)

    emit(rows, as_json, render)
