"""station verify names each fault: a flipped byte, a deleted file, a stray file, an edited audit entry,
a 件号 gap, catalog rows and folders that disagree, a destroyed item still present."""

import datetime as dt
import json
import shutil

import pytest

from pipeline.archive.audit import audit_append
from pipeline.archive.store import item_folder, make_writable
from pipeline.archive.verify import verify_all
from pipeline.catalog.models import ArchiveItem, AuditEntry
from pipeline.cli.main import main
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import ExitCode
from tests.retention.conftest import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(data_root):
    items = [make_item(data_root, doc_date=dt.date(2020, 5, 1)) for _ in range(3)]
    audit_append(actor="arch", action="item.file", target=items[0].archival_code)
    audit_append(actor="arch", action="item.file", target=items[1].archival_code)
    return data_root, items


def _folder(paths, item):
    folder = item_folder(paths, ArchivalCode.parse(item.archival_code))
    make_writable(folder)
    return folder


def _kinds(paths):
    return {(f.kind, f.where) for f in verify_all(paths).findings}


def test_clean_archive_passes_and_cli_says_so(archive, capsys):
    paths, _ = archive
    assert verify_all(paths).ok
    assert main(["verify"]) == 0
    assert "校验通过" in capsys.readouterr().out


def test_one_flipped_byte_is_named_with_its_file(archive, capsys):
    paths, items = archive
    pdf = _folder(paths, items[1]) / "document.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))
    assert main(["verify"]) == ExitCode.INTEGRITY
    out = capsys.readouterr()
    text = out.out.replace("\n", "")
    assert f"{items[1].archival_code}：文件 document.pdf" in text and "内容与校验值不符" in text
    assert "校验发现 1 处问题" in out.err


def test_deleted_and_stray_files_are_named(archive):
    paths, items = archive
    folder = _folder(paths, items[0])
    (folder / "original" / "scan.jpg").unlink()
    (folder / "notes.txt").write_text("x")
    (paths.archive / "J118" / "2020" / "readme.txt").write_text("stray")
    found = _kinds(paths)
    rel = folder.relative_to(paths.archive).as_posix()
    assert ("missing", f"{rel}/original/scan.jpg") in found
    assert ("unexpected", f"{rel}/notes.txt") in found
    assert ("stray", "J118/2020/readme.txt") in found


def test_edited_audit_entry_is_named_by_sequence(archive, capsys):
    paths, _ = archive
    AuditEntry.objects.filter(seq=2).update(actor="mallory")
    assert ("audit_edited", "audit#2") in _kinds(paths)
    assert main(["audit", "verify"]) == ExitCode.INTEGRITY
    assert "第 2 条内容被修改" in capsys.readouterr().err


def test_truncated_audit_log_is_noticed_against_the_last_verified_head(archive):
    paths, _ = archive
    assert verify_all(paths).ok   # records the head outside the database
    head = AuditEntry.objects.order_by("-seq").first().seq
    AuditEntry.objects.filter(seq=head).delete()
    assert ("audit_truncated", f"audit#{head}") in _kinds(paths)


def test_gap_in_item_numbers_and_catalog_disagreements(archive):
    paths, items = archive
    shutil.rmtree(_folder(paths, items[1]))
    ArchiveItem.objects.filter(id=items[2].id).delete()
    found = _kinds(paths)
    assert ("gap", "J118-2020-D3-SJ") in found
    assert ("catalog_orphan", items[1].archival_code) in found
    assert ("not_in_catalog", items[2].archival_code) in found


def test_destroyed_item_whose_folder_is_back_is_named(archive):
    paths, items = archive
    tomb = paths.archive / ".tombstones" / f"{items[0].archival_code}.json"
    tomb.parent.mkdir(parents=True)
    tomb.write_text(json.dumps({"archival_code": items[0].archival_code}), encoding="utf-8")
    assert ("tombstoned_present", items[0].archival_code) in _kinds(paths)


def test_verify_json_lists_findings(archive, capsys):
    paths, items = archive
    (_folder(paths, items[2]) / "metadata.json").write_text("{}", encoding="utf-8")
    assert main(["verify", "--json"]) == ExitCode.INTEGRITY
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["items"] == 3
    assert {"changed", "bad_metadata"} <= {f["kind"] for f in report["findings"]}
