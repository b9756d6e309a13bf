"""Row validation of candidate, staff and room sheets (pure: real files, no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from pipeline.core.config import load_config
from pipeline.exams.candidates import assign_tickets, parse_candidates
from pipeline.exams.sheets import read_tables
from pipeline.exams.staff import parse_rooms, parse_staff, parse_workstations
from tests.roster.conftest import person, write_xlsx

OCCUPATIONS = load_config().occupations
ROLES = {"站长": "station_head", "考评员": "examiner", "考评组长": "chief_examiner", "监考": "invigilator",
         "档案管理员": "archivist"}


def _codes(parsed) -> set[tuple[int, str, str]]:
    return {(p.row, p.column, p.code) for p in parsed.problems}


def test_every_kind_of_bad_row_is_reported_at_once_with_row_and_column(tmp_path):
    good = person(1)
    bad_check = person(2)
    bad_check["身份证号"] = bad_check["身份证号"][:17] + ("0" if bad_check["身份证号"][17] != "0" else "1")
    rows = [
        good,                                                                 # row 3
        bad_check,                                                            # row 4
        person(3, 出生日期=dt.date(1971, 5, 5)),                               # row 5
        person(4, 性别="女"),                                                  # row 6
        person(5, 姓名=""),                                                    # row 7
        person(6, 联系电话="12345"),                                            # row 8
        person(7, 联系电话="5551234"),                                          # row 9: landline without area code
        person(8, **{"工种/职业": "厨师"}),                                     # row 10
        person(9, **{"工种/职业": "焊工", "等级": "一级"}),                      # row 11
        person(10, 身份证号=good["身份证号"], 出生日期=good["出生日期"]),           # row 12: same ID as row 3
        person(11, 姓名="欧阳" * 11),                                           # row 13: 22 characters
        person(12, 姓名="Tom Lee"),                                            # row 14
        person(13, 身份证号=350203199001011234.0),                              # row 15: Excel rounded it
        person(14, 是否补考="也许"),                                             # row 16
        person(15, 出生日期="九零年"),                                           # row 17
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    parsed = parse_candidates(read_tables(path)[0], occupations=OCCUPATIONS)
    assert _codes(parsed) == {
        (4, "身份证号", "id_invalid"), (5, "出生日期", "birth_mismatch"), (6, "性别", "gender_mismatch"),
        (7, "姓名", "name_missing"), (8, "联系电话", "phone_invalid"), (9, "联系电话", "phone_invalid"),
        (10, "工种/职业", "occupation_unknown"), (11, "等级", "level_not_offered"),
        (12, "身份证号", "duplicate_in_sheet"), (13, "姓名", "name_too_long"), (14, "姓名", "name_invalid"),
        (15, "身份证号", "id_as_number"), (16, "是否补考", "flag_invalid"), (17, "出生日期", "birth_invalid"),
    }
    texts = {p.row: p.text for p in parsed.problems}
    assert texts[4].startswith("第 4 行【身份证号】：身份证号校验位错误")
    assert "与第 3 行的身份证号" in texts[12]
    assert "区号" in texts[9] and "厨师" in texts[10] and "文本" in texts[15]
    assert good["身份证号"] not in " ".join(texts.values())      # ID numbers are masked in messages
    assert [r.row for r in parsed.valid()] == [3]


def test_header_row_is_found_below_a_title_and_synonyms_are_accepted(tmp_path):
    headers = ["序号", "姓名", "性别", "身份证号码", "出生年月", "手机", "申报工种", "申报等级", "备注"]
    rows = [{**person(1), "身份证号码": person(1)["身份证号"], "出生年月": person(1)["出生日期"].strftime("%Y.%m"),
             "手机": "138 0013 8000", "申报工种": "电工", "申报等级": "4", "备注": "x"}]
    path = write_xlsx(tmp_path / "synonyms.xlsx", rows, headers=headers, title="2026年 报名表")
    parsed = parse_candidates(read_tables(path)[0], occupations=OCCUPATIONS)
    assert parsed.problems == []
    [record] = parsed.records
    assert (record.row, record.phone, record.level, record.occupation_code) == (3, "13800138000", 4, "DG")
    assert parsed.ignored_headers == ["备注"]


def test_missing_required_column_names_it_and_its_synonyms(tmp_path):
    path = write_xlsx(tmp_path / "nophone.xlsx", [person(1)], headers=["姓名", "身份证号", "工种/职业", "等级"])
    parsed = parse_candidates(read_tables(path)[0], occupations=OCCUPATIONS)
    [problem] = parsed.problems
    assert problem.code == "column_missing" and problem.row == 2 and "手机" in problem.message
    assert parsed.records == []


def test_blank_rows_keep_excel_row_numbers(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "联系电话", "工种/职业", "等级"])
    one, two = person(1), person(2, 联系电话="abc")
    sheet.append([one["姓名"], one["身份证号"], one["联系电话"], "电工", "四级"])
    sheet.append([])
    sheet.append([None, None, None, None, None])
    sheet.append([two["姓名"], two["身份证号"], two["联系电话"], "电工", "四级"])
    book.save(tmp_path / "gaps.xlsx")
    parsed = parse_candidates(read_tables(tmp_path / "gaps.xlsx")[0], occupations=OCCUPATIONS)
    assert [(p.row, p.code) for p in parsed.problems] == [(5, "phone_invalid")]
    assert [r.row for r in parsed.records] == [2]


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_gb18030_or_utf8_with_or_without_bom(tmp_path, encoding):
    row = person(5)
    # 𠮷 exists only in GB18030's four-byte range, not in GBK.
    text = ("姓名,身份证号,性别,联系电话,工种/职业,等级\r\n"
            f"𠮷·雪莲,{row['身份证号']},{row['性别']},0592-5551234,电工,四级\r\n"
            f"\"林 秀英\",{person(6)['身份证号']},男,13912345678,焊工,五级\r\n")
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode(encoding))
    parsed = parse_candidates(read_tables(path)[0], occupations=OCCUPATIONS)
    assert parsed.problems == []
    assert [(r.row, r.name, r.phone) for r in parsed.records] == [(2, "𠮷·雪莲", "0592-5551234"),
                                                                  (3, "林秀英", "13912345678")]


def test_duplicates_against_what_the_round_already_holds():
    from pipeline.exams.sheets import Table

    row = person(1)
    table = Table("x.csv", "", ((1, ("姓名", "身份证号", "联系电话", "工种/职业", "等级")),
                                (2, (row["姓名"], row["身份证号"], row["联系电话"], "电工", "四级"))))
    parsed = parse_candidates(table, occupations=OCCUPATIONS, existing={row["身份证号"]: "202612DG40007"})
    [problem] = parsed.problems
    assert problem.code == "duplicate_imported" and "202612DG40007" in problem.message


def test_tickets_continue_each_occupation_level_sequence():
    from pipeline.exams.candidates import CandidateRecord

    def record(row, code, level):
        return CandidateRecord(row, "张三", "x", "男", dt.date(2000, 1, 1), "13800138000", "电工", code, level)

    numbered = assign_tickets([record(2, "DG", 4), record(3, "HG", 5), record(4, "DG", 4)], digits="202612",
                              last_seq={("DG", 4): 7})
    assert [ticket for _, ticket in numbered] == ["202612DG40008", "202612HG50001", "202612DG40009"]


def test_staff_roles_recusals_and_examiner_requirements(tmp_path):
    from tests.roster.conftest import make_example

    headers = make_example.STAFF_HEADERS
    candidate = person(30)["身份证号"]
    rows = [{"姓名": "王建国", "胸卡编号": "DH-001", "角色": "站长"},
            {"姓名": "张卫东", "胸卡编号": "DH-101", "角色": "考评组长、考评员", "考评工种": "电工",
             "考评员证号": "KP-1", "回避考生身份证号": candidate, "回避关系": "师生"},
            {"姓名": "李海峰", "胸卡编号": "DH-102", "角色": "考评员"},                      # row 4: no cert, no occupation
            {"姓名": "洪振宇", "胸卡编号": "DH-101", "角色": "监考，保安"},                   # row 5: dup badge, bad role
            {"姓名": "叶晓燕", "胸卡编号": "DH-202", "角色": "监考", "回避考生身份证号": candidate,
             "回避关系": "同学"}]                                                          # row 6
    recusals = [{"工作人员胸卡编号": "DH-999", "考生姓名": "某某", "考生身份证号": candidate, "关系": "亲属"}]
    write_xlsx(tmp_path / "staff.xlsx", rows, headers=headers, title="", sheet="工作人员",
               extra={"回避关系": (make_example.RECUSAL_HEADERS, recusals)})
    parsed = parse_staff(read_tables(tmp_path / "staff.xlsx"), occupations=OCCUPATIONS, roles=ROLES)
    assert _codes(parsed) == {(4, "考评工种", "examiner_occupation_missing"),
                              (4, "考评员证号", "certificate_missing"), (5, "角色", "role_unknown"),
                              (6, "回避关系", "relation_invalid"), (2, "工作人员胸卡编号", "badge_unknown")}
    assert "保安" in next(p.text for p in parsed.problems if p.code == "role_unknown")
    assert any(p.text.startswith("工作表“回避关系”第 2 行") for p in parsed.problems)
    chief = next(r for r in parsed.records if r.badge == "DH-101")
    assert chief.roles == ("chief_examiner", "examiner")
    assert [(r.candidate_id_number, r.relation) for r in chief.recusals] == [(candidate, "student")]


def test_rooms_workstations_capacity_and_kind(tmp_path):
    from tests.roster.conftest import make_example

    rows = [*make_example.ROOMS,
            {"考场编号": "SC09", "考场名称": "坏工位", "类型": "实操", "容量": 5, "工位": "A01-B05"},   # row 7
            {"考场编号": "SC10", "考场名称": "超员", "类型": "实操", "容量": 30, "工位": "10"},       # row 8
            {"考场编号": "LL01", "考场名称": "重复", "类型": "理论", "容量": 30},                  # row 9
            {"考场编号": "X1", "考场名称": "操场", "类型": "室外", "容量": "很多"}]                  # row 10
    path = write_xlsx(tmp_path / "rooms.xlsx", rows, headers=make_example.ROOM_HEADERS, title="")
    parsed = parse_rooms(read_tables(path)[0], occupations=OCCUPATIONS)
    assert _codes(parsed) == {(7, "工位", "workstations_invalid"), (8, "容量", "capacity_exceeds_workstations"),
                              (9, "考场编号", "room_duplicate"), (10, "类型", "room_kind_invalid"),
                              (10, "容量", "capacity_invalid")}
    electric = next(r for r in parsed.records if r.code == "SC01")
    assert (electric.kind, electric.capacity, electric.workstations[0], electric.workstations[-1]) == (
        "practical", 20, "A01", "A20")


def test_workstation_specs():
    assert parse_workstations("3") == ["01", "02", "03"]
    assert parse_workstations("A8-A10、b1～b2") == ["A08", "A09", "A10", "B1", "B2"]
    with pytest.raises(ValueError, match="重复"):
        parse_workstations("A1-A3,A2")
