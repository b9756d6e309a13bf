"""The archival PDF (PDF/A-2b) of one filed document, made without re-rendering the scan.

Image inputs are wrapped losslessly with img2pdf (a JPEG stays the same JPEG bytes, PNG and
TIFF stay lossless); PDF inputs have the chosen pages copied with pikepdf (streams copied as
they are). Then the PDF/A-2b identification is written: XMP metadata (pdfaid:part 2,
conformance B, dc:title, dc:creator…), an sRGB OutputIntent and a matching document info.
`pdfa_findings` checks those marks (veraPDF is not available here).
"""

from __future__ import annotations

import io
import logging
from contextlib import contextmanager
from pathlib import Path

import img2pdf
import pikepdf
import pikepdf.pdfa
from PIL import Image, ImageCms, ImageSequence

from pipeline.errors import StationError
from pipeline.ingest.orient import pages_turn
from pipeline.ingest.pages import ASSUMED_DPI, sniff_format, unreadable

log = logging.getLogger(__name__)

SRGB_ICC_PATHS = (Path("/usr/share/color/icc/ghostscript/srgb.icc"),
                  Path("/usr/share/color/icc/ghostscript/default_rgb.icc"))
OUTPUT_CONDITION = "sRGB IEC61966-2.1"


class ArchivalPdfError(StationError):
    """The archival PDF could not be written (the scan itself was readable)."""

    code = "archival_pdf_failed"


def srgb_profile() -> bytes:
    """An sRGB ICC profile: ghostscript's, else one made by LittleCMS through Pillow."""
    for path in SRGB_ICC_PATHS:
        if path.is_file():
            return path.read_bytes()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


def archival_pdf(source: Path, page_indices: list[int], out: Path, *, title: str, author: str,
                 subject: str = "", keywords: str = "", text_layer_pdf: Path | None = None,
                 turns: list[int] | None = None) -> int:
    """Write the chosen pages (0-based, in the given order) of source as PDF/A-2b to out; return the page count.

    text_layer_pdf: a PDF with the same pages in the same order (e.g. OCRmyPDF's output) whose
    text is laid invisibly over each page; its images are not copied.
    turns: per chosen page, the clockwise turn that shows it upright (orient.py), set as /Rotate.
    """
    source, out = Path(source), Path(out)
    if not page_indices:
        raise ValueError("archival_pdf needs at least one page")
    kind = sniff_format(source)
    pdf = _pdf_from_pdf(source, page_indices) if kind == "pdf" else _pdf_from_images(source, page_indices)
    with pdf:
        pages_turn(pdf, turns or [])
        if text_layer_pdf is not None:
            with pikepdf.open(text_layer_pdf) as text_pdf:
                graft_text_layer(pdf, text_pdf)
                return _finish(pdf, out, title, author, subject, keywords)
        return _finish(pdf, out, title, author, subject, keywords)


def _finish(pdf: pikepdf.Pdf, out: Path, title: str, author: str, subject: str, keywords: str) -> int:
    """Mark as PDF/A-2b, save through pikepdf.pdfa (repairs structure, validates what it wrote)."""
    mark_pdfa(pdf, title=title, author=author, subject=subject, keywords=keywords)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = pikepdf.pdfa.save(pdf, out, "2b", output_intent=srgb_profile(),
                               output_condition_identifier=OUTPUT_CONDITION, deterministic_id=True)
    if not report.passed:
        # still a faithful copy of the scan: file it, and let `verify` list what PDF/A lacks
        log.warning("%s is not approved as PDF/A-2b: %s", out.name, report.summary())
    return len(pdf.pages)


def _check_indices(source: Path, page_indices: list[int], count: int) -> None:
    bad = [i for i in page_indices if not 0 <= i < count]
    if bad:
        raise ArchivalPdfError(f"文件 {source.name} 只有 {count} 页，无法取出第 {', '.join(str(i + 1) for i in bad)} 页。",
                               f"{source.name}: page indices {bad} out of range 0..{count - 1}",
                               code="page_out_of_range")


@contextmanager
def _chosen_pages(source: Path, page_indices: list[int]):
    """A new PDF holding the chosen pages of source, objects copied as they are (content streams and
    images unchanged); usable while the block runs, as its pages still refer to the open source."""
    try:
        original = pikepdf.open(source)
    except pikepdf.PasswordError as exc:
        raise unreadable(source, "encrypted") from exc
    except pikepdf.PdfError as exc:
        raise unreadable(source, "corrupt", str(exc)) from exc
    with original:
        _check_indices(source, page_indices, len(original.pages))
        pdf = pikepdf.new()
        for index in page_indices:
            pdf.pages.append(original.pages[index])
        yield pdf


def _pdf_from_pdf(source: Path, page_indices: list[int]) -> pikepdf.Pdf:
    """A new, independent PDF holding copies of the chosen pages."""
    buffer = io.BytesIO()
    with _chosen_pages(source, page_indices) as pdf:
        _drop_non_pdfa_entries(pdf)
        pdf.save(buffer)
    buffer.seek(0)
    return pikepdf.open(buffer)


def original_extract(source: Path, page_indices: list[int], out: Path) -> None:
    """The received file cut down to one archive item's pages, each page as received: a PDF's page
    objects, content and image streams copied unchanged (the JPEG bytes a scanner wrote stay the same),
    a multi-page TIFF's frames kept losslessly. Used when a stack is split into several items, so an
    item never carries another item's pages — someone else's form, or exam papers that are destroyed
    on their own schedule. The same pages always give the same bytes (a redone job writes them again)."""
    if sniff_format(source) == "pdf":
        with _chosen_pages(source, page_indices) as pdf:
            pdf.save(out, deterministic_id=True)
        return
    with Image.open(source) as image:
        _check_indices(source, page_indices, getattr(image, "n_frames", 1))
        chosen = []
        for index in page_indices:
            image.seek(index)
            chosen.append(image.copy())
        dpi = image.info.get("dpi")
    chosen[0].save(out, format="TIFF", save_all=True, append_images=chosen[1:], compression="tiff_lzw",
                   **({"dpi": dpi} if dpi else {}))


def _drop_non_pdfa_entries(pdf: pikepdf.Pdf) -> None:
    """Remove page additional-actions (scripts), which PDF/A forbids."""
    for page in pdf.pages:
        if "/AA" in page.obj:
            del page.obj["/AA"]


def _pdf_from_images(source: Path, page_indices: list[int]) -> pikepdf.Pdf:
    """Wrap the chosen frames losslessly with img2pdf (JPEG bytes untouched)."""
    with Image.open(source) as image:
        frames = getattr(image, "n_frames", 1)
        _check_indices(source, page_indices, frames)
        needs_rewrite = image.format != "JPEG" and (image.mode in ("RGBA", "LA", "PA", "P", "I;16", "I", "F")
                                                    or "transparency" in image.info)
        dpi = _dpi(image)
    if needs_rewrite:
        data = _flatten_frames(source)          # alpha → white paper, still lossless (PNG/TIFF)
    else:
        data = [source.read_bytes()]
    layout = None if dpi else img2pdf.get_fixed_dpi_layout_fun((ASSUMED_DPI, ASSUMED_DPI))
    try:
        converted = img2pdf.convert(*data, layout_fun=layout) if layout else img2pdf.convert(*data)
    except (img2pdf.ImageOpenError, img2pdf.AlphaChannelError, ValueError) as exc:
        raise unreadable(source, "corrupt", str(exc)) from exc
    whole = pikepdf.open(io.BytesIO(converted))
    if list(page_indices) == list(range(len(whole.pages))):
        return whole
    pdf = pikepdf.new()
    for index in page_indices:
        pdf.pages.append(whole.pages[index])
    buffer = io.BytesIO()
    pdf.save(buffer)
    whole.close()
    buffer.seek(0)
    return pikepdf.open(buffer)


def _dpi(image: Image.Image) -> float | None:
    """The resolution the image declares, or None (img2pdf would assume 96 dpi: far too large a page)."""
    value = image.info.get("dpi", (0, 0))[0]
    try:
        return float(value) if float(value) >= 50 else None
    except (TypeError, ValueError):
        return None


def _flatten_frames(source: Path) -> list[bytes]:
    """Every frame as a lossless PNG without transparency (white paper behind it)."""
    frames = []
    with Image.open(source) as image:
        dpi = image.info.get("dpi")
        for frame in ImageSequence.Iterator(image):
            rgba = frame.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, "white")
            flat = Image.alpha_composite(paper, rgba).convert("RGB")
            buffer = io.BytesIO()
            flat.save(buffer, "PNG", **({"dpi": dpi} if dpi else {}))
            frames.append(buffer.getvalue())
    return frames


def mark_pdfa(pdf: pikepdf.Pdf, *, title: str, author: str, subject: str = "", keywords: str = "") -> None:
    """Write PDF/A-2b identification: XMP (pdfaid, dc, pdf), OutputIntent sRGB, matching /Info."""
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["dc:title"] = title
        meta["dc:creator"] = [author]
        if subject:
            meta["dc:description"] = subject
        if keywords:
            meta["pdf:Keywords"] = keywords
        meta["pdf:Producer"] = "station-pipeline (pikepdf, img2pdf)"
        meta["xmp:CreatorTool"] = "station-pipeline"
    if subject:
        pdf.docinfo["/Subject"] = subject
    icc = pdf.make_stream(srgb_profile())
    icc["/N"] = 3
    intent = pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
                                OutputConditionIdentifier=OUTPUT_CONDITION, Info=OUTPUT_CONDITION,
                                RegistryName="http://www.color.org", DestOutputProfile=icc)
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])


def pdfa_findings(path: Path) -> list[str]:
    """Why a file is not an approved PDF/A-2b with our marks (empty list = approved)."""
    report = pikepdf.pdfa.validate_written(path, "2b")
    findings = [] if report.passed else [report.summary()]
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        if meta.get("pdfaid:part") != "2" or meta.get("pdfaid:conformance") != "B":
            findings.append("XMP pdfaid part/conformance is not 2/B")
        if not meta.get("dc:title"):
            findings.append("XMP dc:title missing")
        if str(pdf.docinfo.get("/Title", "")) != str(meta.get("dc:title", "")):
            findings.append("document info /Title differs from XMP dc:title")
        intents = pdf.Root.get("/OutputIntents", [])
        if not any(i.get("/S") == pikepdf.Name.GTS_PDFA1 and "/DestOutputProfile" in i for i in intents):
            findings.append("no GTS_PDFA1 OutputIntent with an ICC profile")
        if pdf.is_encrypted:
            findings.append("encrypted")
        if "/ID" not in pdf.trailer:
            findings.append("trailer /ID missing")
    return findings


# ---------------------------------------------------------------- text layer


def graft_text_layer(pdf: pikepdf.Pdf, text_pdf: pikepdf.Pdf) -> None:
    """Lay the text of text_pdf's pages (images removed) over pdf's pages, page by page."""
    if len(text_pdf.pages) != len(pdf.pages):
        raise ArchivalPdfError("OCR 文字层的页数与扫描件不一致，无法合并。请重新执行 OCR。",
                               f"text layer has {len(text_pdf.pages)} pages, document {len(pdf.pages)}",
                               code="text_layer_mismatch")
    for page, text_page in zip(pdf.pages, text_pdf.pages):
        form = _text_only_form(pdf, text_page)
        if form is None:
            continue
        name = page.add_resource(form, pikepdf.Name.XObject, prefix="OCR")
        target, origin = page.mediabox, text_page.mediabox
        sx = (float(target[2]) - float(target[0])) / (float(origin[2]) - float(origin[0]))
        sy = (float(target[3]) - float(target[1])) / (float(origin[3]) - float(origin[1]))
        page.contents_add(pdf.make_stream(
            f"q {sx:.6f} 0 0 {sy:.6f} {float(target[0]):.4f} {float(target[1]):.4f} cm {name} Do Q".encode()),
            prepend=False)


def _text_only_form(pdf: pikepdf.Pdf, text_page: pikepdf.Page) -> pikepdf.Stream | None:
    """text_page as a Form XObject in pdf, with every image drawing removed; None if it has no text."""
    commands = pikepdf.parse_content_stream(text_page)
    images = {str(k) for k, v in text_page.resources.get("/XObject", {}).items()
              if v.get("/Subtype") == pikepdf.Name.Image}
    kept = [c for c in commands if not (str(c.operator) == "Do" and str(c.operands[0]) in images)
            and str(c.operator) != "INLINE IMAGE"]
    if not any(str(c.operator) in ("Tj", "TJ", "'", '"', "Do") for c in kept):
        return None
    own = text_page.obj.get("/Resources", pikepdf.Dictionary())
    resources = pikepdf.Dictionary({k: pdf.copy_foreign(v) for k, v in own.items() if k != "/XObject"})
    forms = {k: v for k, v in own.get("/XObject", {}).items() if k not in images}
    if forms:
        resources.XObject = pikepdf.Dictionary({k: pdf.copy_foreign(v) for k, v in forms.items()})
    box = pikepdf.Array([float(v) for v in text_page.mediabox])
    return pdf.make_stream(pikepdf.unparse_content_stream(kept), Type=pikepdf.Name.XObject,
                           Subtype=pikepdf.Name.Form, BBox=box, Resources=resources)
