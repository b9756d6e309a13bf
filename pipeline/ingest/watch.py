"""The watched inbox: notice dropped files and hand each over once, when it is complete.

A file is complete when its size and mtime have not changed for `stable_seconds` and it can be
opened for reading. Editor and copy leftovers (`~$*`, `*.tmp`, `*.part`, dot-files,
`.DS_Store`, `Thumbs.db`) are ignored, symlinks are never followed. File-system events come
from watchdog (inotify; `poll=True` for network shares, where events do not arrive), and a
full rescan runs at start-up and every `rescan_seconds` because events get lost.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from pipeline.core.config import IngestSettings, StationConfig

log = logging.getLogger("pipeline.ingest.watch")

IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial")


class Clock(Protocol):
    """Where the watcher reads the time; tests pass a clock they step instead of sleeping."""

    def monotonic(self) -> float:
        """Seconds that never jump, for measuring how long a file has been unchanged."""

    def wall(self) -> float:
        """Seconds since the epoch, to compare with a file's mtime."""

    def sleep(self, seconds: float) -> None:
        """Wait (a test clock moves itself on instead)."""


class SystemClock:
    """The machine's clocks."""

    def monotonic(self) -> float:
        """time.monotonic()."""
        return time.monotonic()

    def wall(self) -> float:
        """time.time()."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """time.sleep(seconds)."""
        time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


def is_ignored(name: str) -> bool:
    """True for names a scanner, editor or copy tool leaves behind while working."""
    lower = name.lower()
    return (lower.startswith((".", "~$")) or lower.endswith(IGNORED_SUFFIXES)
            or lower in IGNORED_NAMES)


def inbox_files(inbox: Path) -> list[Path]:
    """Every candidate file under inbox: regular files only (a FIFO would block open() for ever),
    without following symlinks or entering dot-folders."""
    return [path for path, kind in _inbox_entries(inbox) if kind == "file"]


def inbox_ignored(inbox: Path) -> list[tuple[Path, str]]:
    """What sits in the inbox but is never taken: ("symlink" | "fifo" | "socket" | "device" | "other")."""
    return [(path, kind) for path, kind in _inbox_entries(inbox) if kind != "file"]


def _inbox_entries(inbox: Path) -> list[tuple[Path, str]]:
    found = []
    for folder, dirs, files in os.walk(inbox, followlinks=False):
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        dirs[:] = sorted(d for d in dirs if not is_ignored(d) and d not in links)
        for name in sorted([*files, *links]):
            if not is_ignored(name):
                path = Path(folder) / name
                found.append((path, entry_kind(path)))
    return found


def entry_kind(path: Path) -> str:
    """"file" for a regular file, else what it is (never follows a symlink, never opens)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "gone"
    for test, kind in ((stat.S_ISREG, "file"), (stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device")):
        if test(mode):
            return kind
    return "other"


def category_hint(inbox: Path, path: Path, config: StationConfig) -> str:
    """The category code of the inbox sub-folder path was dropped into, or ''."""
    try:
        parts = path.relative_to(inbox).parts
    except ValueError:
        return ""
    category = config.category_for_folder(parts[0]) if len(parts) > 1 else None
    return category.code if category else ""


def opens(path: Path) -> bool:
    """True when the file can be opened and read (a writer holding it exclusively says no)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        os.read(fd, 1)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def settled(path: Path, stable_seconds: float, *, clock: Clock = SYSTEM_CLOCK) -> bool:
    """True when path is (still) a regular file not written to for stable_seconds — checked again right
    before a claim, as a file queued behind others may have been replaced by a version still being written."""
    try:
        info = path.stat(follow_symlinks=False)
    except FileNotFoundError:
        return True                # gone: the claim says so
    age = clock.wall() - info.st_mtime
    return stat.S_ISREG(info.st_mode) and (age >= stable_seconds or age < -60)


@dataclass
class _Seen:
    identity: tuple[int, int, int]     # inode, size, mtime_ns
    since: float                        # monotonic time from which it has not changed


@dataclass
class StableTracker:
    """Decides when a file is complete, and hands each complete file over only once."""

    stable_seconds: float
    clock: Clock = SYSTEM_CLOCK
    _seen: dict[Path, _Seen] = field(default_factory=dict)
    _handed: dict[Path, tuple[int, int, int]] = field(default_factory=dict)

    def check(self, path: Path) -> bool:
        """True exactly once for a file that has been unchanged long enough and opens."""
        try:
            info = path.stat(follow_symlinks=False)
        except FileNotFoundError:
            self.forget(path)
            return False
        if not stat.S_ISREG(info.st_mode):
            return False
        identity = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._handed.get(path) == identity:
            return False
        now = self.clock.monotonic()
        seen = self._seen.get(path)
        if seen is None or seen.identity != identity:
            # unchanged since its mtime, as far as we know; a later change restarts the wait
            age = max(0.0, self.clock.wall() - info.st_mtime)
            seen = self._seen[path] = _Seen(identity, now - age if seen is None else now)
        if now - seen.since < self.stable_seconds or not opens(path):
            return False
        self._handed[path] = identity
        self._seen.pop(path, None)
        return True

    def handed(self, path: Path) -> bool:
        """True when this very file (same inode, size, mtime) was already handed over."""
        try:
            info = path.stat(follow_symlinks=False)
        except FileNotFoundError:
            return False
        return self._handed.get(path) == (info.st_ino, info.st_size, info.st_mtime_ns)

    def forget(self, path: Path) -> None:
        """The file has gone (claimed, moved away): a new file of the same name is new."""
        self._seen.pop(path, None)
        self._handed.pop(path, None)

    @property
    def waiting(self) -> list[Path]:
        """Files seen but not yet complete."""
        return list(self._seen)


class _Events(FileSystemEventHandler):
    def __init__(self, note: Callable[[Path], None]) -> None:
        self.note = note

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        target = getattr(event, "dest_path", "") or event.src_path
        path = Path(os.fsdecode(target))
        if not is_ignored(path.name):
            self.note(path)


class InboxWatcher:
    """Watches inbox and calls on_ready(path) once for every file that is complete."""

    def __init__(self, inbox: Path, settings: IngestSettings, on_ready: Callable[[Path], None], *,
                 poll: bool = False, tick: float = 0.2, clock: Clock = SYSTEM_CLOCK) -> None:
        self.inbox, self.settings, self.on_ready, self.poll, self.tick = inbox, settings, on_ready, poll, tick
        self.clock = clock
        self.tracker = StableTracker(settings.stable_seconds, clock)
        self._pending: set[Path] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None

    def note(self, path: Path) -> None:
        """Remember a path an event mentioned (called from the observer thread)."""
        with self._lock:
            self._pending.add(path)

    def rescan(self) -> None:
        """Queue every file in the inbox for a stability check (events get lost)."""
        for path in inbox_files(self.inbox):
            self.note(path)

    def step(self) -> list[Path]:
        """Check the pending files once; hand over and return the complete ones."""
        with self._lock:
            pending = sorted(self._pending)
        ready = []
        for path in pending:
            if path.is_symlink() or not _inside(self.inbox, path):
                self._discard(path)
            elif self.tracker.check(path):
                self._discard(path)
                ready.append(path)
            elif not path.exists():
                self._discard(path)
        for path in ready:
            self.on_ready(path)
        return ready

    def _discard(self, path: Path) -> None:
        with self._lock:
            self._pending.discard(path)

    def start(self) -> None:
        """Start the observer and the checking thread; rescan once at start-up."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        observer = self._observer = PollingObserver(timeout=1) if self.poll else Observer()
        observer.schedule(_Events(self.note), str(self.inbox), recursive=True)
        observer.start()
        self.rescan()
        self._thread = threading.Thread(target=self._loop, name="inbox-watch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        last_scan = self.clock.monotonic()
        while not self._stop.wait(self.tick):
            if self.clock.monotonic() - last_scan >= self.settings.rescan_seconds:
                self.rescan()
                last_scan = self.clock.monotonic()
            try:
                self.step()
            except Exception:  # noqa: BLE001 — the watcher must outlive any one odd file
                log.exception("inbox check failed; continuing")

    def stop(self) -> None:
        """Stop watching and wait for the threads."""
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False
