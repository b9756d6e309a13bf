"""ID photos: check a candidate's photo file and normalise it to 一寸 (295×413 px, JPEG q=90).

Pillow only, no Django. The rotation a phone recorded in EXIF is applied; non-images,
truncated files and decompression bombs are refused with a reason staff can act on. Many
photos are normalised in worker processes, in chunks (paths go out, results come back).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from pipeline.core.errors import StationError

ID_PHOTO_SIZE = (295, 413)          # 一寸 at 300 dpi: 25 × 35 mm
JPEG_QUALITY = 90
# JPEG draft decoding may go down to 90 % of the target: the last few percent are a cheap rescale,
# while decoding at 1/2, 1/4 or 1/8 scale in the DCT domain saves most of the work.
DRAFT_SLACK = 0.9
FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "WEBP")
# Above Pillow's limit (≈ 89 MP) a photo is refused: no ID photo needs it, a bomb does.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
# Photos per task sent to a worker process: few round trips, yet a progress update every chunk.
CHUNK = 100
# Bilinear: after draft decoding the scale left is 0.9–2.2×, where it comes within 1.1 dB PSNR
# of bicubic once encoded at q90, for ~30 % less resize time (BENCHMARKS.md, Import). A reducing
# gap of 3.0 is what Pillow documents as indistinguishable from resampling in one step.
RESAMPLE = Image.Resampling.BILINEAR
REDUCING_GAP = 3.0
SERIAL_BELOW = 16                   # fewer photos than this are not worth starting processes

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

    def __reduce__(self):
        return PhotoProblem, (str(self), self.code)     # travels back from worker processes intact


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
            _draft(image)
        with strict_decoding():
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoProblem(f"照片 {path.name} 文件不完整或已损坏（{exc}）；请重新拷贝或重新拍摄。",
                           "photo_truncated") from None
    return image


def _draft(image: Image.Image) -> None:
    """Ask the JPEG decoder for a reduced scale that still covers the target (EXIF rotation considered)."""
    width, height = (int(side * DRAFT_SLACK) for side in ID_PHOTO_SIZE)
    if image.getexif().get(0x0112) in (5, 6, 7, 8):      # stored sideways
        width, height = height, width
    image.draft("RGB", (width, height))


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
    return _fit(_flatten(_upright(_open(source))))


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation in place (no copy of the pixels when there is nothing to turn)."""
    with suppress(OSError, SyntaxError, ValueError):     # a broken EXIF block: keep the pixels as stored
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _fit(image: Image.Image) -> Image.Image:
    """Crop to the 一寸 aspect ratio (head room: 35 % of the spare height above), then scale.

    As ImageOps.fit, plus reducing_gap, which first shrinks a big non-JPEG source by a whole
    factor (JPEGs are already decoded near the target size by draft mode).
    """
    width, height = image.size
    target_width, target_height = ID_PHOTO_SIZE
    crop_width = min(width, height * target_width / target_height)
    crop_height = min(height, width * target_height / target_width)
    left, top = (width - crop_width) * 0.5, (height - crop_height) * 0.35
    return image.resize(ID_PHOTO_SIZE, RESAMPLE, box=(left, top, left + crop_width, top + crop_height),
                        reducing_gap=REDUCING_GAP)


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


def _run_chunk(jobs: Sequence[PhotoJob]) -> list[PhotoResult]:
    """Worker-process task: normalise a chunk of photos, one result each."""
    return [_run(job) for job in jobs]


def _context() -> multiprocessing.context.BaseContext:
    """Forked workers: they start at once, with this module already imported.

    spawn and forkserver would re-import the `station` console script — the whole CLI,
    Django and WeasyPrint, about 2 s of CPU — in every worker.
    """
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _worker_start() -> None:
    """Give a new worker its own stdout and stderr."""
    # A worker flushes them when it exits; the inherited ones may be locked for good by a
    # thread of the parent (a progress bar) that was writing at the moment of the fork.
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")    # noqa: SIM115 — lives as long as the worker


def default_workers() -> int:
    """One worker per core this process may use, at most 4."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cores or 1))


def normalise_all(jobs: Sequence[PhotoJob], *, workers: int | None = None,
                  progress: Progress | None = None) -> list[PhotoResult]:
    """Normalise many photos in worker processes, in chunks; results come back in job order."""
    workers = workers or default_workers()
    if workers == 1 or len(jobs) < SERIAL_BELOW:
        return _serial(jobs, progress)
    size = max(1, min(CHUNK, math.ceil(len(jobs) / (workers * 4))))
    chunks = [jobs[start:start + size] for start in range(0, len(jobs), size)]
    results: list[PhotoResult] = []
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_worker_start)
    try:
        for chunk in pool.map(_run_chunk, chunks):
            results.extend(chunk)
            if progress:
                progress(len(results), len(jobs))
    except BrokenProcessPool as exc:
        raise StationError("处理照片的子进程意外退出（可能是内存不足），照片未处理完；请关闭其他程序后重试。",
                           f"photo worker process died: {exc}", code="photo_worker_died") from exc
    finally:
        # On any failure drop the chunks not started, and wait for running ones, so that no
        # worker writes into the staging folder after the caller has removed it.
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def _serial(jobs: Sequence[PhotoJob], progress: Progress | None) -> list[PhotoResult]:
    results = []
    for job in jobs:
        results.append(_run(job))
        if progress:
            progress(len(results), len(jobs))
    return results
