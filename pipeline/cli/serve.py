"""station serve: the web interface under a production server (gunicorn; waitress on Windows), never runserver."""

from __future__ import annotations

import os
import sys

import typer

from pipeline.cli.common import console
from pipeline.core.errors import BadInput, NotInitialised

WSGI = "pipeline.web.wsgi:application"


def default_workers() -> int:
    """Two processes per core, at most 8: a request holds Python's lock while it renders, so threads of one process
    take turns; bench/web.py measured search p95 130 ms with 4 processes on 2 cores against 168 ms with 2."""
    return min(2 * (os.cpu_count() or 1), 8)


def server_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    """The gunicorn command line that serves the station (gthread workers: a PDF or thumbnail download
    does not hold up a search)."""
    return [sys.executable, "-m", "gunicorn", WSGI, "--bind", f"{host}:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads), "--timeout", "120",
            "--graceful-timeout", "20", "--error-logfile", "-", "--name", "station-web"]


def _allowed_hosts(host: str) -> None:
    """Let Django answer on the address served (0.0.0.0: names come from STATION_ALLOWED_HOSTS)."""
    names = [n for n in os.environ.get("STATION_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if n]
    if host not in ("0.0.0.0", "::") and host not in names:
        names.append(host)
    os.environ["STATION_ALLOWED_HOSTS"] = ",".join(names)


def serve(host: str = typer.Option("127.0.0.1", "--host", help="监听地址；办公室其他电脑访问时用 0.0.0.0，"
                                   "并在 STATION_ALLOWED_HOSTS 中写上服务器的名称或 IP"),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="端口"),
          workers: int | None = typer.Option(None, "--workers", min=1, max=32,
                                      help="工作进程数（默认：CPU 核数×2，最多 8；每个进程 --threads 个线程）"),
          threads: int = typer.Option(4, "--threads", min=1, max=32, help="每个进程的线程数")) -> None:
    """运行网页界面（gunicorn；Windows 服务器用 waitress），直到 Ctrl-C。"""
    from pipeline.catalog.selectors import catalog_ready
    if not catalog_ready():
        raise NotInitialised("数据目录尚未初始化：请先运行 station init，再运行 station serve。", "serve before init")
    _allowed_hosts(host)
    workers = workers or default_workers()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipeline.site.settings")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(f"网页界面：http://{shown}:{port}/ （{workers} 个进程；Ctrl-C 停止）")
    if os.name == "nt":
        _serve_waitress(host, port, workers * threads)
        return
    command = server_command(host=host, port=port, workers=workers, threads=threads)
    sys.stdout.flush()
    os.execv(sys.executable, command)            # gunicorn takes over this process: Ctrl-C and signals reach it


def _serve_waitress(host: str, port: int, threads: int) -> None:
    """Windows: waitress (pure Python), one process with threads."""
    try:
        from waitress import serve as waitress_serve
    except ImportError:
        raise BadInput("Windows 上需要 waitress：请运行 pip install waitress 后重试。", "waitress missing",
                       code="waitress_missing") from None
    from pipeline.web.wsgi import application
    waitress_serve(application, host=host, port=port, threads=threads)


def register(app: typer.Typer) -> None:
    """Add `serve` to the top-level command."""
    app.command("serve")(serve)
