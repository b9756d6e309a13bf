"""A clock the test moves by hand, for the watcher and the stability check (no real sleeping)."""

from __future__ import annotations

import os
import time
from pathlib import Path


class StepClock:
    """Both clocks of pipeline.ingest.watch.Clock, standing still until advance() (or sleep()) moves them.

    Wall time starts at the real time, so the files a test writes are "just written"; touch() stamps a
    file with this clock's time, as a scanner writing at that moment would.
    """

    def __init__(self) -> None:
        self.start, self.elapsed = time.time(), 0.0

    def monotonic(self) -> float:
        """Seconds since the clock was made."""
        return self.elapsed

    def wall(self) -> float:
        """The real time at start plus what the test has advanced."""
        return self.start + self.elapsed

    def sleep(self, seconds: float) -> None:
        """Move on instead of waiting."""
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move both clocks on."""
        self.elapsed += seconds

    def touch(self, path: Path) -> Path:
        """Give path this clock's wall time as its mtime."""
        os.utime(path, (self.wall(), self.wall()))
        return path
