"""Staff, recusal and room sheets → validated records, or every problem at once.

Pure: no Django. The reading, cell checks and result types are pipeline.exams.sheets'; this module
adds the columns and row rules of the 工作人员 (with its 回避关系 sheet) and 考场 sheets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from pipeline.core.config import Occupation
from pipeline.core.domain import IdNumber, normalise_id
from pipeline.exams.sheets import (
    Column,
    Parsed,
    Problem,
    Row,
    Table,
    check_id,
    check_name,
    check_phone,
    masked_reason,
    normalise_name,
    parse_table,
    split_list,
)

# ---------------------------------------------------------------- staff and recusals

STAFF_COLUMNS = (
    Column("seq", "序号"),
    Column("name", "姓名", required=True),
    Column("badge", "胸卡编号", ("胸卡号", "胸卡", "工作证号"), required=True),
    Column("roles", "角色", ("岗位", "职务", "工作岗位"), required=True),
    Column("id_number", "身份证号", ("身份证号码", "证件号码")),
    Column("phone", "联系电话", ("手机", "电话", "手机号")),
    Column("occupations", "考评工种", ("考评职业", "工种")),
    Column("certificate", "考评员证号", ("考评员资格证号", "考评员证书编号", "资格证号")),
    Column("recusal_ids", "回避考生身份证号", ("回避考生",)),
    Column("recusal_relation", "回避关系"),
    Column("photo", "照片", ("证件照", "照片文件")),     # optional: printed on the badge
)
RECUSAL_SHEET = "回避关系"
RECUSAL_COLUMNS = (
    Column("badge", "工作人员胸卡编号", ("胸卡编号", "胸卡号"), required=True),
    Column("candidate_name", "考生姓名", ("姓名",)),
    Column("id_number", "考生身份证号", ("身份证号", "身份证号码"), required=True),
    Column("relation", "关系", ("回避关系",), required=True),
)
RELATIONS = {"亲属": "relative", "师生": "student", "师徒": "apprentice"}
ROLE_SYNONYMS = {"考评组长": "chief_examiner", "考评员组长": "chief_examiner", "组长": "chief_examiner",
                 "监考员": "invigilator", "监考人员": "invigilator", "监考老师": "invigilator",
                 "考务": "exam_affairs", "考务员": "exam_affairs", "保密员": "paper_custodian",
                 "试卷保密员": "paper_custodian", "档案员": "archivist", "计分员": "score_clerk",
                 "监销员": "witness", "主任": "office_head", "鉴定站站长": "station_head"}
EXAMINER_ROLES = {"examiner", "chief_examiner"}


@dataclass(frozen=True)
class RecusalRecord:
    """A staff member (by badge) must not examine this candidate."""

    row: int
    badge: str
    candidate_id_number: str
    candidate_name: str
    relation: str
    sheet: str = ""


@dataclass(frozen=True)
class StaffRecord:
    """A valid staff row."""

    row: int
    name: str
    badge: str
    roles: tuple[str, ...]
    id_number: str
    phone: str
    occupations: tuple[str, ...]
    certificate: str
    recusals: tuple[RecusalRecord, ...] = ()


def parse_roles(row: Row, roles: Mapping[str, str]) -> tuple[str, ...]:
    """Role codes from Chinese labels (or codes), several separated by 、 or ,."""
    found = []
    for part in split_list(row.get("roles")):
        code = roles.get(part) or ROLE_SYNONYMS.get(part) or (part if part in roles.values() else None)
        if code is None:
            row.problem("roles", f"角色“{part}”不存在，可用：{'、'.join(roles)}。", "role_unknown")
        elif code not in found:
            found.append(code)
    if not found and not row.problems:
        row.problem("roles", "请至少填写一个角色。", "role_missing")
    return tuple(found)


def _relation(row: Row, name: str) -> str:
    value = row.get(name)
    if value not in RELATIONS:
        row.problem(name, f"回避关系“{value}”应为 亲属、师生 或 师徒。", "relation_invalid")
        return ""
    return RELATIONS[value]


def _inline_recusals(row: Row, badge: str) -> tuple[RecusalRecord, ...]:
    ids = split_list(row.get("recusal_ids"))
    if not ids:
        return ()
    relation = _relation(row, "recusal_relation")
    found = []
    for text in map(normalise_id, ids):
        try:
            found.append(RecusalRecord(row.number, badge, IdNumber.parse(text).value, "", relation, row.sheet))
        except ValueError as exc:
            row.problem("recusal_ids", masked_reason(text, exc), "id_invalid")
    return tuple(found)


def _staff(row: Row, occupations: Sequence[Occupation], roles: Mapping[str, str]) -> StaffRecord | None:
    name = check_name(row)
    badge = re.sub(r"\s+", "", row.get("badge"))
    if not badge:
        row.problem("badge", "胸卡编号不能为空（第十条：胸卡统一编号）。", "badge_missing")
    role_codes = parse_roles(row, roles)
    id_number = check_id(row, required=False)
    phone = check_phone(row, required=False)
    names = split_list(row.get("occupations"))
    for occupation in names:
        if not any(o.name == occupation for o in occupations):
            row.problem("occupations", f"考评工种“{occupation}”不是本站开展的工种。", "occupation_unknown")
    if EXAMINER_ROLES & set(role_codes):
        if not names:
            row.problem("occupations", "考评员须填写考评工种。", "examiner_occupation_missing")
        if not row.get("certificate"):
            row.problem("certificate", "考评员须填写考评员资格证号（第十条）。", "certificate_missing")
    recusals = _inline_recusals(row, badge)
    if row.problems:
        return None
    return StaffRecord(row.number, name, badge, role_codes, id_number.value if id_number else "", phone,
                       tuple(names), row.get("certificate"), recusals)


def _recusal(row: Row) -> RecusalRecord | None:
    badge = re.sub(r"\s+", "", row.get("badge"))
    if not badge:
        row.problem("badge", "工作人员胸卡编号不能为空。", "badge_missing")
    id_number = check_id(row)
    relation = _relation(row, "relation")
    name = normalise_name(row.get("candidate_name"))
    if row.problems or id_number is None:
        return None
    return RecusalRecord(row.number, badge, id_number.value, name, relation, row.sheet)


def parse_staff(tables: Sequence[Table], *, occupations: Sequence[Occupation], roles: Mapping[str, str],
                known_badges: Iterable[str] = ()) -> Parsed:
    """Staff records from the first sheet and recusals from it and from a sheet named 回避关系."""
    main = next((t for t in tables if t.sheet != RECUSAL_SHEET), tables[0])
    badges = set(known_badges)

    def staff_row(row: Row) -> StaffRecord | None:
        badges.add(re.sub(r"\s+", "", row.get("badge")))
        return _staff(row, occupations, roles)

    parsed = parse_table(main, STAFF_COLUMNS, staff_row)
    parsed.problems.extend(_badge_duplicates(parsed.records, main.sheet, parsed.headers.get("badge", "胸卡编号")))
    recusal_table = next((t for t in tables if t.sheet == RECUSAL_SHEET), None)
    if recusal_table is not None:
        extra = parse_table(recusal_table, RECUSAL_COLUMNS, _recusal)
        column = extra.headers.get("badge", "工作人员胸卡编号")
        parsed.problems.extend(extra.problems)
        parsed.problems.extend(Problem(r.row, column, f"胸卡编号“{r.badge}”不在工作人员名单中。", "badge_unknown",
                                       r.sheet) for r in extra.records if r.badge not in badges)
        parsed.recusals = extra.records
    return parsed


def _badge_duplicates(records: list, sheet: str, column: str) -> list[Problem]:
    first, problems = {}, []
    for record in records:
        if record.badge in first:
            problems.append(Problem(record.row, column, f"胸卡编号“{record.badge}”与第 {first[record.badge]} 行重复。",
                                    "badge_duplicate", sheet))
        first.setdefault(record.badge, record.row)
    return problems


# ---------------------------------------------------------------- rooms

ROOM_COLUMNS = (
    Column("seq", "序号"),
    Column("code", "考场编号", ("考场号", "编号"), required=True),
    Column("name", "考场名称", ("名称", "考场"), required=True),
    Column("kind", "类型", ("考场类型", "考核类型"), required=True),
    Column("capacity", "容量", ("座位数", "人数")),
    Column("location", "地点", ("位置", "考场地点")),
    Column("occupations", "适用工种", ("工种",)),
    Column("workstations", "工位", ("工位号", "工位数")),
)
ROOM_KINDS = {"理论": "theory", "理论考场": "theory", "实操": "practical", "实操考场": "practical",
              "技能": "practical", "theory": "theory", "practical": "practical"}


@dataclass(frozen=True)
class RoomRecord:
    """A valid room row with its workstation numbers."""

    row: int
    code: str
    name: str
    kind: str
    capacity: int
    location: str
    occupations: tuple[str, ...]
    workstations: tuple[str, ...]


def parse_workstations(text: str) -> list[str]:
    """'A01-A20' → A01…A20; '16' → 01…16; 'B07' → B07; several separated by , or 、."""
    numbers: list[str] = []
    for part in split_list(text):
        if part.isdigit():
            numbers.extend(f"{n:02d}" for n in range(1, int(part) + 1))
            continue
        if re.match(r"^[A-Za-z]+\d+$", part):
            numbers.append(part.upper())      # one workstation, e.g. B07
            continue
        match = re.match(r"^([A-Za-z]*)(\d+)[-–—~～至]([A-Za-z]*)(\d+)$", part)
        if not match or match[1].upper() != (match[3] or match[1]).upper() or int(match[2]) > int(match[4]):
            raise ValueError(f"工位“{part}”无法识别，请写成“A01-A20”或工位数量“20”。")
        width = max(len(match[2]), len(match[4]))
        numbers.extend(f"{match[1].upper()}{n:0{width}d}" for n in range(int(match[2]), int(match[4]) + 1))
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"工位“{text}”中有重复的工位号。")
    return numbers


def _capacity(row: Row, workstations: list[str]) -> int:
    text = row.get("capacity")
    if not text:
        if not workstations:
            row.problem("capacity", "请填写容量（或工位）。", "capacity_missing")
        return len(workstations)
    if not text.isdigit() or int(text) < 1:
        row.problem("capacity", f"容量“{text}”应为正整数。", "capacity_invalid")
        return 0
    if workstations and int(text) > len(workstations):
        row.problem("capacity", f"容量 {text} 大于工位数 {len(workstations)}。", "capacity_exceeds_workstations")
    return int(text)


def _room(row: Row, occupations: Sequence[Occupation]) -> RoomRecord | None:
    code, name = re.sub(r"\s+", "", row.get("code")), row.get("name")
    if not code:
        row.problem("code", "考场编号不能为空。", "room_code_missing")
    if not name:
        row.problem("name", "考场名称不能为空。", "room_name_missing")
    kind = ROOM_KINDS.get(row.get("kind"))
    if kind is None:
        row.problem("kind", f"类型“{row.get('kind')}”应为“理论”或“实操”。", "room_kind_invalid")
    try:
        workstations = parse_workstations(row.get("workstations"))
    except ValueError as exc:
        row.problem("workstations", str(exc), "workstations_invalid")
        workstations = []
    capacity = _capacity(row, workstations)
    names = split_list(row.get("occupations"))
    for occupation in names:
        if not any(o.name == occupation for o in occupations):
            row.problem("occupations", f"适用工种“{occupation}”不是本站开展的工种。", "occupation_unknown")
    if row.problems:
        return None
    return RoomRecord(row.number, code, name, kind, capacity, row.get("location"), tuple(names), tuple(workstations))


def parse_rooms(table: Table, *, occupations: Sequence[Occupation]) -> Parsed:
    """Room records from a sheet; duplicate 考场编号 are problems."""
    table = replace(table, sheet="")
    parsed = parse_table(table, ROOM_COLUMNS, lambda row: _room(row, occupations))
    first: dict[str, int] = {}
    for record in parsed.records:
        if record.code in first:
            parsed.problems.append(Problem(record.row, "考场编号", f"考场编号“{record.code}”与第 "
                                           f"{first[record.code]} 行重复。", "room_duplicate", table.sheet))
        first.setdefault(record.code, record.row)
    return parsed
