"""Unmarked scans through the real ingest: classified by the words of their title lines (a page of the
regulation that mentions 考评任务书 and 评分表 waits for a person), found by their OCR'd words, and read
in their own lane so that QR-marked files behind them are filed first."""

from __future__ import annotations

import json

import img2pdf
import pytest

from bench.ocr_pages import REGULATION, page_set, scanned, text_scan
from pipeline import search
from pipeline.catalog.models import ArchiveItem, IngestJob, ReviewItem
from pipeline.ingest.flow import ingest_once, job_run
from pipeline.ingest.jobs import claim_file, ingest_status
from pipeline.ingest.lane import OCR_WAIT
from pipeline.ingest.normalise import pdfa_findings
from pipeline.reports.four_properties import four_properties_inspect
from tests.ingest.test_flow import (
    drop,
    fast_config,
    form_pages,
    make_registration,
    make_round,
    stack_bytes,
)
from tests.ingest.test_ocr_quality import text_layer_on_ink

pytestmark = pytest.mark.django_db

# running text of the regulation whose first lines name 考评任务书, 评分表, 文件 and the 指导中心
REGULATION_PAGE = [REGULATION[k] for k in (1, 15, 11, 18, 19, 20)]


@pytest.mark.slow
def test_a_regulation_page_waits_for_review_and_a_centre_notice_is_filed_and_found(data_root, tmp_path):
    notice = page_set(1, 16)[0]
    notice.upside_down = True                                    # fed upside down
    drop(data_root.inbox / "a-管理规定第2页.pdf", img2pdf.convert([text_scan(REGULATION_PAGE, seed=5)]))
    drop(data_root.inbox / "b-来文.pdf", img2pdf.convert([scanned(notice, 7)]))
    ingest_once(paths=data_root, config=fast_config(0))
    review = ReviewItem.objects.get()                            # not 考评任务书, 评分表 (secret!) or 上级来文
    assert review.kind == "unknown_category" and review.job.source_name == "a-管理规定第2页.pdf"
    assert "正文中提到" in review.message and "考评任务书" in review.message
    item = ArchiveItem.objects.get()
    assert item.category == "FW" and item.title == notice.meta["heading"]      # by the words in its title lines
    document = data_root.archive / item.folder / "document.pdf"
    assert pdfa_findings(document) == []
    assert text_layer_on_ink(document)                           # the archival PDF's words sit on the printed ones
    assert json.loads((document.parent / "metadata.json").read_text(encoding="utf-8"))["ocr"] is True
    inspection = four_properties_inspect(paths=data_root)        # 四性检测 finds the text layer it says it has
    assert inspection.checked["text_layer"] == 1
    assert not [f for f in inspection.findings if f.check == "text_layer"]
    doc_number, _, exam_day = notice.phrases                     # its OCR'd words find it
    for query in (f'"{doc_number}"', f'"{exam_day}"', notice.meta["heading"]):
        assert [hit.archival_code for hit in search.search(query).hits] == [item.archival_code], query


@pytest.mark.slow
def test_a_scan_needing_ocr_steps_aside_for_qr_marked_files_behind_it(data_root, tmp_path):
    form = make_registration(make_round(), 41)
    notice = page_set(1, 16)[0]
    drop(data_root.inbox / "a-来文.pdf", img2pdf.convert([scanned(notice, 3)]))          # found first
    drop(data_root.inbox / "b-报名表.pdf", stack_bytes(form_pages(form), tmp_path))
    seen: list[tuple[str, str]] = []
    counts = ingest_once(paths=data_root, config=fast_config(0),
                         progress=lambda stage, name, count: seen.append((stage, name)))
    assert counts == {"filed": 2}                                # a parked job is counted once, when it ends
    ocr_at = seen.index(("ocr", "a-来文.pdf"))
    assert ("release", "b-报名表.pdf") in seen[:ocr_at]           # the form was filed before the OCR began
    assert ArchiveItem.objects.filter(form_instance=form).exists()
    assert ArchiveItem.objects.filter(category="FW").count() == 1
    assert ingest_status(paths=data_root)["ocr_waiting"]["files"] == 0


def test_a_parked_job_is_shown_with_its_pages_and_resumed_by_the_lane(data_root, tmp_path):
    notice = page_set(1, 16)[0]
    path = drop(data_root.inbox / "来文.pdf", img2pdf.convert([scanned(notice, 3), scanned(notice, 4)]))
    claim = claim_file(paths=data_root, path=path)
    try:
        outcome = job_run(job=claim.job, paths=data_root, config=fast_config(0), may_ocr=lambda: False)
    finally:
        claim.lock.release()
    assert outcome == OCR_WAIT
    job = IngestJob.objects.get()
    assert job.state == IngestJob.State.CLAIMED and job.reason[OCR_WAIT] == 2
    waiting = ingest_status(paths=data_root)["ocr_waiting"]
    assert (waiting["files"], waiting["pages"]) == (1, 2)
    assert ArchiveItem.objects.count() == 0 and ReviewItem.objects.count() == 0
