"""Working the review queue: page images of each item, show, discard (kept with the reason, audited),
and attaching an item as a page of a form so the form is filed whole.

Real rasterised scans (scan simulator pages, JPEG in a PDF), through the real flow and the CLI.
"""

from __future__ import annotations

import json
import random

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from pipeline.archive.store import item_verify, metadata_read
from pipeline.catalog.models import ArchiveItem, AuditEntry, FormInstance, IngestJob, ReviewItem
from pipeline.cli.main import main
from pipeline.core.domain import QrPayload
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.scansim import degrade, jpeg_bytes, synthetic_page
from tests.ingest.test_flow import DPI, drop, fast_config, form_pages, make_registration, make_round, stack_bytes
from tests.ingest.test_stack_groups import make_instance, scanned

pytestmark = pytest.mark.django_db


def test_an_admission_ticket_is_shown_as_page_images_and_discarded_with_its_reason(data_root, tmp_path, capsys):
    round_ = make_round()
    form, ticket = make_registration(round_, 51), make_instance("admission-ticket", round_)
    drop(data_root.inbox / "报名表和准考证.pdf",
         stack_bytes(form_pages(form) + scanned(ticket, random.Random(1)), tmp_path))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"review": 1}
    assert main(["review", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["kind"] == "not_archived" and len(row["images"]) == 1
    image = Image.open(row["images"][0])
    assert image.format == "PNG" and image.height > image.width > 700      # an A4 page at 100 dpi
    assert main(["review", "show", str(row["id"]), "--out", str(tmp_path / "look")]) == 0
    assert sorted(p.suffix for p in (tmp_path / "look").iterdir()) == [".pdf", ".png"]

    assert main(["review", "discard", str(row["id"]), "--reason", " "]) == 2
    assert "剔除原因" in capsys.readouterr().err
    assert main(["review", "discard", str(row["id"]), "--reason", "准考证由考生本人保存，不归档"]) == 0
    kept = data_root.processed / "discarded" / f"报名表和准考证.item{row['id']}.pdf"
    with pikepdf.open(kept) as pdf:
        assert len(pdf.pages) == 1
    reason = json.loads(kept.with_name(kept.name + ".reason.json").read_text(encoding="utf-8"))
    assert reason["reason"] == "准考证由考生本人保存，不归档" and reason["instance_code"] == ticket.code
    assert ReviewItem.objects.get().state == ReviewItem.State.DISCARDED
    audit = AuditEntry.objects.get(action="review.discard")
    assert audit.detail["reason"] == "准考证由考生本人保存，不归档"
    job = IngestJob.objects.get()
    assert job.state == "filed" and (data_root.root / job.released_path).is_file()    # the scan is released
    assert main(["review", "discard", str(row["id"]), "--reason", "再来一次"]) == 4      # already discarded
    capsys.readouterr()
    assert main(["review", "list", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []
    assert ArchiveItem.objects.count() == 1


def _qr_pages(pdf_path) -> list[int]:
    """The page number i of i/n read from each rendered page of a PDF (0: no QR)."""
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        numbers = []
        for page in document:
            found = zxingcpp.read_barcodes(page.render(scale=100 / 72).to_pil().convert("L"))
            payload = next((QrPayload.decode(b.text) for b in found if QrPayload.decode(b.text)), None)
            numbers.append(payload.page if payload else 0)
        return numbers
    finally:
        document.close()


def test_a_page_whose_qr_is_unreadable_is_attached_to_its_form_and_the_form_is_filed_whole(data_root, tmp_path, capsys):
    form = make_registration(make_round(), 52, pages=3)
    rng = random.Random(4)
    smudged = jpeg_bytes(degrade(synthetic_page(None, ["第 2 页：工作经历"], dpi=DPI), rng), DPI)   # QR torn off
    pages = form_pages(form)
    drop(data_root.inbox / "三页表.pdf", stack_bytes([pages[0], smudged, pages[2]], tmp_path))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"review": 1}
    missing, loose = ReviewItem.objects.order_by("id")
    assert (missing.kind, loose.kind) == ("missing_page", "unknown_category")

    assert main(["review", "attach", str(loose.pk), "--instance", form.code, "--page", "3"]) == 2
    assert "缺第 2 页" in capsys.readouterr().err
    assert ArchiveItem.objects.count() == 0 and ReviewItem.objects.filter(state="waiting").count() == 2
    assert main(["review", "attach", str(loose.pk), "--instance", form.code.lower()]) == 0
    assert "已并入表单" in capsys.readouterr().out

    item = ArchiveItem.objects.get()
    assert item.form_instance == form and item.pages == 3 and item.candidate_name == "测试考生52"
    folder = data_root.archive / item.folder
    assert _qr_pages(folder / "document.pdf") == [1, 0, 3]          # the loose page in its place
    assert item_verify(folder) == [] and metadata_read(folder)["form_instance"] == form.code
    assert set(ReviewItem.objects.values_list("state", flat=True)) == {"filed"}
    assert set(ReviewItem.objects.values_list("archival_code", flat=True)) == {item.archival_code}
    assert FormInstance.objects.get(pk=form.pk).status == FormInstance.Status.FILED
    assert IngestJob.objects.get().state == "filed"
    assert AuditEntry.objects.filter(action="review.attach", target=item.archival_code).exists()
