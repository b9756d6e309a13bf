"""The inbox cannot stop the station, and `ingest --once` tells a cron job when a person is needed
(issue 11 points 7 and 13): FIFOs and symlinks, 250-byte names, an inbox on another file system,
a 2,000-page PDF, a file replaced while queued, a 5 m page, a QR saying page 9999/9999, a full
disk; retries are capped, stuck jobs are shown, progress is reported.
"""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import time
from pathlib import Path

import img2pdf
import pikepdf
import pytest

from pipeline.catalog.models import ArchiveItem, IngestJob, ReviewItem
from pipeline.cli.main import main
from pipeline.core.config import IngestSettings
from pipeline.ingest import archiving, jobs
from pipeline.ingest.flow import ingest_once, ingest_path, jobs_resume
from pipeline.ingest.jobs import ingest_status
from tests.ingest import corpus
from tests.ingest.test_flow import drop, fast_config, form_pages, make_registration, make_round, stack_bytes


def _config(**ingest):
    """fast_config with [ingest] settings changed."""
    config = fast_config(0)
    return config.model_copy(update={"ingest": IngestSettings(**{**config.ingest.model_dump(), **ingest})})


def _aged(path: Path) -> Path:
    old = time.time() - 60
    os.utime(path, (old, old))
    return path


def _good(data_root, tmp_path, serial: int, name: str = "good.pdf") -> Path:
    form = make_registration(make_round(), serial)
    return _aged(drop(data_root.inbox / name, stack_bytes(form_pages(form), tmp_path, f"s{serial}.pdf")))


# ---------------------------------------------------------------- point 13: special files, names, file systems


@pytest.mark.django_db
def test_a_fifo_and_a_symlink_do_not_block_the_inbox_and_are_listed_as_ignored(data_root, tmp_path, capsys):
    os.mkfifo(data_root.inbox / "pipe.pdf")
    (tmp_path / "elsewhere.pdf").write_bytes(b"%PDF-1.4 outside")
    os.symlink(tmp_path / "elsewhere.pdf", data_root.inbox / "link.pdf")
    _good(data_root, tmp_path, 41)
    def hung(*_):
        raise AssertionError("ingest --once hung on the FIFO")   # not an OSError: nothing may swallow it

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    status = ingest_status(paths=data_root)
    assert sorted((e["path"], e["kind"]) for e in status["ignored"]) == [("link.pdf", "symlink"), ("pipe.pdf", "fifo")]
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "pipe.pdf（命名管道" in out and "link.pdf（符号链接" in out


@pytest.mark.django_db
def test_a_250_byte_file_name_is_shortened_safely_and_watch_starts_on_its_claimed_job(data_root, tmp_path, capsys):
    long_bad = "坏" * 82 + ".pdf"                      # 250 bytes in UTF-8
    long_good = "好" * 82 + ".pdf"
    assert len(long_bad.encode()) == 250
    _aged(drop(data_root.inbox / long_bad, b""))
    _good(data_root, tmp_path, 42, long_good)
    claim = jobs.claim_file(paths=data_root, path=data_root.inbox / long_bad)   # claimed, then the worker "died"
    claim.lock.release()
    assert sorted(jobs_resume(paths=data_root, config=fast_config(0))) == ["quarantined"]   # start-up: no crash
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    (reason,) = data_root.quarantine.glob("*.reason.json")
    row = json.loads(reason.read_text(encoding="utf-8"))
    assert row["code"] == "empty" and row["original_name"] == long_bad
    assert len(reason.name.encode()) <= 255 and (data_root.quarantine / row["name"]).read_bytes() == b""
    assert not list(data_root.quarantine.glob(".*"))
    item = ArchiveItem.objects.get()
    assert (data_root.archive / item.folder / "original" / long_good).is_file()
    assert main(["quarantine", "list"]) == 0


@pytest.mark.django_db
def test_an_inbox_on_another_file_system_is_claimed_by_copy_and_leaves_no_claim_folders(data_root, tmp_path,
                                                                                         monkeypatch):
    path = _good(data_root, tmp_path, 43)
    data = path.read_bytes()
    real_rename = os.rename

    def rename(src, dst, *args, **kwargs):
        if Path(src).parent == data_root.inbox:        # the inbox is a network share: no rename out of it
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    assert not path.exists()
    item = ArchiveItem.objects.get()
    assert (data_root.archive / item.folder / "original" / "good.pdf").read_bytes() == data
    assert not list(data_root.work.glob(".claim-*"))


@pytest.mark.django_db
def test_a_claim_that_fails_leaves_no_empty_claim_folder(data_root, tmp_path, monkeypatch):
    path = _good(data_root, tmp_path, 44)

    def refuse(src, dst, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(jobs, "move_in", refuse)
    assert ingest_path(path=path, paths=data_root, config=fast_config(0)) == "unclaimed"
    assert path.exists() and not list(data_root.work.glob(".claim-*"))


# ---------------------------------------------------------------- point 13: limits, replaced files, odd pages


def _many_pages(count: int) -> bytes:
    """A count-page PDF sharing one small scanned page (a few kilobytes whatever count is)."""
    one = img2pdf.convert(corpus.image_bytes(corpus.page_image(["长文件"]), "JPEG", dpi=(100, 100)))
    with pikepdf.open(io.BytesIO(one)) as source:
        pdf = pikepdf.new()
        for _ in range(count):
            pdf.pages.append(source.pages[0])
        buffer = io.BytesIO()
        pdf.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_2000_page_pdf_goes_to_review_at_once_and_the_files_behind_it_are_filed(data_root, tmp_path):
    _aged(drop(data_root.inbox / "a-huge.pdf", _many_pages(2000)))
    _good(data_root, tmp_path, 45, "b-after.pdf")
    started = time.monotonic()
    counts = ingest_once(paths=data_root, config=_config(max_pages=500))
    assert time.monotonic() - started < 120
    assert counts == {"review": 1, "filed": 1}
    review = ReviewItem.objects.get()
    assert review.kind == "too_large" and "2000 页" in review.message and "max_pages" in review.message
    assert len(review.source_pages) == 2000


@pytest.mark.django_db
def test_a_file_read_longer_than_the_time_limit_goes_to_review(data_root, tmp_path):
    _aged(drop(data_root.inbox / "slow.pdf", _many_pages(30)))
    assert ingest_once(paths=data_root, config=_config(max_seconds=0.01)) == {"review": 1}
    review = ReviewItem.objects.get()
    assert review.kind == "too_large" and "max_seconds" in review.message


@pytest.mark.django_db
def test_a_file_replaced_while_queued_is_not_claimed_until_the_new_version_is_complete(data_root, tmp_path):
    path = _good(data_root, tmp_path, 46)
    config = _config(stable_seconds=1.0)
    path.write_bytes(path.read_bytes()[:1000])          # replaced by a version still being written
    assert ingest_path(path=path, paths=data_root, config=config) == "changed"
    assert path.exists() and IngestJob.objects.count() == 0


@pytest.mark.django_db
def test_a_banner_5_m_wide_is_not_blank(data_root, tmp_path):
    _aged(drop(data_root.inbox / "公文" / "banner.pdf", corpus.huge_page(5.0)))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}


@pytest.mark.django_db
def test_a_qr_claiming_page_9999_of_9999_gives_a_short_message(data_root, tmp_path):
    from pipeline.core.domain import QrPayload
    from pipeline.ingest.scansim import jpeg_bytes
    page = corpus.page_image(["页码异常"], qr=QrPayload("DHJD", "ZZZZZZZZ", 9999, 9999))
    _aged(drop(data_root.inbox / "odd.pdf", img2pdf.convert(jpeg_bytes(page, 100))))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"review": 1}
    review = ReviewItem.objects.get()
    assert "1–9998" in review.message and len(review.message) < 300 and len(review.detail) < 2100


# ---------------------------------------------------------------- point 13: a full disk


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.django_db
def test_a_full_disk_stops_ingest_with_a_plain_message_and_no_empty_temp_file(data_root, tmp_path, monkeypatch,
                                                                               capsys):
    from pipeline.archive import store
    _aged(drop(data_root.inbox / "empty.pdf", b""))        # to be quarantined: its reason cannot be written
    real = store._write_bytes

    def write(path, data):
        if data_root.quarantine in Path(path).parents:  # the disk fills up just then
            Path(path).write_bytes(b"")
            _disk_full()
        real(path, data)

    with monkeypatch.context() as patch:
        patch.setattr(store, "_write_bytes", write)
        assert main(["ingest", "--once"]) == 1
    err = capsys.readouterr().err
    assert "磁盘空间已满" in err and "Traceback" not in err
    assert [p.name for p in data_root.quarantine.iterdir()] == []
    assert IngestJob.objects.get().state == IngestJob.State.CLAIMED    # resumed once there is room again
    assert main(["ingest", "--once"]) == 8
    assert [p.name for p in data_root.quarantine.iterdir() if p.suffix == ".pdf"] == ["empty.pdf"]


@pytest.mark.django_db
def test_a_full_disk_stops_verify_with_a_plain_message(data_root, monkeypatch, capsys):
    from pipeline.archive import store
    from pipeline.archive.audit import audit_append
    audit_append(actor="test", action="test.entry", target="x", detail={})     # a head for verify to anchor
    monkeypatch.setattr(store, "_write_bytes", lambda path, data: (Path(path).write_bytes(b""), _disk_full()))
    code = main(["verify"])
    err = capsys.readouterr().err
    assert code != 0 and "磁盘空间已满" in err and "内部错误" not in err
    assert not [p for p in data_root.var.rglob("*.tmp")]


# ---------------------------------------------------------------- point 7: retries, stuck jobs, exit codes, progress


@pytest.mark.django_db
def test_a_job_failing_after_its_code_is_reserved_stops_after_max_attempts_and_is_shown(data_root, tmp_path,
                                                                                        monkeypatch, capsys):
    _good(data_root, tmp_path, 47, "stuck.pdf")
    config = _config(max_attempts=3)
    with monkeypatch.context() as patch:
        patch.setattr(archiving, "item_write", lambda **kwargs: 1 / 0)
        assert ingest_once(paths=data_root, config=config) == {"retry": 1}
        assert jobs_resume(paths=data_root, config=config) == ["retry"]
        assert jobs_resume(paths=data_root, config=config) == ["stuck"]
        assert jobs_resume(paths=data_root, config=config) == []             # not retried for ever
    job = IngestJob.objects.get()
    assert job.state == IngestJob.State.RESERVED and job.attempts == 3 and job.reason["stuck"]
    (stuck,) = ingest_status(paths=data_root)["stuck"]
    assert stuck["archival_codes"] == job.archival_codes and stuck["stage"] == "write"
    assert main(["ingest", "--once"]) == 8
    assert "停止重试的作业1个" in "".join(capsys.readouterr().err.split())
    assert main(["status"]) == 0
    assert "停止重试" in capsys.readouterr().out
    assert main(["ingest", "--once", "--retry-stuck"]) == 0
    assert IngestJob.objects.get().state == IngestJob.State.FILED
    assert list(ArchiveItem.objects.values_list("archival_code", flat=True)) == job.archival_codes


@pytest.mark.django_db
def test_ingest_once_exits_8_when_a_file_was_quarantined(data_root, capsys):
    _aged(drop(data_root.inbox / "empty.pdf", b""))
    assert main(["ingest", "--once"]) == 8
    assert "本次隔离 1 个文件" in capsys.readouterr().err
    assert main(["ingest", "--once"]) == 0                 # nothing new: a quiet run exits 0


@pytest.mark.django_db
def test_ingest_once_reports_files_and_pages_as_it_goes(data_root, tmp_path):
    _good(data_root, tmp_path, 48, "one.pdf")
    _good(data_root, tmp_path, 49, "two.pdf")
    events = []
    ingest_once(paths=data_root, config=fast_config(0), progress=lambda *event: events.append(event))
    assert [e for e in events if e[0] == "file"] == [("file", "one.pdf", 0), ("file", "two.pdf", 0)]
    assert ("page", "one.pdf", 2) in events and ("read", "two.pdf", 2) in events
