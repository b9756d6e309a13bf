"""Blank back sides as a worn office scanner delivers them: heavy noise, JPEG quality 60, and a dark
shadow along one side (lid or sheet edge) wider than the ignored margin — still blank; a page with
a little handwriting or a short printed note on the same harsh scan — not blank.

Pages go through the real read path: JPEG pages in a PDF (img2pdf), read as the flow reads them.
"""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pipeline.core.config import get_config
from pipeline.ingest.identify import page_infos
from pipeline.ingest.pages import iter_pages
from pipeline.ingest.scansim import A4_MM, _font, degrade, draw_signature, mm_to_px, stack_pdf

DPI = 200
INK = get_config().ingest.blank_page_ink_ratio


def harsh(image: Image.Image, seed: int, *, edge: str = "", edge_mm: float = 0, tilt: float = 0.0) -> bytes:
    """The page through a worn scanner: noise σ 12, dust, a shadow band along one side, JPEG q60."""
    rng = random.Random(seed)
    values = np.asarray(degrade(image, rng, tilt=0, noise=12.0), dtype=np.float32).copy()
    height, width = values.shape
    if edge:
        depth = mm_to_px(edge_mm, DPI)
        ramp = np.linspace(55, float(np.median(values)), depth, dtype=np.float32)
        shadow = np.full_like(values, 255)
        band = np.broadcast_to(ramp[None, :], (height, depth)) if edge in ("left", "right") else \
            np.broadcast_to(ramp[:, None], (depth, width))
        if edge == "left":
            shadow[:, :depth] = band
        elif edge == "right":
            shadow[:, width - depth:] = band[:, ::-1]
        elif edge == "top":
            shadow[:depth, :] = band
        else:
            shadow[height - depth:, :] = band[::-1, :]
        if tilt:   # a sheet fed askew: the shadow is a wedge, not a straight band
            shadow = np.asarray(Image.fromarray(shadow.astype(np.uint8)).rotate(tilt, fillcolor=255), np.float32)
        values = np.minimum(values, shadow)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "L").save(buffer, "JPEG", quality=60, dpi=(DPI, DPI))
    return buffer.getvalue()


def white() -> Image.Image:
    return Image.new("L", (mm_to_px(A4_MM[0], DPI), mm_to_px(A4_MM[1], DPI)), 255)


def blank_flags(pages: list[bytes], tmp_path) -> list[bool]:
    """Whether the flow's page check calls each page blank (read at the flow's second-look dpi)."""
    pdf = stack_pdf(pages, tmp_path / "stack.pdf")
    return [info.blank for info in page_infos(iter_pages(pdf, 150), "DHJD", INK)]


@pytest.mark.parametrize("edge", ["left", "right", "top", "bottom"])
def test_a_blank_back_with_noise_jpeg_60_and_a_dark_edge_is_blank(edge, tmp_path):
    pages = [harsh(white(), seed, edge=edge, edge_mm=mm) for seed, mm in enumerate((6, 12, 20))]
    pages.append(harsh(white(), 9, edge=edge, edge_mm=14, tilt=1.5))
    assert blank_flags(pages, tmp_path) == [True] * 4


def test_a_little_handwriting_or_a_short_note_on_such_a_scan_is_not_blank(tmp_path):
    signed = white()
    draw_signature(signed, (mm_to_px(70, DPI), mm_to_px(240, DPI)), DPI, random.Random(2))
    note = white()
    ImageDraw.Draw(note).text((mm_to_px(30, DPI), mm_to_px(120, DPI)), "备注：无", fill=70,
                              font=_font(mm_to_px(4, DPI)))
    near_edge = white()          # a short note written close to the shadowed side
    ImageDraw.Draw(near_edge).text((mm_to_px(25, DPI), mm_to_px(60, DPI)), "已核对", fill=70,
                                   font=_font(mm_to_px(4, DPI)))
    pages = [harsh(signed, 1, edge="left", edge_mm=14), harsh(note, 2, edge="top", edge_mm=14),
             harsh(near_edge, 3, edge="left", edge_mm=16)]
    assert blank_flags(pages, tmp_path) == [False, False, False]
