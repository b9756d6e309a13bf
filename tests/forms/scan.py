"""A small scan-degrading helper for form tests: rasterise a PDF page like a scanner would, then
rotate, skew and JPEG-compress it, and decode the QR codes on it."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from PIL import Image

from pipeline.core.domain import QrPayload


def raster(pdf: bytes, page: int = 0, dpi: int = 150) -> Image.Image:
    """One page as a greyscale image at dpi."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[page].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        document.close()


def degrade(image: Image.Image, *, rotate: int = 0, skew: float = 0.0, jpeg: int | None = None) -> Image.Image:
    """The page as a scanner returns it: turned by a right angle, skewed a few degrees, JPEG-compressed."""
    if rotate:
        image = image.rotate(rotate, expand=True, fillcolor=255)
    if skew:
        image = image.rotate(skew, expand=True, fillcolor=255, resample=Image.BICUBIC)
    if jpeg:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=jpeg)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return image


def payloads(image: Image.Image) -> list[QrPayload]:
    """Our QR payloads found on the image."""
    found = [QrPayload.decode(result.text) for result in zxingcpp.read_barcodes(image)]
    return [payload for payload in found if payload]
