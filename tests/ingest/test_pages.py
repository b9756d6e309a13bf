"""Reading dropped files into pages: every format, and every broken input named by its code."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import docx
import img2pdf
import pikepdf
import pytest
from PIL import Image

from pipeline.core.errors import BadInput, ExitCode
from pipeline.ingest.pages import UnreadableFile, iter_pages, open_pages, sniff_format

SAMPLES = Path(__file__).parents[1] / "samples"


def _jpeg(size=(1654, 2339), dpi=200, shade=255) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("L", size, shade)
    image.paste(0, (100, 100, 400, 160))          # some ink, so it is a real page
    image.save(buffer, "JPEG", quality=80, dpi=(dpi, dpi))
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width × height pixels in a few dozen bytes: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


@pytest.fixture
def scan_pdf(tmp_path) -> Path:
    path = tmp_path / "scan.pdf"
    path.write_bytes(img2pdf.convert([_jpeg(), _jpeg(), _jpeg()]))
    return path


def _broken(tmp_path: Path, case: str) -> Path:
    """Make the broken file for one case, as a scanner, a user or an attacker would leave it."""
    good_pdf = img2pdf.convert([_jpeg(), _jpeg()])
    if case == "zero-bytes.pdf":
        data = b""
    elif case == "truncated.jpg":
        data = _jpeg()[: len(_jpeg()) // 2]
    elif case == "truncated.pdf":
        data = good_pdf[: int(len(good_pdf) * 0.6)]
    elif case == "encrypted.pdf":
        buffer = io.BytesIO()
        with pikepdf.open(io.BytesIO(good_pdf)) as pdf:
            pdf.save(buffer, encryption=pikepdf.Encryption(user="secret", owner="owner"))
        data = buffer.getvalue()
    elif case == "no-pages.pdf":
        buffer = io.BytesIO()
        pikepdf.new().save(buffer)
        data = buffer.getvalue()
    elif case in ("bomb.png", "bomb-warning.png"):
        data = _png_header_only(*((60_000, 60_000) if case == "bomb.png" else (10_000, 10_000)))
    elif case == "huge-page.pdf":
        buffer = io.BytesIO()
        pdf = pikepdf.new()
        pdf.add_blank_page()
        pdf.pages[0].mediabox = [0, 0, 200_000, 200_000]
        pdf.save(buffer)
        data = buffer.getvalue()
    elif case == "word-renamed.pdf":
        document = docx.Document()
        document.add_paragraph("职业技能鉴定报名登记表")
        buffer = io.BytesIO()
        document.save(buffer)
        data = buffer.getvalue()
    elif case == "notes.txt":
        data = "这是一个文本文件，不是扫描件。\n".encode()
    elif case == "garbage.pdf":
        data = b"%PDF-1.7\n" + b"\x00garbage" * 100 + b"\n%%EOF\n"
    else:
        raise AssertionError(case)
    path = tmp_path / case
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case, code", [
    ("zero-bytes.pdf", "empty"),
    ("truncated.jpg", "truncated"),
    ("truncated.pdf", "truncated"),
    ("encrypted.pdf", "encrypted"),
    ("no-pages.pdf", "no_pages"),
    ("bomb.png", "decompression_bomb"),
    ("bomb-warning.png", "decompression_bomb"),
    ("huge-page.pdf", "decompression_bomb"),
    ("word-renamed.pdf", "unsupported_format"),
    ("notes.txt", "unsupported_format"),
    ("garbage.pdf", "corrupt"),
])
def test_broken_input_raises_its_code_with_a_message_naming_the_file(tmp_path, case, code):
    path = _broken(tmp_path, case)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(UnreadableFile) as caught:
        open_pages(path)
    error = caught.value
    assert error.code == code
    assert isinstance(error, BadInput) and error.exit_code == ExitCode.BAD_INPUT
    assert case in error.message_zh and case in error.detail
    assert error.as_dict()["code"] == code
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before   # input never changed


def test_encrypted_message_tells_staff_what_to_do(tmp_path):
    with pytest.raises(UnreadableFile) as caught:
        open_pages(_broken(tmp_path, "encrypted.pdf"))
    assert "已加密" in caught.value.message_zh and "station quarantine retry" in caught.value.message_zh


def test_sniff_format_reads_magic_bytes_not_the_extension(tmp_path):
    renamed = tmp_path / "scan.pdf"
    renamed.write_bytes(_jpeg())
    assert sniff_format(renamed) == "jpeg"
    tiff = tmp_path / "x.dat"
    Image.new("L", (10, 10)).save(tiff, "TIFF")
    assert sniff_format(tiff) == "tiff"


def test_scanner_pdf_pages_are_draft_decoded_near_the_asked_dpi(scan_pdf):
    pages = open_pages(scan_pdf, dpi=100)
    assert [p.index for p in pages] == [0, 1, 2]
    page = pages[0]
    assert page.image.mode == "L"
    assert round(page.source_dpi) == 200 and round(page.dpi) == 100
    assert page.image.size == (827, 1170)


def test_vector_pdf_pages_are_rasterised(tmp_path):
    path = tmp_path / "printed.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].contents_add(pdf.make_stream(b"0 g 100 700 200 50 re f"))
    pdf.save(path)
    (page,) = open_pages(path, dpi=72)
    assert page.image.mode == "L" and page.image.size == (595, 842)
    assert page.image.getpixel((150, 842 - 720)) < 50 and page.image.getpixel((10, 10)) > 200


def test_owner_password_only_pdf_is_readable(tmp_path):
    path = tmp_path / "restricted.pdf"
    with pikepdf.open(io.BytesIO(img2pdf.convert([_jpeg()]))) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="", owner="owner"))
    assert len(open_pages(path)) == 1


def test_multipage_tiff_gives_every_page(tmp_path):
    path = tmp_path / "stack.tif"
    frames = [Image.new("L", (850, 1100), 255 - 40 * n) for n in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(100, 100))
    pages = open_pages(path, dpi=100)
    assert [p.index for p in pages] == [0, 1, 2]
    assert [p.image.getpixel((5, 5)) for p in pages] == [255, 215, 175]


def test_png_with_transparency_is_read_on_white_paper(tmp_path):
    path = tmp_path / "photo.png"
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (100, 100, 200, 200))
    image.save(path, dpi=(150, 150))
    (page,) = open_pages(path, dpi=150)
    assert page.image.getpixel((10, 10)) == 255 and page.image.getpixel((150, 150)) == 0


def test_high_resolution_jpeg_is_reduced(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(_jpeg(size=(2480, 3508), dpi=300))
    (page,) = open_pages(path, dpi=150)
    assert page.image.size == (1240, 1754) and round(page.dpi) == 150


def test_iter_pages_checks_the_whole_pdf_before_the_first_page(tmp_path):
    with pytest.raises(UnreadableFile):
        iter_pages(_broken(tmp_path, "truncated.pdf"))


def test_truncated_jpeg_is_refused_even_after_weasyprint_relaxed_pillow(tmp_path):
    import weasyprint  # noqa: F401 — importing it sets ImageFile.LOAD_TRUNCATED_IMAGES = True
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    with pytest.raises(UnreadableFile) as caught:
        open_pages(_broken(tmp_path, "truncated.jpg"))
    assert caught.value.code == "truncated"
    page = tmp_path / "half-page.pdf"
    page.write_bytes(img2pdf.convert([_jpeg()[:-5000]]))   # the JPEG inside the PDF is cut short
    with pytest.raises(UnreadableFile) as caught:
        open_pages(page)
    assert caught.value.code in ("truncated", "corrupt")
    assert ImageFile.LOAD_TRUNCATED_IMAGES                    # restored for the renderer
