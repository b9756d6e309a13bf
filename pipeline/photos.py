"""ID photos: check a candidate's photo file and normalise it to 一寸 (295×413 px, JPEG q=90).

Pillow only, no Django. The rotation a phone recorded in EXIF is applied; non-images,
truncated files and decompression bombs are refused with a reason staff can act on.
"""

from __future__ import annotations

import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

ID_PHOTO_SIZE = (295, 413)          # 一寸 at 300 dpi: 25 × 35 mm
JPEG_QUALITY = 90
FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "WEBP")
# Above Pillow's limit (≈ 89 MP) a photo is refused: no ID photo needs it, a bomb does.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485

Progress = Callable[[int, int], None]
_OPEN_LOCK = threading.Lock()
_STRICT_LOCK = threading.Lock()
_strict = {"users": 0, "saved": False}


@contextmanager
def strict_decoding() -> Iterator[None]:
    """Refuse truncated files while we decode, whatever the process-wide setting.

    WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True when it is imported, which would
    let a half-copied photo through as a grey-bottomed picture. Reentrant across threads.
    """
    with _STRICT_LOCK:
        if _strict["users"] == 0:
            _strict["saved"], ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        _strict["users"] += 1
    try:
        yield
    finally:
        with _STRICT_LOCK:
            _strict["users"] -= 1
            if _strict["users"] == 0:
                ImageFile.LOAD_TRUNCATED_IMAGES = _strict["saved"]


class PhotoProblem(ValueError):
    """Why a photo file cannot be used, in Chinese for staff; `code` is stable English."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PhotoJob:
    """Normalise `source` into `target`; `key` lets the caller match results to rows."""

    key: int
    source: Path
    target: Path


@dataclass(frozen=True)
class PhotoResult:
    key: int
    target: Path | None
    problem: PhotoProblem | None


def _open(path: Path) -> Image.Image:
    """Open and fully decode path, turning Pillow's failures into PhotoProblems."""
    if not path.is_file():
        raise PhotoProblem(f"照片文件 {path.name} 不存在（应在表格所在文件夹下：{path}）。", "photo_not_found")
    try:
        with _OPEN_LOCK, warnings.catch_warnings():   # the filter list is process-wide: one thread at a time
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoProblem(f"照片 {path.name} 的像素数超过 {MAX_PIXELS // 1_000_000} 百万的上限，可能是损坏或"
                           "恶意文件（解压炸弹）；请换一张正常的证件照。", "photo_too_large") from None
    except UnidentifiedImageError:
        raise PhotoProblem(f"{path.name} 不是可识别的图片文件（支持 JPEG、PNG、BMP、TIFF、WebP）；"
                           "请确认它确实是照片，而不是改了扩展名的其他文件。", "photo_not_image") from None
    if image.width * image.height > MAX_PIXELS:
        raise PhotoProblem(f"照片 {path.name} 像素过多（{image.width}×{image.height}），请换一张正常的证件照。",
                           "photo_too_large")   # Pillow only warns below twice its limit
    try:
        if image.format == "JPEG":
            image.draft("RGB", (max(ID_PHOTO_SIZE),) * 2)   # decode at a reduced scale: much faster
        with strict_decoding():
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoProblem(f"照片 {path.name} 文件不完整或已损坏（{exc}）；请重新拷贝或重新拍摄。",
                           "photo_truncated") from None
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a white background (transparent PNGs, palettes, CMYK, greyscale)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def normalise(source: Path) -> Image.Image:
    """The photo upright (EXIF orientation applied), cropped and scaled to 一寸, in RGB."""
    image = _open(source)
    try:
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError):
        upright = image     # a broken EXIF block: keep the pixels as stored
    return ImageOps.fit(_flatten(upright), ID_PHOTO_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.35))


def normalise_to(source: Path, target: Path) -> Path:
    """Normalise source and write it as a JPEG at target (temp file, then rename)."""
    image = normalise(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    image.save(temp, "JPEG", quality=JPEG_QUALITY, dpi=(300, 300))
    os.replace(temp, target)
    return target


def _run(job: PhotoJob) -> PhotoResult:
    try:
        return PhotoResult(job.key, normalise_to(job.source, job.target), None)
    except PhotoProblem as problem:
        return PhotoResult(job.key, None, problem)


def normalise_all(jobs: Sequence[PhotoJob], *, workers: int | None = None,
                  progress: Progress | None = None) -> list[PhotoResult]:
    """Normalise many photos on a few threads (Pillow releases the GIL while decoding)."""
    workers = workers or min(4, os.cpu_count() or 1)
    results: list[PhotoResult] = []
    if workers == 1 or len(jobs) < 16:
        for job in jobs:
            results.append(_run(job))
            if progress:
                progress(len(results), len(jobs))
        return results
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(_run, jobs):
            results.append(result)
            if progress:
                progress(len(results), len(jobs))
    return results
