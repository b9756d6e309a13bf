"""Correcting a round after import, through the CLI staff use: photos later, --update, edit, remove,
rounds remove; every change audited and the printed forms it makes wrong superseded."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from pipeline.catalog.models import AuditEntry, Candidate, FormInstance, Round
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from tests.roster.conftest import jpeg_bytes, person, write_xlsx

pytestmark = pytest.mark.django_db


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _imported(tmp_path, rows, capsys) -> list[Candidate]:
    path = write_xlsx(tmp_path / "名单.xlsx", rows)            # no 照片 column, as many stations send it
    assert main(["import", "candidates", str(path), "--round", "2026-12"]) == 0
    capsys.readouterr()
    return list(Candidate.objects.order_by("sheet_row"))


def test_photos_added_later_by_ticket_or_id_number_unblock_the_forms(tmp_path, data_root, round_2026, capsys):
    rows = [person(1), person(2), person(3)]
    first, second, third = _imported(tmp_path, rows, capsys)
    out = tmp_path / "out"
    assert main(["forms", "render", "registration", "--round", "2026-12", "--subject", first.ticket_number,
                 "--out", str(out)]) == ExitCode.BAD_INPUT
    assert "照片" in _flat(capsys.readouterr().err)
    folder = tmp_path / "照片"
    folder.mkdir()
    (folder / f"{first.ticket_number}.jpg").write_bytes(jpeg_bytes((600, 800), (10, 120, 200)))
    (folder / f"{second.id_number}.JPG").write_bytes(jpeg_bytes((480, 640), (200, 120, 10)))
    (folder / "张三.jpg").write_bytes(jpeg_bytes())
    assert main(["candidates", "photos", "2026-12", str(folder)]) == 0
    text = _flat(capsys.readouterr().out)
    assert "已更新2名考生的照片" in text and "张三.jpg" in text and "仍有1名考生没有照片" in text
    assert second.id_number not in text
    for candidate in (first, second):
        candidate.refresh_from_db()
        with Image.open(data_root.photos / candidate.photo) as photo:
            assert (photo.format, photo.size) == ("JPEG", (295, 413))
    assert main(["forms", "render", "registration", "--round", "2026-12", "--subject", first.ticket_number,
                 "--out", str(out)]) == 0
    assert list(out.rglob("*.pdf"))
    [entry] = AuditEntry.objects.filter(action="candidates.photos")
    assert entry.detail["updated"] == 2 and entry.detail["unmatched"] == ["张三.jpg"]


def test_a_bad_photo_updates_none_and_says_which(tmp_path, data_root, round_2026, capsys):
    first, second = _imported(tmp_path, [person(1), person(2)], capsys)
    folder = tmp_path / "照片"
    folder.mkdir()
    (folder / f"{first.ticket_number}.jpg").write_bytes(jpeg_bytes())
    (folder / f"{second.ticket_number}.jpg").write_text("not a picture")
    assert main(["candidates", "photos", "2026-12", str(folder)]) == ExitCode.BAD_INPUT
    assert f"{second.ticket_number}.jpg" in _flat(capsys.readouterr().err)
    assert not Candidate.objects.exclude(photo="").exists()


def test_update_lists_masked_changes_dry_run_changes_nothing_then_applies(tmp_path, data_root, round_2026, capsys):
    rows = [person(1), person(2), person(3)]
    before = _imported(tmp_path, rows, capsys)
    corrected = [dict(rows[0], 联系电话="13912345678", 工作单位="厦门港务集团"), rows[1], person(4)]  # row 3 left out
    path = write_xlsx(tmp_path / "名单-更正.xlsx", corrected)
    assert main(["import", "candidates", str(path), "--round", "2026-12", "--update", "--dry-run"]) == 0
    text = _flat(capsys.readouterr().out)
    assert "预览，未执行" in text and "厦门港务集团" in text and "139*****5678" not in text
    assert "139****5678" in text and "13912345678" not in text and rows[0]["联系电话"] not in text
    assert "将更新1名、新增1名考生" in text and before[2].name in text and "保留未动" in text
    assert Candidate.objects.count() == 3 and Candidate.objects.get(pk=before[0].pk).employer != "厦门港务集团"
    assert main(["import", "candidates", str(path), "--round", "2026-12", "--update", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["updated"] == 1 and report["added"] == 1 and report["unchanged"] == 1
    assert rows[3 - 1]["身份证号"] not in json.dumps(report, ensure_ascii=False)
    assert Candidate.objects.count() == 4 and Candidate.objects.get(pk=before[0].pk).phone == "13912345678"
    assert Candidate.objects.filter(pk=before[2].pk).exists()                # nothing removed silently
    [entry] = AuditEntry.objects.filter(action="candidates.update")
    assert entry.detail["updated"] == 1 and entry.detail["added"] == 1


def test_edit_after_printing_supersedes_that_candidates_forms_and_says_what_to_reprint(
        tmp_path, data_root, round_2026, capsys):
    first, second = _imported(tmp_path, [person(1), person(2)], capsys)
    out = tmp_path / "out"
    assert main(["forms", "render", "roster", "--round", "2026-12", "--out", str(out)]) == 0
    capsys.readouterr()
    roster = FormInstance.objects.get(form="roster")
    assert main(["candidates", "edit", first.ticket_number, "--phone", "12345"]) == ExitCode.BAD_INPUT
    assert "手机号应为11位" in _flat(capsys.readouterr().err)
    assert main(["candidates", "edit", first.ticket_number, "--name", "林  晓梅", "--employer", "厦门航空"]) == 0
    text = _flat(capsys.readouterr().out)
    assert f"“{first.name}”→“林晓梅”" in text and "厦门航空" in text
    assert "《职业技能鉴定考生花名册》" in text and "stationformsrenderroster--round2026-12" in text
    roster.refresh_from_db()
    assert roster.status == FormInstance.Status.SUPERSEDED and roster.superseded_by is None
    assert "姓名" in roster.supersede_reason and roster.superseded_at
    assert Candidate.objects.get(pk=first.pk).name == "林晓梅"
    assert AuditEntry.objects.filter(action="candidate.edit", target=first.ticket_number).exists()
    assert main(["candidates", "edit", second.ticket_number, "--level", "三级"]) == 0
    moved = Candidate.objects.get(pk=second.pk)
    assert moved.level == 3 and moved.ticket_number == "202612DG30001"


def test_remove_a_candidate_needs_a_reason_and_voids_their_forms(tmp_path, data_root, round_2026, capsys):
    first, second = _imported(tmp_path, [person(1), person(2)], capsys)
    assert main(["forms", "render", "roster", "--round", "2026-12", "--out", str(tmp_path / "o")]) == 0
    assert main(["candidates", "remove", first.ticket_number]) == 2                # --reason is required
    assert main(["candidates", "remove", first.ticket_number, "--reason", "重复报名"]) == 0
    assert "重复报名" in _flat(capsys.readouterr().out)
    assert list(Candidate.objects.values_list("pk", flat=True)) == [second.pk]
    assert FormInstance.objects.get(form="roster").status == FormInstance.Status.SUPERSEDED
    assert AuditEntry.objects.get(action="candidate.remove").detail["reason"] == "重复报名"


def test_rounds_remove_only_while_nothing_is_filed(tmp_path, data_root, round_2026, capsys):
    [only] = _imported(tmp_path, [person(1)], capsys)
    assert main(["forms", "render", "roster", "--round", "2026-12", "--out", str(tmp_path / "o")]) == 0
    FormInstance.objects.filter(form="roster").update(status=FormInstance.Status.FILED)   # its scan came back
    assert main(["rounds", "remove", "2026-12", "--reason", "导错了"]) == ExitCode.CONFLICT
    err = _flat(capsys.readouterr().err)
    assert "不能删除" in err and "《职业技能鉴定考生花名册》1份已扫描回收" in err
    FormInstance.objects.filter(form="roster").update(status=FormInstance.Status.GENERATED)
    assert main(["rounds", "remove", "2026-12", "--reason", "导错了"]) == 0
    assert not Round.objects.exists() and not Candidate.objects.exists()
    assert AuditEntry.objects.get(action="round.remove").detail["candidates"] == 1
    # the same digits can be used again: a new 2026-12 round imports the same sheet
    assert main(["rounds", "add", "2026-12", "--name", "重建"]) == 0
    path = write_xlsx(tmp_path / "again.xlsx", [person(1)])
    assert main(["import", "candidates", str(path), "--round", "2026-12"]) == 0
    assert Candidate.objects.get().ticket_number == only.ticket_number


def test_staff_and_rooms_sheets_changing_known_records_need_update_and_list_each_change(
        tmp_path, example_dir, data_root, capsys):
    from openpyxl import load_workbook

    from pipeline.catalog.models import Room, Staff
    assert main(["import", "staff", str(example_dir / "staff.xlsx")]) == 0
    assert main(["import", "rooms", str(example_dir / "rooms.xlsx")]) == 0
    assert main(["forms", "render", "badge", "--subject", "DH-002", "--out", str(tmp_path / "o")]) == 0
    badge = FormInstance.objects.get(form="badge")
    book = load_workbook(example_dir / "staff.xlsx")
    book["工作人员"]["B3"] = "林秀瑛"                       # DH-002 renamed
    book["工作人员"]["F2"] = "13912345678"                  # DH-001's phone
    book.save(tmp_path / "staff.xlsx")
    capsys.readouterr()
    assert main(["import", "staff", str(tmp_path / "staff.xlsx")]) == ExitCode.CONFLICT
    err = _flat(capsys.readouterr().err)
    assert "会修改2名已有工作人员的信息" in err and "--dry-run" in err and "13912345678" not in err
    assert main(["import", "staff", str(tmp_path / "staff.xlsx"), "--dry-run"]) == 0
    out = _flat(capsys.readouterr().out)
    assert "“林秀英”→“林秀瑛”" in out and "139****5678" in out and "预览，未执行" in out
    assert Staff.objects.get(badge_number="DH-002").name == "林秀英"
    assert main(["import", "staff", str(tmp_path / "staff.xlsx"), "--update"]) == 0
    out = _flat(capsys.readouterr().out)
    assert "更新2人" in out and "《工作人员胸卡》" in out and "stationformsrenderbadge--subjectDH-002" in out
    assert Staff.objects.get(badge_number="DH-002").name == "林秀瑛"
    badge.refresh_from_db()
    assert badge.status == FormInstance.Status.SUPERSEDED
    assert AuditEntry.objects.filter(action="staff.update").count() == 1
    rooms = load_workbook(example_dir / "rooms.xlsx")
    rooms.active["D5"] = 18
    rooms.active["G5"] = "H01-H18"
    rooms.save(tmp_path / "rooms.xlsx")
    assert main(["import", "rooms", str(tmp_path / "rooms.xlsx"), "--update", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(c["field"], c["old"], c["new"]) for c in data["corrections"]["changes"]} == {
        ("容量", "16", "18"), ("工位", "16 个", "18 个")}
    assert Room.objects.get(code="SC02").workstations.count() == 18


def test_import_guide_says_what_happens_without_photos_and_how_to_add_them():
    from pipeline.core.paths import REPO_ROOT
    guide = (REPO_ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    assert "The 照片 column is optional" in guide and "station candidates photos 2026-12" in guide
    for command in ("--update --dry-run", "station candidates edit", "station candidates remove",
                    "station rounds remove", "station staff edit", "station rooms edit"):
        assert command in guide, command


def test_a_new_photo_in_the_corrected_sheet_voids_only_the_forms_that_print_it(tmp_path, data_root, round_2026,
                                                                                 capsys):
    from tests.roster.conftest import HEADERS
    rows = [person(1), person(2)]
    first, second = _imported(tmp_path, rows, capsys)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(jpeg_bytes((480, 640)))
    assert main(["candidates", "photos", "2026-12", str(tmp_path / "photos")]) == 0   # a.jpg matches nobody
    assert "a.jpg" in _flat(capsys.readouterr().out)
    (tmp_path / "photos" / "a.jpg").rename(tmp_path / "photos" / f"{first.ticket_number}.jpg")
    assert main(["candidates", "photos", "2026-12", str(tmp_path / "photos")]) == 0
    out = tmp_path / "out"
    for form in ("registration", "roster"):
        assert main(["forms", "render", form, "--round", "2026-12", "--subject", first.ticket_number, "--out",
                     str(out)] if form == "registration" else ["forms", "render", form, "--round", "2026-12",
                                                              "--out", str(out)]) == 0
    rows[0]["照片"] = "new.jpg"
    rows[1]["照片"] = "second.jpg"
    (tmp_path / "new.jpg").write_bytes(jpeg_bytes((600, 800), (0, 200, 0)))
    (tmp_path / "second.jpg").write_bytes(jpeg_bytes((600, 800), (0, 0, 200)))
    path = write_xlsx(tmp_path / "with-photos.xlsx", rows, headers=HEADERS)
    capsys.readouterr()
    assert main(["import", "candidates", str(path), "--round", "2026-12", "--update"]) == 0
    text = _flat(capsys.readouterr().out)
    assert "照片：“有”→“新照片”" in text and "照片：“无”→“新照片”" in text and "已更新2名" in text
    assert dict(FormInstance.objects.values_list("form", "status")) == {
        "registration": FormInstance.Status.SUPERSEDED, "roster": FormInstance.Status.GENERATED}
    with Image.open(data_root.photos / Candidate.objects.get(pk=second.pk).photo) as photo:
        assert photo.size == (295, 413)
