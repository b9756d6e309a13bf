"""Where runtime data and configuration live.

One setting moves all runtime data: the environment variable STATION_DATA (default: the
repository folder, so archive/ and index/ are the repository's own, untracked by git).
STATION_CONFIG moves the configuration folder (default: the repository's config/).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import BadInput

REPO_ROOT = Path(__file__).resolve().parents[2]
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


# ---------------------------------------------------------------- names that come from outside

_DRIVE = re.compile(r"^[A-Za-z]:")      # C:photo.jpg, C:\\photos — a Windows drive, relative or not


class UnsafePath(BadInput):
    """A name from outside (sheet cell, file name, command line, config) that would leave its folder."""

    code = "path_unsafe"


def _unsafe(name: str, base: Path, why_zh: str, why: str) -> UnsafePath:
    shown = name.replace("\0", "\\0")
    return UnsafePath(f"“{shown}”{why_zh}：只能是“{base.name or base}”文件夹之内的相对路径，"
                      "不能是绝对路径、盘符或网络路径，不能含“..”。",
                      f"unsafe name {name!r} under {base}: {why}")


def safe_join(base: Path, name: str, *, file_name: bool = False) -> Path:
    """base/name resolved (symlinks followed), refused unless it stays inside base.

    name comes from outside: a spreadsheet cell, a scanned file's name, a command-line argument,
    a config value. Refused: empty names, NUL bytes, absolute paths, Windows drive letters and
    UNC paths, any `..` part, and names whose resolved path (after symlinks) lies outside base.
    Backslashes count as separators (sheets made on Windows write photos\\张三.jpg). With
    file_name=True, name must be one file's name in base (as the inbox and quarantine hold them:
    no `/`; a backslash or colon is then just a character of the name, as it is on Linux).
    """
    text = str(name)
    if not text.strip():
        raise _unsafe(text, base, "为空", "empty")
    if "\0" in text:
        raise _unsafe(text, base, "含有空字符（NUL）", "NUL byte")
    if file_name and ("/" in text or text in (".", "..")):
        raise _unsafe(text, base, "不是一个文件名", "not a single file name")
    relative = text if file_name else text.replace("\\", "/")
    if relative.startswith("/") or (_DRIVE.match(relative) and not file_name):
        raise _unsafe(text, base, "是绝对路径", "absolute path, drive letter or UNC path")
    if ".." in relative.split("/"):
        raise _unsafe(text, base, "含有上级目录“..”", "'..' component")
    root = Path(base).resolve()
    try:
        target = (root / relative).resolve()
    except (OSError, RuntimeError) as exc:          # a symlink loop
        raise _unsafe(text, base, "是循环的符号链接", f"cannot resolve: {exc}") from None
    if target == root:
        raise _unsafe(text, base, "没有指明文件夹中的文件", "names the folder itself")
    if not target.is_relative_to(root):
        raise _unsafe(text, base, "经符号链接指向了文件夹之外", f"resolves outside to {target}")
    return target


def is_plain_folder_name(name: str) -> bool:
    """True for one folder name that cannot leave its parent (no separators, not '.' or '..', no NUL)."""
    return bool(name.strip()) and name not in (".", "..") and not any(c in name for c in "/\\\0:")
