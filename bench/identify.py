"""Benchmark: identification + archival PDF of a 500-page scanned stack, and the OCR path.

The stack: 125 forms × 4 pages, synthetic A4 form pages (QR 25 mm top-right) scanned at 200 dpi
by pipeline.ingest.scansim (tilt, noise, JPEG q75 inside one PDF, shuffled), built once and
cached in --work. Measured, each --repeat times (median reported):

  baseline   rasterise every page with pypdfium2 at 200 dpi + zxing-cpp decode (the issue's naive path)
  identify   open_pages (JPEG draft-decoded at 100 dpi) + page_infos (QR, blank check) + group_pages
  end-to-end identify + archival_pdf (PDF/A-2b, pikepdf.pdfa validated) for every group
  OCR        ocr_pdf (OCRmyPDF, chi_sim+eng, 2 jobs) of a 6-page typed Chinese scan; baseline:
             the tesseract CLI alone on the same page images, one after another

Run: .venv/bin/python bench/identify.py [--pages 500] [--repeat 3] [--ocr-pages 6] [--work /tmp/bench-identify]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import img2pdf  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402
import zxingcpp  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from pipeline.core.domain import QrPayload, new_instance_code  # noqa: E402
from pipeline.ingest.identify import group_pages, page_infos  # noqa: E402
from pipeline.ingest.normalise import archival_pdf  # noqa: E402
from pipeline.ingest.ocr import ocr_pdf  # noqa: E402
from pipeline.ingest.pages import iter_pages  # noqa: E402
from pipeline.ingest.scansim import FONT_PATH, degrade, jpeg_bytes, synthetic_page  # noqa: E402

STATION = "DHJD"
PAGES_PER_FORM = 4


def build_stack(pages: int, work: Path) -> Path:
    """The scanned stack (cached): pages/4 forms of 4 pages, shuffled, JPEG in PDF at 200 dpi."""
    path = work / f"stack-{pages}.pdf"
    if path.exists():
        return path
    rng = random.Random(500)
    codes = [new_instance_code() for _ in range(pages // PAGES_PER_FORM)]
    payloads = [QrPayload(STATION, code, n, PAGES_PER_FORM) for code in codes for n in range(1, PAGES_PER_FORM + 1)]
    rng.shuffle(payloads)
    jpegs = []
    for number, payload in enumerate(payloads, start=1):
        page = synthetic_page(payload, ["职业技能鉴定报名登记表", f"姓名：考生{number}"], dpi=200)
        jpegs.append(jpeg_bytes(degrade(page, rng), 200, 75))
        if number % 100 == 0:
            print(f"  built {number}/{len(payloads)} pages", flush=True)
    path.write_bytes(img2pdf.convert(jpegs))
    return path


def run_baseline(stack: Path) -> int:
    """pypdfium2 render at 200 dpi + zxing decode of every page; returns pages with a QR found."""
    found = 0
    document = pdfium.PdfDocument(str(stack))
    for number in range(len(document)):
        image = document[number].render(scale=200 / 72, grayscale=True).to_pil()
        found += bool(zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))
    document.close()
    return found


def run_identify(stack: Path):
    """Our identification: draft-decoded pages, per-page QR + blank check, grouping."""
    infos = page_infos(iter_pages(stack, dpi=100), STATION, 0.002)
    return group_pages(infos, STATION, set())


def run_end_to_end(stack: Path, out: Path) -> int:
    """Identification, then one archival PDF per group; returns the groups written."""
    result = run_identify(stack)
    for group in result.fileable:
        archival_pdf(stack, group.page_indices, out / f"{group.instance_code}.pdf",
                     title=f"报名登记表 {group.instance_code}", author="鉴定站")
    return len(result.fileable)


def timed(function, *args) -> tuple[float, object]:
    """Seconds taken by function(*args), and its value."""
    start = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - start, value


def ocr_sample(pages: int, work: Path) -> tuple[Path, list[Path]]:
    """A typed Chinese page scanned at 200 dpi, pages times: as a PDF and as JPEG files."""
    font = ImageFont.truetype(FONT_PATH, 40)
    rng = random.Random(9)
    jpegs, files = [], []
    for number in range(pages):
        page = Image.new("L", (1654, 2339), 255)
        draw = ImageDraw.Draw(page)
        for line in range(14):
            draw.text((180, 250 + line * 120), f"第{line + 1}行 职业技能鉴定考场记录 应到考生30人 实到{28 - line % 3}人", fill=0, font=font)
        jpegs.append(jpeg_bytes(degrade(page, rng), 200, 80))
        files.append(work / f"ocr-{number}.jpg")
        files[-1].write_bytes(jpegs[-1])
    path = work / f"ocr-{pages}.pdf"
    path.write_bytes(img2pdf.convert(jpegs))
    return path, files


def run_tesseract(files: list[Path]) -> None:
    """Baseline: the tesseract CLI on each page image, one after another."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    for file in files:
        subprocess.run(["tesseract", str(file), "-", "-l", "chi_sim+eng"], capture_output=True, check=True, env=env)


def main() -> None:
    """Build or reuse the stack, measure every path, print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ocr-pages", type=int, default=6)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-identify")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"# bench/identify.py  {dt.datetime.now():%Y-%m-%d %H:%M}  cores={os.cpu_count()}  "
          f"load={os.getloadavg()[0]:.1f}")
    if args.pages:
        bench_identify(args)
    if args.ocr_pages:
        bench_ocr(args)


def bench_identify(args) -> None:
    """Baseline, identification and end-to-end on the cached stack; print the table."""
    stack = build_stack(args.pages, args.work)
    times = {"baseline": [], "identify": [], "end-to-end": []}
    for _ in range(args.repeat):
        seconds, found = timed(run_baseline, stack)
        times["baseline"].append(seconds)
        seconds, result = timed(run_identify, stack)
        times["identify"].append(seconds)
        assert not result.problems and len(result.fileable) == args.pages // PAGES_PER_FORM, result.problems[:3]
        out = args.work / "archive"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        seconds, written = timed(run_end_to_end, stack, out)
        times["end-to-end"].append(seconds)
    base = statistics.median(times["baseline"])
    print(f"\n{args.pages} pages, {args.pages // PAGES_PER_FORM} forms, median of {args.repeat}; "
          f"baseline QR found on {found} pages, load={os.getloadavg()[0]:.1f}")
    print(f"{'path':<12} {'median s':>9} {'ms/page':>8} {'pages/min':>10} {'speed vs baseline':>18}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<12} {median:9.2f} {median / args.pages * 1000:8.1f} {args.pages / median * 60:10.0f} "
              f"{base / median:17.2f}x")


def bench_ocr(args) -> None:
    """tesseract CLI alone against ocr_pdf with and without the orientation check."""
    sample, files = ocr_sample(args.ocr_pages, args.work)
    times = {"tesseract CLI alone (baseline)": [], "ocr_pdf, rotate_pages=True": [],
             "ocr_pdf, rotate_pages=False": []}
    for _ in range(max(1, args.repeat - 1)):
        times["tesseract CLI alone (baseline)"].append(timed(run_tesseract, files)[0])
        for rotate in (True, False):
            seconds = timed(lambda: ocr_pdf(sample, args.work / "ocr-out.pdf", rotate_pages=rotate))[0]
            times[f"ocr_pdf, rotate_pages={rotate}"].append(seconds)
    base = statistics.median(times["tesseract CLI alone (baseline)"])
    print(f"\nOCR {args.ocr_pages} pages (14 lines of Chinese each), median of {max(1, args.repeat - 1)}, "
          f"load={os.getloadavg()[0]:.1f}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<32} {median:6.1f} s {args.ocr_pages / median * 60:6.1f} pages/min {base / median:6.2f}x")


if __name__ == "__main__":
    main()
