"""Long work outside the request: a thread runs it, its progress is a small JSON record under var/jobs/,
and the page polls that record with htmx. The request that starts a job returns at once.

A record is written atomically at every progress step, so any server worker (gunicorn runs several)
can read it. A job whose process has gone (a restarted worker) is shown as interrupted, never as
running for ever. Errors of the StationError hierarchy become their Chinese message; anything else is
logged with its traceback and shown as an internal error with the job's number.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import close_old_connections, connections
from django.utils import timezone

from pipeline.archive.store import write_file_atomic
from pipeline.core.errors import NotFound, Refused, StationError
from pipeline.core.paths import DataPaths, data_paths

log = logging.getLogger("pipeline.web")
JobFn = Callable[[Callable[[int, int, str], None]], dict]
MIN_WRITE_SECONDS = 0.25  # progress written at most this often (and always at the end)


def _folder(paths: DataPaths) -> Path:
    folder = paths.var / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(paths: DataPaths, record: dict) -> None:
    body = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8")
    write_file_atomic(_folder(paths) / f"{record['id']}.json", body)


def job_read(*, job_id: str, user=None, paths: DataPaths | None = None) -> dict:
    """The job's record (state, done/total, note, result or error); only its starter may read it."""
    paths = paths or data_paths()
    if not job_id.isalnum():
        raise NotFound("没有这个后台任务。", f"bad job id {job_id!r}", code="job_not_found")
    try:
        record = json.loads((_folder(paths) / f"{job_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound(
            f"没有编号为 {job_id[:8]} 的后台任务（可能已被清理）。", f"no job {job_id}", code="job_not_found"
        ) from None
    if user is not None and record["user"] != user.username:
        raise Refused(
            "这是另一位用户启动的后台任务，您不能查看。",
            f"job {job_id} belongs to {record['user']}",
            code="job_not_yours",
        )
    if record["state"] == "running" and not _alive(record):
        record["state"], record["error"] = (
            "interrupted",
            "任务所在的服务进程已停止（如服务重启），任务未完成，请重新开始。",
        )
    return record


def _alive(record: dict) -> bool:
    if record.get("pid") != os.getpid():
        try:
            os.kill(record["pid"], 0)
        except OSError:
            return False
        return True
    return record["id"] in _RUNNING


_RUNNING: set[str] = set()


def job_start(*, kind: str, title: str, user, work: JobFn, paths: DataPaths | None = None) -> str:
    """Start work(progress) in a thread; return the job's id at once. work returns a dict of results."""
    paths = paths or data_paths()
    record = {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "title": title,
        "user": user.username,
        "state": "running",
        "done": 0,
        "total": 0,
        "note": "正在开始……",
        "started": timezone.now().isoformat(),
        "finished": None,
        "result": {},
        "error": "",
        "pid": os.getpid(),
    }
    _write(paths, record)
    _RUNNING.add(record["id"])
    thread = threading.Thread(target=_run, args=(paths, record, work), name=f"job-{kind}", daemon=True)
    thread.start()
    return record["id"]


def _run(paths: DataPaths, record: dict, work: JobFn) -> None:
    last = [0.0]

    def progress(done: int, total: int, note: str = "") -> None:
        record.update(done=done, total=total, note=note)
        if time.monotonic() - last[0] >= MIN_WRITE_SECONDS or done >= total:
            last[0] = time.monotonic()
            _write(paths, record)

    close_old_connections()
    try:
        result = work(progress)
        record.update(state="done", result=_plain(result or {}), note="已完成")
    except StationError as exc:
        log.info("job %s (%s) refused: %s %s", record["id"], record["kind"], exc.code, exc.detail)
        record.update(state="failed", error=exc.message_zh, problems=exc.problems)
    except Exception:  # noqa: BLE001 — a background job never takes the server down; the log has the trace
        log.exception("job %s (%s) failed", record["id"], record["kind"])
        record.update(
            state="failed", error=f"内部错误（任务 {record['id'][:8]}），详情见 var/station.log，请报告管理员。"
        )
    finally:
        record["finished"] = timezone.now().isoformat()
        _write(paths, record)
        _RUNNING.discard(record["id"])
        connections.close_all()


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def job_wait(*, job_id: str, timeout: float = 60.0, paths: DataPaths | None = None) -> dict:
    """Block until the job ends (for tests and scripts, never in a request)."""
    deadline = time.monotonic() + timeout
    while True:
        record = job_read(job_id=job_id, paths=paths)
        if record["state"] != "running" or time.monotonic() > deadline:
            return record
        time.sleep(0.1)
