"""station inspect: 四性检测 (DA/T 70-2018) of the archive, and its report filed as a permanent record."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from pipeline.cli.common import JsonOption, UserOption, acting_user, console, emit
from pipeline.core.errors import IntegrityProblem
from pipeline.core.paths import data_paths
from pipeline.reports.four_properties import inspection_issue

RESULT_STYLE = {"通过": "green", "不通过": "red", "未检": "yellow", "部分未检": "yellow", "不适用": "dim"}


def _render(data: dict, files: list[str]) -> None:
    table = Table(
        "性质",
        "检测项目",
        "对象",
        "结果",
        "检测数",
        "不符合",
        title=f"电子档案四性检测（{data['year'] or '全部年度'}）",
    )
    for row in data["checks"]:
        style = RESULT_STYLE.get(row["result"], "")
        table.add_row(
            row["property"],
            row["name"],
            row["object"],
            f"[{style}]{row['result']}[/]",
            str(row["checked"]),
            str(row["failed"]),
        )
    console.print(table)
    for finding in data["findings"][:50]:
        console.print(f"  [red]✗[/] {finding['message_zh']} → {finding['action_zh']}")
    if len(data["findings"]) > 50:
        console.print(f"  ……另有 {len(data['findings']) - 50} 处，见报告或 --json")
    console.print(f"[bold]{'检测通过' if data['ok'] else '检测不通过'}[/]。报告（签字后扫描归档，永久保存）：")
    for path in files:
        console.print(f"  {path}")


def inspect(
    out: Path = typer.Option(..., "--out", help="检测报告（PDF 与 Word）输出目录"),
    year: int = typer.Option(None, "--year", help="只检测某一年度的档案（默认全部）"),
    anchor: Path = typer.Option(None, "--anchor", help="station audit anchor 导出的锚点文件（对照检测审计链）"),
    user: str = UserOption,
    as_json: bool = JsonOption,
) -> None:
    """四性检测（DA/T 70-2018）：真实性、完整性、可用性、安全性，逐件并按批检测，
    出具检测报告（PDF+Word，每页二维码）。"""
    actor = acting_user(user)
    with Progress(transient=True, disable=as_json) as bar:
        task = bar.add_task("检测中", total=None)
        report, generated = inspection_issue(
            paths=data_paths(),
            user=actor,
            year=year,
            anchor_file=anchor,
            out=out,
            progress=lambda done, total, _: bar.update(task, completed=done, total=total),
        )
    files = [str(p) for p in (generated.pdf, generated.docx) if p]
    data = {**report.as_dict(), "report": {"instance": generated.code, "files": files}}
    emit(data, as_json, lambda _: _render(data, files))
    if not report.ok:
        raise IntegrityProblem(
            f"四性检测发现 {len(report.findings)} 处不符合，请按报告中的处理意见逐项整改后重新检测。",
            f"inspection found {len(report.findings)} problems",
            code="inspection_failed",
        )


def register(app: typer.Typer) -> None:
    """Add `inspect` to app."""
    app.command("inspect")(inspect)
