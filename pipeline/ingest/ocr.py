"""OCR of unmarked scans: OCRmyPDF → PDF/A-2b with an invisible text layer, plus the text.

Two engines (`[ocr] engine` in station.toml): "rapidocr" (the default: PP-OCR models inside the rapidocr
wheel, run by onnxruntime through the plugin in ocr_rapid.py; about 0.5 % CER on our test pages against
Tesseract's 6–8 % on all 20, see BENCHMARKS.md) and "tesseract" (Tesseract, `language` e.g. chi_sim+eng).
Either way OCRmyPDF settles each page's orientation first (Tesseract's check) and writes the PDF/A.

OCRmyPDF logs under the "ocrmypdf" logger (no handler is configured here: the worker's
logging setup decides); its progress bar is off. Only one OCR runs per process at a time
(OCRmyPDF holds a lock), each using `jobs` worker processes.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

import ocrmypdf
from ocrmypdf import exceptions as ocr_errors

from pipeline.core.errors import BadInput, StationError
from pipeline.ingest import ocr_rapid
from pipeline.ingest.pages import unreadable

log = logging.getLogger(__name__)

OCR_JOBS = max(1, min(2, os.cpu_count() or 1))
ENGINES = ("rapidocr", "tesseract")
DEFAULT_ENGINE = "rapidocr"
TESSERACT_LANGUAGE = "chi_sim+eng"
TESSERACT_TIMEOUT = 180.0      # seconds per page; a page Tesseract does not finish comes back without text


class OcrFailed(StationError):
    """OCR could not run (Tesseract missing, a language pack missing, a crash)."""

    code = "ocr_failed"


def ocr_pdf(source_pdf: Path, out_pdf: Path, *, engine: str = DEFAULT_ENGINE, language: str = TESSERACT_LANGUAGE,
            jobs: int = OCR_JOBS, rotate_pages: bool = True, timeout: float = TESSERACT_TIMEOUT) -> str:
    """OCR source_pdf into out_pdf (PDF/A-2b with an invisible text layer); return the text found.

    Pages that already carry text (e.g. a PDF printed from Word) keep it and are not OCRed.
    rotate_pages: let Tesseract's orientation check turn pages fed upside down or sideways
    (one extra, quick Tesseract pass per page: about a third of the OCR time).
    engine: "rapidocr" or "tesseract" (language applies to Tesseract only).
    The text is the engine's, page by page, separated by form feeds (\\f); Chinese is returned
    with the spaces Tesseract puts between characters removed.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown OCR engine {engine!r}")
    source_pdf, out_pdf = Path(source_pdf), Path(out_pdf)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ocr-", dir=out_pdf.parent) as scratch:
        sidecar = Path(scratch) / "text.txt"
        options = {**_engine_options(engine, language, jobs), "tesseract_timeout": timeout}
        _run(source_pdf, out_pdf, sidecar, options, rotate_pages)
        text = sidecar.read_text(encoding="utf-8") if sidecar.exists() else ""
    return tidy_text(text)


def _engine_options(engine: str, language: str, jobs: int) -> dict:
    """OCRmyPDF's options for an engine.

    RapidOCR runs in OCRmyPDF's threads (use_threads), so its models load once per process rather
    than once per worker process per document; one page at a time, onnxruntime using the cores.
    """
    if engine == "rapidocr":
        try:
            ocr_rapid.engine()
        except ocr_rapid.ModelsMissing as exc:
            raise OcrFailed("OCR 组件缺失（rapidocr 的识别模型不在安装包内）。请联系系统维护人员重新安装，"
                            "或在 config/station.toml 的 [ocr] 中改用 engine = \"tesseract\"。",
                            f"OCR dependency missing: {exc}", code="ocr_missing_dependency") from exc
        return {"ocr_engine": ocr_rapid.NAME, "plugins": [ocr_rapid.__name__], "use_threads": True, "jobs": 1,
                "language": ["chi_sim", "eng"]}
    return {"language": language.split("+"), "jobs": jobs}


def _run(source: Path, out: Path, sidecar: Path, options: dict, rotate: bool) -> None:
    """Call OCRmyPDF, turning its exceptions into our errors."""
    streams = sys.stdout, sys.stderr
    try:
        # pdfa_backend "internal": pikepdf writes and validates the PDF/A, so no Ghostscript pass
        # (Debian 12's Ghostscript 10.0 is refused by OCRmyPDF with skip_text, and would re-render)
        ocrmypdf.ocr(source, out, output_type="pdfa-2", pdfa_backend="internal", progress_bar=False,
                     skip_text=True, sidecar=sidecar, optimize=0, rotate_pages=rotate,
                     **options)
    except ocr_errors.EncryptedPdfError as exc:
        raise unreadable(source, "encrypted") from exc
    except (ocr_errors.InputFileError, ocr_errors.UnsupportedImageFormatError) as exc:
        raise unreadable(source, "corrupt", str(exc) or type(exc).__name__) from exc
    except ocr_errors.DigitalSignatureError as exc:
        raise BadInput(f"文件 {source.name} 带有数字签名，OCR 会使签名失效，已停止。请人工登记该文件。",
                       f"{source.name}: digitally signed PDF, OCR refused", code="ocr_signed_pdf") from exc
    except ocr_errors.MissingDependencyError as exc:
        raise OcrFailed("OCR 组件缺失（Tesseract 或中文语言包 chi_sim 未安装）。请联系系统维护人员执行 make setup。",
                        f"OCR dependency missing: {exc}", code="ocr_missing_dependency") from exc
    except (ocr_errors.ExitCodeException, OSError, RuntimeError) as exc:
        raise OcrFailed(f"文件 {source.name} 的 OCR 未能完成（{type(exc).__name__}）。文件已保留，"
                        "请稍后执行 station quarantine retry，若仍失败请联系系统维护人员。",
                        f"{source.name}: OCRmyPDF failed: {exc!r}") from exc
    finally:   # OCRmyPDF leaves sys.stderr redirected to a StringIO (its progress-bar set-up): restore
        sys.stdout, sys.stderr = streams


def tidy_text(text: str) -> str:
    """Remove the spaces Tesseract puts between CJK characters; keep line and page breaks."""
    lines = []
    for line in text.splitlines(keepends=True):
        body, end = line.rstrip("\r\n"), line[len(line.rstrip("\r\n")):]
        lines.append(_join_cjk(body) + end)
    return "".join(lines)


def _is_cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def _join_cjk(line: str) -> str:
    """Drop a space when the characters on both sides are CJK (or CJK punctuation)."""
    out = []
    for position, char in enumerate(line):
        if char == " " and 0 < position < len(line) - 1 and _is_cjk(line[position - 1]) \
                and _is_cjk(line[position + 1]):
            continue
        out.append(char)
    return "".join(out)
