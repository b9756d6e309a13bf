"""Scanner simulator: turn generated PDFs into what the station's scanner produces.

Pages are rasterised at 200–300 dpi, signed with a faint pen stroke in their signature boxes,
tilted slightly, given paper tone and noise, sometimes fed upside down, and saved as JPEG
inside a PDF (img2pdf, as a scanner does) — several forms in one stack, shuffled, a page
missing, a blank duplex back side. Everything is deterministic for a given seed.

`synthetic_page` draws an A4 form page with a QR (used by tests and benchmarks, so they do
not depend on the form renderer).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import img2pdf
import numpy as np
import pypdfium2 as pdfium
import segno
from PIL import Image, ImageDraw, ImageFont

from pipeline.core.domain import QrPayload

FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
A4_MM = (210.0, 297.0)
SIGNATURE_WORDS = ("签名", "签字", "签章")
IMAGE_FORMATS = ("pdf", "jpeg", "png", "tiff")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ScanOptions:
    """How the simulated scanner behaves; page numbers are 1-based positions in the whole run."""

    dpi: int = 200
    seed: int = 0
    shuffle: bool = False
    drop_pages: tuple[int, ...] = ()
    upside_down: tuple[int, ...] = ()
    quarter_turns: dict[int, int] = field(default_factory=dict)   # page → 1|2|3 quarter turns
    stack: bool = False
    duplex_blank: bool = False        # a blank back side after every page (duplex scan of simplex forms)
    sign: bool = True
    tilt_degrees: float = 1.2
    noise: float = 5.0
    jpeg_quality: int = 80
    fmt: str = "pdf"                  # pdf | jpeg | png | tiff


@dataclass
class ScanPage:
    """One simulated sheet side: where it came from and its encoded JPEG bytes."""

    source: str
    number: int                       # 1-based page number in the source
    data: bytes
    blank: bool = False


# ---------------------------------------------------------------- drawing


def mm_to_px(mm: float, dpi: float) -> int:
    """Millimetres to pixels at dpi."""
    return round(mm / 25.4 * dpi)


def _font(size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, size_px)


def qr_image(payload: str, size_px: int) -> Image.Image:
    """A QR symbol (2-module quiet zone) scaled to about size_px square, grayscale."""
    code = segno.make(payload, error="m", micro=False)
    modules = code.symbol_size(border=2)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(1, size_px // modules), border=2)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def synthetic_page(payload: QrPayload | str | None, lines: Iterable[str] = (), *, dpi: int = 300,
                   qr_mm: float = 25.0, signature_label: str = "考生本人签名：") -> Image.Image:
    """An A4 form page: QR top-right (unless payload is None), title and text lines, a signature box."""
    width, height = mm_to_px(A4_MM[0], dpi), mm_to_px(A4_MM[1], dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    if payload is not None:
        text = payload.encode() if isinstance(payload, QrPayload) else payload
        symbol = qr_image(text, mm_to_px(qr_mm, dpi))
        left = width - mm_to_px(15, dpi) - symbol.width
        page.paste(symbol, (left, mm_to_px(12, dpi)))
        label = payload.label if isinstance(payload, QrPayload) else text
        draw.text((left, mm_to_px(13, dpi) + symbol.height), label, fill=0, font=_font(mm_to_px(2.5, dpi)))
    body = _font(mm_to_px(4.2, dpi))
    y = mm_to_px(45, dpi)
    for line in lines:
        draw.text((mm_to_px(25, dpi), y), line, fill=0, font=body)
        y += mm_to_px(9, dpi)
    box = signature_box(dpi)
    draw.rectangle(box, outline=0, width=max(1, mm_to_px(0.3, dpi)))
    draw.text((box[0] + mm_to_px(2, dpi), box[1] + mm_to_px(2, dpi)), signature_label, fill=0, font=body)
    return page


def signature_box(dpi: int) -> tuple[int, int, int, int]:
    """Where synthetic_page draws its signature box (left, top, right, bottom) in pixels."""
    return (mm_to_px(25, dpi), mm_to_px(245, dpi), mm_to_px(185, dpi), mm_to_px(270, dpi))


def draw_signature(image: Image.Image, at: tuple[int, int], dpi: int, rng: random.Random,
                   *, shade: int = 150, width_mm: float = 0.45) -> None:
    """Draw a faint handwritten-looking stroke (about 35×8 mm) starting at `at`, in place."""
    draw = ImageDraw.Draw(image)
    x0, y0 = at
    length, amplitude = mm_to_px(35, dpi), mm_to_px(4, dpi)
    phase, turns = rng.uniform(0, math.pi), rng.uniform(3.0, 5.0)
    points = [(x0 + length * t / 80, y0 + amplitude * math.sin(phase + turns * 2 * math.pi * t / 80)
               + rng.uniform(-1, 1) * amplitude * 0.15) for t in range(81)]
    fill = shade if image.mode == "L" else (shade - 40, shade - 30, min(255, shade + 60))
    draw.line(points, fill=fill, width=max(1, mm_to_px(width_mm, dpi)), joint="curve")


# ---------------------------------------------------------------- the scanner


def degrade(image: Image.Image, rng: random.Random, *, tilt: float = 1.2, noise: float = 5.0,
            quarter_turns: int = 0) -> Image.Image:
    """What the scanner does to a sheet: paper tone, a slight tilt, noise and dust, maybe turned."""
    gray = image.convert("L")
    angle = rng.uniform(-tilt, tilt)
    if angle:
        gray = gray.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
    if quarter_turns % 4:
        gray = gray.transpose((None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180,
                               Image.Transpose.ROTATE_270)[quarter_turns % 4])
    seed = rng.randrange(2**32)
    values = np.asarray(gray, dtype=np.float32) * (rng.uniform(0.90, 0.96))
    generator = np.random.default_rng(seed)
    if noise:
        values += generator.normal(0.0, noise, values.shape).astype(np.float32)
    _dust(values, generator)
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "L")


def _dust(values: np.ndarray, generator: np.random.Generator) -> None:
    """A few isolated dark specks, as on every scanner glass."""
    height, width = values.shape
    count = int(generator.integers(5, 25))
    ys, xs = generator.integers(0, height, count), generator.integers(0, width, count)
    values[ys, xs] = generator.uniform(40, 120, count)


def blank_back(dpi: int, rng: random.Random, *, noise: float = 5.0) -> Image.Image:
    """The blank reverse side of a simplex form, as a duplex scanner captures it."""
    width, height = mm_to_px(A4_MM[0], dpi), mm_to_px(A4_MM[1], dpi)
    return degrade(Image.new("L", (width, height), 255), rng, tilt=0, noise=noise)


def jpeg_bytes(image: Image.Image, dpi: int, quality: int = 80) -> bytes:
    """Encode as JPEG with the resolution recorded (img2pdf reads it for the page size)."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buffer.getvalue()


def stack_pdf(jpegs: list[bytes], out: Path) -> Path:
    """Write JPEG pages into one PDF without re-encoding them (img2pdf)."""
    out.write_bytes(img2pdf.convert(jpegs))
    return out


def _signature_spots(page: pdfium.PdfPage, dpi: int) -> list[tuple[int, int]]:
    """Pixel positions just right of every 签名/签字 label on a PDF page."""
    textpage = page.get_textpage()
    height = page.get_height()
    spots = []
    for word in SIGNATURE_WORDS:
        searcher = textpage.search(word)
        while (hit := searcher.get_next()) is not None:
            left, bottom, right, top = textpage.get_charbox(hit[0] + hit[1] - 1)
            scale = dpi / 72
            spots.append((round((right + 12) * scale), round((height - (top + bottom) / 2) * scale)))
    textpage.close()
    return spots


def render_sources(sources: list[Path], options: ScanOptions, rng: random.Random) -> list[tuple[str, int, Image.Image]]:
    """Rasterise every page of every source PDF, signed where it has signature labels."""
    pages = []
    for source in sources:
        document = pdfium.PdfDocument(str(source))
        try:
            for number in range(len(document)):
                page = document[number]
                image = page.render(scale=options.dpi / 72, grayscale=True).to_pil().convert("L")
                if options.sign:
                    for spot in _signature_spots(page, options.dpi):
                        draw_signature(image, spot, options.dpi, rng)
                pages.append((source.name, number + 1, image))
        finally:
            document.close()
    return pages


def scan_pages(sheets: list[tuple[str, int, Image.Image]], options: ScanOptions,
               rng: random.Random, progress: Progress | None = None) -> list[ScanPage]:
    """Drop, degrade, turn, add blank backs and shuffle: the stack as the scanner outputs it."""
    scanned: list[ScanPage] = []
    for position, (source, number, image) in enumerate(sheets, start=1):
        if progress:
            progress(position, len(sheets))
        if position in options.drop_pages:
            continue
        turns = options.quarter_turns.get(position, 2 if position in options.upside_down else 0)
        degraded = degrade(image, rng, tilt=options.tilt_degrees, noise=options.noise, quarter_turns=turns)
        scanned.append(ScanPage(source, number, jpeg_bytes(degraded, options.dpi, options.jpeg_quality)))
    if options.shuffle:
        rng.shuffle(scanned)
    if options.duplex_blank:
        backs = [ScanPage(page.source, page.number, jpeg_bytes(blank_back(options.dpi, rng, noise=options.noise),
                                                              options.dpi, options.jpeg_quality), blank=True)
                 for page in scanned]
        scanned = [side for pair in zip(scanned, backs, strict=False) for side in pair]
    return scanned


def write_output(pages: list[ScanPage], out_dir: Path, stem: str, fmt: str) -> list[Path]:
    """Write a stack as one PDF (or multi-page TIFF), or one JPEG/PNG file per page."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        return [stack_pdf([page.data for page in pages], out_dir / f"{stem}.pdf")]
    images = [Image.open(io.BytesIO(page.data)) for page in pages]
    if fmt == "tiff":
        target = out_dir / f"{stem}.tif"
        images[0].save(target, save_all=True, append_images=images[1:], compression="tiff_deflate",
                       dpi=images[0].info.get("dpi", (200, 200)))
        return [target]
    if fmt == "jpeg":
        paths = [out_dir / f"{stem}-{n:03d}.jpg" for n in range(1, len(pages) + 1)]
        for path, page in zip(paths, pages, strict=False):
            path.write_bytes(page.data)
        return paths
    paths = [out_dir / f"{stem}-{n:03d}.png" for n in range(1, len(pages) + 1)]
    for path, image in zip(paths, images, strict=False):
        image.save(path, dpi=image.info.get("dpi", (200, 200)))
    return paths


def simulate(sources: list[Path], out_dir: Path, options: ScanOptions,
             progress: Progress | None = None) -> list[Path]:
    """Scan the source PDFs: one output per source, or one stack with --stack; return the files."""
    if options.fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown output format {options.fmt!r}")
    rng = random.Random(options.seed)
    # signatures draw from their own stream, so --no-sign leaves every other effect unchanged
    sheets = render_sources(sources, options, random.Random(f"{options.seed}-sign"))
    pages = scan_pages(sheets, options, rng, progress)
    if options.stack or len(sources) == 1:
        stem = "scan-stack" if len(sources) > 1 else f"scan-{Path(sources[0]).stem}"
        return write_output(pages, out_dir, stem, options.fmt) if pages else []
    written = []
    for source in sources:
        own = [page for page in pages if page.source == source.name]
        if own:
            written += write_output(own, out_dir, f"scan-{source.stem}", options.fmt)
    return written
