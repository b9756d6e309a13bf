"""Entry point of the `station` command: registers command groups and maps errors to exit codes."""

from __future__ import annotations

import errno
import logging
import sys

import typer

from pipeline.site import django_setup

django_setup.setup()    # every command but --help needs the catalog; the log goes where settings say

from django.db import DatabaseError  # noqa: E402

from pipeline.archive.keys import key_check_start  # noqa: E402
from pipeline.cli import zh_help  # noqa: E402
from pipeline.cli.common import err_console  # noqa: E402
from pipeline.cli.lazy import lazy_group  # noqa: E402
from pipeline.core.errors import ExitCode, NotInitialised, StationError  # noqa: E402
from pipeline.core.paths import data_paths  # noqa: E402

log = logging.getLogger("pipeline.cli")
zh_help.install()   # Typer's Usage/Options/help text and usage errors in Chinese

# Each command's module is imported (and Django set up) only when that command runs, so `status`,
# `search` and `show` do not wait for the form renderer, the planner or the spreadsheet reader.
# name → (module, attribute): a register(app) function, a Typer sub-app, or a command function.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("pipeline.cli.admin", "register"),
    "verify": ("pipeline.cli.verify", "register"), "rebuild-catalog": ("pipeline.cli.verify", "register"),
    "cover": ("pipeline.cli.forms", "register"),
    "search": ("pipeline.cli.search", "register"), "reindex": ("pipeline.cli.search", "register"),
    "show": ("pipeline.cli.items", "register"),
    "watch": ("pipeline.cli.ingest", "register"), "ingest": ("pipeline.cli.ingest", "register"),
    "status": ("pipeline.cli.ingest", "register"),
    "scansim": ("pipeline.cli.scansim", "scansim"),
    "assign": ("pipeline.cli.assign", "assign_cmd"),
    "release": ("pipeline.cli.keys", "register"), "extract": ("pipeline.cli.keys", "register"),
    "retention": ("pipeline.cli.retention", "register"), "hold": ("pipeline.cli.retention", "register"),
    "loan": ("pipeline.cli.retention", "register"), "destruction": ("pipeline.cli.retention", "register"),
    "audit": ("pipeline.cli.audit", "app"),
    "forms": ("pipeline.cli.forms", "register"),
    "quarantine": ("pipeline.cli.ingest", "register"), "review": ("pipeline.cli.ingest", "register"),
    "rounds": ("pipeline.cli.rounds", "app"),
    "users": ("pipeline.cli.users", "app"),
    "import": ("pipeline.cli.imports", "app"),
    "candidates": ("pipeline.cli.corrections", "app"),
    "staff": ("pipeline.cli.corrections_staff", "staff_app"),
    "rooms": ("pipeline.cli.corrections_staff", "rooms_app"),
    "results": ("pipeline.cli.results", "app"),
    "keys": ("pipeline.cli.keys", "register"),
    "serve": ("pipeline.cli.serve", "register"),
    "inspect": ("pipeline.cli.inspection", "register"),
    "report": ("pipeline.cli.reports", "app"),
}

app = typer.Typer(help="职业技能鉴定站 表单与档案系统 / appraisal station forms and archive",
                  cls=lazy_group(COMMANDS, django_setup.setup),
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def _root() -> None:
    """职业技能鉴定站 表单与档案系统 / appraisal station forms and archive"""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with argv; return the exit code instead of exiting (used by tests)."""
    try:
        key_check_start()       # a key file with loose permissions stops every command (exit 3)
        app(args=argv, prog_name="station")  # standalone: usage errors exit 2 by themselves
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(ExitCode.FAILURE if exc.code else ExitCode.OK)
    except StationError as exc:
        return _report(exc)
    except DatabaseError as exc:
        if _disk_full(exc):
            return _disk_full_report(argv, exc)
        from pipeline.catalog.selectors import catalog_ready  # needs Django, set up by then

        if not catalog_ready():
            log.warning("database error before init: %s", exc)
            return _report(_not_initialised())
        log.exception("unexpected database error running %s", argv)
        err_console.print("[bold red]内部错误[/]：命令未能完成。详细信息已写入日志 var/station.log，"
                          "请联系系统维护人员。")
        return int(ExitCode.FAILURE)
    except Exception as exc:  # noqa: BLE001 — the edge: log the trace, tell staff what to do
        if _disk_full(exc):
            return _disk_full_report(argv, exc)
        log.exception("unexpected error running %s", argv)
        err_console.print("[bold red]内部错误[/]：命令未能完成。详细信息已写入日志 var/station.log，"
                          "请联系系统维护人员。")
        return int(ExitCode.FAILURE)
    return int(ExitCode.OK)


def _report(exc: StationError) -> int:
    """Print a StationError for staff (the code in the log) and return its exit code."""
    log.warning("%s exit=%d detail=%s", exc.code, exc.exit_code, exc.detail)
    err_console.print(f"[bold red]错误[/]：{exc.message_zh}")
    for problem in exc.problems:
        if problem not in exc.message_zh:       # a config error already lists them in its message
            err_console.print(f"  · {problem}")
    return int(exc.exit_code)           # the English code is in the log, not in front of staff


def _not_initialised() -> NotInitialised:
    """The error for a command run on a data root without an up-to-date catalog database."""
    root = data_paths().root
    return NotInitialised(f"数据目录 {root} 尚未初始化（或目录数据库需要升级）：请先运行 station init"
                          f"（可重复执行，不会改动已有数据）；若数据在别处，请设置环境变量 STATION_DATA 指向它。",
                          f"catalog database missing or not migrated under {root}")


def _disk_full(exc: BaseException) -> bool:
    """True for "no space left on device", from the OS or from the database."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "disk is full" in str(exc).lower() \
                or "no space left" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _disk_full_report(argv, exc: BaseException) -> int:
    """A plain message for a full disk: nothing filed is harmed, unfinished files resume."""
    log.error("disk full running %s: %s", argv, exc)
    err_console.print("[bold red]错误[/]：磁盘空间已满，命令未能完成（已有档案未受影响）。"
                      "请清理磁盘空间或扩容后重新运行；未处理完的文件会自动续办。")
    return int(ExitCode.FAILURE)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main(sys.argv[1:]))
