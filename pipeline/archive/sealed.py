"""Secret (encrypted) archive item folders: read the plaintext, re-encrypt under a new key, unseal.

An item folder is never half-changed: the new version is built beside it as .<档号>.new (every
file fsynced, manifest last), then swapped in with one atomic exchange of the two folder names
(renameat2 RENAME_EXCHANGE), then the old version is removed. A kill at any moment leaves the
item's folder complete — under the old key or under the new one, never a mixture — and a
leftover .new folder that `folder_recover` removes on the next run. No Django here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from pipeline.archive.keys import ArchiveKey, blob_key_id, decrypt, encrypt
from pipeline.archive.store import (
    DOCUMENT,
    MANIFEST,
    METADATA,
    _make_read_only,
    _write_bytes,
    fsync_dir,
    make_writable,
    manifest_lines,
    metadata_read,
)
from pipeline.core.errors import IntegrityProblem

TEXT = "text.txt"          # a secret item's searchable text, sealed until release
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def content_files(folder: Path) -> list[str]:
    """Relative paths of an item's content files (everything but metadata and manifest)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name not in (METADATA, MANIFEST))


def item_plain(folder: Path, keys: list[ArchiveKey], *, only: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Each content file's plaintext (decrypted when the item is encrypted), checked against files_sha256."""
    meta = metadata_read(folder)
    label = str(meta.get("archival_code") or folder.name)
    out = {}
    for rel in content_files(folder):
        if only and rel not in only:
            continue
        blob = (folder / rel).read_bytes()
        if not meta.get("encrypted"):
            out[rel] = blob
            continue
        data = decrypt(keys, blob, rel, where=f"{label}/{rel}")
        expected = (meta.get("files_sha256") or {}).get(rel)
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise IntegrityProblem(f"{label}/{rel} 解密后的内容与归档时记录的校验值不符。请运行 station verify。",
                                   f"{label}/{rel}: plaintext sha256 differs from files_sha256", code="plain_changed")
        out[rel] = data
    return out


def item_key_ids(folder: Path) -> set[bytes]:
    """The ids of the keys the item's content files are encrypted under (empty: not encrypted)."""
    ids = set()
    for rel in content_files(folder):
        with open(folder / rel, "rb") as handle:
            key_id = blob_key_id(handle.read(64))
        if key_id:
            ids.add(key_id)
    return ids


# ---------------------------------------------------------------- replacing a folder whole


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False when the system cannot."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is None:
        return False
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _sibling(final: Path, tag: str) -> Path:
    return final.with_name(f".{final.name}.{tag}")


def _remove(folder: Path) -> None:
    if folder.exists():
        make_writable(folder)
        shutil.rmtree(folder)


def folder_recover(final: Path) -> None:
    """Finish or undo an interrupted replacement of final (a kill between two steps)."""
    new, old = _sibling(final, "new"), _sibling(final, "old")
    if not final.exists():          # only without renameat2: killed between the two renames
        source = new if (new / MANIFEST).is_file() else old
        if source.exists():
            os.rename(source, final)
            fsync_dir(final.parent)
    _remove(new)
    _remove(old)


def folder_replace(final: Path, build: Callable[[Path], None]) -> None:
    """Replace the item folder final with what build(folder) writes, atomically (see module doc)."""
    folder_recover(final)
    new = _sibling(final, "new")
    new.mkdir()
    build(new)
    lines = manifest_lines(new)
    _write_bytes(new / MANIFEST, ("\n".join(lines) + "\n").encode("utf-8"))
    for sub in sorted({p.parent for p in new.rglob("*")}, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(sub)
    _make_read_only(new)
    if not _exchange(new, final):
        old = _sibling(final, "old")
        os.rename(final, old)
        os.rename(new, final)
    fsync_dir(final.parent)
    folder_recover(final)


def _write_meta(folder: Path, meta: dict) -> None:
    _write_bytes(folder / METADATA, json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True,
                                               default=str).encode("utf-8"))


def item_reencrypt(folder: Path, *, keys: list[ArchiveKey], new_key: ArchiveKey) -> bool:
    """Re-encrypt every content file of an encrypted item under new_key; False when it already is."""
    folder_recover(folder)
    if item_key_ids(folder) <= {new_key.key_id}:
        return False
    meta = metadata_read(folder)
    plain = item_plain(folder, [*keys, new_key])

    def build(target: Path) -> None:
        for rel, data in plain.items():
            _write_bytes(target / rel, encrypt(new_key, data, rel))
        _write_meta(target, meta)

    folder_replace(folder, build)
    return True


def item_unseal(folder: Path, *, keys: list[ArchiveKey], released: dict) -> dict:
    """Decrypt a secret item in place (a new folder swapped in): plaintext files, its text into
    metadata.json, secret and encrypted cleared, restricted kept; return the new metadata."""
    folder_recover(folder)
    meta = metadata_read(folder)
    if not meta.get("encrypted"):
        return meta
    plain = item_plain(folder, keys)
    text = plain.pop(TEXT, b"").decode("utf-8")
    files = {rel: sha for rel, sha in (meta.get("files_sha256") or {}).items() if rel != TEXT}
    new_meta = {**meta, "secret": False, "encrypted": False, "restricted": True, "text": text or meta.get("text", ""),
                "files_sha256": files, "released": released}

    def build(target: Path) -> None:
        for rel, data in plain.items():
            _write_bytes(target / rel, data)
        _write_meta(target, new_meta)

    folder_replace(folder, build)
    return new_meta


def document_plain(folder: Path, keys: list[ArchiveKey]) -> bytes:
    """The item's archival PDF as plaintext."""
    return item_plain(folder, keys, only=(DOCUMENT,))[DOCUMENT]
