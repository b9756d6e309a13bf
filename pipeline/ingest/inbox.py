"""The inbox as a person works it (web and CLI): drop scans in, retry quarantined files, act on review
items — each checked against the acting user's roles here, not in a view.

An upload is written under a name the watcher ignores (`.upload-….part`), fsynced, then renamed to
its own name in the inbox: the worker (`station watch`) sees a whole file and files it through the
same claim as a scan copied into the folder. Nothing is filed inside the request.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth.models import User

from pipeline.archive.store import fsync_dir
from pipeline.catalog.models import Role
from pipeline.catalog.people import role_require
from pipeline.core.config import StationConfig
from pipeline.core.errors import BadInput, Refused
from pipeline.core.paths import DataPaths, safe_join
from pipeline.ingest.quarantine import quarantine_list, quarantine_retry

log = logging.getLogger("pipeline.ingest.inbox")
UPLOAD_ROLES = (Role.ARCHIVIST, Role.STATION_HEAD, Role.OFFICE_HEAD, Role.EXAM_AFFAIRS, Role.SCORE_CLERK,
                Role.PAPER_CUSTODIAN, Role.CHIEF_EXAMINER)
REVIEW_ROLES = (Role.ARCHIVIST, Role.STATION_HEAD)
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def inbox_require(*, user: User, roles: tuple[str, ...], action_zh: str) -> None:
    """Refuse unless user holds one of roles (as the audit log accounts for them)."""
    role_require(user, roles, action_zh)


def inbox_may(*, user: User, roles: tuple[str, ...]) -> bool:
    """Whether user may act with roles (for showing a button; the action checks again)."""
    try:
        role_require(user, roles, "")
    except Refused:
        return False
    return True


def _upload_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    if not base or base.startswith((".", "~$")) or len(base.encode()) > 200:
        raise BadInput(f"文件名“{base or name}”不能使用（空、以点开头或过长）。请改名后重新上传。",
                       f"bad upload name {name!r}", code="upload_name")
    return base


def _free_target(folder: Path, name: str) -> Path:
    stem, suffix = Path(name).stem, Path(name).suffix
    target, n = safe_join(folder, name, file_name=True), 1
    while target.exists():
        n += 1
        target = safe_join(folder, f"{stem}（{n}）{suffix}", file_name=True)
    return target


def inbox_upload(*, user: User, paths: DataPaths, config: StationConfig, name: str, chunks: Iterable[bytes],
                 category: str = "") -> Path:
    """Save one uploaded scan into the inbox (a category's sub-folder if given) for the worker to file."""
    inbox_require(user=user, roles=UPLOAD_ROLES, action_zh="上传扫描件")
    base = _upload_name(name)
    folder = paths.inbox
    if category:
        found = config.categories.get(category)
        if found is None or not found.inbox_folder:
            raise BadInput(f"没有类别“{category}”的收件子目录。", f"no inbox folder for {category!r}",
                           code="category_unknown")
        folder = safe_join(paths.inbox, found.inbox_folder)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".upload-{uuid.uuid4().hex}.part"
    size = 0
    try:
        with open(partial, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise BadInput(f"文件“{base}”超过 {MAX_UPLOAD_BYTES >> 20} MB，请分批扫描后上传。",
                                   f"upload {base!r} over {MAX_UPLOAD_BYTES} bytes", code="upload_too_large")
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise BadInput(f"文件“{base}”是空文件（0 字节），未上传。", f"empty upload {base!r}", code="upload_empty")
        target = _free_target(folder, base)
        os.rename(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    fsync_dir(folder)
    log.info("upload by %s: %s (%d bytes) into %s", user.username, target.name, size, folder)
    return target


def quarantine_retry_for(*, paths: DataPaths, config: StationConfig, name: str, user: User | None = None) -> Path:
    """Put a quarantined file back into the inbox sub-folder of the category it was dropped for."""
    if user is not None:
        inbox_require(user=user, roles=REVIEW_ROLES, action_zh="重新处理隔离文件")
    reason = next((row for row in quarantine_list(paths) if row["name"] == name), {})
    category = config.categories.get(reason.get("category_hint", ""))
    return quarantine_retry(paths=paths, name=name, inbox_folder=category.inbox_folder if category else "")


def review_file_by(*, user: User, item_id: int, category: str, title: str, paths: DataPaths,
                   config: StationConfig, responsible: str = "", doc_number: str = "") -> str:
    """review_file for a signed-in user holding a review role; the 档号."""
    from pipeline.ingest.review import review_file  # here: it loads the filing flow
    inbox_require(user=user, roles=REVIEW_ROLES, action_zh="归档待处理项")
    return review_file(item_id=item_id, category=category.strip().upper(), title=title.strip(), paths=paths,
                       config=config, actor=user.username, responsible=responsible.strip(),
                       doc_number=doc_number.strip())


def review_discard_by(*, user: User, item_id: int, reason: str, paths: DataPaths) -> Path:
    """review_discard for a signed-in user holding a review role."""
    from pipeline.ingest.review_actions import review_discard
    inbox_require(user=user, roles=REVIEW_ROLES, action_zh="剔除待处理项")
    return review_discard(item_id=item_id, reason=reason, paths=paths, actor=user.username)


def review_attach_by(*, user: User, item_id: int, instance_code: str, page: int | None, paths: DataPaths,
                     config: StationConfig) -> str:
    """review_attach for a signed-in user holding a review role; the 档号."""
    from pipeline.ingest.review_actions import review_attach
    inbox_require(user=user, roles=REVIEW_ROLES, action_zh="把待处理项并入表单")
    return review_attach(item_id=item_id, instance_code=instance_code, page=page, paths=paths, config=config,
                         actor=user.username)
