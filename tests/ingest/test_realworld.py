"""Real-world files (issue 11 point 12): every one is filed, waits for review, or is quarantined with a
reason a person can act on — never `internal_error` — and none is lost or changed.

The corpus is made by tests/ingest/corpus.py (nothing downloaded): office PDFs with fonts not
embedded, Type3 and CID fonts, annotations, form fields, JavaScript, CMYK, thumbnails, passwords,
image PDFs by Pillow and img2pdf, scanner TIFFs, phone photos with EXIF rotation, a 1.2-gigapixel
image, a 5 m banner, office documents dropped by mistake, cut-off and empty files, and one of the
station's own generated form PDFs (born digital), also "printed to PDF" through Ghostscript.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pikepdf
import pytest

from pipeline.archive.keys import decrypt, key_configured
from pipeline.archive.sealed import document_plain
from pipeline.catalog.models import ArchiveItem, IngestJob, ReviewItem
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.normalise import Conversion, archival_pdf, pdfa_findings
from pipeline.ingest.ocr import ocr_pdf
from pipeline.ingest.pages import UnreadableFile, iter_pages
from pipeline.ingest.quarantine import quarantine_list
from tests.ingest import corpus
from tests.ingest.test_flow import drop, fast_config


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _station_form_pdfs(tmp_path: Path) -> list[tuple[str, bytes]]:
    """One of the station's own generated form PDFs (a filing cover), as made and "printed to PDF"."""
    from pipeline.forms.service import forms_generate
    made = []
    for title in ("关于鉴定工作的通知", "关于考评员培训的通知"):
        forms_generate(form="filing-cover", round_=None, out=tmp_path / "forms" / title, category="FW", title=title,
                       date=dt.date(2026, 11, 1), responsible="厦门市人社局", pages=None, workers=1)
        made.append(next((tmp_path / "forms" / title).rglob("*.pdf")).read_bytes())
    return [("station-form.pdf", made[0]), ("station-form-printed.pdf", corpus.printed_to_pdf(made[1], tmp_path))]


def _where(paths, sha: str) -> tuple[str, bytes | None, str]:
    """(outcome, bytes kept, code) of the input with this SHA-256."""
    job = IngestJob.objects.filter(sha256=sha).first()
    for row in quarantine_list(paths):
        if row["sha256"] == sha:
            return "quarantined", (paths.quarantine / row["name"]).read_bytes(), row["code"]
    items = list(ArchiveItem.objects.filter(source_sha256=sha))
    if items and job and job.state == IngestJob.State.FILED:
        kept = paths.root / job.released_path
        if kept.suffix == ".enc":       # the kept scan of a secret item (an exam paper) is encrypted at rest
            return "filed", decrypt([key_configured()], kept.read_bytes(), kept.name), ""
        return "filed", kept.read_bytes(), ""
    if job and ReviewItem.objects.filter(job=job).exists():
        source = next((paths.work / sha / "source").iterdir())
        return "review", source.read_bytes(), ReviewItem.objects.filter(job=job).first().kind
    return f"lost ({job.state if job else 'no job'})", None, ""


@pytest.mark.django_db
@pytest.mark.once      # file handling, not the database engine: the SQLite pass runs it
def test_a_corpus_of_real_world_files_is_all_accounted_for_and_never_an_internal_error(data_root, tmp_path):
    files = corpus.corpus_entries(tmp_path / "scratch") + _station_form_pdfs(tmp_path)
    assert len(files) >= 60
    for name, data in files:
        drop(data_root.inbox / name, data)
    counts = ingest_once(paths=data_root, config=fast_config(0))
    outcomes = {name: _where(data_root, _sha(data)) for name, data in files}
    lost = {name: o[0] for name, o in outcomes.items() if o[1] is None}
    assert lost == {}
    changed = [name for name, data in files if outcomes[name][1] != data]
    assert changed == []
    internal = {name: o for name, o in outcomes.items() if o[2] in ("internal_error", "too_many_attempts")}
    assert internal == {}
    assert counts.get("retry", 0) == 0 and not list(data_root.inbox.rglob("*.*"))
    kinds = {name: (o[0], o[2]) for name, o in outcomes.items()}
    # born digital office PDFs are archived, by pikepdf or by Ghostscript's re-render
    not_filed = {name: kinds[name] for name in [f"公文/{n}" for n in corpus.TO_FILE if n != "cid-not-embedded.pdf"]
                 + ["试卷/pillow-paper.pdf", "station-form.pdf", "station-form-printed.pdf"]
                 if kinds[name][0] != "filed"}
    assert not_filed == {}
    assert kinds["公文/cid-not-embedded.pdf"] == ("review", "pdfa_failed")
    assert kinds["scan.jpg"] == ("review", "unknown_category")
    assert kinds["user-password.pdf"] == ("quarantined", "encrypted")
    assert kinds["gigapixel.png"] == ("quarantined", "decompression_bomb")
    assert kinds["gigapixel-in-pdf.pdf"] == ("quarantined", "decompression_bomb")
    assert kinds["word-dropped.docx"] == ("quarantined", "unsupported_format")
    assert kinds["truncated.pdf"] == ("quarantined", "truncated")
    paper = ArchiveItem.objects.get(source_name="pillow-paper.pdf")
    assert paper.category == "SJ" and paper.restricted
    for item in ArchiveItem.objects.all():
        meta = json.loads((data_root.archive / item.folder / "metadata.json").read_text(encoding="utf-8"))
        assert meta["pdfa"]["route"] in ("pikepdf", "ghostscript"), item.source_name
        if item.source_name in ("scan-cmyk.jpg", "pillow-image.pdf", "scan-3-pages.tif"):
            assert meta["pdfa"] == {"route": "pikepdf", "validated": True, "findings": []}   # scans: lossless
        folder = data_root.archive / item.folder         # an exam paper's document is encrypted at rest
        document = (document_plain(folder, [key_configured()]) if item.encrypted
                    else (folder / "document.pdf").read_bytes())
        with pikepdf.open(io.BytesIO(document)) as pdf:
            assert pdf.open_metadata().get("pdfaid:part") == "2"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("maker", [corpus.type3_font, corpus.acroform, corpus.javascript, corpus.cmyk_vector,
                                   corpus.with_thumbnail, lambda: corpus.fpdf_text(["Helvetica, not embedded"])])
def test_born_digital_pdfs_pikepdf_refuses_are_made_pdfa_by_ghostscript(tmp_path, maker):
    source = _write(tmp_path, "in.pdf", maker())
    conversion = Conversion()
    assert archival_pdf(source, [0], tmp_path / "out.pdf", title="通知", author="鉴定站", conversion=conversion) == 1
    assert conversion.route == "ghostscript"
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["dc:title"]) == ("2", "通知")
        assert "/OpenAction" not in pdf.Root and "/AcroForm" not in pdf.Root
    if conversion.validated:
        assert pdfa_findings(tmp_path / "out.pdf") == []


def test_a_cmyk_jpeg_scan_keeps_its_bytes_and_passes_as_pdfa(tmp_path):
    data = corpus.image_bytes(corpus.page_image(["CMYK 扫描"]).convert("CMYK"), "JPEG", dpi=(100, 100))
    source = _write(tmp_path, "cmyk.jpg", data)
    conversion = Conversion()
    archival_pdf(source, [0], tmp_path / "out.pdf", title="扫描件", author="鉴定站", conversion=conversion)
    assert (conversion.route, conversion.validated) == ("pikepdf", True)
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.read_raw_bytes() == data
    assert pdfa_findings(tmp_path / "out.pdf") == []


def test_a_chinese_font_that_is_not_embedded_is_kept_as_received_with_the_failure_named(tmp_path):
    source = _write(tmp_path, "notice.pdf", corpus.cid_font_not_embedded())
    conversion = Conversion()
    archival_pdf(source, [0], tmp_path / "out.pdf", title="通知", author="鉴定站", conversion=conversion)
    assert conversion.route == "as_received" and not conversion.validated
    (finding,) = conversion.findings                                 # PDF/A-2 rule 6.2.11.8: glyphs the file lacks
    assert "ISO_19005_2:6.2.11.8-1" in finding and "codes select the .notdef glyph" in finding
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert pdf.open_metadata().get("pdfaid:part") is None      # no PDF/A claim it does not meet


def test_ocr_text_layer_grafts_onto_a_pillow_image_pdf(tmp_path):
    source = _write(tmp_path, "paper.pdf", corpus.image_bytes(corpus.page_image(["试卷 第一页", "一、选择题"]),
                                                                "PDF", resolution=100))
    ocr_pdf(source, tmp_path / "ocr.pdf", rotate_pages=False)
    conversion = Conversion()
    archival_pdf(source, [0], tmp_path / "out.pdf", title="试卷", author="鉴定站",
                 text_layer_pdf=tmp_path / "ocr.pdf", conversion=conversion)
    assert conversion.route == "pikepdf"
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert any(str(k).startswith("/OCR") for k in pdf.pages[0].resources.XObject)


def test_a_gigapixel_image_inside_a_pdf_is_refused_before_it_is_decoded(tmp_path):
    source = _write(tmp_path, "big.pdf", corpus.huge_image_pdf())
    with pytest.raises(UnreadableFile) as caught:
        next(iter_pages(source, 100))
    assert caught.value.code == "decompression_bomb" and "40000×30000" in caught.value.message_zh


@pytest.mark.django_db
def test_a_pdf_no_route_converts_waits_for_review_and_is_filed_as_received_with_the_failure_named(data_root):
    from pipeline.core.config import get_config
    from pipeline.ingest.review import review_file
    data = corpus.cid_font_not_embedded()
    drop(data_root.inbox / "公文" / "通知.pdf", data)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"review": 1}
    review = ReviewItem.objects.get()
    assert review.kind == "pdfa_failed" and "PDF/A" in review.message and "字" in review.message
    code = review_file(item_id=review.id, category="FW", title="关于开展鉴定工作的通知", paths=data_root,
                       config=get_config())
    item = ArchiveItem.objects.get(archival_code=code)
    meta = json.loads((data_root.archive / item.folder / "metadata.json").read_text(encoding="utf-8"))
    assert meta["pdfa"]["route"] == "as_received" and meta["pdfa"]["findings"]
    assert (data_root.archive / item.folder / "original" / "通知.pdf").read_bytes() == data
