"""The watched inbox: complete files are handed over once; leftovers, symlinks and writers-in-progress are not."""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path

from pipeline.core.config import IngestSettings, get_config
from pipeline.ingest.watch import InboxWatcher, StableTracker, category_hint, inbox_files, is_ignored


def test_editor_and_copy_leftovers_are_ignored():
    for name in ("~$报名表.docx", "scan.pdf.tmp", "big.PART", ".DS_Store", "Thumbs.db", ".hidden.pdf"):
        assert is_ignored(name), name
    for name in ("扫描_001.pdf", "page.JPG", "tmp-report.pdf", "partial-scan.tiff"):
        assert not is_ignored(name), name


def test_inbox_listing_never_follows_symlinks_out_of_the_inbox(tmp_path):
    inbox, outside = tmp_path / "inbox", tmp_path / "secret"
    (inbox / "试卷").mkdir(parents=True)
    outside.mkdir()
    (outside / "payroll.pdf").write_bytes(b"%PDF-1.4 private")
    (inbox / "试卷" / "a.pdf").write_bytes(b"%PDF-1.4")
    (inbox / "link.pdf").symlink_to(outside / "payroll.pdf")
    (inbox / "linkdir").symlink_to(outside, target_is_directory=True)
    (inbox / ".sync").mkdir()
    (inbox / ".sync" / "x.pdf").write_bytes(b"%PDF-1.4")
    assert inbox_files(inbox) == [inbox / "试卷" / "a.pdf"]
    assert category_hint(inbox, inbox / "试卷" / "a.pdf", get_config()) == "SJ"
    assert category_hint(inbox, inbox / "b.pdf", get_config()) == ""


def test_a_growing_file_is_only_complete_after_stable_seconds_and_handed_once(tmp_path):
    path = tmp_path / "scan.pdf"
    tracker = StableTracker(stable_seconds=0.5)
    checks = []
    with open(path, "wb") as handle:
        for _ in range(8):                       # 1.6 s of writing, a chunk every 0.2 s
            handle.write(os.urandom(4096))
            handle.flush()
            checks.append(tracker.check(path))
            time.sleep(0.2)
    assert not any(checks)
    time.sleep(0.6)
    assert tracker.check(path) is True
    assert tracker.check(path) is False          # never handed twice
    assert tracker.handed(path)
    path.unlink()
    path.write_bytes(b"a new file under the old name")
    old = time.time() - 10
    os.utime(path, (old, old))
    assert tracker.check(path) is True           # a new file (new identity) is new


def _watch(inbox: Path, poll: bool) -> tuple[InboxWatcher, queue.Queue]:
    ready: queue.Queue = queue.Queue()
    watcher = InboxWatcher(inbox, IngestSettings(stable_seconds=0.3, rescan_seconds=1.0), ready.put,
                           poll=poll, tick=0.1)
    return watcher, ready


def _collect(ready: queue.Queue, seconds: float) -> list[str]:
    names, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            names.append(ready.get(timeout=0.1).name)
        except queue.Empty:
            pass
    return names


def test_real_watcher_hands_over_each_dropped_file_once(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "before-start.pdf").write_bytes(b"%PDF-1.4 already there")     # found by the start-up scan
    watcher, ready = _watch(inbox, poll=False)
    watcher.start()
    try:
        (inbox / "公文").mkdir()
        (inbox / "公文" / "通知.pdf").write_bytes(b"%PDF-1.4 notice")
        (inbox / "~$lock.docx").write_bytes(b"lock")
        (inbox / "copy.pdf.part").write_bytes(b"half")
        os.rename(inbox / "copy.pdf.part", inbox / "copy.pdf")               # a finished copy renamed in
        (inbox / "link.pdf").symlink_to(inbox / "copy.pdf")
        names = _collect(ready, 2.5)                                         # spans two full rescans
    finally:
        watcher.stop()
    assert sorted(names) == ["before-start.pdf", "copy.pdf", "通知.pdf"]


def test_polling_observer_for_network_shares(tmp_path):
    inbox = tmp_path / "inbox"
    watcher, ready = _watch(inbox, poll=True)
    watcher.start()
    try:
        time.sleep(0.2)
        (inbox / "net.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
        names = _collect(ready, 2.0)
    finally:
        watcher.stop()
    assert names == ["net.jpg"]
