"""Pages scanned upside down or sideways are upright in the archival PDF; the original stays as received.

Real rasterised scans from the scan simulator, turned by quarter turns as a sheet fed the wrong
way round comes out of the scanner. A QR page knows its orientation from the QR; a page without
one is checked by Tesseract (OSD). Upright is then checked on the archival PDF as a viewer shows
it (pdfium applies /Rotate): the QR is read again and must stand upright, and an unmarked page
must match the page as it was drawn.
"""

from __future__ import annotations

import random

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from pipeline.catalog.models import ArchiveItem
from pipeline.core.domain import QrPayload
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.scansim import degrade, jpeg_bytes, synthetic_page
from tests.ingest.test_flow import DPI, _image_bytes, drop, fast_config, make_registration, make_round, stack_bytes

NOTICE = ["关于开展职业技能鉴定工作的通知", "各有关单位：根据上级文件精神，现将有关事项通知如下。",
          "一、鉴定时间和地点安排", "二、报名条件和所需材料", "三、考核方式与合格标准"]


def rendered(pdf_path, index: int, dpi: int = 60) -> Image.Image:
    """One page of a PDF as a viewer shows it (pdfium applies /Rotate)."""
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        return document[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def qr_angle(image: Image.Image) -> float:
    """The angle zxing-cpp reads for the first QR symbol on the image."""
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found, "no QR on the rendered page"
    return found[0].orientation


@pytest.mark.django_db
def test_form_pages_fed_at_90_180_270_are_upright_in_the_archive(data_root, tmp_path):
    form = make_registration(make_round(), 41, pages=4)
    rng = random.Random(3)
    pages = [jpeg_bytes(degrade(synthetic_page(QrPayload("DHJD", form.code, page, 4), [form.title], dpi=DPI),
                                rng, quarter_turns=page - 1), DPI) for page in range(1, 5)]
    data = stack_bytes(pages, tmp_path)
    drop(data_root.inbox / "转向.pdf", data)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    folder = data_root.archive / ArchiveItem.objects.get().folder
    for index in range(4):
        page = rendered(folder / "document.pdf", index, dpi=100)
        assert page.height > page.width, f"page {index + 1} lies sideways"
        assert abs(qr_angle(page)) <= 5, f"page {index + 1} is not upright"
    with pikepdf.open(folder / "document.pdf") as pdf:
        assert [int(p.obj.get("/Rotate", 0)) for p in pdf.pages] == [0, 90, 180, 270]
        # lossless: the very JPEG bytes the scanner wrote, turned by /Rotate only
        assert [_image_bytes(p)[0] for p in pdf.pages] == pages
    assert (folder / "original" / "转向.pdf").read_bytes() == data      # the original as received


def _likeness(a: Image.Image, b: Image.Image) -> float:
    """Correlation of two page images at a small common size (paper tone and noise do not matter)."""
    size = (105, 148)
    return float(np.corrcoef(np.asarray(a.resize(size), np.float32).ravel(),
                             np.asarray(b.resize(size), np.float32).ravel())[0, 1])


@pytest.mark.django_db
def test_unmarked_pages_upside_down_or_sideways_are_turned_by_the_orientation_check(data_root, tmp_path):
    drawn = synthetic_page(None, NOTICE, dpi=DPI)
    rng = random.Random(8)
    pages = [jpeg_bytes(degrade(drawn, rng, quarter_turns=turns), DPI) for turns in (2, 1)]
    drop(data_root.inbox / "公文" / "倒放.pdf", stack_bytes(pages, tmp_path))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    item = ArchiveItem.objects.get()
    for index in range(2):
        page = rendered(data_root.archive / item.folder / "document.pdf", index)
        upright, inverted = _likeness(page, drawn), _likeness(page, drawn.rotate(180))
        assert page.height > page.width and upright > 0.5 > inverted, f"page {index + 1} is not upright"
    assert "鉴定时间和地点安排" in item.text       # OCR read the turned pages the right way up
