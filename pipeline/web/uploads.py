"""Sheets and photo folders uploaded on the round page, saved as the CLI would find them on disk.

A folder chosen in the browser (`webkitdirectory`) keeps its sub-folders: the browser sends each file's
path relative to the chosen folder (照片/2026/张三.jpg) as the file's name, but Django keeps only the last
part (UploadedFile.name, for safety). So the page's script (static/web/rounds.js) sends the paths beside
the files in a hidden field `<field>_paths` (a JSON list, in the files' order). A path is used only when
its last part is the name Django kept for that file, and only through `safe_join`: `..`, absolute paths
and drive letters are refused with a Chinese message, never trusted. Without the script (or when the
list does not match the files) the files are saved flat, as before. Nothing is ever overwritten: two
files that would land on one name are refused.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path, PurePosixPath

from pipeline.core.errors import BadInput
from pipeline.core.paths import UnsafePath, data_paths, safe_join


def uploads_folder() -> Path:
    """Where the round page keeps what was uploaded: work/web-uploads/."""
    return data_paths().work / "web-uploads"


def upload_folder_new() -> Path:
    """A fresh folder work/web-uploads/<token>/ for one upload."""
    folder = uploads_folder() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def relative_names(request, field: str) -> list[str]:
    """Each uploaded file of field with its sub-folders when the page sent them and they match, else its name."""
    files = request.FILES.getlist(field)
    names = [upload.name for upload in files]
    try:
        claimed = json.loads(request.POST.get(f"{field}_paths") or "[]")
    except ValueError:
        return names
    if not isinstance(claimed, list) or len(claimed) != len(files) or not all(isinstance(c, str) for c in claimed):
        return names
    paths = [c.replace("\\", "/") for c in claimed]
    if any(PurePosixPath(path).name != name for path, name in zip(paths, names, strict=True)):
        return names          # not the same files, or not in the same order: keep what Django kept
    return paths


def _target(folder: Path, name: str) -> Path:
    try:
        return safe_join(folder, name)
    except UnsafePath as exc:
        raise BadInput(f"上传的文件路径不能使用：{exc.message_zh}请选择本机上的照片文件夹重新上传。",
                       f"upload path refused: {exc.detail}", code="upload_path_unsafe") from exc


def upload_save(folder: Path, upload, name: str) -> Path:
    """Write one uploaded file under folder at name (a relative path), creating its sub-folders."""
    target = _target(folder, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("xb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    except FileExistsError:
        raise BadInput(f"上传的文件中有两个都叫“{name}”，无法分辨用哪一个。请改名或分开上传。",
                       f"two uploads named {name!r}", code="upload_duplicate") from None
    return target


def uploads_save(request, folder: Path, field: str) -> list[Path]:
    """Save every file of field under folder, each at its path inside the chosen folder (or flat)."""
    return [upload_save(folder, upload, name)
            for upload, name in zip(request.FILES.getlist(field), relative_names(request, field), strict=True)]
