"""RapidOCR (PP-OCR models run by onnxruntime) as an OCRmyPDF OCR engine plugin.

OCRmyPDF keeps doing what it did for Tesseract: rasterising, turning pages (Tesseract's orientation
check, which this engine borrows: PP-OCR reads an upside-down page's lines bottom-first), writing the
invisible text layer (its fpdf2 renderer, glyphs placed on each recognised character's box) and the
PDF/A-2b. This module only recognises the words. The models ship inside the rapidocr wheel
(rapidocr/models/*.onnx); `engine()` refuses to start when one is missing, so nothing is downloaded
at run time. One engine per process, loaded on first use (about 3 s), shared by OCRmyPDF's threads
behind a lock (onnxruntime itself uses the cores).
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from ocrmypdf import hookimpl
from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
from PIL import Image

log = logging.getLogger(__name__)

NAME = "rapidocr"
MODELS = ("PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx", "ch_ppocr_mobile_v2.0_cls_mobile.onnx")
THREADS = max(1, min(2, os.cpu_count() or 1))
# text detection on the page scaled to at most 960 px (a 200-dpi A4 page is 2339 px high): 3× faster than
# full size and it finds as many lines (the recogniser still reads each line from the full-size scan)
DET_SIDE = 960
MIN_SCORE = 0.5          # RapidOCR's own default: lines it is less sure of are dropped
_LOCK = threading.Lock()


class ModelsMissing(RuntimeError):
    """The PP-OCR model files are not inside the installed rapidocr package."""


def models_dir() -> Path:
    """Where the installed rapidocr wheel keeps its models."""
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


@lru_cache(maxsize=1)
def engine():
    """The process's RapidOCR instance, built from the models inside the wheel (never downloaded)."""
    folder = models_dir()
    missing = [name for name in MODELS if not (folder / name).is_file()]
    if missing:
        raise ModelsMissing(f"rapidocr models missing in {folder}: {', '.join(missing)}")
    from rapidocr import RapidOCR

    return RapidOCR(params={
        "Global.log_level": "warning", "Global.return_word_box": True, "Global.text_score": MIN_SCORE,
        "Det.model_path": str(folder / MODELS[0]), "Rec.model_path": str(folder / MODELS[1]),
        "Cls.model_path": str(folder / MODELS[2]), "Det.limit_type": "max", "Det.limit_side_len": DET_SIDE,
        "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1})


def version() -> str:
    """rapidocr's version (and the models' names)."""
    from importlib.metadata import version as dist_version

    return f"rapidocr {dist_version('rapidocr')} (PP-OCRv6 small)"


def recognise(image: Image.Image) -> list[dict]:
    """The text lines RapidOCR finds on a page image, in reading order.

    Each line: {"text", "box": (left, top, right, bottom), "chars": [(text, box), ...]} in pixels;
    chars are single CJK characters or runs of Latin letters and digits.
    """
    array = np.asarray(image.convert("RGB"))[:, :, ::-1]          # BGR, as OpenCV reads it
    with _LOCK:
        result = engine()(array)
    if result.boxes is None or not result.txts:
        return []
    words = result.word_results or [()] * len(result.txts)
    lines = [{"text": text, "box": _rect(box), "chars": _runs(chars)}
             for text, box, chars in zip(result.txts, result.boxes, words, strict=False) if text.strip()]
    return reading_order(lines)


def _rect(points) -> tuple[float, float, float, float]:
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _runs(chars) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Per-character boxes, with neighbouring Latin letters and digits joined into one word."""
    out: list[tuple[str, tuple[float, float, float, float]]] = []
    for text, _score, box in chars or ():
        rect = _rect(box)
        if out and text.isascii() and text.strip() and out[-1][0][-1:].isascii() and out[-1][0].strip():
            previous, (left, top, _right, bottom) = out[-1]
            out[-1] = (previous + text, (left, min(top, rect[1]), rect[2], max(bottom, rect[3])))
        elif text.strip():
            out.append((text, rect))
    return out


def reading_order(lines: list[dict]) -> list[dict]:
    """Lines sorted into rows (boxes whose vertical middles overlap), top to bottom, each row left to right."""
    rows: list[list[dict]] = []
    for line in sorted(lines, key=lambda item: (item["box"][1] + item["box"][3]) / 2):
        middle = (line["box"][1] + line["box"][3]) / 2
        row = rows[-1] if rows else None
        if row and abs(middle - _middle(row)) < 0.5 * min(_height(line), _height(row[0])):
            row.append(line)
        else:
            rows.append([line])
    ordered = []
    for row in rows:
        ordered += sorted(row, key=lambda item: item["box"][0])
        ordered[-1]["row_end"] = True
    return ordered


def _middle(row: list[dict]) -> float:
    return sum((item["box"][1] + item["box"][3]) / 2 for item in row) / len(row)


def _height(line: dict) -> float:
    return max(1.0, line["box"][3] - line["box"][1])


def page_text(lines: list[dict]) -> str:
    """The page's text: a row per line, the lines of one row (table cells) separated by a space."""
    out, row = [], []
    for line in lines:
        row.append(line["text"])
        if line.get("row_end"):
            out.append(" ".join(row))
            row = []
    return "\n".join(out + ([" ".join(row)] if row else []))


def page_tree(lines: list[dict], size: tuple[int, int], dpi: float, page_number: int) -> OcrElement:
    """OCRmyPDF's page tree: a line per recognised line, a word per character (or Latin run)."""
    page = OcrElement(ocr_class=OcrClass.PAGE, bbox=BoundingBox(0, 0, size[0], size[1]), dpi=dpi,
                      page_number=page_number)
    for line in lines:
        element = OcrElement(ocr_class=OcrClass.LINE, bbox=BoundingBox(*line["box"]), text=line["text"])
        chars = line["chars"] or [(line["text"], line["box"])]
        element.children = [OcrElement(ocr_class=OcrClass.WORD, bbox=BoundingBox(*_inside(box, size)), text=text)
                            for text, box in chars]
        page.children.append(element)
    return page


def _inside(box, size) -> tuple[float, float, float, float]:
    """A box clipped to the page and at least a pixel wide and high."""
    left, top = max(0.0, box[0]), max(0.0, box[1])
    right, bottom = min(float(size[0]), max(box[2], left + 1)), min(float(size[1]), max(box[3], top + 1))
    return left, top, right, bottom


class RapidOcrEngine(OcrEngine):
    """OCRmyPDF's view of RapidOCR."""

    @staticmethod
    def version() -> str:
        return version()

    @staticmethod
    def creator_tag(options) -> str:
        return version()

    def __str__(self) -> str:
        return version()

    @staticmethod
    def languages(options) -> set[str]:
        return {"chi_sim", "eng"}

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine

        return TesseractOcrEngine.get_orientation(input_file, options)

    @staticmethod
    def get_deskew(input_file: Path, options) -> float:
        return 0.0

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options, page_number: int = 0) -> tuple[OcrElement, str]:
        with Image.open(input_file) as image:
            dpi = image.info.get("dpi", (200, 200))
            lines = recognise(image)
            size = image.size
        return page_tree(lines, size, float(dpi[0] if isinstance(dpi, tuple) else dpi), page_number), page_text(lines)

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        raise NotImplementedError("rapidocr engine: use the fpdf2 renderer (generate_ocr)")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        raise NotImplementedError("rapidocr engine: use the fpdf2 renderer (generate_ocr)")


@hookimpl
def get_ocr_engine(options):
    """This engine when OCRmyPDF is called with ocr_engine="rapidocr"."""
    if options is None or getattr(options, "ocr_engine", "auto") != NAME:
        return None
    return RapidOcrEngine()
