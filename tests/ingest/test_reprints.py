"""Reprints: re-rendering a form for the same subject supersedes the earlier print, and a scan of
one print when the other is filed waits for a person, naming both.

Real forms (WeasyPrint PDFs from forms_generate) scanned by the scan simulator (rasterised at
200 dpi, signed, tilted, noise, JPEG in a PDF).
"""

from __future__ import annotations

import pytest

from pipeline.catalog.models import ArchiveItem, AuditEntry, FormInstance, ReviewItem
from pipeline.catalog.scoring import results_import
from pipeline.catalog.services import round_add
from pipeline.cli.main import main
from pipeline.forms.service import forms_generate, forms_generate_many
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.scansim import ScanOptions, simulate
from tests.ingest.test_flow import drop, fast_config
from tests.results.factories import add_candidates, good_rows, write_xlsx

pytestmark = pytest.mark.django_db
Status = FormInstance.Status


def generate(round_, out):
    """The round's candidate roster, as `station forms generate roster --round` makes it."""
    (made,) = forms_generate(form="roster", round_=round_, out=out, workers=1).instances
    return FormInstance.objects.get(code=made.code), made.pdf


def scan_into_inbox(data_root, pdf, tmp_path, name: str, seed: int) -> None:
    (scan,) = simulate([pdf], tmp_path / f"scans-{seed}", ScanOptions(seed=seed))
    drop(data_root.inbox / name, scan.read_bytes())


@pytest.fixture
def round_(data_root):
    made = round_add(code="2026-12", name="2026年12月职业技能鉴定")
    add_candidates(made)
    return made


def test_a_reprint_supersedes_and_the_old_print_scanned_later_waits_naming_both(round_, data_root, tmp_path):
    first, first_pdf = generate(round_, tmp_path / "out1")
    second, second_pdf = generate(round_, tmp_path / "out2")
    first.refresh_from_db()
    assert (first.status, first.superseded_by, second.status) == (Status.SUPERSEDED, second, Status.GENERATED)
    assert first.superseded_at is not None
    assert AuditEntry.objects.filter(action="form.supersede", target=first.code).exists()

    scan_into_inbox(data_root, second_pdf, tmp_path, "新版.pdf", 1)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    scan_into_inbox(data_root, first_pdf, tmp_path, "旧版.pdf", 2)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"review": 1}
    assert ArchiveItem.objects.get().form_instance == second            # filed once, not twice
    review = ReviewItem.objects.get()
    assert review.kind == "superseded_instance"
    assert first.code in review.message and second.code in review.message and "已归档" in review.message


def test_a_reprint_scanned_after_the_first_print_was_filed_waits_naming_both(round_, data_root, tmp_path):
    first, first_pdf = generate(round_, tmp_path / "out1")
    scan_into_inbox(data_root, first_pdf, tmp_path, "第一次.pdf", 3)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    second, second_pdf = generate(round_, tmp_path / "out2")
    first.refresh_from_db()
    assert first.superseded_by == second and first.status == Status.FILED     # filed stays filed, linked
    scan_into_inbox(data_root, second_pdf, tmp_path, "重印.pdf", 4)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"review": 1}
    assert ArchiveItem.objects.count() == 1
    review = ReviewItem.objects.get()
    assert review.kind == "reprint_of_filed" and first.code in review.message and second.code in review.message


def test_a_print_marked_for_reprint_is_linked_to_the_reprint(round_, data_root, tmp_path):
    first, _ = generate(round_, tmp_path / "out1")
    # round corrections mark a print superseded with a reason before any reprint exists
    FormInstance.objects.filter(pk=first.pk).update(status=Status.SUPERSEDED, supersede_reason="考生姓名更正，需重印")
    second, _ = generate(round_, tmp_path / "out2")
    first.refresh_from_db()
    assert first.superseded_by == second and first.supersede_reason == "考生姓名更正，需重印"


def test_the_report_of_forms_round_and_of_results_report_is_one_current_instance(round_, data_root, tmp_path, capsys):
    results_import(round_=round_, path=write_xlsx(tmp_path / "scores.xlsx", good_rows(round_.candidates.all())))
    forms_generate_many(forms=["statistics", "report"], round_=round_, out=tmp_path / "round", merged=True, workers=1)
    assert main(["results", "report", "2026-12", "--out", str(tmp_path / "report"),
                 "--evaluation", "评分客观公正"]) == 0
    reports = FormInstance.objects.filter(form="report", round=round_)
    current = reports.filter(superseded_by__isnull=True)
    assert reports.count() == 2 and current.count() == 1
    assert current.get().data.get("evaluation") == "评分客观公正"
    assert reports.exclude(pk=current.get().pk).get().status == Status.SUPERSEDED
