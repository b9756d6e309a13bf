"""Secret items: open (custodian and head only), release after the exam, rotate the archive key.

Every action here is checked against the user's roles in this service and written to the audit
log. The folder work (decrypt, re-encrypt) is in pipeline.archive.sealed: atomic per item, resumable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.keys import blob_key_id, decrypt, encrypt, is_encrypted, key_load, key_require
from pipeline.archive.sealed import document_plain, item_reencrypt, item_unseal
from pipeline.archive.store import archived_hashes, iter_item_folders, metadata_read, write_file_atomic
from pipeline.catalog.models import ArchiveItem, Role
from pipeline.catalog.people import require_station_head, user_roles_checked
from pipeline.catalog.services import round_get
from pipeline.core.errors import BadInput, Conflict, Refused
from pipeline.core.paths import DataPaths

SECRET_ROLES = frozenset({Role.STATION_HEAD.value, Role.PAPER_CUSTODIAN.value})
Progress = Callable[[int, int, str], None]


def secret_authorise(*, user, code: str, action_zh: str) -> None:
    """Refuse unless the user is the paper custodian or the station head (第二十七条)."""
    if user is None or not user_roles_checked(user) & SECRET_ROLES:
        who = f"用户“{user.username}”" if user is not None else "未指明用户（--user）"
        raise Refused(f"{code} 为保密档案（试卷，未解密），{who}无权{action_zh}；仅试卷保密人员和站长可以。",
                      f"secret {code}: {action_zh} refused to {getattr(user, 'username', None)!r}",
                      code="secret_refused")


def item_extract(*, item: ArchiveItem, user, paths: DataPaths, out: Path) -> Path:
    """Write the item's archival PDF (decrypted when encrypted) to out/<档号>.pdf, audited."""
    out = out.expanduser().resolve()
    if out == paths.root or paths.root in out.parents:
        raise BadInput(f"导出目录 {out} 在数据目录之内；解密后的试卷不能放回数据目录，请选择数据目录之外的文件夹。",
                       f"extract target {out} inside data root", code="extract_inside_data")
    folder = paths.archive / item.folder
    keys = [key_require(f"打开保密档案 {item.archival_code}")] if item.encrypted else []
    data = document_plain(folder, keys)
    target = out / f"{item.archival_code}.pdf"
    write_file_atomic(target, data)
    target.chmod(0o600)
    audit_append(actor=user.username, action="item.extract", target=item.archival_code,
                 detail={"encrypted": item.encrypted, "bytes": len(data)})
    return target


def _exam_over(round_) -> dt.datetime | None:
    """When the round's last exam ends (None when no time is recorded)."""
    ends = [start + dt.timedelta(minutes=minutes) for start, minutes in (
        (round_.theory_at, round_.theory_minutes), (round_.practical_at, round_.practical_minutes)) if start]
    return max(ends) if ends else None


def round_release(*, round_code: str, user, paths: DataPaths, progress: Progress | None = None) -> dict:
    """After the exam: the round's secret papers become ordinary restricted records (decrypted,
    text indexed), each one audited. Resumable: run it again after an interruption."""
    round_ = round_get(round_code)
    secret_authorise(user=user, code=f"批次 {round_code} 的试卷", action_zh="解密")
    ends = _exam_over(round_)
    if ends and ends > timezone.now():
        raise Conflict(f"批次 {round_code} 的考试尚未结束（{timezone.localtime(ends):%Y-%m-%d %H:%M} 结束），"
                       "试卷不能解密。",
                       f"round {round_code} exam ends {ends.isoformat()}", code="release_too_early")
    items = list(ArchiveItem.objects.filter(round_code=round_code, secret=True, status=ArchiveItem.Status.FILED)
                 .order_by("archival_code"))
    keys = [key_require(f"解密批次 {round_code} 的试卷")] if items else []
    from pipeline import search  # jieba and the index backends: loaded by the commands that use them (start-up)

    released = {"by": user.username, "at": timezone.now().isoformat(timespec="seconds"), "round": round_code}
    for number, item in enumerate(items, 1):
        meta = item_unseal(paths.archive / item.folder, keys=keys, released=released)
        files = archived_hashes(paths.archive / item.folder, meta)    # plaintext now: the new manifest
        with transaction.atomic():
            ArchiveItem.objects.filter(pk=item.pk).update(secret=False, encrypted=False, restricted=True,
                                                          text=meta.get("text", ""), files_sha256=files)
            audit_append(actor=user.username, action="item.release", target=item.archival_code,
                         detail={"round": round_code, "files_sha256": files})
        search.index_items([meta])
        if progress:
            progress(number, len(items), item.archival_code)
    return {"round": round_code, "released": [item.archival_code for item in items]}


def keys_rotate(*, user, paths: DataPaths, new_key_file: Path, progress: Progress | None = None) -> dict:
    """Re-encrypt every encrypted item (and encrypted kept scans) under the key in new_key_file.

    Station head only. Each item is swapped whole (pipeline.archive.sealed), so a kill leaves every item
    readable under exactly one of the two keys; running it again finishes the rest.
    """
    require_station_head(user)
    old = key_require("轮换档案密钥（当前密钥）")
    new = key_load(new_key_file)
    if new.key_id == old.key_id:
        raise BadInput("新密钥与当前密钥相同，无需轮换。请用 station keys new --out 文件 生成新密钥。",
                       "new key equals current key", code="rotate_same_key")
    folders = [f for f in iter_item_folders(paths)
               if (f / "metadata.json").is_file() and metadata_read(f).get("encrypted")]
    changed = 0
    for number, folder in enumerate(folders, 1):
        changed += item_reencrypt(folder, keys=[old], new_key=new)
        if progress:
            progress(number, len(folders), folder.name)
    scans = _rotate_scans(paths, old, new)
    audit_append(actor=user.username, action="keys.rotate", target=new.label,
                 detail={"from": old.label, "to": new.label, "items": len(folders), "reencrypted": changed,
                         "scans": scans})
    return {"items": len(folders), "reencrypted": changed, "scans": scans, "old": old.label, "new": new.label}


def _rotate_scans(paths: DataPaths, old, new) -> int:
    """Kept scans that held secret items (processed/**/*.enc), each replaced atomically."""
    count = 0
    for path in sorted(paths.processed.rglob("*.enc")) if paths.processed.is_dir() else []:
        blob = path.read_bytes()
        if not is_encrypted(blob) or blob_key_id(blob) == new.key_id:
            continue
        write_file_atomic(path, encrypt(new, decrypt([old, new], blob, path.name, where=str(path)), path.name))
        count += 1
    return count
