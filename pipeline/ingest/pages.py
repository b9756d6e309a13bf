"""Read any dropped file (PDF, JPEG, PNG, multi-page TIFF) into grayscale page images.

Every broken input raises UnreadableFile with a code the quarantine writer records:
"empty", "truncated", "encrypted", "no_pages", "decompression_bomb", "unsupported_format",
"corrupt". The input file is only read, never changed.

Scanner PDFs (one JPEG per page, as img2pdf or a scanner writes them) take a fast path: the
JPEG stream is read with pikepdf and draft-decoded by Pillow at 1/2, 1/4 or 1/8 scale. Any
other PDF page is rasterised with pypdfium2.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageFile, ImageOps, ImageSequence

from pipeline.core.errors import BadInput

FORMATS = ("pdf", "jpeg", "png", "tiff")
MAX_PIXELS = 89_478_485          # Pillow's own MAX_IMAGE_PIXELS: above it an image is a bomb
MAX_PAGE_POINTS = 14_400         # the largest page side PDF allows (200 in); above it a page is a bomb
RASTER_BUDGET = 40_000_000       # pixels per rendered page; large (legal) pages render at lower dpi
ASSUMED_DPI = 200.0              # for images that do not say their resolution
_RETRY = "原文件已移入隔离区；问题解决后执行 station quarantine retry 重新处理。"


@dataclass
class PageImage:
    """One page of a dropped file: 0-based index, grayscale "L" image at about the asked dpi."""

    index: int
    image: Image.Image
    source_dpi: float
    dpi: float = 0.0             # the resolution of `image` (draft decoding gives 1/2, 1/4… steps)


class UnreadableFile(BadInput):
    """A dropped file that cannot be read as pages; `code` says why (see module docstring)."""

    code = "corrupt"


_MESSAGES = {
    "empty": ("文件 {name} 是空文件（0 字节），可能复制或扫描未完成。请重新扫描或重新复制该文件。",
              "zero-byte file"),
    "truncated": ("文件 {name} 不完整（文件被截断），可能是扫描或复制中途中断。请重新扫描或重新复制该文件。" + _RETRY,
                  "file is truncated"),
    "encrypted": ("文件 {name} 已加密，无法读取。请扫描时关闭加密，或提供未加密的副本后执行 station quarantine retry。",
                  "PDF is encrypted (password required)"),
    "no_pages": ("文件 {name} 是没有任何页面的 PDF。请检查扫描仪设置并重新扫描。", "PDF has no pages"),
    "decompression_bomb": ("文件 {name} 的页面或图像尺寸异常巨大（{what}），为防止系统内存耗尽已拒收。"
                           "请确认文件来源，按正常分辨率（200–300 dpi）重新扫描。", "decompression bomb: {what}"),
    "unsupported_format": ("文件 {name} 不是系统接受的格式（仅接受 PDF、JPEG、PNG、TIFF）。"
                           "请另存为 PDF 或扫描为图像后重新放入收件箱。", "unsupported format: {what}"),
    "corrupt": ("文件 {name} 已损坏，无法读取（{what}）。请重新扫描，或提供完好的副本。" + _RETRY,
                "corrupt file: {what}"),
}


def unreadable(path: Path, code: str, what: str = "") -> UnreadableFile:
    """An UnreadableFile naming the file, what is wrong and what staff should do."""
    message, detail = _MESSAGES[code]
    name = Path(path).name
    return UnreadableFile(message.format(name=name, what=what), f"{name}: " + detail.format(what=what),
                          code=code)


def sniff_format(path: Path) -> str:
    """'pdf' | 'jpeg' | 'png' | 'tiff' by magic bytes; raise UnreadableFile otherwise."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(1024)
    if not head:
        raise unreadable(path, "empty")
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    kind = "ZIP/Office 文档" if head.startswith(b"PK\x03\x04") else f"开头字节 {head[:8].hex()}"
    raise unreadable(path, "unsupported_format", kind)


def open_pages(path: Path, dpi: float = 150) -> list[PageImage]:
    """Every page of the file as a grayscale image at about dpi; raise UnreadableFile when broken."""
    return list(iter_pages(path, dpi))


def iter_pages(path: Path, dpi: float = 150, only: set[int] | None = None) -> Iterator[PageImage]:
    """Like open_pages, one page at a time (a 500-page stack need not sit in memory).

    The whole file is checked before the first page is yielded, so a broken file raises
    before any page is handed out. only: the 0-based indices to decode (None = every page);
    the others are skipped without being decoded.
    """
    path = Path(path)
    kind = sniff_format(path)
    if kind == "pdf":
        return _pdf_pages(path, dpi, only)
    return iter(_image_pages(path, dpi, only))


# ---------------------------------------------------------------- images


@contextmanager
def _strict_decoding():
    """Make Pillow raise on truncated data while decoding a scan.

    WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True for the whole process when it is
    imported (the worker renders forms too), which would file half a scan without a word.
    """
    saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _image_pages(path: Path, dpi: float, only: set[int] | None = None) -> list[PageImage]:
    """Decode every frame of a JPEG/PNG/TIFF file, guarding against bombs and truncation."""
    try:
        with warnings.catch_warnings(), _strict_decoding():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return [_frame_page(path, number, frame, dpi)
                        for number, frame in enumerate(ImageSequence.Iterator(image))
                        if only is None or number in only]
    except UnreadableFile:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise unreadable(path, "decompression_bomb", f"图像超过 {MAX_PIXELS} 像素") from exc
    except OSError as exc:
        code = "truncated" if "truncated" in str(exc) or isinstance(exc, EOFError) else "corrupt"
        raise unreadable(path, code, str(exc)) from exc
    except (SyntaxError, ValueError, EOFError) as exc:  # Pillow's parsers raise these on bad headers
        code = "truncated" if isinstance(exc, EOFError) else "corrupt"
        raise unreadable(path, code, str(exc)) from exc


def _frame_page(path: Path, number: int, frame: Image.Image, dpi: float) -> PageImage:
    """One decoded frame as a PageImage, reduced towards dpi."""
    width, height = frame.size
    if width * height > MAX_PIXELS:
        raise unreadable(path, "decompression_bomb", f"{width}×{height} 像素")
    source_dpi = _image_dpi(frame)
    if frame.format == "JPEG" and source_dpi > dpi * 1.2:
        frame.draft("L", (int(width * dpi / source_dpi), int(height * dpi / source_dpi)))
    frame.load()
    gray = _to_gray(ImageOps.exif_transpose(frame))
    factor = int(source_dpi * (gray.width / width) // dpi)
    if factor >= 2:
        gray = gray.reduce(factor)
    return PageImage(number, gray, source_dpi, source_dpi * gray.width / width)


def _image_dpi(image: Image.Image) -> float:
    """The image's horizontal resolution, or ASSUMED_DPI when it says none (or nonsense)."""
    value = image.info.get("dpi", (0, 0))[0]
    try:
        value = float(value)
    except (TypeError, ValueError):
        return ASSUMED_DPI
    return value if 50 <= value <= 2400 else ASSUMED_DPI


def _to_gray(image: Image.Image) -> Image.Image:
    """Grayscale "L"; transparent parts become white paper."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image)
    return image if image.mode == "L" else image.convert("L")


# ---------------------------------------------------------------- PDF


def _pdf_pages(path: Path, dpi: float, only: set[int] | None = None) -> Iterator[PageImage]:
    """Check the PDF as a whole, then yield its pages one by one."""
    _check_pdf_complete(path)
    pdf = _open_pdf(path)
    try:
        sizes = [_page_size(path, number, page) for number, page in enumerate(pdf.pages)]
        for number, page in enumerate(pdf.pages):
            _check_page_images(path, number, page)
    except UnreadableFile:
        pdf.close()
        raise
    if not sizes:
        pdf.close()
        raise unreadable(path, "no_pages")
    return _pdf_page_iter(path, pdf, sizes, dpi, only)


def _pdf_page_iter(path, pdf, sizes, dpi, only=None) -> Iterator[PageImage]:
    """Yield each page: the JPEG fast path, else a pdfium rendering."""
    document = None
    try:
        for number, page in enumerate(pdf.pages):
            if only is not None and number not in only:
                continue
            fast = _jpeg_page(path, number, page, sizes[number], dpi)
            if fast is None:
                document = document or _open_pdfium(path)
                fast = _render_page(path, document, number, sizes[number], dpi)
            yield fast
    finally:
        pdf.close()
        if document is not None:
            document.close()


def _check_pdf_complete(path: Path) -> None:
    """A complete PDF ends with %%EOF (within the last kilobytes); a cut-off copy does not."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 4096))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise unreadable(path, "truncated", "no %%EOF marker at the end")


def _open_pdf(path: Path) -> pikepdf.Pdf:
    """Open with pikepdf, mapping password and parse errors to UnreadableFile."""
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise unreadable(path, "encrypted") from exc
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0].replace(f"{path}: ", "") if str(exc) else type(exc).__name__
        raise unreadable(path, "corrupt", first) from exc


def _open_pdfium(path: Path) -> pdfium.PdfDocument:
    """Open with pdfium for rendering."""
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        code = "encrypted" if "password" in str(exc).lower() else "corrupt"
        raise unreadable(path, code, str(exc)) from exc


def _page_size(path: Path, number: int, page: pikepdf.Page) -> tuple[float, float]:
    """Page width and height in points (UserUnit applied); a page beyond PDF's limits is a bomb."""
    try:
        box = [float(v) for v in page.mediabox]
        unit = float(page.obj.get("/UserUnit", 1))
    except (pikepdf.PdfError, TypeError, ValueError) as exc:
        raise unreadable(path, "corrupt", f"第 {number + 1} 页的页面尺寸无法读取") from exc
    width, height = abs(box[2] - box[0]) * unit, abs(box[3] - box[1]) * unit
    if width > MAX_PAGE_POINTS or height > MAX_PAGE_POINTS:
        raise unreadable(path, "decompression_bomb", f"第 {number + 1} 页 {width:.0f}×{height:.0f} pt")
    if width < 1 or height < 1:
        raise unreadable(path, "corrupt", f"第 {number + 1} 页尺寸为零")
    return width, height


def _check_page_images(path: Path, number: int, page: pikepdf.Page) -> None:
    """An image on a page larger than MAX_PIXELS is a bomb (rendering would decode all of it)."""
    try:
        images = [obj for obj in page.resources.get("/XObject", {}).values()
                  if obj.get("/Subtype") == pikepdf.Name.Image]
        sizes = [(int(obj.get("/Width", 0)), int(obj.get("/Height", 0))) for obj in images]
    except (pikepdf.PdfError, AttributeError, TypeError, ValueError):
        return                     # odd resources: pdfium decides while rendering
    for width, height in sizes:
        if width * height > MAX_PIXELS:
            raise unreadable(path, "decompression_bomb", f"第 {number + 1} 页图像 {width}×{height} 像素")


def _render_page(path, document, number, size, dpi) -> PageImage:
    """Rasterise one page with pdfium in grayscale, lowering dpi for very large pages."""
    width, height = size
    pixels = (width / 72 * dpi) * (height / 72 * dpi)
    if pixels > RASTER_BUDGET:
        dpi = dpi * (RASTER_BUDGET / pixels) ** 0.5
    try:
        bitmap = document[number].render(scale=dpi / 72, grayscale=True)
        image = bitmap.to_pil().convert("L")
    except pdfium.PdfiumError as exc:
        raise unreadable(path, "corrupt", f"第 {number + 1} 页无法渲染：{exc}") from exc
    return PageImage(number, image, dpi, dpi)


def _jpeg_page(path, number, page, size, dpi) -> PageImage | None:
    """The page's single full-page JPEG, draft-decoded; None when the page is anything else."""
    image_obj = _single_upright_image(page)
    if image_obj is None or image_obj.get("/Filter") != pikepdf.Name.DCTDecode:
        return None
    if image_obj.get("/Decode") is not None or image_obj.get("/ColorSpace") == pikepdf.Name.DeviceCMYK:
        return None
    width, height = int(image_obj.get("/Width", 0)), int(image_obj.get("/Height", 0))
    if width * height > MAX_PIXELS:
        raise unreadable(path, "decompression_bomb", f"第 {number + 1} 页图像 {width}×{height} 像素")
    source_dpi = width / (size[0] / 72)
    try:
        with _strict_decoding():
            image = Image.open(io.BytesIO(image_obj.read_raw_bytes()))
            if source_dpi > dpi * 1.2:
                image.draft("L", (int(width * dpi / source_dpi), int(height * dpi / source_dpi)))
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        code = "truncated" if "truncated" in str(exc) else "corrupt"
        raise unreadable(path, code, f"第 {number + 1} 页图像：{exc}") from exc
    gray = _to_gray(image)
    scaled_dpi = source_dpi * gray.width / width
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    if rotate:
        gray = gray.rotate(-rotate, expand=True)   # /Rotate is clockwise, PIL rotates anticlockwise
    return PageImage(number, gray, source_dpi, scaled_dpi)


def _single_upright_image(page: pikepdf.Page) -> pikepdf.Stream | None:
    """The image XObject when the page only paints one image with an upright, unflipped matrix."""
    try:
        xobjects = page.resources.get("/XObject", {})
        if len(xobjects) != 1:
            return None
        name, obj = next(iter(xobjects.items()))
        if obj.get("/Subtype") != pikepdf.Name.Image:
            return None
        ops = [(operands, str(op)) for operands, op in pikepdf.parse_content_stream(page)]
    except (pikepdf.PdfError, AttributeError, TypeError):
        return None
    painting = [(o, op) for o, op in ops if op not in ("q", "Q", "cm")]
    matrices = [o for o, op in ops if op == "cm"]
    if len(painting) != 1 or painting[0][1] != "Do" or str(painting[0][0][0]) != name:
        return None
    for a, b, c, d, _e, _f in ([float(v) for v in m] for m in matrices):
        if b or c or a <= 0 or d <= 0:
            return None
    return obj
