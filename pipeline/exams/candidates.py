"""Candidate sheets → validated candidate records, duplicate checks and ticket numbers.

Pure: no Django. Reads with the sheet tools of pipeline.exams.sheets (tables, columns, cell checks);
a problem names the row as Excel shows it and the column header as the sheet writes it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from pipeline.core.config import Occupation
from pipeline.core.domain import mask_id
from pipeline.core.errors import BadInput
from pipeline.exams.sheets import (
    Column,
    Parsed,
    Problem,
    Row,
    Table,
    check_birth_and_gender,
    check_flag,
    check_id,
    check_level,
    check_name,
    check_occupation,
    check_phone,
    parse_table,
)

CANDIDATE_COLUMNS = (
    Column("seq", "序号", ("编号",)),
    Column("name", "姓名", ("考生姓名", "学员姓名"), required=True),
    Column("gender", "性别"),
    Column("id_number", "身份证号", ("身份证号码", "证件号码", "公民身份号码", "身份证"), required=True),
    Column("birth_date", "出生日期", ("出生年月", "出生年月日")),
    Column("phone", "联系电话", ("手机", "电话", "手机号", "手机号码", "联系方式"), required=True),
    Column("occupation", "工种/职业", ("工种", "职业", "申报工种", "申报职业", "报考工种", "职业(工种)",
                                    "工种(职业)", "职业/工种"), required=True),
    Column("level", "等级", ("申报等级", "报考等级", "级别", "鉴定等级"), required=True),
    Column("class_name", "班级", ("所在班级",)),
    Column("employer", "工作单位", ("单位", "所在单位", "单位名称")),
    Column("education", "文化程度", ("学历",)),
    Column("address", "地址", ("家庭住址", "通讯地址", "联系地址")),
    Column("photo", "照片", ("照片文件", "相片", "照片文件名")),
    Column("is_retake", "是否补考", ("补考",)),
)


@dataclass(frozen=True)
class CandidateRecord:
    """A valid candidate row, before a ticket number is assigned."""

    row: int
    name: str
    id_number: str
    gender: str
    birth_date: dt.date
    phone: str
    occupation: str
    occupation_code: str
    level: int
    class_name: str = ""
    employer: str = ""
    education: str = ""
    address: str = ""
    photo: str = ""              # as written in the sheet, relative to the sheet's folder
    is_retake: bool = False


def _candidate(row: Row, occupations: Sequence[Occupation], seen: list) -> CandidateRecord | None:
    name = check_name(row)
    id_number = check_id(row)
    if id_number:
        seen.append((row.number, id_number.value, name))
    check_birth_and_gender(row, id_number)
    phone = check_phone(row)
    occupation = check_occupation(row, occupations)
    level = check_level(row, occupation)
    retake = check_flag(row, "is_retake")
    photo = row.get("photo")
    if "photo" in row.headers and not photo:
        row.problem("photo", "未填写照片文件名（相对于表格所在文件夹，如 photos/张三.jpg）。", "photo_missing")
    if row.problems or id_number is None or occupation is None or level is None:
        return None
    return CandidateRecord(row.number, name, id_number.value, id_number.gender, id_number.birth_date, phone,
                           occupation.name, occupation.code, level, row.get("class_name"), row.get("employer"),
                           row.get("education"), row.get("address"), photo, retake)


def _duplicates(seen: list[tuple[int, str, str]], existing: Mapping[str, str],
                id_header: str, sheet: str) -> list[Problem]:
    """(row, ID number, name) of every row with a well-formed ID, valid or not, against each other and the round."""
    problems, first = [], {}
    for row, id_number, name in seen:
        masked = mask_id(id_number)
        if id_number in existing:
            problems.append(Problem(row, id_header, f"{name}（{masked}）已在本批次导入过，准考证号 "
                                    f"{existing[id_number]}；请删除该行。", "duplicate_imported", sheet))
        elif id_number in first:
            problems.append(Problem(row, id_header, f"与第 {first[id_number]} 行的身份证号（{masked}）重复，"
                                    "同一考生在一个批次只能报名一次。", "duplicate_in_sheet", sheet))
        else:
            first[id_number] = row
    return problems


def parse_candidates(table: Table, *, occupations: Sequence[Occupation],
                     existing: Mapping[str, str] | None = None) -> Parsed:
    """Candidate records from a sheet; `existing` maps ID numbers already in the round to tickets."""
    table = replace(table, sheet="")      # one sheet is read: messages need no sheet name
    seen: list[tuple[int, str, str]] = []
    parsed = parse_table(table, CANDIDATE_COLUMNS, lambda row: _candidate(row, occupations, seen))
    id_header = parsed.headers.get("id_number", "身份证号")
    parsed.problems.extend(_duplicates(seen, existing or {}, id_header, table.sheet))
    parsed.problems.sort(key=lambda p: p.row)
    return parsed


def round_digits(code: str, fallback: int) -> str:
    """The digits of a round code ('2026-12' → '202612'); the round's number if it has none."""
    digits = re.sub(r"\D", "", code)
    return digits or f"{fallback:04d}"


def ticket_number(digits: str, occupation_code: str, level: int, seq: int) -> str:
    """准考证号: <round code digits><occupation code><level><4-digit sequence>, e.g. 202612DG40001."""
    return f"{digits}{occupation_code}{level}{seq:04d}"


def assign_tickets(records: Sequence[CandidateRecord], *, digits: str,
                   last_seq: Mapping[tuple[str, int], int]) -> list[tuple[CandidateRecord, str]]:
    """Ticket numbers in sheet order, continuing each occupation × level sequence of the round."""
    counters = dict(last_seq)
    numbered = []
    for record in records:
        key = (record.occupation_code, record.level)
        counters[key] = counters.get(key, 0) + 1
        if counters[key] > 9999:
            raise BadInput(f"{record.occupation}{record.level}级在本批次已超过 9999 人，准考证号的 4 位序号不够用。",
                           f"ticket sequence overflow for {key}", code="ticket_overflow")
        numbered.append((record, ticket_number(digits, record.occupation_code, record.level, counters[key])))
    return numbered
