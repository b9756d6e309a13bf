"""Integrity that does not trust one folder: archived-file hashes in the catalog and the filing audit
entry, cross-checked by verify; the audit chain anchored outside the data root (exported file and
the QR printed on registers and catalogues), which catches a chain recomputed whole."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import zxingcpp
from pypdf import PdfReader

from pipeline.archive.audit import GENESIS, _stamp, entry_hash
from pipeline.archive.store import MANIFEST, item_folder, make_writable, manifest_lines, manifest_read, sha256_file
from pipeline.archive.verify import verify_all
from pipeline.catalog.models import ArchiveItem, AuditEntry
from pipeline.cli.main import main
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import ExitCode
from pipeline.forms.service import forms_generate
from pipeline.ingest.flow import ingest_once
from tests.forms.scan import raster
from tests.ingest.test_flow import drop, fast_config, form_pages, make_registration, make_round, stack_bytes
from tests.retention.conftest import make_item

pytestmark = pytest.mark.django_db


def _rewrite(folder, name: str, data: bytes) -> None:
    """What an attacker with a shell does: change a file and write a matching manifest beside it."""
    make_writable(folder)
    (folder / name).write_bytes(data)
    (folder / MANIFEST).write_text("\n".join(manifest_lines(folder)) + "\n", encoding="utf-8")


def test_filing_records_the_archived_files_hashes_in_catalog_and_audit(data_root, tmp_path):
    form = make_registration(make_round(), 1)
    drop(data_root.inbox / "扫描.pdf", stack_bytes(form_pages(form), tmp_path))
    ingest_once(paths=data_root, config=fast_config(0.1))
    item = ArchiveItem.objects.get()
    on_disk = manifest_read(data_root.archive / item.folder)
    assert set(on_disk) == {"document.pdf", "metadata.json", "original/扫描.pdf"}
    assert item.files_sha256 == on_disk
    assert item.files_sha256["document.pdf"] == sha256_file(data_root.archive / item.folder / "document.pdf")
    entry = AuditEntry.objects.get(action="item.file", target=item.archival_code)
    assert entry.detail["files_sha256"] == on_disk
    assert verify_all(data_root).ok


def test_edited_document_with_a_rewritten_manifest_is_named_by_verify(data_root, capsys):
    items = [make_item(data_root, doc_date=dt.date(2020, 5, 1)) for _ in range(2)]
    folder = item_folder(data_root, ArchivalCode.parse(items[1].archival_code))
    data = bytearray((folder / "document.pdf").read_bytes())
    data[len(data) // 2] ^= 0x01
    _rewrite(folder, "document.pdf", bytes(data))
    report = verify_all(data_root)
    kinds = {(f.kind, f.where) for f in report.findings}
    where = f"{items[1].archival_code}/document.pdf"
    assert kinds == {("manifest_audit_mismatch", where), ("manifest_catalog_mismatch", where)}
    assert main(["verify"]) == ExitCode.INTEGRITY
    out = capsys.readouterr().out.replace("\n", "")
    assert f"{items[1].archival_code}：文件 document.pdf 的校验清单与归档时审计日志记录的不同" in out
    assert "目录数据库记录的不同" in out


def test_catalog_hashes_edited_to_match_are_still_caught_by_the_audit_entry(data_root):
    item = make_item(data_root, doc_date=dt.date(2020, 5, 1))
    folder = item_folder(data_root, ArchivalCode.parse(item.archival_code))
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    meta["due_date"] = "2020-06-01"                       # an earlier destruction, written into the item
    _rewrite(folder, "metadata.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    ArchiveItem.objects.filter(id=item.id).update(files_sha256=manifest_read(folder))   # and the catalog
    kinds = {(f.kind, f.where) for f in verify_all(data_root).findings}
    where = f"{item.archival_code}/metadata.json"
    assert kinds == {("manifest_audit_mismatch", where), ("catalog_audit_mismatch", where)}


def test_an_item_the_audit_log_never_filed_is_named(data_root):
    item = make_item(data_root, doc_date=dt.date(2020, 5, 1))
    AuditEntry.objects.filter(target=item.archival_code).update(action="item.note")    # breaks the chain too
    kinds = {(f.kind, f.where) for f in verify_all(data_root).findings}
    assert ("audit_unfiled", item.archival_code) in kinds


def _recompute_chain_after_editing(seq: int) -> None:
    """Edit entry seq, then recompute every hash from there on: the chain is consistent again."""
    AuditEntry.objects.filter(seq=seq).update(actor="mallory")
    prev = AuditEntry.objects.filter(seq=seq - 1).values_list("hash", flat=True).first() or GENESIS
    for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        digest = entry_hash(seq=entry.seq, at=_stamp(entry.at), actor=entry.actor, action=entry.action,
                            target=entry.target, detail=entry.detail, prev_hash=prev)
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=prev, hash=digest)
        prev = digest


def test_a_chain_recomputed_whole_passes_plain_verify_but_not_the_anchor(data_root, tmp_path, capsys):
    for _ in range(3):
        make_item(data_root, doc_date=dt.date(2020, 5, 1))
    usb = tmp_path / "usb" / "anchor.json"
    assert main(["audit", "anchor", "--out", str(usb)]) == 0
    assert "已导出审计锚点" in capsys.readouterr().out
    assert main(["audit", "verify", "--anchor", str(usb)]) == 0
    assert "与锚点一致" in capsys.readouterr().out
    _recompute_chain_after_editing(2)
    (data_root.var / "audit-anchor.json").unlink(missing_ok=True)   # the copy beside the database goes too
    assert main(["audit", "verify"]) == 0                            # the chain itself holds
    capsys.readouterr()
    assert main(["audit", "verify", "--anchor", str(usb)]) == ExitCode.INTEGRITY
    err = capsys.readouterr().err.replace("\n", "")
    assert "第 2 条与锚点记录的哈希不同" in err and "被改写" in err


def test_the_printed_anchor_line_alone_catches_the_rewrite_and_the_anchor_stays_off_the_data_root(
        data_root, tmp_path, capsys):
    make_item(data_root, doc_date=dt.date(2020, 5, 1))
    head = AuditEntry.objects.order_by("-seq").first()
    line = tmp_path / "qr.txt"
    line.write_text(f"DHJD-AUDIT {head.seq} {head.hash}\n", encoding="utf-8")
    assert main(["audit", "verify", "--anchor", str(line)]) == 0
    _recompute_chain_after_editing(1)
    assert main(["audit", "verify", "--anchor", str(line)]) == ExitCode.INTEGRITY
    assert f"第 {head.seq} 条（锚点所记的链头）哈希不同" in capsys.readouterr().err.replace("\n", "")
    assert main(["audit", "anchor", "--out", str(data_root.var / "anchor.json")]) == ExitCode.BAD_INPUT
    assert "不能放在数据目录" in capsys.readouterr().err


def _anchor_qr(pdf_path) -> str:
    image = raster(pdf_path.read_bytes(), dpi=200)
    texts = [r.text for r in zxingcpp.read_barcodes(image)]
    return next(t for t in texts if t.startswith("DHJD-AUDIT"))


def test_destruction_register_and_archive_catalogue_print_the_chain_head(data_root, users, tmp_path):
    from pipeline.catalog.destruction import destruction_propose
    make_item(data_root, doc_date=dt.date(2019, 6, 1))
    batch = destruction_propose(actor=users["arch"], config=get_config(), as_of=dt.date(2026, 6, 1))
    head = AuditEntry.objects.order_by("-seq").first()
    register = forms_generate(form="destruction-register", round_=None, subject=batch.code,
                              out=tmp_path / "r").instances[0]
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(register.pdf).pages))
    assert f"审计链锚点（出具时）：第{head.seq}条，哈希{head.hash[:16]}" in text
    assert _anchor_qr(register.pdf) == f"DHJD-AUDIT {head.seq} {head.hash}"
    head = AuditEntry.objects.order_by("-seq").first()
    catalogue = forms_generate(form="archive-catalogue", round_=None, subject="2019-SJ",
                               out=tmp_path / "c").instances[0]
    assert _anchor_qr(catalogue.pdf) == f"DHJD-AUDIT {head.seq} {head.hash}"
