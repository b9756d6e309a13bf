"""Which way up a scanned page is: from its QR symbol, else from Tesseract's orientation check (OSD).

A "turn" is the clockwise rotation, in degrees (0, 90, 180, 270), that shows the page upright:
the value added to the page's /Rotate in the archival PDF (the image bytes are never re-encoded).
zxing-cpp reports the angle of each decoded symbol; our QR is printed upright on every page, so
its angle is the page's. Pages without a QR ask Tesseract (`--psm 0`), which needs some text:
a page it cannot judge (too little text, low confidence) is left as scanned.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess

import pikepdf
from PIL import Image

log = logging.getLogger(__name__)

OSD_MIN_CONFIDENCE = 0.5    # Tesseract's orientation confidence; a CJK page of 3 lines scores 1.3–2.7
OSD_TIMEOUT = 60
_ROTATE_RE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_CONFIDENCE_RE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)


def qr_turn(orientation: float) -> int:
    """The turn that shows a page upright, from the angle zxing-cpp gives its QR symbol."""
    return (-round(orientation / 90) * 90) % 360


def osd_turn(image: Image.Image) -> int:
    """The turn Tesseract's orientation check finds for a page image; 0 when it cannot tell."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    try:
        done = subprocess.run(["tesseract", "stdin", "stdout", "--psm", "0"], input=buffer.getvalue(),
                              capture_output=True, timeout=OSD_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("orientation check could not run: %r", exc)
        return 0
    out = done.stdout.decode("utf-8", "replace")
    turn, confidence = _ROTATE_RE.search(out), _CONFIDENCE_RE.search(out)
    if done.returncode != 0 or turn is None or confidence is None:
        log.debug("orientation check found nothing (%s)", done.stderr.decode("utf-8", "replace").strip()[:200])
        return 0
    if float(confidence.group(1)) < OSD_MIN_CONFIDENCE:
        return 0
    return int(turn.group(1)) % 360


def upright(image: Image.Image, turn: int) -> Image.Image:
    """The image as a viewer shows it once the page is turned clockwise by turn degrees."""
    return image.rotate(-turn, expand=True) if turn % 360 else image


def pages_turn(pdf: pikepdf.Pdf, turns: list[int]) -> None:
    """Turn each page of pdf clockwise by its turn, losslessly: /Rotate only, content untouched."""
    for page, turn in zip(pdf.pages, turns, strict=False):
        if turn % 360:
            page.obj.Rotate = (int(page.obj.get("/Rotate", 0)) + turn) % 360
