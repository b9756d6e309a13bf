"""Stamp the page QR and its label "DHJD-7K3M9QX2 1/3" onto PDF pages, as vector drawing.

QR modules are filled rectangles in an extra content stream (no image, no second layout); the label
uses a small embedded TrueType font (DejaVu Sans Mono, subset once per process), never a base-14 font.
"""

from __future__ import annotations

import io
import logging
import subprocess
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont

from pipeline.core.domain import QrPayload
from pipeline.core.errors import ConfigError
from pipeline.render.qr import QUIET_ZONE, dark_runs, qr_matrix

MM = 72 / 25.4
QR_SIZE = 25 * MM          # symbol with quiet zone
QR_RIGHT = 10 * MM         # from the page's right edge
QR_TOP = 6 * MM            # from the page's top edge
LABEL_SIZE = 8.5           # pt
LABEL_GAP = 1.5 * MM
FONT_NAME = pikepdf.Name("/FStationQR")
_CHARS = range(32, 91)     # space … Z: every character a label can hold
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)   # "FFTM NOT subset" noise
_FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                    "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf")


def _font_path() -> Path:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "monospace:fontformat=TrueType"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        found = ""
    if found.endswith(".ttf") and Path(found).is_file():
        return Path(found)
    raise ConfigError("找不到用于二维码标签的等宽字体（DejaVu Sans Mono）。请安装 fonts-dejavu-core。",
                      "no monospace TrueType font for the QR label", code="label_font_missing")


@lru_cache(maxsize=1)
def _label_font() -> tuple[bytes, list[int], dict]:
    """(subset TrueType bytes, widths for chars 32..90 in 1/1000 em, descriptor numbers)."""
    font = TTFont(str(_font_path()))
    options = ft_subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=list(_CHARS))
    subsetter.subset(font)
    scale = 1000 / font["head"].unitsPerEm
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    widths = [round(hmtx[cmap[c]][0] * scale) if c in cmap else 0 for c in _CHARS]
    head, os2 = font["head"], font["OS/2"]
    numbers = {"bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
               "ascent": round(font["hhea"].ascent * scale), "descent": round(font["hhea"].descent * scale),
               "cap": round(getattr(os2, "sCapHeight", 700) * scale)}
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue(), widths, numbers


def label_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """An embedded simple TrueType font object in pdf for the label text."""
    data, widths, numbers = _label_font()
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/QRLBLA+DejaVuSansMono"),
        Flags=33, FontBBox=numbers["bbox"], ItalicAngle=0, Ascent=numbers["ascent"],
        Descent=numbers["descent"], CapHeight=numbers["cap"], StemV=80,
        FontFile2=pikepdf.Stream(pdf, data, Length1=len(data)))
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.TrueType, BaseFont=pikepdf.Name("/QRLBLA+DejaVuSansMono"),
        FirstChar=_CHARS[0], LastChar=_CHARS[-1], Widths=widths, Encoding=pikepdf.Name.WinAnsiEncoding,
        FontDescriptor=pdf.make_indirect(descriptor)))


SMALL_QR = 18 * MM          # on a page smaller than A4 (a half-sheet ticket, a badge card)
SMALL_EDGE = 6 * MM        # a half-sheet ticket is printed to the paper's edge: keep clear of the rim
SMALL_LABEL = 6.5           # pt, under the small QR, flush with its right edge


def stamp_operators(payload: QrPayload, width: float, height: float) -> bytes:
    """Content-stream operators that draw the QR and its label at the page's top-right corner (on a page
    smaller than A4: a smaller QR, the label under it)."""
    small = width < 200 * MM or height < 200 * MM
    size = SMALL_QR if small else QR_SIZE
    matrix = qr_matrix(payload.encode())
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    left, top = (width - SMALL_EDGE - size, height - SMALL_EDGE) if small else (width - QR_RIGHT - size, height - QR_TOP)
    ops = [f"q 1 g {left:.2f} {top - size:.2f} {size:.2f} {size:.2f} re f 0 g"]
    origin_x, origin_y = left + QUIET_ZONE * module, top - QUIET_ZONE * module
    for row, column, length in dark_runs(matrix):
        ops.append(f"{origin_x + column * module:.3f} {origin_y - (row + 1) * module:.3f} "
                   f"{length * module:.3f} {module:.3f} re")
    ops.append("f")
    label = payload.label
    _, widths, _ = _label_font()
    font_size = SMALL_LABEL if small else LABEL_SIZE
    text_width = sum(widths[ord(c) - _CHARS[0]] for c in label) * font_size / 1000
    if small:
        text_x, text_y = left + size - QUIET_ZONE * module - text_width, top - size - font_size * 0.85
    else:
        text_x = left - LABEL_GAP - text_width + QUIET_ZONE * module
        text_y = top - size + QUIET_ZONE * module
    ops.append(f"BT /{str(FONT_NAME)[1:]} {font_size} Tf {text_x:.2f} {text_y:.2f} Td ({label}) Tj ET Q")
    return "\n".join(ops).encode("ascii")


def stamp_pages(pdf: pikepdf.Pdf, payloads: list[QrPayload]) -> None:
    """Draw payloads[k]'s QR and label on page k of pdf (in place)."""
    font = label_font(pdf)
    for page, payload in zip(pdf.pages, payloads, strict=True):
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        resources = page.obj.get(pikepdf.Name.Resources)
        if resources is None:
            resources = page.obj.Resources = pikepdf.Dictionary()
        if pikepdf.Name.Font not in resources:
            resources.Font = pikepdf.Dictionary()
        resources.Font[FONT_NAME] = font
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        body = b"\nQ\n" + stamp_operators(payload, x1 - x0, y1 - y0).replace(b"q 1 g", b"q 1 0 0 1 %s %s cm 1 g" % (
            f"{x0:.2f}".encode(), f"{y0:.2f}".encode()), 1)
        page.contents_add(pikepdf.Stream(pdf, body))
