"""Shared CLI pieces: console, --json output, password check for the acting user."""

from __future__ import annotations

import datetime as dt
import decimal
import getpass
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable

import typer
from rich.console import Console

from pipeline.catalog.services import user_authenticate
from pipeline.errors import Refused

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

JsonOption = typer.Option(False, "--json", help="以 JSON 输出（供脚本使用） / machine-readable output")
UserOption = typer.Option(..., "--user", help="执行操作的用户名（将验证其密码；脚本可设 STATION_PASSWORD）")


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    """Print data as JSON when --json was given, else with the human renderer."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")
    else:
        render(data)


def read_password(prompt: str = "密码: ") -> str:
    """The password from STATION_PASSWORD, else asked at the prompt (never echoed)."""
    value = os.environ.get("STATION_PASSWORD")
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise Refused("需要密码：请在提示处输入，或在脚本中设置环境变量 STATION_PASSWORD。",
                      "no password: stdin is not a terminal and STATION_PASSWORD is unset",
                      code="password_missing")
    return getpass.getpass(prompt)


def acting_user(username: str):
    """The station user named on the command line, proven by their password."""
    return user_authenticate(username=username, password=read_password(f"{username} 的密码: "))


REPRINT_STATUS = {"superseded": "已作废，请重印", "filed": "已归档，请重印更正件并归档", "void": "已作废，无需重印"}


def render_reprints(reprints: list[dict]) -> None:
    """The printed forms a change made wrong, and the command that prints each again."""
    if not reprints:
        return
    console.print(f"[yellow]以下 {len(reprints)} 份已打印的表单受此更改影响：[/]")
    by_form: dict[tuple[str, str], list[dict]] = {}
    for r in reprints:
        by_form.setdefault((r["form"], r["status"]), []).append(r)
    for (form, status), rows in by_form.items():
        if len(rows) > 3:      # e.g. every admission ticket of a re-planned round: one line, one command
            command = re.sub(r" --subject \S+$", "", rows[0]["command"])
            arrow = f"  → {command}" if command and status != "void" else ""
            console.print(f"  《{rows[0]['form_zh']}》{len(rows)} 份 {REPRINT_STATUS[status]}{arrow}")
            continue
        for r in rows:
            arrow = f"  → {r['command']}" if r["command"] else ""
            console.print(f"  《{r['form_zh']}》{r['label']}（{r['code']}）{REPRINT_STATUS[status]}{arrow}")
