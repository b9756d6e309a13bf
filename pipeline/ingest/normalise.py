"""The archival PDF (PDF/A-2b) of one filed document, made without re-rendering the scan.

Image inputs are wrapped losslessly with img2pdf (a JPEG stays the same JPEG bytes, PNG and
TIFF stay lossless); PDF inputs have the chosen pages copied with pikepdf (streams copied as
they are). Then the PDF/A-2b identification is written: XMP metadata (pdfaid:part 2,
conformance B, dc:title, dc:creator…), an sRGB OutputIntent and a matching document info.
`pdfa_findings` checks those marks (veraPDF is not available here).

A born-digital PDF that pikepdf alone cannot make PDF/A (fonts not embedded, Type3 or CID fonts
it cannot check, annotations without appearance, DeviceCMYK drawing) is re-rendered by
Ghostscript's PDF/A-2b writer; if that fails too, the pages are kept as received (no PDF/A claim)
and the failure is reported in `Conversion` so the flow can name it and send the item to review.
"""

from __future__ import annotations

import io
import logging
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import img2pdf
import pikepdf
import pikepdf.pdfa
from PIL import Image, ImageCms, ImageSequence

from pipeline.core.errors import StationError
from pipeline.ingest.orient import pages_turn
from pipeline.ingest.pages import ASSUMED_DPI, sniff_format, unreadable

log = logging.getLogger(__name__)

SRGB_ICC_PATHS = (Path("/usr/share/color/icc/ghostscript/srgb.icc"),
                  Path("/usr/share/color/icc/ghostscript/default_rgb.icc"))
CMYK_ICC_PATH = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
GS_SECONDS_PER_PAGE = 30     # Ghostscript re-render budget per page (at least 60 s per file)
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


@dataclass
class Conversion:
    """How the archival PDF was made: route "pikepdf" (lossless), "ghostscript" (re-rendered) or
    "as_received" (pages kept as they came, not PDF/A); validated: pikepdf's PDF/A checker approved it."""

    pages: int = 0
    route: str = "pikepdf"
    validated: bool = True
    findings: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict:
        """The record kept in metadata.json under "pdfa"."""
        return {"route": self.route, "validated": self.validated, "findings": self.findings[:10]}


def archival_pdf(source: Path, page_indices: list[int], out: Path, *, title: str, author: str,
                 subject: str = "", keywords: str = "", text_layer_pdf: Path | None = None,
                 turns: list[int] | None = None, conversion: Conversion | None = None) -> int:
    """Write the chosen pages (0-based, in the given order) of source as PDF/A-2b to out; return the page count.

    text_layer_pdf: a PDF with the same pages in the same order (e.g. OCRmyPDF's output) whose
    text is laid invisibly over each page; its images are not copied.
    turns: per chosen page, the clockwise turn that shows it upright (orient.py), set as /Rotate.
    Routes, strongest kept: pikepdf (lossless), Ghostscript re-render, pages as received;
    conversion (if given) says which.
    """
    source, out = Path(source), Path(out)
    if not page_indices:
        raise ValueError("archival_pdf needs at least one page")
    conversion = conversion if conversion is not None else Conversion()
    marks = dict(title=title, author=author, subject=subject, keywords=keywords)
    with chosen_pdf(source, page_indices) as pdf:
        pages_turn(pdf, turns or [])
        try:
            with _text_layer(text_layer_pdf) as text_pdf:
                if text_pdf is not None:
                    graft_text_layer(pdf, text_pdf)
                conversion.pages = _finish(pdf, out, **marks)
            return conversion.pages
        except (pikepdf.pdfa.PdfaError, pikepdf.PdfError) as exc:
            conversion.findings = _findings(exc)
            log.info("%s: pikepdf cannot make PDF/A-2b (%s); trying Ghostscript", source.name, conversion.findings[:1])
    plain = io.BytesIO()
    with chosen_pdf(source, page_indices) as pdf:
        pages_turn(pdf, turns or [])
        pdf.save(plain)
    return _fallback(plain, out, marks, text_layer_pdf, conversion, source.name)


def chosen_pdf(source: Path, page_indices: list[int]) -> pikepdf.Pdf:
    """The chosen pages of a PDF or image file as a new, independent PDF (not yet PDF/A)."""
    kind = sniff_format(source)
    return _pdf_from_pdf(source, page_indices) if kind == "pdf" else _pdf_from_images(source, page_indices)


def plain_pdf(source: Path, page_indices: list[int], out: Path, *, turns: list[int] | None = None) -> int:
    """The chosen pages, turned upright, as a plain PDF (input for OCR, which need not be PDF/A); return the
    page count."""
    with chosen_pdf(Path(source), page_indices) as pdf:
        pages_turn(pdf, turns or [])
        pdf.save(out)
        return len(pdf.pages)


@contextmanager
def _text_layer(path: Path | None):
    if path is None:
        yield None
        return
    with pikepdf.open(path) as text_pdf:
        yield text_pdf


def _findings(exc: Exception) -> list[str]:
    """The validator's findings (or the error) as short lines."""
    report = getattr(exc, "report", None)
    lines = report.summary().splitlines()[1:] if report is not None else [f"{type(exc).__name__}: {exc}"]
    return [line.strip()[:300] for line in lines if line.strip()]


def _fallback(plain: io.BytesIO, out: Path, marks: dict, text_layer_pdf: Path | None,
              conversion: Conversion, name: str) -> int:
    """Ghostscript's PDF/A-2b re-render of the plain pages; failing that, the pages as received."""
    with tempfile.TemporaryDirectory(prefix="pdfa-", dir=out.parent) as scratch:
        rendered = _ghostscript_pdfa(plain, Path(scratch), name)
        if rendered is not None:
            with pikepdf.open(rendered) as pdf, _text_layer(text_layer_pdf) as text_pdf:
                if text_pdf is not None and len(text_pdf.pages) == len(pdf.pages):
                    graft_text_layer(pdf, text_pdf)
                mark_pdfa(pdf, **marks)
                try:
                    conversion.pages = _finish(pdf, out, **marks)
                    conversion.route, conversion.validated, conversion.findings = "ghostscript", True, []
                    return conversion.pages
                except (pikepdf.pdfa.PdfaError, pikepdf.PdfError) as exc:
                    report = getattr(exc, "report", None)
                    if report is not None and report.verdict == "not_checked":
                        # Ghostscript wrote PDF/A-2b; pikepdf's allowlist only cannot check some construct
                        pdf.save(out, deterministic_id=True)
                        conversion.route, conversion.validated = "ghostscript", False
                        conversion.findings = _findings(exc)
                        return len(pdf.pages)
                    conversion.findings = _findings(exc)
    plain.seek(0)
    with pikepdf.open(plain) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
            meta["dc:title"] = marks["title"]
            meta["dc:creator"] = [marks["author"]]
        pdf.save(out, deterministic_id=True)
        conversion.route, conversion.validated, conversion.pages = "as_received", False, len(pdf.pages)
    log.warning("%s: no PDF/A-2b route worked; kept as received: %s", name, conversion.findings[:3])
    return conversion.pages


def _ghostscript_pdfa(plain: io.BytesIO, scratch: Path, name: str) -> Path | None:
    """Ghostscript's pdfwrite in PDF/A-2b mode (fonts embedded, colours to sRGB), or None when it fails."""
    source, target = scratch / "in.pdf", scratch / "out.pdf"
    with pikepdf.open(io.BytesIO(plain.getvalue())) as pdf:
        _drop_annotations_without_appearance(pdf)
        pages = len(pdf.pages)
        pdf.save(source)
    command = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-dPDFA=2", "-dPDFACompatibilityPolicy=1",
               "-sColorConversionStrategy=RGB", "-sDEVICE=pdfwrite", "-dNOOUTERSAVE",
               f"-sOutputFile={target}", str(source)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=max(60, GS_SECONDS_PER_PAGE * pages))
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("%s: Ghostscript did not finish: %s", name, exc)
        return None
    if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        log.warning("%s: Ghostscript failed (%s): %s", name, done.returncode, done.stderr[-500:])
        return None
    return target


def _drop_annotations_without_appearance(pdf: pikepdf.Pdf) -> None:
    """Annotations PDF/A refuses (no appearance stream: sticky notes, fields never drawn) leave the
    archival copy; what the page shows stays, and the original keeps them."""
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = [a for a in annots if "/AP" in a or a.get("/Subtype") in (pikepdf.Name.Link, pikepdf.Name.Popup)]
        page.obj.Annots = pikepdf.Array(kept)
    if "/AcroForm" in pdf.Root:
        del pdf.Root["/AcroForm"]


def _finish(pdf: pikepdf.Pdf, out: Path, title: str, author: str, subject: str, keywords: str) -> int:
    """Mark as PDF/A-2b, save through pikepdf.pdfa (repairs structure, validates what it wrote; PdfaError if not)."""
    mark_pdfa(pdf, title=title, author=author, subject=subject, keywords=keywords)
    _tag_device_cmyk(pdf)
    out.parent.mkdir(parents=True, exist_ok=True)
    pikepdf.pdfa.save(pdf, out, "2b", output_intent=srgb_profile(),
                      output_condition_identifier=OUTPUT_CONDITION, deterministic_id=True)
    return len(pdf.pages)


def _tag_device_cmyk(pdf: pikepdf.Pdf) -> None:
    """Give DeviceCMYK images (a CMYK JPEG scan) an ICC-based CMYK colour space: the image bytes stay
    the same, and PDF/A accepts them beside the sRGB output intent."""
    if not CMYK_ICC_PATH.is_file():
        return
    profile = None
    for page in pdf.pages:
        for image in page.resources.get("/XObject", {}).values():
            if image.get("/Subtype") == pikepdf.Name.Image and image.get("/ColorSpace") == pikepdf.Name.DeviceCMYK:
                if profile is None:
                    profile = pdf.make_stream(CMYK_ICC_PATH.read_bytes(), N=4)
                image.ColorSpace = pikepdf.Array([pikepdf.Name.ICCBased, profile])


def _check_indices(source: Path, page_indices: list[int], count: int) -> None:
    bad = [i for i in page_indices if not 0 <= i < count]
    if bad:
        raise ArchivalPdfError(f"文件 {source.name} 只有 {count} 页，"
                               f"无法取出第 {', '.join(str(i + 1) for i in bad)} 页。",
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
    # alpha → white paper, still lossless (PNG/TIFF)
    data = _flatten_frames(source) if needs_rewrite else [source.read_bytes()]
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
    for page, text_page in zip(pdf.pages, text_pdf.pages, strict=False):
        if _has_own_text(page):
            continue                 # born digital: its text is there already (OCR skipped it)
        form = _text_only_form(pdf, text_pdf, text_page)
        if form is None:
            continue
        name = page.add_resource(form, pikepdf.Name.XObject, prefix="OCR")
        target, origin = page.mediabox, text_page.mediabox
        sx = (float(target[2]) - float(target[0])) / (float(origin[2]) - float(origin[0]))
        sy = (float(target[3]) - float(target[1])) / (float(origin[3]) - float(origin[1]))
        page.contents_add(pdf.make_stream(
            f"q {sx:.6f} 0 0 {sy:.6f} {float(target[0]):.4f} {float(target[1]):.4f} cm {name} Do Q".encode()),
            prepend=False)


def _has_own_text(page: pikepdf.Page) -> bool:
    """True when the page draws with fonts of its own (a born-digital page)."""
    try:
        return len(page.resources.get("/Font", {})) > 0
    except (pikepdf.PdfError, AttributeError, TypeError):
        return False


def _foreign(pdf: pikepdf.Pdf, source: pikepdf.Pdf, obj):
    """obj of source copied into pdf (direct dictionaries and arrays are made indirect first)."""
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)) and not obj.is_indirect:
        obj = source.make_indirect(obj)
    elif not isinstance(obj, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
        return obj                   # a name or number: nothing to copy
    return pdf.copy_foreign(obj)


def _text_only_form(pdf: pikepdf.Pdf, text_pdf: pikepdf.Pdf, text_page: pikepdf.Page) -> pikepdf.Stream | None:
    """text_page as a Form XObject in pdf, with every image drawing removed; None if it has no text."""
    commands = pikepdf.parse_content_stream(text_page)
    images = {str(k) for k, v in text_page.resources.get("/XObject", {}).items()
              if v.get("/Subtype") == pikepdf.Name.Image}
    kept = [c for c in commands if not (str(c.operator) == "Do" and str(c.operands[0]) in images)
            and str(c.operator) != "INLINE IMAGE"]
    if not any(str(c.operator) in ("Tj", "TJ", "'", '"', "Do") for c in kept):
        return None
    own = text_page.obj.get("/Resources", pikepdf.Dictionary())
    resources = pikepdf.Dictionary({k: _foreign(pdf, text_pdf, v) for k, v in own.items() if k != "/XObject"})
    forms = {k: v for k, v in own.get("/XObject", {}).items() if k not in images}
    if forms:
        resources.XObject = pikepdf.Dictionary({k: _foreign(pdf, text_pdf, v) for k, v in forms.items()})
    box = pikepdf.Array([float(v) for v in text_page.mediabox])
    return pdf.make_stream(pikepdf.unparse_content_stream(kept), Type=pikepdf.Name.XObject,
                           Subtype=pikepdf.Name.Form, BBox=box, Resources=resources)
