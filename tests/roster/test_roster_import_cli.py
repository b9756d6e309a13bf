"""`station import candidates|staff|rooms`: exit codes, Chinese messages, what lands in the catalog."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from pipeline.catalog.models import AuditEntry, Candidate, Recusal, Room, Staff
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from tests.roster.conftest import HEADERS, jpeg_bytes, person, png_header_only, write_xlsx

pytestmark = pytest.mark.django_db


def _flat(text: str) -> str:
    """Output without whitespace: Rich wraps long Chinese lines at the console width."""
    return re.sub(r"\s+", "", text)


def _sheet_with_photos(folder, rows):
    """candidates.xlsx with a 照片 column and a real photo for each row (unless the row brings its own)."""
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    for number, row in enumerate(rows, 1):
        if "照片" not in row:
            row["照片"] = f"photos/{number:03d}.jpg"
            (folder / row["照片"]).write_bytes(jpeg_bytes((480, 640), (40 * number % 255, 90, 160)))
    return write_xlsx(folder / "candidates.xlsx", rows, headers=HEADERS)


def test_example_station_imports_with_tickets_and_normalised_photos(example_dir, data_root, round_2026, capsys):
    assert main(["import", "candidates", str(example_dir / "candidates.xlsx"), "--round", "2026-12"]) == 0
    out = _flat(capsys.readouterr().out)
    assert "已导入120名考生" in out and "202612DG40001" in out and "202612YY40030" in out
    assert Candidate.objects.count() == 120
    first = Candidate.objects.get(ticket_number="202612DG40001")
    assert first.id_number not in out                       # no full ID number in the summary
    with Image.open(data_root.photos / first.photo) as photo:
        assert (photo.format, photo.size) == ("JPEG", (295, 413))
    assert first.photo == "2026-12/202612DG40001.jpg"
    assert Candidate.objects.filter(name="陈志强").count() == 2
    assert list((data_root.photos / ".staging").iterdir()) == []      # the import's staging folder is gone
    [entry] = AuditEntry.objects.filter(action="candidates.import")
    assert entry.detail["imported"] == 120 and entry.target == "2026-12"


def test_bad_rows_import_nothing_and_exit_2_with_every_problem(tmp_path, data_root, round_2026, capsys):
    rows = [person(1), person(2, 联系电话="12345"), person(3), person(4, 性别="女")]
    rows[2]["照片"] = "photos/missing.jpg"
    path = _sheet_with_photos(tmp_path, rows)
    (tmp_path / "photos" / "001.jpg").write_text("hello")             # row 3: a text file named .jpg
    assert main(["import", "candidates", str(path), "--round", "2026-12"]) == ExitCode.BAD_INPUT
    err = _flat(capsys.readouterr().err)
    assert "有4处问题（涉及4行），未导入任何考生" in err
    for text in ("第3行【照片】", "第4行【联系电话】", "第5行【照片】", "第6行【性别】", "--skip-invalid"):
        assert text in err
    assert Candidate.objects.count() == 0
    assert not list((data_root.photos).glob("**/*.jpg"))


def test_json_gives_problems_as_data(tmp_path, data_root, round_2026, capsys):
    path = write_xlsx(tmp_path / "c.xlsx", [person(1, 等级="九级"), person(2)])
    assert main(["import", "candidates", str(path), "--round", "2026-12", "--json"]) == ExitCode.BAD_INPUT
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == "import_rejected" and data["exit_code"] == 2
    assert data["rows"] == [{"row": 3, "column": "等级", "code": "level_invalid", "sheet": "",
                             "message": "等级“九级”无法识别，请写“四级”“五级”或“中级工”等。"}]


def test_skip_invalid_imports_the_rest_and_lists_what_it_skipped(tmp_path, data_root, round_2026, capsys):
    rows = [person(1), person(2, 联系电话="010-123"), person(3), person(4, **{"工种/职业": "厨师"}), person(5)]
    path = _sheet_with_photos(tmp_path, rows)
    (tmp_path / "photos" / "005.jpg").write_bytes(png_header_only(30000, 30000))
    assert main(["import", "candidates", str(path), "--round", "2026-12", "--skip-invalid"]) == 0
    out = _flat(capsys.readouterr().out)
    assert "已导入2名考生" in out and "已跳过3行" in out
    assert "第4行" in out and "第6行" in out and "第7行" in out and "像素数超过" in out
    assert rows[1]["身份证号"] not in out and rows[1]["身份证号"][:6] + "********" in out
    assert sorted(Candidate.objects.values_list("sheet_row", flat=True)) == [3, 5]
    assert main(["import", "candidates", str(path), "--round", "2026-12", "--skip-invalid", "--json"]) == 2
    assert "已在本批次导入过" in capsys.readouterr().out      # nothing left to import: still exit 2


def test_duplicates_across_two_imports_and_tickets_continue(tmp_path, data_root, round_2026, capsys):
    first = write_xlsx(tmp_path / "first.xlsx", [person(1), person(2)])
    assert main(["import", "candidates", str(first), "--round", "2026-12"]) == 0
    second = write_xlsx(tmp_path / "second.xlsx", [person(3), person(2)])
    capsys.readouterr()
    assert main(["import", "candidates", str(second), "--round", "2026-12"]) == ExitCode.BAD_INPUT
    assert "第4行【身份证号】" in _flat(capsys.readouterr().err)
    assert main(["import", "candidates", str(second), "--round", "2026-12", "--skip-invalid", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["groups"][0]["first_ticket"] == "202612DG40003" and report["skipped"][0]["row"] == 4
    assert Candidate.objects.count() == 3


def test_unknown_round_and_unsupported_file(tmp_path, data_root, capsys):
    path = write_xlsx(tmp_path / "c.xlsx", [person(1)])
    assert main(["import", "candidates", str(path), "--round", "2099-01"]) == ExitCode.NOT_FOUND
    assert "station rounds list" in capsys.readouterr().err
    old = tmp_path / "名单.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    from pipeline.catalog.services import round_add
    round_add(code="2026-12", name="x")
    assert main(["import", "candidates", str(old), "--round", "2026-12"]) == ExitCode.BAD_INPUT
    assert "另存为.xlsx" in _flat(capsys.readouterr().err)


def test_gb18030_csv_through_the_cli(tmp_path, data_root, round_2026, capsys):
    one = person(8, male=False)
    text = (f"序号,姓名,性别,身份证号,联系电话,职业,等级\r\n1,{one['姓名']},女,{one['身份证号']},{one['联系电话']},"
            "育婴员,四级\r\n")
    (tmp_path / "名单.csv").write_bytes(text.encode("gb18030"))
    assert main(["import", "candidates", str(tmp_path / "名单.csv"), "--round", "2026-12"]) == 0
    assert Candidate.objects.get().ticket_number == "202612YY40001"


def test_staff_and_rooms_of_the_example_station(example_dir, data_root, capsys):
    assert main(["import", "staff", str(example_dir / "staff.xlsx")]) == 0
    assert "新增22人" in _flat(capsys.readouterr().out)
    chief = Staff.objects.get(badge_number="DH-101")
    assert chief.roles == ["chief_examiner", "examiner"] and chief.occupations == ["电工"]
    assert set(Recusal.objects.values_list("staff__badge_number", "relation")) == {
        ("DH-101", "relative"), ("DH-102", "student"), ("DH-104", "apprentice"), ("DH-201", "relative")}
    assert main(["import", "staff", str(example_dir / "staff.xlsx")]) == 0        # again: update, no duplicates
    assert "22人无变化" in _flat(capsys.readouterr().out) and Recusal.objects.count() == 4
    assert main(["import", "rooms", str(example_dir / "rooms.xlsx")]) == 0
    assert "新增5个" in _flat(capsys.readouterr().out)
    assert Room.objects.get(code="SC03").workstations.count() == 12
    assert sorted(Room.objects.filter(kind="theory").values_list("capacity", flat=True)) == [60, 80]
    assert [e.action for e in AuditEntry.objects.all()] == ["staff.import", "staff.import", "rooms.import"]


def test_bad_staff_sheet_names_sheet_row_and_column(tmp_path, example_dir, data_root, capsys):
    from openpyxl import load_workbook

    book = load_workbook(example_dir / "staff.xlsx")
    book["工作人员"]["D3"] = "考评员、门卫"
    book["回避关系"]["D2"] = "朋友"
    book.save(tmp_path / "staff.xlsx")
    assert main(["import", "staff", str(tmp_path / "staff.xlsx")]) == ExitCode.BAD_INPUT
    err = _flat(capsys.readouterr().err)
    assert "工作表“工作人员”第3行【角色】" in err and "门卫" in err
    assert "工作表“回避关系”第2行【关系】" in err
    assert Staff.objects.count() == 0


def test_import_commands_are_documented():
    from pipeline.core.paths import REPO_ROOT
    from pipeline.exams.candidates import CANDIDATE_COLUMNS
    from pipeline.exams.staff import RECUSAL_COLUMNS, ROOM_COLUMNS, STAFF_COLUMNS

    readme = (REPO_ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    for column in (*CANDIDATE_COLUMNS, *STAFF_COLUMNS, *RECUSAL_COLUMNS, *ROOM_COLUMNS):
        for header in (column.header, *column.synonyms):
            assert header in readme, header
    guide = (REPO_ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    for command in ("station import candidates", "station import staff", "station import rooms", "--skip-invalid",
                    "准考证号"):
        assert command in guide


def test_staff_photo_column_puts_the_photo_on_the_badge(tmp_path, example_dir, data_root, capsys):
    import pypdfium2
    from openpyxl import load_workbook

    from pipeline.forms.service import forms_generate

    book = load_workbook(example_dir / "staff.xlsx")
    sheet = book["工作人员"]
    column = sheet.max_column + 1
    sheet.cell(1, column, "照片")
    sheet.cell(2, column, "photos/first.jpg")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "first.jpg").write_bytes(jpeg_bytes((480, 640), (200, 30, 30)))
    book.save(tmp_path / "staff.xlsx")
    assert main(["import", "staff", str(tmp_path / "staff.xlsx")]) == 0
    with_photo = Staff.objects.exclude(photo="")
    assert with_photo.count() == 1 and (data_root.photos / with_photo[0].photo).is_file()
    badge = with_photo[0].badge_number
    batch = forms_generate(form="badge", round_=None, subject=badge, out=tmp_path / "out", workers=1)
    pdf = pypdfium2.PdfDocument(batch.instances[0].pdf.read_bytes())
    image = pdf[0].render(scale=60 / 72).to_pil().convert("RGB")
    reds = sum(1 for r, g, b in image.get_flattened_data() if r > 150 and g < 90 and b < 90)
    assert reds > 200                                              # the red photo is on the card
