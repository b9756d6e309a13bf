"""OCR of an unmarked Chinese scan: the words come back, and the archival PDF carries them as text."""

from __future__ import annotations

import io
import random
import subprocess
import sys

import img2pdf
import pikepdf
import pikepdf.pdfa
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.ingest.normalise import archival_pdf, pdfa_findings
from pipeline.ingest.ocr import ocr_pdf, tidy_text
from pipeline.ingest.pages import UnreadableFile
from pipeline.ingest.scansim import FONT_PATH, degrade, jpeg_bytes

LINES = ["职业技能鉴定考场记录表", "考场：实操一室 第1场", "应到考生 30 人，实到 28 人，缺考 2 人。",
         "考评员签名：李明"]


@pytest.fixture(scope="module")
def chinese_scan(tmp_path_factory):
    """A 200-dpi scan of a typed Chinese page, as JPEG in a PDF; returns (path, jpeg bytes)."""
    page = Image.new("L", (1654, 2339), 255)
    draw, font = ImageDraw.Draw(page), ImageFont.truetype(FONT_PATH, 44)
    for number, line in enumerate(LINES):
        draw.text((200, 300 + number * 100), line, fill=0, font=font)
    data = jpeg_bytes(degrade(page, random.Random(3), tilt=0.5), 200, 80)
    path = tmp_path_factory.mktemp("ocr") / "unmarked.pdf"
    path.write_bytes(img2pdf.convert([data]))
    return path, data


@pytest.mark.slow
def test_ocr_reads_the_chinese_words_and_writes_pdfa(chinese_scan, tmp_path):
    source, _ = chinese_scan
    out = tmp_path / "ocr.pdf"
    stderr = sys.stderr
    text = ocr_pdf(source, out)
    assert sys.stderr is stderr                      # log output of the worker still goes where it went
    for word in ("职业技能鉴定", "考场记录表", "实操一室", "李明"):
        assert word in text
    assert pikepdf.pdfa.validate_written(out, "2b").passed
    searchable = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "考场记录表" in searchable


@pytest.mark.slow
def test_archival_pdf_takes_the_ocr_text_layer_but_keeps_the_scan_bytes(chinese_scan, tmp_path):
    source, data = chinese_scan
    ocr_out = tmp_path / "ocr.pdf"
    ocr_pdf(source, ocr_out)
    out = tmp_path / "document.pdf"
    archival_pdf(source, [0], out, title="考场记录", author="鉴定站", text_layer_pdf=ocr_out)
    searchable = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "考场记录表" in searchable and "李明" in searchable
    with pikepdf.open(out) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.read_raw_bytes() == data
    assert pdfa_findings(out) == []


def test_ocr_of_an_encrypted_pdf_is_refused_as_unreadable(tmp_path):
    source = tmp_path / "locked.pdf"
    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, "JPEG", dpi=(100, 100))
    with pikepdf.open(io.BytesIO(img2pdf.convert([buffer.getvalue()]))) as pdf:
        pdf.save(source, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    with pytest.raises(UnreadableFile) as caught:
        ocr_pdf(source, tmp_path / "out.pdf")
    assert caught.value.code == "encrypted" and "locked.pdf" in caught.value.message_zh


def test_spaces_tesseract_puts_between_chinese_characters_are_removed():
    assert tidy_text("考 场 记 录 表\n应到 30 人\fJob No. 7\n") == "考场记录表\n应到 30 人\fJob No. 7\n"
