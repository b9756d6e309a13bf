"""四性检测 (DA/T 70-2018): the report passes on an archive filed from real scans, is issued as PDF + DOCX with
a QR on every page and files itself as a permanent DA record once signed and scanned; each check fails
with a named finding on a tampered copy (a changed file, a removed metadata field, a 件号 gap, a non-PDF/A
file, a world-readable file, a broken audit chain)."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import shutil
from pathlib import Path

import pikepdf
import pytest
from django.utils import timezone
from docx import Document

from pipeline.archive.store import MANIFEST, make_writable, manifest_lines
from pipeline.catalog.models import ArchiveItem, AuditEntry, FormInstance, Loan
from pipeline.cli.common import password_variable
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.normalise import pdfa_findings
from pipeline.ingest.scansim import jpeg_bytes
from pipeline.reports.four_properties import CHECKS, four_properties_inspect
from pipeline.reports.four_properties_items import ocr_ran
from pipeline.reports.preflight import classpath, parse_results
from tests.forms.scan import degrade, payloads, raster
from tests.ingest.test_flow import drop, fast_config, form_pages, make_registration, make_round, stack_bytes
from tests.people import PASSWORD, make_users
from tests.retention.conftest import make_item

pytestmark = pytest.mark.django_db


def filed_archive(data_root, tmp_path, count: int = 3) -> list[ArchiveItem]:
    """count signed registration forms scanned in one stack and filed by ingest (real PDF/A-2b items)."""
    round_ = make_round()
    pages = [page for serial in range(1, count + 1) for page in form_pages(make_registration(round_, serial, pages=1))]
    drop(data_root.inbox / "扫描.pdf", stack_bytes(pages, tmp_path))
    ingest_once(paths=data_root, config=fast_config(0.1))
    items = list(ArchiveItem.objects.order_by("item_number"))
    assert len(items) == count
    return items


def folder_of(data_root, item: ArchiveItem):
    return data_root.archive / item.folder


def rewrite(folder, name: str, data: bytes) -> None:
    """What someone with a shell does: change a file and write a matching manifest beside it."""
    make_writable(folder)
    (folder / name).write_bytes(data)
    (folder / MANIFEST).write_text("\n".join(manifest_lines(folder)) + "\n", encoding="utf-8")


def found(report, check: str) -> set[tuple[str, str]]:
    """(kind, where) of the findings of one check."""
    return {(f.kind, f.where) for f in report.findings if f.check == check}


def test_the_report_passes_on_a_filed_archive_and_files_itself_as_a_permanent_record(
    data_root, tmp_path, capsys, monkeypatch, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    items = filed_archive(data_root, tmp_path)
    for item in items:  # pikepdf's validator on every archival file this test produced
        assert pdfa_findings(folder_of(data_root, item) / "document.pdf") == []
    make_users({"arch": ["archivist"]})
    monkeypatch.setenv(password_variable("arch"), PASSWORD)
    capsys.readouterr()
    assert main(["inspect", "--out", str(tmp_path / "out"), "--user", "arch", "--json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["findings"] == [] and data["items"] == 3
    results = {row["key"]: row["result"] for row in data["checks"]}
    assert results == {check.key: results[check.key] for check in CHECKS}
    assert {key for key, result in results.items() if result != "通过"} == {
        "forms_accounted",
        "text_layer",
        "access_records",
        "destruction_records",
        "secret_encrypted",
    }  # none here
    assert results["pdfa_preflight"] == "通过" and classpath() is not None
    assert data["preflight_set_aside"] == {"pdfaid_part": 3, "xref_streams": 3}
    assert "未证明" in data["pdfa_not_proven"] and "PDF/A-1" in data["pdfa_proven"]
    pdf_path, docx_path = map(Path, data["report"]["files"])
    word = Document(str(docx_path))
    body = "\n".join(
        [p.text for p in word.paragraphs]
        + [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    )
    assert "电子档案四性检测报告" in body and "检测通过" in body
    pdf = pdf_path.read_bytes()
    instance = FormInstance.objects.get(code=data["report"]["instance"])
    assert (instance.retention_class, instance.category) == ("archive-management", "DA")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        count = len(document.pages)
    rng = random.Random(3)
    scans = []
    for page in range(count):  # every page carries its own QR, and the signed copy files itself
        image = degrade(raster(pdf, page, dpi=200), skew=rng.uniform(-1, 1), jpeg=70)
        assert [(p.instance, p.page, p.pages) for p in payloads(image)] == [(instance.code, page + 1, count)]
        scans.append(jpeg_bytes(image.convert("RGB"), 200))
    drop(data_root.inbox / "检测报告签字件.pdf", stack_bytes(scans, tmp_path, "report.pdf"))
    ingest_once(paths=data_root, config=fast_config(0.1))
    filed = ArchiveItem.objects.get(form="four-properties-report")
    assert (filed.category, filed.retention_code, filed.due_date) == ("DA", "Y", None)
    assert pdfa_findings(folder_of(data_root, filed) / "document.pdf") == []


def test_a_changed_file_is_named_under_authenticity(data_root, tmp_path, capsys):
    items = filed_archive(data_root, tmp_path)
    folder = folder_of(data_root, items[1])
    make_writable(folder)
    data = bytearray((folder / "document.pdf").read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / "document.pdf").write_bytes(bytes(data))
    report = four_properties_inspect(paths=data_root)
    assert found(report, "fixity") == {("changed", f"{items[1].folder}/document.pdf")}
    assert {f.check for f in report.findings} <= {
        "fixity",
        "pdf_renders",
        "pdfa_pikepdf",
        "pdfa_preflight",
        "fonts_embedded",
        "metadata_file",
    }
    finding = next(f for f in report.findings if f.kind == "changed")
    assert "内容与校验值不符" in finding.message_zh and "从备份恢复" in finding.action_zh


def test_a_removed_metadata_field_is_named_under_integrity(data_root, tmp_path):
    items = filed_archive(data_root, tmp_path)
    folder = folder_of(data_root, items[0])
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    del meta["responsible"]
    rewrite(folder, "metadata.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    report = four_properties_inspect(paths=data_root)
    code = items[0].archival_code
    assert found(report, "metadata_fields") == {("metadata_field_missing", f"{code}/metadata.json#responsible")}
    assert "责任者" in next(f.message_zh for f in report.findings if f.kind == "metadata_field_missing")
    assert ("manifest_audit_mismatch", f"{code}/metadata.json") in found(report, "catalog_audit")


def test_a_numbering_gap_is_named_under_integrity(data_root, tmp_path):
    items = filed_archive(data_root, tmp_path)
    folder = folder_of(data_root, items[1])
    make_writable(folder)
    shutil.rmtree(folder)
    report = four_properties_inspect(paths=data_root)
    gaps = found(report, "numbering")
    assert len(gaps) == 1 and next(iter(gaps))[0] == "gap"
    message = next(f.message_zh for f in report.findings if f.kind == "gap")
    assert "件号不连续" in message and "0002" in message
    assert ("catalog_orphan", items[1].archival_code) in found(report, "catalog_content")


def test_a_file_that_is_not_pdfa_is_named_by_both_validators(data_root, tmp_path):
    items = filed_archive(data_root, tmp_path)
    plain = pikepdf.new()
    plain.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    plain.save(buffer)
    rewrite(folder_of(data_root, items[2]), "document.pdf", buffer.getvalue())
    report = four_properties_inspect(paths=data_root)
    code = items[2].archival_code
    assert found(report, "pdfa_pikepdf") and all(where == code for _, where in found(report, "pdfa_pikepdf"))
    assert {kind for kind, _ in found(report, "pdfa_pikepdf")} == {"pdfa_invalid"}
    assert found(report, "pdfa_preflight") == {("pdfa_preflight_failed", code)}
    assert "PDFBox Preflight" in next(f.message_zh for f in report.findings if f.check == "pdfa_preflight")


def test_a_world_readable_file_is_named_under_security(data_root, tmp_path):
    items = filed_archive(data_root, tmp_path)
    folder = folder_of(data_root, items[0])
    for path in [folder, *folder.rglob("*")]:  # filed items are closed to other users of the machine
        assert not path.stat().st_mode & 0o007
    target = folder / "document.pdf"
    target.chmod(target.stat().st_mode | 0o004)
    report = four_properties_inspect(paths=data_root)
    assert found(report, "permissions") == {("world_readable", f"{items[0].archival_code}/document.pdf")}
    assert {f.check for f in report.findings} == {"permissions"}
    assert "chmod" in report.findings[0].action_zh


def test_a_broken_audit_chain_is_named_under_security(data_root, tmp_path, capsys, monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    items = filed_archive(data_root, tmp_path)
    entry = AuditEntry.objects.get(action="item.file", target=items[0].archival_code)
    detail = dict(entry.detail, title="改过的题名")
    AuditEntry.objects.filter(id=entry.id).update(detail=detail)
    report = four_properties_inspect(paths=data_root)
    kinds = found(report, "audit_chain")
    assert kinds and all(kind.startswith("audit_") for kind, _ in kinds)
    assert (next(iter(kinds))[1]) == f"audit#{entry.seq}"
    make_users({"arch": ["archivist"]})
    monkeypatch.setenv(password_variable("arch"), PASSWORD)
    capsys.readouterr()
    assert main(["inspect", "--out", str(tmp_path / "out"), "--user", "arch"]) == ExitCode.INTEGRITY
    out = capsys.readouterr()
    assert "不通过" in out.out and f"第 {entry.seq} 条" in out.out and "四性检测发现 1 处不符合" in out.err


def test_preflight_sets_aside_only_the_part_1_rules_by_name():
    xml = (
        "<preflights><preflight name='a'><errors>"
        "<error><code>1.4</code><details>Trailer Syntax error, /XRef cross reference streams are not allowed</details></error>"  # noqa: E501 (PDFBox's own words)
        "<error><code>7.11.2</code><details>Error on MetaData, part must be 1</details></error>"
        "<error><code>2.2.2</code><details>SMask in ExtGState</details></error>"
        "<error><code>3.1.11</code><details>Invalid Font definition, F+Noto: The CIDSet entry is missing for the "
        "Composite Subset</details></error>"
        "<error><code>3.1.11</code><details>Font not embedded</details></error>"
        "<error><code>3.2.3</code><details>Font damaged, MPDFAA+Occulta: The FontFile can't be read</details></error>"
        "<error><code>3.2.3</code><details>Font damaged, ABCDEF+NotoSansCJK: The FontFile can't be read"
        "</details></error>"
        "</errors></preflight></preflights>"
    )
    [result] = parse_results(xml)
    assert result.set_aside == ["xref_streams", "pdfaid_part", "transparency", "cidset", "ocr_text_font"]
    assert result.errors == [
        ("3.1.11", "Font not embedded"),
        ("3.2.3", "Font damaged, ABCDEF+NotoSansCJK: The FontFile can't be read"),
    ]
    assert not result.ok


def test_an_ocr_item_without_a_text_layer_is_named_and_year_limits_the_items(data_root):
    old = make_item(data_root, category="KW", doc_date=dt.date(2019, 6, 1))  # unmarked, its text from OCR
    new = make_item(data_root, category="KW", doc_date=dt.date(2020, 6, 1))
    report = four_properties_inspect(paths=data_root, year=2019)
    assert report.items == 1
    assert found(report, "text_layer") == {("text_layer_missing", old.archival_code)}
    assert not any(new.archival_code in f.where for f in report.findings)
    assert found(four_properties_inspect(paths=data_root, year=2020), "text_layer") == {
        ("text_layer_missing", new.archival_code)
    }


def test_an_item_says_whether_ocr_gave_it_a_text_layer_and_older_items_are_judged_by_their_text():
    # filed now: metadata.json says so, whatever the form (the papers behind a packet cover, secret ones too)
    assert ocr_ran({"ocr": True, "form": "packet-cover", "text": "", "secret": True})
    assert not ocr_ran({"ocr": False, "form": "", "text": "一份带文字的 PDF"})
    # filed before the key existed: an unmarked document or a filing cover with text
    assert ocr_ran({"form": "", "text": "关于开展职业技能鉴定的通知"})
    assert ocr_ran({"form": "filing-cover", "text": "来文"})
    assert not ocr_ran({"form": "registration", "text": "张伟"})
    assert not ocr_ran({"form": "", "text": "  "})


def test_a_secret_item_in_clear_and_a_loan_without_its_records_are_named_under_security(data_root):
    paper = make_item(data_root, category="KW", doc_date=dt.date(2019, 6, 1))
    ArchiveItem.objects.filter(id=paper.id).update(secret=True)  # a secret item that was filed in clear
    Loan.objects.create(
        item=paper,
        borrower="张三",
        purpose="查阅",
        state=Loan.State.LENT,
        requested_by="clerk",
        requested_at=timezone.now(),
    )  # lent, with no approver and no audit entries
    report = four_properties_inspect(paths=data_root)
    assert found(report, "secret_encrypted") == {("secret_not_encrypted", paper.archival_code)}
    loans = found(report, "access_records")
    assert {kind for kind, _ in loans} == {"loan_record_incomplete", "loan_unaudited"}
    messages = [f.message_zh for f in report.findings if f.check == "access_records"]
    assert any("缺少批准人" in m for m in messages) and any("借出时间" in m for m in messages)
