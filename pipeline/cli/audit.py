"""station audit verify|anchor|list: the hash-chained audit log and its anchor outside the data root."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from pipeline.archive.audit import audit_anchor_make, audit_list
from pipeline.archive.store import write_file_atomic
from pipeline.archive.verify import anchor_file_check, audit_check
from pipeline.cli.common import JsonOption, console, emit
from pipeline.core.config import get_config
from pipeline.core.errors import BadInput, IntegrityProblem
from pipeline.core.labels import local_time
from pipeline.core.paths import data_paths
from pipeline.core.privacy import mask_data, mask_personal

app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)


@app.command("anchor")
def anchor(out: Path = typer.Option(..., "--out", help="锚点文件（放在数据目录以外：U 盘或档案室）"),
           as_json: bool = JsonOption) -> None:
    """导出审计链锚点（链头哈希及每条记录的短哈希）：保存在数据目录以外，
    日后用 audit verify --anchor 证明日志未被改写。"""
    root = data_paths().root
    target = out.expanduser().resolve()
    if target == root or root in target.parents:
        raise BadInput(f"锚点文件不能放在数据目录 {root} 之内（改数据库的人也能改它）：请写到 U 盘或其他位置。",
                       f"anchor inside data root: {target}", code="anchor_inside_root")
    data = audit_anchor_make(station=get_config().station.code)
    write_file_atomic(target, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    emit({"path": str(target), "seq": data["seq"], "hash": data["hash"]}, as_json,
         lambda _: console.print(f"[green]已导出审计锚点[/] {target}：第 {data['seq']} 条，{data['hash'][:16]}"))


@app.command("verify")
def verify(anchor_file: Path = typer.Option(None, "--anchor", help="audit anchor 导出的锚点文件（或清册二维码内容）"),
           as_json: bool = JsonOption) -> None:
    """校验审计日志的哈希链：发现被修改、删除或调换顺序的记录；给出 --anchor 时证明日志自该锚点以来未被改写。"""
    findings = audit_check(data_paths()) + (anchor_file_check(anchor_file) if anchor_file else [])
    emit({"ok": not findings, "findings": [f.__dict__ for f in findings]}, as_json,
         lambda _: console.print("[green]审计日志完整[/]：哈希链校验通过"
                                 + ("，且与锚点一致。" if anchor_file else "。"))
         if not findings else None)
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
    rows = [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "target": mask_personal(e.target),
             "detail": mask_data(e.detail), "hash": e.hash}          # the log keeps them; the listing masks them
            for e in audit_list(limit=limit, actor=actor, action=action)]

    def render(data: list[dict]) -> None:
        table = Table("序号", "时间", "用户", "操作", "对象", title="审计日志")
        for row in data:
            table.add_row(str(row["seq"]), local_time(row["at"], fmt="%Y-%m-%d %H:%M:%S"), row["actor"], row["action"],
                          row["target"])
        console.print(table)

    emit(rows, as_json, render)
