"""Quarantine: a file that cannot be filed is set aside with a reason a person can act on.

quarantine/<name> holds the bytes as received, quarantine/<name>.reason.json says why (Chinese
message, English code and detail, time, sha256). `retry` moves the file back into the inbox.
Nothing here deletes a scan.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
from pathlib import Path

from pipeline.archive.store import fsync_dir, write_json_atomic
from pipeline.core.errors import NotFound
from pipeline.core.paths import DataPaths, safe_join
from pipeline.core.privacy import mask_personal, mask_personal_all

REASON_SUFFIX = ".reason.json"


NAME_BYTES = 150     # room for "-<hash>", ".reason.json" and a temp-file prefix within NAME_MAX (255 bytes)


def short_name(name: str, sha256: str, limit: int = NAME_BYTES) -> str:
    """name itself when it is at most limit bytes (UTF-8); else its stem cut on a character boundary,
    tagged with the hash, keeping the extension (a 250-byte name cannot get a reason file beside it)."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix}" if dot and stem and len(suffix.encode("utf-8")) <= 16 else ""
    stem = stem if suffix else name
    room = limit - len(suffix.encode("utf-8")) - 9
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return f"{cut}-{sha256[:8]}{suffix}"


def free_name(folder: Path, name: str, sha256: str) -> str:
    """name if neither it nor its reason file is taken in folder, else name tagged with the hash."""
    name = short_name(name, sha256)
    if not (folder / name).exists() and not (folder / (name + REASON_SUFFIX)).exists():
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-{sha256[:8]}.{suffix}" if dot and stem else f"{name}-{sha256[:8]}"


def quarantine_file(*, paths: DataPaths, source: Path, sha256: str, error: dict,
                    category_hint: str = "", original_name: str = "") -> Path:
    """Move source into quarantine/ beside a reason file; return the quarantined path."""
    original_name = original_name or source.name
    name = _own_name(paths.quarantine, original_name, sha256) or free_name(paths.quarantine, original_name, sha256)
    target = paths.quarantine / name
    reason = {"name": name, "original_name": original_name, "code": error.get("code", "internal_error"),
              "message": mask_personal(error.get("message", "")), "detail": mask_personal(error.get("detail", "")),
              "problems": mask_personal_all(error.get("problems", [])), "sha256": sha256,
              "category_hint": category_hint,
              "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    for stale in paths.quarantine.glob(f".{glob.escape((name + REASON_SUFFIX)[:100])}.*.tmp"):
        stale.unlink(missing_ok=True)  # a half-written reason of an attempt killed while writing it
    write_json_atomic(paths.quarantine / (name + REASON_SUFFIX), reason)
    if source.exists():
        os.rename(source, target)
        fsync_dir(paths.quarantine)
    return target


def _own_name(folder: Path, name: str, sha256: str) -> str | None:
    """The name an interrupted earlier attempt for these very bytes already wrote a reason under."""
    name = short_name(name, sha256)
    stem, dot, suffix = name.rpartition(".")
    for candidate in (name, f"{stem}-{sha256[:8]}.{suffix}" if dot and stem else f"{name}-{sha256[:8]}"):
        reason = folder / (candidate + REASON_SUFFIX)
        if reason.is_file() and json.loads(reason.read_text(encoding="utf-8")).get("sha256") == sha256:
            return candidate
    return None


def quarantine_list(paths: DataPaths) -> list[dict]:
    """Every quarantined file with its reason, oldest first."""
    if not paths.quarantine.exists():
        return []
    rows = []
    for reason_path in paths.quarantine.glob("*" + REASON_SUFFIX):
        reason = json.loads(reason_path.read_text(encoding="utf-8"))
        name = reason_path.name[: -len(REASON_SUFFIX)]
        rows.append({**reason, "name": name, "present": (paths.quarantine / name).exists(),
                     "message": mask_personal(reason.get("message", "")),      # reasons written before masking
                     "detail": mask_personal(reason.get("detail", "")),
                     "problems": mask_personal_all(reason.get("problems", []))})
    return sorted(rows, key=lambda row: (row.get("time", ""), row["name"]))


def quarantine_retry(*, paths: DataPaths, name: str, inbox_folder: str = "") -> Path:
    """Move a quarantined file back into the inbox (its sub-folder, if it came from one)."""
    source = safe_join(paths.quarantine, name, file_name=True)          # a name typed on the command line
    reason_path = safe_join(paths.quarantine, name + REASON_SUFFIX, file_name=True)
    if not source.is_file() or not reason_path.is_file():
        raise NotFound(f"隔离区中没有文件“{name}”。请用 station quarantine list 查看隔离区中的文件名。",
                       f"no quarantined file {name!r}", code="quarantine_not_found")
    reason = json.loads(reason_path.read_text(encoding="utf-8"))
    folder = safe_join(paths.inbox, inbox_folder) if inbox_folder else paths.inbox
    folder.mkdir(parents=True, exist_ok=True)
    target = safe_join(folder, Path(reason.get("original_name") or name).name, file_name=True)   # data too
    if target.exists():
        target = safe_join(folder, name, file_name=True)
    os.rename(source, target)
    reason_path.unlink()
    return target
