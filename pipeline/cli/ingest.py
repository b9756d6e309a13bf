"""station watch | ingest --once | status | quarantine list|retry | review list|show|file|discard|attach."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.catalog.selectors import outstanding_by_round
from pipeline.cli.common import JsonOption, acting_user, console, emit
from pipeline.core.config import get_config
from pipeline.core.errors import NeedsAttention, StationError
from pipeline.core.labels import stage_label
from pipeline.core.paths import DataPaths, data_paths
from pipeline.ingest.inbox import quarantine_retry_for
from pipeline.ingest.jobs import ingest_status
from pipeline.ingest.quarantine import quarantine_list

quarantine_app = typer.Typer(help="隔离区：无法归档的文件及原因 / quarantined files", no_args_is_help=True)
review_app = typer.Typer(help="待人工处理项 / items waiting for a person", no_args_is_help=True)

InboxOption = typer.Option(None, "--inbox", help="收件箱目录（默认：数据目录下的 inbox/）")
WorkersOption = typer.Option(1, "--workers", min=1, max=16, help="并行处理进程数（2 核机器建议 2）")

OUTCOME_ZH = {"filed": "已归档", "review": "部分页面待人工处理", "quarantined": "已隔离",
              "duplicate": "重复文件（已归档过）", "gone": "已被其他进程领取", "unclaimed": "无法领取（见日志）",
              "claimed": "未完成（将续办）", "reserved": "未完成（将续办）", "committed": "未完成（将续办）",
              "indexed": "未完成（将续办）", "retry": "出错，下次运行时重试",
              "stuck": "多次失败，已停止重试（见 station status）",
              "ocr_wait": "需要 OCR，先让收件箱中其他文件归档，空闲时再识别",
              "changed": "文件仍在变化（稍后再取）"}
IGNORED_ZH = {"symlink": "符号链接", "fifo": "命名管道", "socket": "套接字", "device": "设备文件", "other": "特殊文件"}


def _paths(inbox: Path | None) -> tuple[DataPaths, Path]:
    paths = data_paths()
    paths.ensure()
    return paths, (inbox.resolve() if inbox else paths.inbox)


def _helpers(command: list[str], workers: int) -> list[subprocess.Popen]:
    """Start workers-1 more worker processes running the same command (claims never collide)."""
    args = [sys.executable, "-m", "pipeline", *command, "--workers", "1"]
    return [subprocess.Popen(args, env=os.environ.copy(), stdout=subprocess.DEVNULL) for _ in range(workers - 1)]


class _Helper:
    """One more `ingest --once --helper` process. It prints its outcome counts as a JSON line instead of judging
    them itself; the parent adds them to its own, so a file a helper quarantined is reported once, by the parent,
    with exit 8 — not as a failed helper. Its output goes to a temporary file: it never blocks on a full pipe."""

    def __init__(self, command: list[str]) -> None:
        self.out = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 -- closed in counts()
        args = [sys.executable, "-m", "pipeline", *command, "--workers", "1", "--helper"]
        self.process = subprocess.Popen(args, env=os.environ.copy(), stdout=self.out)

    def counts(self) -> dict[str, int] | None:
        """Its counts once it has ended, or None when it failed (crashed, killed, printed nothing usable)."""
        self.process.wait()
        with self.out:
            self.out.seek(0)
            lines = self.out.read().strip().splitlines()
        if self.process.returncode != 0 or not lines:
            return None
        try:
            counts = json.loads(lines[-1])
        except ValueError:
            return None
        return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else None


def _print_outcome(path: Path, outcome: str) -> None:
    console.print(f"{time.strftime('%H:%M:%S')}  {path.name}：{OUTCOME_ZH.get(outcome, outcome)}")


def watch(poll: bool = typer.Option(False, "--poll", help="轮询模式（网络共享文件夹收不到文件事件时使用）"),
          inbox: Path = InboxOption, workers: int = WorkersOption) -> None:
    """监视收件箱：文件写完后自动归档，直到按 Ctrl-C 停止。"""
    # here, not at module level: CLI start-up time (the flow loads PDF, QR and search libraries)
    from pipeline.ingest.flow import ingest_path, jobs_resume, ocr_lane_step
    from pipeline.ingest.watch import InboxWatcher
    config, (paths, folder) = get_config(), _paths(inbox)
    helpers = _helpers(["watch", *(["--poll"] if poll else []), *(["--inbox", str(folder)] if inbox else [])],
                       workers)
    ready: queue.Queue[Path] = queue.Queue()
    watcher = InboxWatcher(folder, config.ingest, ready.put, poll=poll)
    may_ocr = ready.empty                 # OCR steps aside while complete files wait (the OCR lane)
    jobs_resume(paths=paths, config=config, may_ocr=may_ocr)
    watcher.start()
    console.print(f"[green]正在监视[/] {folder}（{workers} 个进程；Ctrl-C 停止）")
    last_resume = time.monotonic()
    try:
        while True:
            try:
                path = ready.get(timeout=1.0)
            except queue.Empty:
                if time.monotonic() - last_resume >= config.ingest.rescan_seconds:
                    jobs_resume(paths=paths, config=config, may_ocr=may_ocr)   # jobs a crashed peer left behind
                    last_resume = time.monotonic()
                ocr_lane_step(paths=paths, config=config, may_ocr=may_ocr)
                continue
            _print_outcome(path, ingest_path(path=path, paths=paths, config=config, inbox=folder, may_ocr=may_ocr))
    except KeyboardInterrupt:
        console.print("已停止监视。")
    finally:
        watcher.stop()
        for helper in helpers:
            helper.terminate()


def ingest(once: bool = typer.Option(False, "--once", help="处理完收件箱中现有文件后退出"),
           inbox: Path = InboxOption, workers: int = WorkersOption,
           retry_stuck: bool = typer.Option(False, "--retry-stuck",
                                            help="先让多次失败而停止重试的作业重新处理"),
           helper: bool = typer.Option(False, "--helper", hidden=True,
                                       help="internal: a parallel helper of ingest --once; prints its counts as JSON")
           ) -> None:
    """归档收件箱中的文件（--once：处理完即退出；否则同 station watch）。

    --once 结束时，若本次有文件被隔离、出错待重试，或有作业多次失败已停止重试，退出码为 8（供定时任务报警）。"""
    if not once:
        watch(poll=False, inbox=inbox, workers=workers)
        return
    from pipeline.ingest.flow import ingest_once  # here: CLI start-up time (PDF, QR and search libraries)
    from pipeline.ingest.jobs import jobs_stuck, jobs_unstick
    config, (paths, folder) = get_config(), _paths(inbox)
    if retry_stuck:
        console.print(f"已恢复 {jobs_unstick()} 个停止重试的作业。")
    if helper:
        print(json.dumps(ingest_once(paths=paths, config=config, inbox=folder)))
        return
    helpers = [_Helper(["ingest", "--once", *(["--inbox", str(folder)] if inbox else [])])
               for _ in range(workers - 1)]
    with _ingest_progress(folder) as progress:
        counts = ingest_once(paths=paths, config=config, inbox=folder, progress=progress)
    failed = []
    for one in helpers:
        reported = one.counts()
        if reported is None:
            failed.append(one.process.returncode)
            continue
        for outcome, number in reported.items():
            counts[outcome] = counts.get(outcome, 0) + number
    parts = [f"{OUTCOME_ZH.get(k, k)} {v}" for k, v in sorted(counts.items())]
    console.print("收件箱处理完毕：" + ("，".join(parts) if parts else "没有待处理的文件"))
    if any(failed):
        raise StationError("部分并行处理进程异常退出，详见日志 var/station.log；未完成的文件会在下次运行时续办。",
                           f"helper exit codes {failed}", code="worker_failed")
    _raise_if_attention(counts, len(jobs_stuck()))


def _raise_if_attention(counts: dict[str, int], stuck: int) -> None:
    """Exit code 8 when anything needs a person: quarantined, failing, stuck."""
    quarantined, retry = counts.get("quarantined", 0), counts.get("retry", 0)
    if quarantined or retry or stuck:
        raise NeedsAttention(f"需要人工处理：本次隔离 {quarantined} 个文件，出错待重试 {retry} 个，"
                             f"停止重试的作业 {stuck} 个。请查看 station quarantine list 与 station status。",
                             f"quarantined={quarantined} retry={retry} stuck={stuck}")


@contextmanager
def _ingest_progress(folder: Path):
    """A Rich progress display (files and pages) on a terminal; None (no output) otherwise."""
    if not console.is_terminal:
        yield None
        return
    from pipeline.ingest.watch import inbox_files
    total = len(inbox_files(folder)) if folder.is_dir() else 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[pages]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("归档", total=total or None, pages="")
        pages = {"done": 0, "current": 0}

        def tick(stage: str, name: str, count: int) -> None:
            if stage == "file":
                pages["done"] += pages["current"]
                pages["current"] = 0
                bar.update(task, advance=1, total=max(total, int(bar.tasks[0].completed) + 1))
            elif stage == "page":
                pages["current"] = count
            short = name if len(name) <= 30 else name[:27] + "…"
            label = "OCR 识别" if stage == "ocr" else "归档"      # an unmarked document being read (the OCR lane)
            bar.update(task, description=f"{label} {short}" if name else label,
                       pages=f"已读 {pages['done'] + pages['current']} 页")
        yield tick


def status(as_json: bool = JsonOption) -> None:
    """收件箱与归档概况：排队、今日/累计归档、待人工处理、隔离、重复。"""
    data = ingest_status(paths=data_paths())
    data["outstanding_forms"] = outstanding_by_round()

    def render(row: dict) -> None:
        oldest = row["oldest_waiting"].astimezone().strftime("%Y-%m-%d %H:%M") if row["oldest_waiting"] else "—"
        console.print(f"排队待处理：{row['queued']}（收件箱 {row['in_inbox']}，处理中 {row['in_progress']}）")
        console.print(f"今日归档：{row['filed_today']}    累计归档：{row['filed_total']}")
        if row["ocr_waiting"]["files"]:
            console.print(f"等待 OCR：{row['ocr_waiting']['files']} 个文件（{row['ocr_waiting']['pages']} 页），"
                          "收件箱中有二维码的文件先处理，空闲时接着识别")
        console.print(f"待人工处理：{row['waiting_review']}    隔离：{row['quarantined']}    "
                      f"重复投递：{row['duplicates']}")
        console.print(f"最早的待处理项：{oldest}")
        for round_code, count in row["outstanding_forms"].items():
            console.print(f"批次 {round_code}：未交回归档的表单 {count} 份（station rounds outstanding {round_code}）")
        for job in row["stuck"]:
            console.print(f"[red]停止重试[/]：{job['source_name']}（档号 {'、'.join(job['archival_codes']) or '无'}，"
                          f"步骤 {stage_label(job['stage'])}，{job['attempts']} 次）：{job['message']}")
        for entry in row["ignored"]:
            kind = IGNORED_ZH.get(entry["kind"], entry["kind"])
            console.print(f"[yellow]收件箱中不处理[/]：{entry['path']}（{kind}，"
                          "请移出收件箱或换成普通文件）")

    emit(data, as_json, render)


@quarantine_app.command("list")
def quarantine_list_(as_json: bool = JsonOption) -> None:
    """列出隔离区中的文件及原因。"""
    rows = quarantine_list(data_paths())

    def render(data: list[dict]) -> None:
        if not data:
            console.print("隔离区为空。")
            return
        from pipeline.core.labels import local_time  # codes stay in --json; staff see the reason and local time
        table = Table("文件", "原因", "隔离时间", title="隔离区")
        for row in data:
            table.add_row(row["name"], row["message"], local_time(row.get("time")))
        console.print(table)

    emit(rows, as_json, render)


@quarantine_app.command("retry")
def quarantine_retry_(item: str = typer.Argument(..., help="隔离区中的文件名（见 station quarantine list）")) -> None:
    """把隔离的文件放回收件箱重新处理（先处理好原因）。"""
    target = quarantine_retry_for(paths=data_paths(), config=get_config(), name=item)
    console.print(f"[green]已放回收件箱[/]：{target}")


@review_app.command("list")
def review_list_(as_json: bool = JsonOption) -> None:
    """列出等待人工处理的扫描页（缺页、重复页、无法判断类别…）。"""
    from pipeline.ingest.review import review_list  # here: CLI start-up time (review imports the flow)
    rows = review_list(paths=data_paths())

    def render(data: list[dict]) -> None:
        if not data:
            console.print("没有待人工处理的项目。")
            return
        table = Table("编号", "文件", "页", "问题", title="待人工处理")
        for row in data:
            table.add_row(str(row["id"]), row["source_name"], "、".join(map(str, row["source_pages"])), row["message"])
        console.print(table)
        console.print("页面图像（每页一个 PNG；station review show 编号 --out 目录 可导出）：")
        for row in data:
            for number, image in enumerate(row["images"], start=1):
                console.print(f"  {row['id']} 第 {number} 页：{image}", soft_wrap=True)

    emit(rows, as_json, render)


@review_app.command("file")
def review_file_(item: int = typer.Argument(..., help="待处理项编号（见 station review list）"),
                 category: str = typer.Option(..., "--category", help="类别代码，如 FW、KW、SJ"),
                 title: str = typer.Option(..., "--title", help="题名"),
                 responsible: str = typer.Option("", "--responsible", help="责任者（发文单位；默认本站）"),
                 doc_number: str = typer.Option("", "--doc-number", help="文号（可选）")) -> None:
    """按指定类别和题名归档一个待处理项。"""
    from pipeline.ingest.review import review_file  # here: CLI start-up time (review imports the flow)
    code = review_file(item_id=item, category=category.strip().upper(), title=title, paths=data_paths(),
                       config=get_config(), responsible=responsible.strip(), doc_number=doc_number.strip())
    console.print(f"[green]已归档[/]：档号 {code}")


@review_app.command("show")
def review_show_(item: int = typer.Argument(..., help="待处理项编号（见 station review list）"),
                 out: Path = typer.Option(..., "--out", help="把页面图像（PNG）和 PDF 复制到此目录")) -> None:
    """导出一个待处理项的页面图像（每页一个 PNG）和 PDF，供查看。"""
    from pipeline.ingest.review_actions import review_show  # here: CLI start-up time (imports the flow)
    for path in review_show(item_id=item, out=out, paths=data_paths()):
        console.print(str(path))


@review_app.command("discard")
def review_discard_(item: int = typer.Argument(..., help="待处理项编号（见 station review list）"),
                    reason: str = typer.Option(..., "--reason", help="剔除原因（记入审计日志）"),
                    user: str = typer.Option(None, "--user",
                                             help="执行操作的用户（写入审计日志；将验证密码）")) -> None:
    """剔除一个不需归档的待处理项：页面保存在 processed/discarded/，附原因，不删除。"""
    from pipeline.ingest.review_actions import review_discard  # here: CLI start-up time (imports the flow)
    target = review_discard(item_id=item, reason=reason, paths=data_paths(), actor=_actor(user))
    console.print(f"[green]已剔除[/]：页面保存在 {target}")


@review_app.command("attach")
def review_attach_(item: int = typer.Argument(..., help="待处理项编号（见 station review list）"),
                   instance: str = typer.Option(..., "--instance", help="表单编号（二维码下方的 8 位编号）"),
                   page: int = typer.Option(None, "--page", min=1, help="此项第一页是该表单的第几页（默认：所缺的页）"),
                   user: str = typer.Option(None, "--user", help="执行操作的用户（写入审计日志；将验证密码）")) -> None:
    """把一个待处理项作为某张表单的页面并入，与该表单已到的页面一起归档。"""
    from pipeline.ingest.review_actions import review_attach  # here: CLI start-up time (imports the flow)
    code = review_attach(item_id=item, instance_code=instance, page=page, paths=data_paths(), config=get_config(),
                         actor=_actor(user))
    console.print(f"[green]已并入表单 {instance.strip().upper()} 并归档[/]：档号 {code}")


def _actor(user: str | None) -> str:
    """The user named with --user (password checked), else the generic staff actor."""
    return acting_user(user).username if user else "staff"


def register(app: typer.Typer) -> None:
    """Add the ingest commands and groups to app."""
    app.command("watch")(watch)
    app.command("ingest")(ingest)
    app.command("status")(status)
    app.add_typer(quarantine_app, name="quarantine")
    app.add_typer(review_app, name="review")


