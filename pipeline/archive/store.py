"""Archive item folders — the truth: write (temp → fsync → rename → read-only), read, verify.

Layout (docs/dev/CONTRACTS.md §3): archive/<全宗号>/<年度>/<保管期限>/<类别>/<档号>/ holding
document.pdf, original/<name>, metadata.json and manifest-sha256.txt.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.archive.keys import ArchiveKey, encrypt
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import Conflict, StationError
from pipeline.core.paths import DataPaths

MANIFEST = "manifest-sha256.txt"
METADATA = "metadata.json"
DOCUMENT = "document.pdf"
SCHEMA = "station-item/1"
CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename or create inside path durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def disk_full(path: Path, exc: OSError) -> StationError:
    """The plain message for a full disk (ENOSPC) while writing path."""
    return StationError(f"磁盘空间已满，无法写入 {path.parent}。已写了一半的临时文件已删除，已有文件未受影响。"
                        "请清理磁盘空间（或扩容）后重新运行；未处理完的文件会自动续办。",
                        f"ENOSPC writing {path}: {exc}", code="disk_full")


def _copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
        dst.flush()
        os.fsync(dst.fileno())


# A stack split into several items gives each item only its own pages of the original
# (pipeline.ingest.normalise.original_extract). A whole original written to more than one item (a
# stack that could not be cut; tests) is copied once: the caller passes one ArchivedOriginals for
# the items of one job, and later items hard-link the archived (read-only) copy. Links never point
# outside archive/, so editing a released file in processed/ cannot reach it. The memory lives
# with the caller (one job), not the process: a long-running watcher keeps nothing between jobs.
class ArchivedOriginals:
    """Originals one caller has already written into the archive: source identity → (archived copy, sha256)."""

    def __init__(self) -> None:
        self._known: dict[tuple, tuple[Path, str]] = {}

    def place(self, source: Path, target: Path) -> str | None:
        """Link an already archived copy of source to target if there is one; else copy.

        Returns the known sha256 when linked (the caller need not re-hash), else None.
        """
        known = self._known.get(_source_key(source))
        if known and known[0].is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(known[0], target)
                return known[1]
            except OSError:        # links not supported here: fall back to a copy
                pass
        _copy_file(source, target)
        return None

    def remember(self, final: Path, originals: list[Path], lines: list[str]) -> None:
        """Note where each of originals now lies in the archived item final (lines: its manifest)."""
        digests = {rel: digest for digest, _, rel in (line.partition("  ") for line in lines)}
        for source in originals:
            archived = final / "original" / source.name
            self._known[_source_key(source)] = (archived, digests[f"original/{source.name}"])


def _source_key(source: Path) -> tuple:
    st = source.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def write_file_atomic(path: Path, data: bytes) -> None:
    """Write a small file via a unique temp file, fsync and rename: a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name[:100]}.{uuid.uuid4().hex}.tmp")
    try:
        _write_bytes(tmp, data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)          # never leave a 0-byte or half temp file behind
        if exc.errno == errno.ENOSPC:
            raise disk_full(path, exc) from exc
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: Path, data: dict) -> None:
    """write_file_atomic of data as indented UTF-8 JSON."""
    write_file_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8"))


def item_folder(paths: DataPaths, code: ArchivalCode) -> Path:
    """Where the item with this 档号 lives."""
    return paths.archive / code.folder


def manifest_lines(folder: Path, known: dict[str, str] | None = None) -> list[str]:
    """`<sha256>  <relative path>` for every file in folder except the manifest itself."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        rel = path.relative_to(folder).as_posix()
        lines.append(f"{(known or {}).get(rel) or sha256_file(path)}  {rel}")
    return lines


# read-only for everyone, and nothing for other users of the machine (四性检测: 安全性)
_CLOSED = stat.S_IWUSR | stat.S_IWGRP | stat.S_IRWXO


def _make_read_only(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        mode = path.stat().st_mode
        path.chmod(mode & ~_CLOSED)
    folder.chmod(folder.stat().st_mode & ~_CLOSED)


def make_writable(folder: Path) -> None:
    """Undo read-only (destruction and tests only)."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def item_write(*, paths: DataPaths, code: ArchivalCode, pdf: bytes | Path, originals: list[Path],
               metadata: dict, key: ArchiveKey | None = None, extra: dict[str, bytes] | None = None,
               archived: ArchivedOriginals | None = None) -> Path:
    """Write an archive item atomically; idempotent when the same item is already in place.

    Temp folder → fsync every file → rename into place → read-only. A second call with the same
    content returns the existing folder; with different content it raises Conflict. With a key
    (a secret item) every content file — document.pdf, original/*, the extra files — is written as
    AES-256-GCM ciphertext; metadata.json records their plaintext SHA-256 (files_sha256) and the
    manifest the ciphertext's, so verify needs no key. Items written with one `archived` share one
    copy of a whole original they have in common (hard links inside archive/).
    """
    final = item_folder(paths, code)
    archived = archived or ArchivedOriginals()
    tmp = paths.archive / ".tmp" / uuid.uuid4().hex
    try:
        known, body = {}, {**metadata, "archival_code": str(code), "schema": SCHEMA}
        if key is None:
            _write_bytes(tmp / DOCUMENT, pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes())
            for source in originals:
                digest = archived.place(source, tmp / "original" / source.name)
                if digest:
                    known[f"original/{source.name}"] = digest
        else:
            body.update(encrypted=True, files_sha256=_write_sealed(tmp, key, pdf, originals, extra or {}))
        _write_bytes(tmp / METADATA, json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True,
                                                default=str).encode("utf-8"))
        lines = manifest_lines(tmp, known)
        _write_bytes(tmp / MANIFEST, ("\n".join(lines) + "\n").encode("utf-8"))
        for sub in (tmp / "original", tmp):
            if sub.exists():
                fsync_dir(sub)
        if final.exists():
            return _same_or_conflict(final, tmp, code)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(tmp, final)
        fsync_dir(final.parent)
        _make_read_only(final)
        if key is None:
            archived.remember(final, originals, lines)
        return final
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _write_sealed(tmp: Path, key: ArchiveKey, pdf: bytes | Path, originals: list[Path],
                  extra: dict[str, bytes]) -> dict[str, str]:
    """Encrypt each content file into tmp; return relative path → plaintext SHA-256."""
    plain = {}
    contents = [(DOCUMENT, lambda: pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()),
                *((f"original/{s.name}", s.read_bytes) for s in originals),
                *((rel, (lambda d=data: d)) for rel, data in sorted(extra.items()))]
    for rel, read in contents:
        data = read()
        plain[rel] = hashlib.sha256(data).hexdigest()
        _write_bytes(tmp / rel, encrypt(key, data, rel))
    return plain


def _same_or_conflict(final: Path, tmp: Path, code: ArchivalCode) -> Path:
    if (final / MANIFEST).read_bytes() == (tmp / MANIFEST).read_bytes():
        return final
    # an encrypted item written again (a resumed job): fresh nonces, same plaintext → same metadata
    if metadata_read(tmp).get("encrypted") and (final / METADATA).read_bytes() == (tmp / METADATA).read_bytes():
        return final
    raise Conflict(f"档号 {code} 的档案文件夹已存在且内容不同，未覆盖。请运行 station verify 检查。",
                   f"archive folder {final} exists with different content", code="item_exists")


def metadata_read(folder: Path) -> dict:
    """The item's metadata.json."""
    return json.loads((folder / METADATA).read_text(encoding="utf-8"))


def manifest_read(folder: Path) -> dict[str, str]:
    """relative path → sha256 as recorded in the manifest."""
    entries = {}
    for line in (folder / MANIFEST).read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, _, rel = line.partition("  ")
            entries[rel] = digest
    return entries


def archived_hashes(folder: Path, meta: dict | None = None) -> dict[str, str]:
    """archived file → SHA-256 of its plaintext as written, for the catalog row and the filing audit entry,
    so that verify need not trust the folder's own manifest: an encrypted item's are in its metadata.json
    (its manifest holds the ciphertext's), any other item's are its manifest. meta: the folder's
    metadata.json when already read."""
    meta = metadata_read(folder) if meta is None else meta
    return (meta.get("files_sha256") if meta.get("encrypted") else None) or manifest_read(folder)


@dataclass(frozen=True)
class FixityFinding:
    """One problem found in an item folder."""

    folder: str
    path: str
    problem: str        # changed, missing, unexpected, no_manifest
    message_zh: str


def file_identity(path: Path) -> tuple:
    """(device, inode, size, mtime): equal for hard links to one unchanged file."""
    st = path.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def sha256_once(path: Path, cache: dict | None) -> str:
    """sha256 of path; with a cache, a file hard-linked into many items is read once per run."""
    if cache is None:
        return sha256_file(path)
    key = file_identity(path)
    if key not in cache:
        cache[key] = sha256_file(path)
    return cache[key]


def item_verify(folder: Path, *, archive_root: Path | None = None,
                cache: dict | None = None) -> list[FixityFinding]:
    """Re-hash every file against the manifest; name changed, missing and unexpected files."""
    label = str(folder.relative_to(archive_root)) if archive_root else folder.name
    if not (folder / MANIFEST).is_file():
        return [FixityFinding(label, MANIFEST, "no_manifest", f"{label}：缺少校验清单 {MANIFEST}")]
    recorded = manifest_read(folder)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST}
    findings = []
    for rel, digest in sorted(recorded.items()):
        if rel not in present:
            findings.append(FixityFinding(label, rel, "missing", f"{label}：文件 {rel} 丢失"))
        elif sha256_once(folder / rel, cache) != digest:
            findings.append(FixityFinding(label, rel, "changed",
                                          f"{label}：文件 {rel} 内容与校验值不符（被修改或损坏）"))
    for rel in sorted(present - set(recorded)):
        findings.append(FixityFinding(label, rel, "unexpected", f"{label}：多出未登记的文件 {rel}"))
    return findings


def iter_item_folders(paths: DataPaths) -> Iterator[Path]:
    """Every archive item folder (those holding a metadata.json or manifest), in 档号 order."""
    if not paths.archive.exists():
        return
    for level in sorted(paths.archive.glob("*/*/*/*/*")):
        if level.is_dir() and not level.name.startswith("."):
            yield level
