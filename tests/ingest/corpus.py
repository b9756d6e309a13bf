"""A corpus of real-world-like files, made here (nothing downloaded), for the "drop it all" test.

Each maker returns the bytes of one file as some real producer writes it: born-digital PDFs
(fpdf2, WeasyPrint, Ghostscript "print to PDF", hand-built objects for what those tools do not
emit: Type3 and non-embedded CID fonts, AcroForm fields, JavaScript, thumbnails), image PDFs
(Pillow, img2pdf), scanner images (multi-page TIFF, G4, EXIF-rotated JPEG/PNG, CMYK), files no
one can file (encrypted, cut short, zero bytes, office documents dropped by mistake) and files
built to hurt (a 1.2-gigapixel image, a 5 m page). `corpus_files(folder)` writes them all.
"""

from __future__ import annotations

import io
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import img2pdf
import pikepdf
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from pipeline.core.domain import QrPayload
from pipeline.ingest.scansim import FONT_PATH, jpeg_bytes, synthetic_page

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
A4 = (595.28, 841.89)


# ---------------------------------------------------------------- born-digital PDFs


def fpdf_text(lines: list[str], *, pages: int = 1, embed: bool = False, orientation: str = "P",
              extra: Callable[[FPDF], None] | None = None) -> bytes:
    """A text PDF as office software writes it: core Helvetica (not embedded) or embedded DejaVu."""
    pdf = FPDF(orientation=orientation, format="A4")
    if embed:
        pdf.add_font("DejaVu", fname=DEJAVU)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("DejaVu" if embed else "Helvetica", size=14)
        for line in lines:
            pdf.cell(0, 10, f"{line} ({number}/{pages})", new_x="LMARGIN", new_y="NEXT")
        if extra:
            extra(pdf)
    return bytes(pdf.output())


def _with_annotations(pdf: FPDF) -> None:
    pdf.text_annotation(20, 80, "Reviewer note: please check the figures.")
    pdf.link(20, 100, 60, 10, "https://example.org/notice")
    pdf.set_font_size(10)
    pdf.cell(0, 10, "see https://example.org/notice", link="https://example.org/notice")


def _with_alpha_image(pdf: FPDF) -> None:
    image = Image.new("RGBA", (200, 120), (255, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 190, 110), fill=(0, 80, 200, 128))
    pdf.image(image, x=20, y=120, w=80)


def _with_attachment(pdf: FPDF) -> None:
    pdf.embed_file(basename="data.csv", bytes=b"name,score\nA,90\n", desc="raw scores")


def weasy_html(body: str, css: str = "") -> bytes:
    """A WeasyPrint PDF (embedded CJK subset fonts, CID-keyed)."""
    from weasyprint import HTML
    html = f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>{body}</body></html>"
    return HTML(string=html).write_pdf()


def _content_pdf(content: bytes, resources: dict, *, size=A4, page_extra: dict | None = None,
                 root_extra: Callable[[pikepdf.Pdf, pikepdf.Page], None] | None = None, **save) -> bytes:
    """A one-page PDF drawn by a raw content stream (for what the usual writers never emit)."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=size)
    page.obj.Resources = pdf.make_indirect(pikepdf.Dictionary(resources)) if resources else pikepdf.Dictionary()
    page.obj.Contents = pdf.make_stream(content)
    for key, value in (page_extra or {}).items():
        page.obj[key] = value
    if root_extra:
        root_extra(pdf, page)
    buffer = io.BytesIO()
    pdf.save(buffer, **save)
    return buffer.getvalue()


def cid_font_not_embedded() -> bytes:
    """Chinese text in STSong-Light, an Adobe CJK font the reader must supply (not embedded)."""
    pdf_text = "关于开展职业技能鉴定工作的通知".encode("utf-16-be")
    cid = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType0,
                             BaseFont=pikepdf.Name("/STSong-Light"),
                             CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="GB1", Supplement=4),
                             FontDescriptor=pikepdf.Dictionary(
                                 Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/STSong-Light"),
                                 Flags=6, FontBBox=[-25, -254, 1000, 880], ItalicAngle=0, Ascent=880,
                                 Descent=-120, CapHeight=880, StemV=93), DW=1000)
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0,
                              BaseFont=pikepdf.Name("/STSong-Light-UniGB-UCS2-H"),
                              Encoding=pikepdf.Name("/UniGB-UCS2-H"), DescendantFonts=[cid])
    content = b"BT /F1 20 Tf 60 760 Td <" + pdf_text.hex().encode() + b"> Tj ET"
    return _content_pdf(content, {"/Font": pikepdf.Dictionary(F1=font)})


def type3_font() -> bytes:
    """Text in a Type3 font (glyphs drawn by content streams), as TeX bitmap fonts and some CAD tools write."""
    square = b"1000 0 0 0 750 750 d1 0 0 750 750 re f"
    triangle = b"1000 0 0 0 750 750 d1 0 0 m 750 0 l 375 750 l f"
    pdf = pikepdf.new()
    procs = pikepdf.Dictionary(a=pdf.make_stream(square), b=pdf.make_stream(triangle))
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type3, FontBBox=[0, 0, 750, 750],
                              FontMatrix=[0.001, 0, 0, 0.001, 0, 0], CharProcs=procs, FirstChar=97, LastChar=98,
                              Widths=[1000, 1000], Resources=pikepdf.Dictionary(),
                              Encoding=pikepdf.Dictionary(Type=pikepdf.Name.Encoding,
                                                          Differences=[97, pikepdf.Name.a, pikepdf.Name.b]))
    page = pdf.add_blank_page(page_size=A4)
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(T3=font))
    page.obj.Contents = pdf.make_stream(b"BT /T3 24 Tf 60 760 Td (abbaab) Tj ET")
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def acroform() -> bytes:
    """A fillable form (AcroForm text field and check box, appearance streams, NeedAppearances)."""
    def add_fields(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        helv = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                    BaseFont=pikepdf.Name.Helvetica))
        appearance = pdf.make_stream(b"/Tx BMC BT /Helv 12 Tf 2 6 Td (Zhang Wei) Tj ET EMC",
                                     Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 200, 20],
                                     Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(Helv=helv)))
        text = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Tx, T="name",
            V="Zhang Wei", Rect=[100, 700, 300, 720], F=4, P=page.obj, DA="/Helv 12 Tf 0 g",
            AP=pikepdf.Dictionary(N=appearance)))
        box = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Btn, T="agree",
            V=pikepdf.Name.Off, AS=pikepdf.Name.Off, Rect=[100, 660, 115, 675], F=4, P=page.obj))
        page.obj.Annots = pdf.make_indirect(pikepdf.Array([text, box]))
        pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(
            Fields=[text, box], NeedAppearances=True, DA="/Helv 0 Tf 0 g",
            DR=pikepdf.Dictionary(Font=pikepdf.Dictionary(Helv=helv))))
    content = b"BT /F1 14 Tf 60 760 Td (Application form - fill in) Tj ET"
    return _content_pdf(content, {"/Font": pikepdf.Dictionary(F1=_helvetica())}, root_extra=add_fields)


def _helvetica() -> pikepdf.Dictionary:
    return pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)


def javascript() -> bytes:
    """A PDF that runs JavaScript on opening (document names tree, OpenAction, page action)."""
    def add_js(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        action = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert('hello');"))
        pdf.Root.OpenAction = action
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=["init", action]))
        page.obj.AA = pikepdf.Dictionary(O=action)
    content = b"BT /F1 14 Tf 60 760 Td (This notice runs a script when opened) Tj ET"
    return _content_pdf(content, {"/Font": pikepdf.Dictionary(F1=_helvetica())}, root_extra=add_js)


def cmyk_vector() -> bytes:
    """Print-shop PDF: text and shapes in DeviceCMYK."""
    content = (b"0 0.8 0.9 0 k 50 600 300 150 re f 0 0 0 1 k BT /F1 18 Tf 60 760 Td "
               b"(CMYK leaflet) Tj ET")
    return _content_pdf(content, {"/Font": pikepdf.Dictionary(F1=_helvetica())})


def with_thumbnail() -> bytes:
    """A PDF with an embedded page thumbnail (/Thumb), as old Acrobat wrote them."""
    def thumb(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        page.obj.Thumb = pdf.make_stream(bytes(range(64)) * 3, Width=8, Height=8,
                                         ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    content = b"BT /F1 14 Tf 60 760 Td (Page with thumbnail) Tj ET"
    return _content_pdf(content, {"/Font": pikepdf.Dictionary(F1=_helvetica())}, root_extra=thumb)


def huge_page(width_m: float = 5.0) -> bytes:
    """A born-digital banner 5 m wide (a plotter drawing), with a few words on it."""
    width = width_m / 0.0254 * 72
    content = f"BT /F1 24 Tf 100 250 Td (Banner {width_m} m: skills appraisal week) Tj ET".encode()
    return _content_pdf(content, {"/Font": pikepdf.Dictionary(F1=_helvetica())}, size=(width, 500))


def huge_image_pdf() -> bytes:
    """An A4 page painting a 40 000 × 30 000 Flate image (1.2 gigapixels; the file is small)."""
    width, height = 40_000, 30_000
    row = b"\x00" + b"\xff" * (width // 8)
    squeeze = zlib.compressobj(9)
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=A4)
    image = pdf.make_stream(data, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=width, Height=height,
                            ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=1, Filter=pikepdf.Name.FlateDecode,
                            DecodeParms=pikepdf.Dictionary(Predictor=15, Columns=width, Colors=1,
                                                           BitsPerComponent=1))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.obj.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def huge_png(width: int = 40_000, height: int = 30_000) -> bytes:
    """A 1-bit PNG of 1.2 gigapixels (about 150 kB on disk)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    row = b"\x00" + b"\xff" * (width // 8)
    squeeze = zlib.compressobj(9)
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def encrypted(data: bytes, *, owner: str, user: str, aes: bool = True) -> bytes:
    """data re-saved with a password (owner only = opens without one, but restricted)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        buffer = io.BytesIO()
        pdf.save(buffer, encryption=pikepdf.Encryption(owner=owner, user=user, R=6 if aes else 3, metadata=aes, aes=aes,
                                                       allow=pikepdf.Permissions(extract=False, modify_other=False)))
    return buffer.getvalue()


def resaved(data: bytes, **options) -> bytes:
    """data re-saved by pikepdf/qpdf with other structure options (object streams, linearised, PDF 1.3)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        buffer = io.BytesIO()
        pdf.save(buffer, **options)
    return buffer.getvalue()


def broken_xref(data: bytes) -> bytes:
    """A PDF whose cross-reference offsets are wrong (an FTP text-mode transfer, a bad editor)."""
    start = data.rfind(b"startxref")
    return data[:start] + b"startxref\n999999\n%%EOF\n"


def incremental_update(data: bytes) -> bytes:
    """data with an incremental update appended (a reader that saved a change: a second xref section)."""
    return data + _append_info(data)


def _append_info(data: bytes) -> bytes:
    """A minimal incremental update: a new /Info object and a new xref section pointing back."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        size = int(pdf.trailer.Size)
        root = pdf.Root.objgen
    previous = int(data[data.rfind(b"startxref") + 9:].split()[0])
    offset = len(data) + 1
    body = f"\n{size} 0 obj\n<< /Title (updated) >>\nendobj\n".encode()
    xref_at = offset + len(body) - 1
    xref = (f"xref\n{size} 1\n{offset:010d} 00000 n \ntrailer\n<< /Size {size + 1} /Root {root[0]} {root[1]} R "
            f"/Info {size} 0 R /Prev {previous} >>\nstartxref\n{xref_at}\n%%EOF\n").encode()
    return body + xref


def printed_to_pdf(data: bytes, folder: Path) -> bytes:
    """data "printed to PDF" through Ghostscript's pdfwrite (what CUPS-PDF and many drivers do)."""
    source, target = folder / "print-in.pdf", folder / "print-out.pdf"
    source.write_bytes(data)
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                    f"-sOutputFile={target}", str(source)], check=True, timeout=120)
    out = target.read_bytes()
    source.unlink()
    target.unlink()
    return out


# ---------------------------------------------------------------- images and image PDFs


def page_image(lines: list[str], *, size=(827, 1169), mode: str = "RGB", qr: QrPayload | None = None,
               dpi: int = 100) -> Image.Image:
    """A small A4 page (100 dpi) with some words; optionally a station QR."""
    if qr is not None:
        return synthetic_page(qr, lines, dpi=dpi).convert(mode)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT_PATH, 28)
    for number, line in enumerate(lines):
        draw.text((80, 100 + 50 * number), line, fill="black", font=font)
    draw.rectangle((60, 80, size[0] - 60, 110 + 50 * len(lines)), outline="black", width=2)
    return image.convert(mode)


def image_bytes(image: Image.Image, fmt: str, **options) -> bytes:
    """image encoded by Pillow as fmt."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def exif_rotated(image: Image.Image, orientation: int, fmt: str = "JPEG") -> bytes:
    """image stored turned the other way with an EXIF Orientation tag that turns it back (phone cameras)."""
    undo = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
    exif = Image.Exif()
    exif[0x0112] = orientation
    return image_bytes(image.transpose(undo[orientation]), fmt, exif=exif, dpi=(100, 100))


def tiff_pages(images: list[Image.Image], **options) -> bytes:
    """A multi-page TIFF, as a document scanner's "scan to TIFF" writes it."""
    buffer = io.BytesIO()
    images[0].save(buffer, "TIFF", save_all=True, append_images=images[1:], dpi=(100, 100), **options)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """A Word document dropped into the inbox by mistake."""
    import docx
    document = docx.Document()
    document.add_paragraph("会议纪要：鉴定站工作会议")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    """An Excel sheet dropped into the inbox by mistake."""
    import openpyxl
    book = openpyxl.Workbook()
    book.active.append(["姓名", "成绩"])
    book.active.append(["考生甲", 90])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bytes() -> bytes:
    """A zip of scans (the scanner's "send as archive" option)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("scan1.txt", "not a scan")
    return buffer.getvalue()


# ---------------------------------------------------------------- the corpus


def corpus_entries(scratch: Path) -> list[tuple[str, bytes]]:
    """(inbox-relative name, bytes) of every corpus file that needs no catalog rows; all bytes differ."""
    scratch.mkdir(parents=True, exist_ok=True)
    notice = ["Notice on the 2026 skills appraisal", "Xiamen Donghai Vocational College"]
    plain = fpdf_text(notice)
    cjk = weasy_html("<h1>关于开展2026年职业技能鉴定工作的通知</h1><p>各有关单位：现将有关事项通知如下。</p>",
                     "body{font-family:'Noto Sans CJK SC'}")
    scan = page_image(["扫描件 无二维码", "Scanned letter"])
    gray = page_image(["灰度扫描件"], mode="L")
    files = [
        ("office-helvetica.pdf", plain),
        ("office-3-pages.pdf", fpdf_text(notice, pages=3)),
        ("office-embedded-dejavu.pdf", fpdf_text(["Embedded TrueType font"], embed=True)),
        ("office-landscape.pdf", fpdf_text(["Landscape table"], orientation="L")),
        ("annotations.pdf", fpdf_text(["With annotations"], extra=_with_annotations)),
        ("transparency.pdf", fpdf_text(["Image with alpha"], extra=_with_alpha_image)),
        ("attachment.pdf", fpdf_text(["With an embedded file"], extra=_with_attachment)),
        ("weasyprint-cjk.pdf", cjk),
        ("weasyprint-cjk-printed.pdf", printed_to_pdf(cjk, scratch)),
        ("helvetica-printed.pdf", printed_to_pdf(plain, scratch)),
        ("cid-not-embedded.pdf", cid_font_not_embedded()),
        ("type3.pdf", type3_font()),
        ("acroform.pdf", acroform()),
        ("javascript.pdf", javascript()),
        ("cmyk-vector.pdf", cmyk_vector()),
        ("thumbnail.pdf", with_thumbnail()),
        ("owner-password-only.pdf", encrypted(fpdf_text(["Owner password only"]), owner="secret", user="")),
        ("owner-password-rc4.pdf", encrypted(fpdf_text(["Owner password RC4"]), owner="secret", user="", aes=False)),
        ("user-password.pdf", encrypted(fpdf_text(["User password"]), owner="secret", user="open")),
        ("object-streams.pdf", resaved(fpdf_text(["Object streams"]),
                                       object_stream_mode=pikepdf.ObjectStreamMode.generate)),
        ("linearized.pdf", resaved(fpdf_text(["Linearized for the web"]), linearize=True)),
        ("pdf-1.3.pdf", resaved(fpdf_text(["Old PDF 1.3"]), force_version="1.3")),
        ("broken-xref.pdf", broken_xref(fpdf_text(["Broken cross-reference table"]))),
        ("incremental-update.pdf", incremental_update(fpdf_text(["Incremental update"]))),
        ("rotated-90.pdf", _content_pdf(b"BT /F1 14 Tf 60 760 Td (Rotate 90) Tj ET",
                                        {"/Font": pikepdf.Dictionary(F1=_helvetica())},
                                        page_extra={"/Rotate": 90})),
        ("banner-5m.pdf", huge_page(5.0)),
        ("gigapixel-in-pdf.pdf", huge_image_pdf()),
        ("gigapixel.png", huge_png()),
        ("blank-page.pdf", _content_pdf(b"", {})),
        ("no-pages.pdf", _no_pages()),
        ("pillow-image.pdf", image_bytes(scan, "PDF", resolution=100)),
        ("试卷/pillow-paper.pdf", image_bytes(page_image(["试卷 第一页", "一、选择题"]), "PDF", resolution=100)),
        ("pillow-2-pages.pdf", _pillow_pages([page_image(["第一页"]), page_image(["第二页"])])),
        ("img2pdf-jpeg.pdf", img2pdf.convert(image_bytes(scan, "JPEG", quality=70, dpi=(100, 100)))),
        ("img2pdf-png-gray.pdf", img2pdf.convert(image_bytes(gray, "PNG", dpi=(100, 100)))),
        ("img2pdf-cmyk-jpeg.pdf", img2pdf.convert(image_bytes(scan.convert("CMYK"), "JPEG", dpi=(100, 100)))),
        ("scan.jpg", image_bytes(scan, "JPEG", quality=80, dpi=(100, 100))),
        ("scan-no-dpi.jpg", image_bytes(page_image(["没有分辨率信息"]), "JPEG", quality=75)),
        ("scan-progressive.jpg", image_bytes(page_image(["渐进式 JPEG"]), "JPEG", progressive=True, dpi=(100, 100))),
        ("scan-cmyk.jpg", image_bytes(page_image(["CMYK JPEG"]).convert("CMYK"), "JPEG", dpi=(100, 100))),
        ("phone-exif-6.jpg", exif_rotated(page_image(["手机拍照 向右转"]), 6)),
        ("phone-exif-3.jpg", exif_rotated(page_image(["手机拍照 倒置"]), 3)),
        ("phone-exif-8.jpg", exif_rotated(page_image(["手机拍照 向左转"]), 8)),
        ("exif-6.png", exif_rotated(page_image(["PNG EXIF"]), 6, "PNG")),
        ("scan.png", image_bytes(page_image(["PNG 扫描件"]), "PNG", dpi=(100, 100))),
        ("scan-rgba.png", image_bytes(page_image(["透明背景"], mode="RGBA"), "PNG", dpi=(100, 100))),
        ("scan-palette.png", image_bytes(page_image(["调色板图像"]).convert("P"), "PNG", dpi=(100, 100))),
        ("scan-16bit.png", image_bytes(page_image(["16 位灰度"], mode="L").convert("I;16"), "PNG", dpi=(100, 100))),
        ("scan-bilevel.tif", tiff_pages([page_image(["传真 G4"], mode="1")], compression="group4")),
        ("scan-3-pages.tif", tiff_pages([page_image([f"多页 TIFF 第 {n} 页"]) for n in (1, 2, 3)],
                                        compression="tiff_lzw")),
        ("scan-2-pages-g4.tif", tiff_pages([page_image([f"G4 第 {n} 页"], mode="1") for n in (1, 2)],
                                           compression="group4")),
        ("scan-jpeg-in-tiff.tif", tiff_pages([page_image(["JPEG 压缩 TIFF"])], compression="jpeg")),
        ("empty.pdf", b""),
        ("empty.jpg", b""),
        ("truncated.pdf", plain[: len(plain) // 2]),
        ("truncated.jpg", image_bytes(scan, "JPEG", dpi=(100, 100))[:5000]),
        ("truncated.tif", tiff_pages([page_image(["截断 TIFF"])])[:3000]),
        ("text-named.pdf", "这是一段文字，不是 PDF。\n".encode()),
        ("html-named.pdf", b"<!DOCTYPE html><html><body>Download failed</body></html>"),
        ("word-dropped.docx", docx_bytes()),
        ("word-renamed.pdf", docx_bytes() + b"\0"),
        ("sheet-dropped.xlsx", xlsx_bytes()),
        ("scans.zip", zip_bytes()),
        ("picture.gif", image_bytes(page_image(["GIF"]), "GIF")),
        ("picture.bmp", image_bytes(page_image(["BMP"]).resize((200, 280)), "BMP")),
        ("picture.webp", image_bytes(page_image(["WEBP"]), "WEBP")),
        ("foreign-station-qr.pdf",
         img2pdf.convert(jpeg_bytes(page_image(["外站表单"], qr=QrPayload("QTZ", "ABCDEFGH", 1, 1)), 100))),
        ("qr-page-9999.pdf",
         img2pdf.convert(jpeg_bytes(page_image(["页码异常"], qr=QrPayload("DHJD", "ZZZZZZZZ", 9999, 9999)), 100))),
    ]
    # born-digital documents and plain scans arrive in the 公文 folder (so they are filed, not left to a rule);
    # the rest lands in the inbox itself
    files = [(f"公文/{name}" if name in TO_FILE else name, data) for name, data in files]
    names = [name for name, _ in files]
    assert len(set(names)) == len(names)
    return files


TO_FILE = {"office-helvetica.pdf", "office-3-pages.pdf", "office-embedded-dejavu.pdf", "office-landscape.pdf",
           "annotations.pdf", "transparency.pdf", "attachment.pdf", "weasyprint-cjk.pdf", "weasyprint-cjk-printed.pdf",
           "helvetica-printed.pdf", "cid-not-embedded.pdf", "type3.pdf", "acroform.pdf", "javascript.pdf",
           "cmyk-vector.pdf", "thumbnail.pdf", "owner-password-only.pdf", "owner-password-rc4.pdf",
           "object-streams.pdf", "linearized.pdf", "pdf-1.3.pdf", "broken-xref.pdf", "incremental-update.pdf",
           "rotated-90.pdf", "banner-5m.pdf", "img2pdf-cmyk-jpeg.pdf", "scan-cmyk.jpg", "pillow-image.pdf",
           "scan-3-pages.tif", "phone-exif-6.jpg", "scan-rgba.png"}


def _no_pages() -> bytes:
    buffer = io.BytesIO()
    pikepdf.new().save(buffer)
    return buffer.getvalue()


def _pillow_pages(images: list[Image.Image]) -> bytes:
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=100, save_all=True, append_images=images[1:])
    return buffer.getvalue()
