"""The watched inbox: complete files are handed over once; leftovers, symlinks and writers-in-progress are not."""

from __future__ import annotations

import contextlib
import os
import queue
import time
from pathlib import Path

from pipeline.core.config import IngestSettings, get_config
from pipeline.ingest.watch import InboxWatcher, StableTracker, category_hint, inbox_files, is_ignored, settled
from tests.ingest.clock import StepClock


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
    path, clock = tmp_path / "scan.pdf", StepClock()
    tracker = StableTracker(stable_seconds=0.5, clock=clock)
    checks = []
    with open(path, "wb") as handle:
        for _ in range(8):                       # 1.6 s of writing, a chunk every 0.2 s
            handle.write(os.urandom(4096))
            handle.flush()
            clock.touch(path)
            checks.append(tracker.check(path))
            clock.advance(0.2)
    assert not any(checks)
    clock.advance(0.25)                          # 0.45 s since the last chunk
    assert tracker.check(path) is False
    clock.advance(0.1)                           # 0.55 s
    assert tracker.check(path) is True
    assert tracker.check(path) is False          # never handed twice
    assert tracker.handed(path)
    path.unlink()
    path.write_bytes(b"a new file under the old name")
    old = clock.wall() - 10
    os.utime(path, (old, old))
    assert tracker.check(path) is True           # a new file (new identity), unchanged for 10 s, is new


def test_a_file_first_seen_long_after_its_last_write_is_complete_at_once_but_a_fresh_one_waits(tmp_path):
    clock = StepClock()
    tracker = StableTracker(stable_seconds=2.0, clock=clock)
    old, fresh = tmp_path / "old.pdf", tmp_path / "fresh.pdf"
    old.write_bytes(b"%PDF-1.4 dropped before the watcher started")
    os.utime(old, (clock.wall() - 3, clock.wall() - 3))
    fresh.write_bytes(b"%PDF-1.4 just written")
    clock.touch(fresh)
    assert (tracker.check(old), tracker.check(fresh)) == (True, False)
    assert (settled(old, 2.0, clock=clock), settled(fresh, 2.0, clock=clock)) == (True, False)
    clock.advance(2.0)
    assert (tracker.check(fresh), settled(fresh, 2.0, clock=clock)) == (True, True)


def _watch(inbox: Path, poll: bool, rescan_seconds: float = 1.0) -> tuple[InboxWatcher, queue.Queue]:
    ready: queue.Queue = queue.Queue()
    watcher = InboxWatcher(inbox, IngestSettings(stable_seconds=0.3, rescan_seconds=rescan_seconds), ready.put,
                           poll=poll, tick=0.1)
    return watcher, ready


def _collect(ready: queue.Queue, count: int, timeout: float = 30.0) -> list[str]:
    """The names of the first count files handed over (waits for events, up to timeout on a loaded machine)."""
    names, deadline = [], time.monotonic() + timeout
    while len(names) < count and time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            names.append(ready.get(timeout=0.1).name)
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
        names = _collect(ready, 3)
    finally:
        watcher.stop()
    assert sorted(names) == ["before-start.pdf", "copy.pdf", "通知.pdf"]
    watcher.rescan()                                                         # what the next periodic rescan does
    assert watcher.step() == [] and ready.empty()                           # nothing is handed over twice


def test_polling_observer_for_network_shares(tmp_path):
    inbox = tmp_path / "inbox"
    watcher, ready = _watch(inbox, poll=True, rescan_seconds=3600)         # no rescan: only polling can see it
    watcher.start()                                                          # takes the first snapshot
    try:
        (inbox / "net.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
        names = _collect(ready, 1)
    finally:
        watcher.stop()
    assert names == ["net.jpg"]
