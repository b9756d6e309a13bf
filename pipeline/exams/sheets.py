"""Spreadsheet reading and the cell checks every sheet shares (names, ID numbers, phones, dates, levels).

Pure: no Django. The only I/O is `read_tables` (the sheet itself); photos are checked by
pipeline.exams.photos and databases by the import services. A problem names the row number as
Excel shows it and the column header as the sheet writes it. Staff, recusal and room sheets
are parsed by pipeline.exams.staff with the reading and cell checks defined here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.core.config import Occupation
from pipeline.core.domain import IdNumber, mask_id, normalise_id, parse_level
from pipeline.core.errors import BadInput
from pipeline.core.privacy import mask_personal, mask_phone

HEADER_SCAN_ROWS = 10
NAME_MAX = 20


class ImportRejected(BadInput):
    """A sheet with invalid rows: nothing was imported. `rows` holds the problems as data."""

    code = "import_rejected"

    def __init__(self, message_zh: str, detail: str, *, problems: list[Problem]) -> None:
        super().__init__(message_zh, detail, problems=[p.text for p in problems])
        self.rows = [p.as_dict() for p in problems]

    def as_dict(self) -> dict:
        """The JSON form, with each problem as data (row, column, code, message)."""
        return {**super().as_dict(), "rows": self.rows}


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Table:
    """One sheet: its header row and data rows, each with the row number Excel shows."""

    source: str                     # file name, for messages
    sheet: str                      # sheet title; "" for CSV
    rows: tuple[tuple[int, tuple], ...]


def _table_from_rows(source: str, sheet: str, numbered: Iterable[tuple[int, tuple]]) -> Table:
    kept = tuple((number, values) for number, values in numbered if any(_text(v) for v in values))
    return Table(source, sheet, kept)


def _decode_csv(data: bytes, name: str) -> str:
    """UTF-8 with or without BOM; else GB18030, as Excel in China saves 'CSV'."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInput(f"无法识别文件 {name} 的文字编码：请在 Excel 中另存为“CSV UTF-8”或“xlsx”后重试。",
                   f"{name}: neither UTF-8 nor GB18030", code="csv_encoding")


def _read_csv(path: Path) -> list[Table]:
    reader = csv.reader(io.StringIO(_decode_csv(path.read_bytes(), path.name), newline=""))
    numbered = []
    start = 1
    for values in reader:
        numbered.append((start, tuple(values)))
        start = reader.line_num + 1
    return [_table_from_rows(path.name, "", numbered)]


def _read_xlsx(path: Path) -> list[Table]:
    from openpyxl import load_workbook  # heavy import, only needed for .xlsx

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a broken file
        raise BadInput(f"无法打开表格 {path.name}：文件已损坏或不是 Excel 2007 以上的 .xlsx 文件。"
                       "请用 Excel/WPS 打开后另存为 .xlsx 再试。",
                       f"openpyxl could not read {path}: {exc!r}", code="xlsx_unreadable") from exc
    try:
        return [_table_from_rows(path.name, sheet.title, enumerate(sheet.iter_rows(values_only=True), 1))
                for sheet in book.worksheets]
    finally:
        book.close()


def read_tables(path: Path) -> list[Table]:
    """Every sheet of an .xlsx, or the one table of a .csv."""
    if not path.is_file():
        raise BadInput(f"找不到文件 {path}，请检查路径。", f"no such file {path}", code="file_missing")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise BadInput(f"不支持的文件类型 {path.name}：请提供 .xlsx 或 .csv 文件（.xls 请先另存为 .xlsx）。",
                   f"unsupported file type {suffix}", code="file_type")


# ---------------------------------------------------------------- problems and cells


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a sheet, at a row (as Excel numbers it) and a column header."""

    row: int
    column: str
    message: str
    code: str
    sheet: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", mask_personal(self.message))   # personal data never in reports

    @property
    def text(self) -> str:
        where = f"工作表“{self.sheet}”" if self.sheet else ""
        column = f"【{self.column}】" if self.column else ""
        return f"{where}第 {self.row} 行{column}：{self.message}"

    def as_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def _text(value: object) -> str:
    """A cell as trimmed text; whole-number floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


@dataclass(frozen=True)
class Column:
    """A field of a record and the headers a station's sheet may give it."""

    field: str
    header: str
    synonyms: tuple[str, ...] = ()
    required: bool = False


def _norm_header(text: object) -> str:
    table = str.maketrans({"（": "(", "）": ")", "／": "/", "*": None, "＊": None, "※": None})
    return re.sub(r"\s+", "", _text(text)).translate(table)


@dataclass
class Row:
    """One data row with its cells looked up by field, and the problems found in it."""

    number: int
    cells: dict[str, object]
    headers: dict[str, str]
    sheet: str
    problems: list[Problem] = field(default_factory=list)

    def get(self, name: str) -> str:
        return _text(self.cells.get(name))

    def raw(self, name: str) -> object:
        return self.cells.get(name)

    def problem(self, name: str, message: str, code: str) -> None:
        """Record a problem in this row's column for field `name`."""
        self.problems.append(Problem(self.number, self.headers.get(name, name), message, code, self.sheet))


@dataclass
class Layout:
    """Where the header is and which column holds which field."""

    header_row: int
    index: dict[str, int]           # field → column position
    headers: dict[str, str]         # field → header text as written
    ignored: list[str]


def _match_headers(values: tuple, lookup: dict[str, str]) -> dict[int, str]:
    return {pos: lookup[_norm_header(v)] for pos, v in enumerate(values) if _norm_header(v) in lookup}


def find_layout(table: Table, columns: Sequence[Column]) -> tuple[Layout | None, list[Problem]]:
    """The header row among the first rows, and which required columns are missing."""
    lookup = {_norm_header(name): c.field for c in columns for name in (c.header, *c.synonyms)}
    for number, values in table.rows[:HEADER_SCAN_ROWS]:
        matched = _match_headers(values, lookup)
        if len(set(matched.values())) >= 2:
            return _layout(table, number, values, matched, columns)
    names = "、".join(f"“{c.header}”" for c in columns if c.required)
    return None, [Problem(1, "", f"找不到表头：前 {HEADER_SCAN_ROWS} 行中没有 {names} 等列名，"
                                 "请确认选择了正确的表格文件。", "header_missing", table.sheet)]


def _layout(table: Table, number: int, values: tuple, matched: dict[int, str],
            columns: Sequence[Column]) -> tuple[Layout, list[Problem]]:
    problems, index, headers = [], {}, {}
    for pos, name in matched.items():
        if name in index:
            problems.append(Problem(number, _text(values[pos]), f"与“{headers[name]}”是同一项，请删除其中一列。",
                                    "column_twice", table.sheet))
            continue
        index[name], headers[name] = pos, _text(values[pos])
    for column in columns:
        if column.required and column.field not in index:
            also = f"（也可写作：{'、'.join(column.synonyms)}）" if column.synonyms else ""
            problems.append(Problem(number, column.header, f"缺少必填列“{column.header}”{also}。",
                                    "column_missing", table.sheet))
    ignored = [_text(v) for pos, v in enumerate(values) if pos not in matched and _text(v)]
    return Layout(number, index, headers, ignored), problems


def data_rows(table: Table, layout: Layout) -> list[Row]:
    """The rows below the header, cells keyed by field."""
    rows = []
    for number, values in table.rows:
        if number <= layout.header_row:
            continue
        cells = {name: values[pos] if pos < len(values) else None for name, pos in layout.index.items()}
        if not any(_text(v) for name, v in cells.items() if name != "seq"):
            continue        # a row with only 序号 filled in is a blank line of the template
        rows.append(Row(number, cells, layout.headers, table.sheet))
    return rows


# ---------------------------------------------------------------- field checks

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
_NAME = re.compile(rf"^{_HAN}+(·{_HAN}+)*$")
_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", "．": "·", ".": "·"})
_YES = {"是", "y", "yes", "1", "√", "✓", "补考", "true"}
_NO = {"", "否", "n", "no", "0", "×", "x", "false", "-", "—"}


def normalise_name(text: str) -> str:
    """Remove alignment spaces ("张  三") and unify the middle dot of minority names."""
    return re.sub(r"\s+", "", text).translate(_DOTS)


def check_name(row: Row, name: str = "name") -> str:
    """A Chinese name, ≤ 20 characters, with · between parts of minority names."""
    value = normalise_name(row.get(name))
    if not value:
        row.problem(name, "姓名不能为空。", "name_missing")
    elif len(value) > NAME_MAX:
        row.problem(name, f"姓名“{value}”有 {len(value)} 个字，超过 {NAME_MAX} 个字的上限。", "name_too_long")
    elif len(value) < 2 or not _NAME.match(value):
        row.problem(name, f"姓名“{value}”应为 2 个以上汉字，少数民族姓名各部分之间用“·”分隔。", "name_invalid")
    return value


def normalise_phone(text: str) -> str:
    """Drop spaces, brackets around the area code and a +86 prefix."""
    value = re.sub(r"[\s()（）]", "", text).replace("—", "-").replace("－", "-")
    if value.startswith("+86"):
        value = value[3:].lstrip("-")
    digits = value.replace("-", "")
    return digits if _MOBILE.match(digits) else value


def check_phone(row: Row, name: str = "phone", required: bool = True) -> str:
    """An 11-digit mobile (1[3-9]…) or a landline with its area code (0592-1234567)."""
    text = row.get(name)
    if not text:
        if required:
            row.problem(name, "联系电话不能为空。", "phone_missing")
        return ""
    value = normalise_phone(text)
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        row.problem(name, f"电话“{mask_phone(text)}”（{len(text)} 位）格式不对："
                          "手机号应为 11 位（1 开头，第二位 3–9），"
                          "固定电话要带区号（如 0592-1234567）。", "phone_invalid")
    return value


def check_id(row: Row, name: str = "id_number", required: bool = True) -> IdNumber | None:
    """A GB 11643 ID number; a number Excel rounded to 15 digits is explained as such."""
    raw = row.raw(name)
    if isinstance(raw, float) and (not raw.is_integer() or raw >= 1e15):
        row.problem(name, "身份证号被 Excel 存成了数字，末几位已丢失：请把该列设置为“文本”格式后重新录入。",
                    "id_as_number")
        return None
    text = normalise_id(_text(raw))
    if not text:
        if required:
            row.problem(name, "身份证号不能为空。", "id_missing")
        return None
    try:
        return IdNumber.parse(text)
    except ValueError as exc:
        row.problem(name, masked_reason(text, exc), "id_invalid")
        return None


def masked_reason(text: str, exc: ValueError) -> str:
    """IdNumber's reason with the number itself masked (personal data stays out of reports)."""
    return str(exc).replace(f"“{text}”", f"“{mask_id(text)}”（{len(text)} 位）")


_DATE_PATTERNS = (r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$", r"^(\d{4})(\d{2})(\d{2})$",
                  r"^(\d{4})[-/.年](\d{1,2})月?$", r"^(\d{4})(\d{2})$")


def parse_birth(value: object) -> tuple[int, int, int | None] | None:
    """(year, month, day) from a date cell or text like 1990-01-02, 1990年1月2日, 1990.01; day None if absent."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year, value.month, value.day
    text = _text(value)
    for pattern in _DATE_PATTERNS:
        match = re.match(pattern, text)
        if match:
            parts = [int(p) for p in match.groups()]
            return parts[0], parts[1], parts[2] if len(parts) == 3 else None
    return None


def check_birth_and_gender(row: Row, id_number: IdNumber | None) -> None:
    """出生日期 and 性别, when given, must agree with the ID number."""
    birth_text, gender = row.get("birth_date"), row.get("gender").replace("性", "")
    if birth_text:
        birth = parse_birth(row.raw("birth_date"))
        if birth is None:
            row.problem("birth_date", f"出生日期“{birth_text}”无法识别，请写成 1990-01-02。", "birth_invalid")
        elif id_number:
            expected = id_number.birth_date
            if birth[:2] != (expected.year, expected.month) or birth[2] not in (None, expected.day):
                row.problem("birth_date", f"出生日期 {birth_text} 与身份证号中的 {expected.isoformat()} 不一致。",
                            "birth_mismatch")
    if gender and gender not in ("男", "女"):
        row.problem("gender", f"性别“{row.get('gender')}”应为“男”或“女”。", "gender_invalid")
    elif gender and id_number and gender != id_number.gender:
        row.problem("gender", f"性别“{gender}”与身份证号（第17位表示{id_number.gender}性）不一致。",
                    "gender_mismatch")


def check_occupation(row: Row, occupations: Sequence[Occupation], name: str = "occupation") -> Occupation | None:
    """An occupation configured in config/occupations.toml."""
    value = re.sub(r"\s+", "", row.get(name))
    found = next((o for o in occupations if o.name == value), None)
    if found is None:
        allowed = "、".join(o.name for o in occupations)
        what = f"“{value}”不是" if value else "未填写"
        row.problem(name, f"工种{what}本站开展的工种（config/occupations.toml：{allowed}）。", "occupation_unknown")
    return found


def check_level(row: Row, occupation: Occupation | None) -> int | None:
    """A level 一级…五级 that the occupation is appraised at."""
    text = row.get("level")
    level = parse_level(text)
    if level is None:
        row.problem("level", f"等级“{text}”无法识别，请写“四级”“五级”或“中级工”等。", "level_invalid")
    elif occupation and level not in occupation.levels:
        allowed = "、".join(f"{n}级" for n in occupation.levels)
        row.problem("level", f"{occupation.name}不开展{text}鉴定（可选：{allowed}）。", "level_not_offered")
    return level


def check_flag(row: Row, name: str) -> bool:
    """是/否 style yes-no cell."""
    text = row.get(name).lower()
    if text in _YES:
        return True
    if text not in _NO:
        row.problem(name, f"“{row.get(name)}”应填“是”或“否”。", "flag_invalid")
    return False


def split_list(text: str) -> list[str]:
    """'考评员、考评组长' / 'a,b；c' → ['考评员', '考评组长'] ..."""
    return [part for part in re.split(r"[、,，;；/\s]+", text) if part]


# ---------------------------------------------------------------- parse results


@dataclass
class Parsed:
    """Records from a sheet with every problem found; `source` names the file."""

    source: str
    records: list
    problems: list[Problem]
    ignored_headers: list[str] = field(default_factory=list)
    rows_seen: int = 0
    headers: dict[str, str] = field(default_factory=dict)     # field → header as written
    recusals: list = field(default_factory=list)              # staff: rows of the 回避关系 sheet
    labels: dict[int, str] = field(default_factory=dict)      # row → "张三（350203********1234）"
    cells: dict[int, dict] = field(default_factory=dict)      # row → raw cells, for checks done elsewhere

    @property
    def bad_rows(self) -> set[int]:
        return {p.row for p in self.problems}

    def valid(self) -> list:
        """The records of rows with no problem."""
        bad = self.bad_rows
        return [r for r in self.records if r.row not in bad]


def parse_table(table: Table, columns: Sequence[Column], parse_row: Callable[[Row], object]) -> Parsed:
    """Find the header, then parse each row; collect every problem."""
    layout, problems = find_layout(table, columns)
    if layout is None or any(p.code in ("column_missing", "column_twice") for p in problems):
        return Parsed(table.source, [], problems, layout.ignored if layout else [])
    records, rows = [], data_rows(table, layout)
    for row in rows:
        record = parse_row(row)
        problems.extend(row.problems)
        if record is not None:
            records.append(record)
    return Parsed(table.source, records, problems, layout.ignored, len(rows), dict(layout.headers),
                  labels={row.number: row_label(row) for row in rows},
                  cells={row.number: {k: row.get(k) for k in row.cells} for row in rows})


def row_label(row: Row) -> str:
    """'张三（350203********1234）' — who a row is about, with the ID number masked."""
    name, id_text = normalise_name(row.get("name")), normalise_id(row.get("id_number"))
    return f"{name}（{mask_id(id_text)}）" if id_text else name
