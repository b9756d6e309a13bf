"""Where runtime data and configuration live.

One setting moves all runtime data: the environment variable STATION_DATA (default: the
repository folder, so archive/ and index/ are the repository's own, untracked by git).
STATION_CONFIG moves the configuration folder (default: the repository's config/).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = REPO_ROOT / "templates"


@dataclass(frozen=True)
class DataPaths:
    """All runtime folders under one data root."""

    root: Path

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def var(self) -> Path:
        return self.root / "var"

    @property
    def photos(self) -> Path:
        return self.var / "photos"

    @property
    def generated(self) -> Path:
        return self.var / "generated"

    @property
    def database(self) -> Path:
        return self.var / "station.sqlite3"

    def ensure(self) -> None:
        """Create every runtime folder that is missing."""
        for path in (self.archive, self.index, self.inbox, self.quarantine, self.processed,
                     self.work, self.var, self.photos, self.generated):
            path.mkdir(parents=True, exist_ok=True)


def data_paths() -> DataPaths:
    """The data root named by STATION_DATA, or the repository folder."""
    return DataPaths(Path(os.environ.get("STATION_DATA") or REPO_ROOT).resolve())


def config_dir() -> Path:
    """The configuration folder named by STATION_CONFIG, or the repository's config/."""
    return Path(os.environ.get("STATION_CONFIG") or REPO_ROOT / "config").resolve()
