"""The archival PDF: scans wrapped losslessly, PDF/A-2b identification written and checked."""

from __future__ import annotations

import hashlib
import random

import img2pdf
import pikepdf
import pikepdf.pdfa
import pytest
from PIL import Image

from pipeline.core.domain import QrPayload
from pipeline.ingest.normalise import ArchivalPdfError, archival_pdf, pdfa_findings
from pipeline.ingest.scansim import degrade, jpeg_bytes, synthetic_page

TITLE = "2026-12 电工四级 张三 职业技能鉴定报名登记表"
AUTHOR = "厦门东海职业技术学院职业技能鉴定站"


def _scan_jpegs(count: int) -> list[bytes]:
    rng = random.Random(count)
    return [jpeg_bytes(degrade(synthetic_page(QrPayload("DHJD", "AAAAAAAA", n, count), dpi=150), rng), 150, 70)
            for n in range(1, count + 1)]


def _page_jpeg(pdf: pikepdf.Pdf, number: int) -> bytes:
    (image,) = pdf.pages[number].get_images().values()
    assert image.get("/Filter") == pikepdf.Name.DCTDecode
    return image.read_raw_bytes()


def test_jpeg_scan_keeps_its_exact_bytes_and_is_pdfa(tmp_path):
    (data,) = _scan_jpegs(1)
    source = tmp_path / "scan.jpg"
    source.write_bytes(data)
    out = tmp_path / "document.pdf"
    assert archival_pdf(source, [0], out, title=TITLE, author=AUTHOR, subject="报名", keywords="张三") == 1
    with pikepdf.open(out) as pdf:
        assert _page_jpeg(pdf, 0) == data
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        assert meta["dc:title"] == TITLE and meta["dc:creator"] == [AUTHOR]
        assert str(pdf.docinfo["/Title"]) == TITLE and str(pdf.docinfo["/Author"]) == AUTHOR
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1 and intent.DestOutputProfile.N == 3
        width_in = float(pdf.pages[0].mediabox[2]) / 72
        assert abs(width_in - 210 / 25.4) < 0.05          # A4 at the JPEG's own 150 dpi
    assert pdfa_findings(out) == []
    assert pikepdf.pdfa.validate_written(out, "2b").passed


def test_chosen_pages_of_a_stack_are_copied_in_the_given_order_untouched(tmp_path):
    jpegs = _scan_jpegs(3)
    source = tmp_path / "stack.pdf"
    source.write_bytes(img2pdf.convert(jpegs))
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "document.pdf"
    assert archival_pdf(source, [2, 0], out, title=TITLE, author=AUTHOR) == 2
    with pikepdf.open(out) as pdf:
        assert [_page_jpeg(pdf, 0), _page_jpeg(pdf, 1)] == [jpegs[2], jpegs[0]]
    assert pdfa_findings(out) == []
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_png_with_transparency_is_kept_lossless(tmp_path):
    image = Image.new("RGBA", (300, 400), (255, 255, 255, 0))
    image.paste((200, 30, 30, 255), (50, 50, 250, 120))
    source = tmp_path / "scan.png"
    image.save(source, dpi=(100, 100))
    out = tmp_path / "document.pdf"
    archival_pdf(source, [0], out, title=TITLE, author=AUTHOR)
    with pikepdf.open(out) as pdf:
        (embedded,) = pdf.pages[0].get_images().values()
        pixels = pikepdf.PdfImage(embedded).as_pil_image().convert("RGB")
    expected = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("RGB")
    assert pixels.tobytes() == expected.tobytes()
    assert pdfa_findings(out) == []


def test_one_page_of_a_multipage_tiff(tmp_path):
    frames = [Image.new("L", (850, 1100), shade) for shade in (250, 180, 90)]
    source = tmp_path / "stack.tif"
    frames[0].save(source, save_all=True, append_images=frames[1:], dpi=(100, 100), compression="tiff_deflate")
    out = tmp_path / "document.pdf"
    assert archival_pdf(source, [1], out, title=TITLE, author=AUTHOR) == 1
    with pikepdf.open(out) as pdf:
        (embedded,) = pdf.pages[0].get_images().values()
        assert pikepdf.PdfImage(embedded).as_pil_image().getpixel((10, 10)) == 180
    assert pdfa_findings(out) == []


def test_image_without_resolution_gets_a_page_of_sensible_size(tmp_path):
    source = tmp_path / "nodpi.png"
    Image.new("L", (1654, 2339), 255).save(source)          # A4 at 200 dpi, resolution not recorded
    out = tmp_path / "document.pdf"
    archival_pdf(source, [0], out, title=TITLE, author=AUTHOR)
    with pikepdf.open(out) as pdf:
        assert abs(float(pdf.pages[0].mediabox[2]) - 595.3) < 2


def test_a_page_that_does_not_exist_is_refused(tmp_path):
    source = tmp_path / "stack.pdf"
    source.write_bytes(img2pdf.convert(_scan_jpegs(2)))
    with pytest.raises(ArchivalPdfError) as caught:
        archival_pdf(source, [0, 5], tmp_path / "out.pdf", title=TITLE, author=AUTHOR)
    assert caught.value.code == "page_out_of_range" and "第 6 页" in caught.value.message_zh


def test_findings_name_what_a_plain_pdf_lacks(tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(img2pdf.convert(_scan_jpegs(1)))
    findings = pdfa_findings(plain)
    assert any("pdfaid" in f for f in findings) and any("OutputIntent" in f for f in findings)
