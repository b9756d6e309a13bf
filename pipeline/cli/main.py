"""Entry point of the `station` command: registers command groups and maps errors to exit codes."""

from __future__ import annotations

import errno
import logging
import sys

import typer

from pipeline.site import django_setup

django_setup.setup()

from pipeline.cli import admin, rounds, users  # noqa: E402  (Django must be set up first)
from pipeline.cli import scansim  # noqa: E402
from pipeline.cli import search as search_cli  # noqa: E402
from pipeline.cli import items as items_cli  # noqa: E402
from pipeline.cli import imports  # noqa: E402
from pipeline.cli import corrections as corrections_cli, corrections_staff  # noqa: E402
from pipeline.cli import results as results_cli  # noqa: E402
from pipeline.cli.assign import assign_cmd  # noqa: E402
from pipeline.cli import ingest as ingest_cli  # noqa: E402
from pipeline.cli import forms as forms_cli  # noqa: E402
from pipeline.cli import audit as audit_cli, retention as retention_cli, verify as verify_cli  # noqa: E402
from pipeline.cli import keys as keys_cli  # noqa: E402
from pipeline.cli import serve as serve_cli  # noqa: E402
from pipeline.archive.keys import key_check_start  # noqa: E402
from pipeline.cli.common import err_console  # noqa: E402
from pipeline.cli import zh_help  # noqa: E402
from pipeline.catalog.selectors import catalog_ready  # noqa: E402
from pipeline.core.paths import data_paths  # noqa: E402
from django.db import DatabaseError  # noqa: E402
from pipeline.core.errors import ExitCode, NotInitialised, StationError  # noqa: E402

log = logging.getLogger("pipeline.cli")
zh_help.install()   # Typer's Usage/Options/help text and usage errors in Chinese

app = typer.Typer(help="职业技能鉴定站 表单与档案系统 / appraisal station forms and archive",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
admin.register(app)
retention_cli.register(app)
verify_cli.register(app)
app.add_typer(audit_cli.app, name="audit")
forms_cli.register(app)
search_cli.register(app)
items_cli.register(app)
ingest_cli.register(app)
app.add_typer(rounds.app, name="rounds")
app.add_typer(users.app, name="users")
app.command("scansim")(scansim.scansim)
app.command("assign")(assign_cmd)
app.add_typer(imports.app, name="import")
app.add_typer(corrections_cli.app, name="candidates")
app.add_typer(corrections_staff.staff_app, name="staff")
app.add_typer(corrections_staff.rooms_app, name="rooms")
app.add_typer(results_cli.app, name="results")
keys_cli.register(app)
serve_cli.register(app)


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
        if not catalog_ready():
            log.warning("database error before init: %s", exc)
            return _report(_not_initialised())
        log.exception("unexpected database error running %s", argv)
        err_console.print("[bold red]内部错误[/]：命令未能完成。详细信息已写入日志 var/station.log，请联系系统维护人员。")
        return int(ExitCode.FAILURE)
    except Exception as exc:  # noqa: BLE001 — the edge: log the trace, tell staff what to do
        if _disk_full(exc):
            return _disk_full_report(argv, exc)
        log.exception("unexpected error running %s", argv)
        err_console.print("[bold red]内部错误[/]：命令未能完成。详细信息已写入日志 var/station.log，请联系系统维护人员。")
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
