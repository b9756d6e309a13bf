"""Test data for the results tests: candidates straight into the catalog, real score sheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

from pipeline.core.domain import id_check_digit

HEADERS = ("准考证号", "姓名", "身份证号", "理论成绩", "实操成绩", "缺考", "补考")

# name, gender, occupation, level — tickets are numbered in this order
PEOPLE = [
    ("张伟", "男", "电工", 4), ("王芳", "女", "电工", 4), ("李娜", "女", "电工", 4), ("刘洋", "男", "电工", 4),
    ("陈杰", "男", "电工", 3), ("杨静", "女", "电工", 3),
    ("赵磊", "男", "焊工", 5), ("黄勇", "男", "焊工", 5), ("周敏", "女", "焊工", 5),
    ("吴婷", "女", "育婴员", 4), ("徐丽", "女", "育婴员", 4), ("孙强", "男", "育婴员", 4),
]


def make_id(serial: int, gender: str, birth: dt.date = dt.date(1998, 3, 14)) -> str:
    """A valid GB 11643 ID number: the 17th digit odd for men, even for women."""
    seq = f"{serial % 100:02d}{(1 if gender == '男' else 2)}"
    first17 = f"3502{11 + serial // 100:02d}{birth:%Y%m%d}{seq}"
    return first17 + id_check_digit(first17)


def ticket(round_code: str, index: int) -> str:
    return f"{round_code.replace('-', '')}{index:04d}"


def add_candidates(round_, people=PEOPLE, start: int = 1, retake: set[int] = frozenset(), id_offset: int = 0):
    """Candidates straight into the catalog (the importer is another module's job)."""
    from pipeline.catalog.models import Candidate

    made = []
    for i, (name, gender, occupation, level) in enumerate(people, start=start):
        id_number = make_id(i + id_offset, gender)
        made.append(Candidate.objects.create(
            round=round_, name=name, id_number=id_number, gender=gender, birth_date=dt.date(1998, 3, 14),
            phone="13800000000", occupation=occupation, level=level, ticket_number=ticket(round_.code, i),
            is_retake=i in retake))
    return made


def write_xlsx(path: Path, rows: list[tuple], headers=HEADERS, title: str | None = None) -> Path:
    """A score sheet as an examiner would type it, optionally with a title row above the header."""
    book = Workbook()
    sheet = book.active
    sheet.title = "成绩"
    if title:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def good_rows(candidates) -> list[tuple]:
    """A complete plausible sheet: most pass, two fail a part, one absent from everything."""
    scores = {
        "张伟": (85, 90, ""), "王芳": (72.5, 58, ""), "李娜": (55, 80, ""), "刘洋": ("缺考", "缺考", ""),
        "陈杰": (66, 61, ""), "杨静": (90, 92, ""),
        "赵磊": (60, 60, ""), "黄勇": (61, "", "实操"), "周敏": (88, 79, ""),
        "吴婷": (77, 83, ""), "徐丽": (59.5, 70, ""), "孙强": (93, 95, ""),
    }
    return [(c.ticket_number, c.name, c.id_number, *scores[c.name], "否") for c in candidates]
