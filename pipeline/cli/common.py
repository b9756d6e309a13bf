"""Shared CLI pieces: console, --json output, password check for the acting user."""

from __future__ import annotations

import datetime as dt
import decimal
import getpass
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from pipeline.catalog.services import user_authenticate
from pipeline.core.errors import BadInput, Refused

_CONSOLES = ({"highlight": False}, {"stderr": True, "highlight": False})
console, err_console = (Console(**options) for options in _CONSOLES)


def consoles_reset() -> None:
    """Set both consoles up again for this process's terminal and environment (colours, width): a command
    run by the preloading server (pipeline/cli/preload_server.py) got them from a process without one."""
    for each, options in zip((console, err_console), _CONSOLES, strict=True):
        each.__init__(**options)    # type: ignore[misc]

JsonOption = typer.Option(False, "--json", help="以 JSON 输出（供脚本使用） / machine-readable output")
UserOption = typer.Option(..., "--user", help="执行操作的用户名（验证其本人密码；脚本可设 STATION_PASSWORD_<用户名>）")


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


PASSWORD_VAR = "STATION_PASSWORD"
USER_VAR = "STATION_USER"


def password_variable(username: str) -> str:
    """STATION_PASSWORD_<USERNAME>: the per-user variable (non-ASCII names: X + UTF-8 hex)."""
    if re.fullmatch(r"[A-Za-z0-9_]+", username):
        return f"{PASSWORD_VAR}_{username.upper()}"
    return f"{PASSWORD_VAR}_X{username.encode('utf-8').hex().upper()}"


def read_password_for(username: str, *, two_person: bool = False) -> str:
    """The user's own password: STATION_PASSWORD_<USERNAME>; else STATION_PASSWORD when STATION_USER names
    this user and the step is not one of the two-person rules; else asked on the terminal (never echoed)."""
    own = os.environ.get(password_variable(username))
    if own is not None:
        return own
    shared = os.environ.get(PASSWORD_VAR)
    if shared is not None and not two_person and os.environ.get(USER_VAR) == username:
        return shared
    if sys.stdin.isatty():
        return getpass.getpass(f"{username} 的密码: ")
    why = ("这一步属于两人规则（批准、监销、执行、借阅审批、用户管理），须由本人在终端输入密码" if two_person
           else f"{PASSWORD_VAR} 只用于 {USER_VAR} 指定的那一个用户")
    raise Refused(f"需要用户“{username}”本人的密码：{why}；无人值守的脚本可为该用户设置环境变量 "
                  f"{password_variable(username)}。", f"no password for {username!r} (two_person={two_person})",
                  code="password_missing")


def read_new_password(username: str) -> str:
    """A new account's password: STATION_PASSWORD_<USERNAME>, else typed twice on the terminal."""
    given = os.environ.get(password_variable(username))
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise Refused(f"请在终端为“{username}”设置密码，或在脚本中设置环境变量 {password_variable(username)}。",
                      f"no new password for {username!r}", code="password_missing")
    first = getpass.getpass(f"为 {username} 设置密码: ")
    if getpass.getpass("再输入一次: ") != first:
        raise BadInput("两次输入的密码不一致，未做任何改动。", "password mismatch", code="password_mismatch")
    return first


def acting_user(username: str, *, two_person: bool = False):
    """The station user named on the command line, proven by their own password."""
    return user_authenticate(username=username, password=read_password_for(username, two_person=two_person))


REPRINT_STATUS = {"superseded": "已作废，请重印", "filed": "已归档，请重印更正件并归档", "void": "已作废，无需重印"}


def render_reprints(reprints: list[dict]) -> None:
    """The printed forms a change made wrong, and the command that prints each again."""
    if not reprints:
        return
    console.print(f"[yellow]以下 {len(reprints)} 份已打印的表单受此更改影响：[/]")
    by_form: dict[tuple[str, str], list[dict]] = {}
    for r in reprints:
        by_form.setdefault((r["form"], r["status"]), []).append(r)
    for (_form, status), rows in by_form.items():
        if len(rows) > 3:      # e.g. every admission ticket of a re-planned round: one line, one command
            command = re.sub(r" --subject \S+$", "", rows[0]["command"])
            arrow = f"  → {command}" if command and status != "void" else ""
            console.print(f"  《{rows[0]['form_zh']}》{len(rows)} 份 {REPRINT_STATUS[status]}{arrow}")
            continue
        for r in rows:
            arrow = f"  → {r['command']}" if r["command"] else ""
            console.print(f"  《{r['form_zh']}》{r['label']}（{r['code']}）{REPRINT_STATUS[status]}{arrow}")
