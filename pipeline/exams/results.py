"""Score sheets → validated results, pass rules and statistics by occupation × level.

Pure except `read_sheet` (the thin shell that reads an .xlsx or .csv into rows). Imports nothing
from Django, so the rules are tested without a database. Pass marks come from
config/occupations.toml (theory_pass, practical_pass): a candidate passes when both parts reach
their mark. A 补考 (retake) candidate sits only the part they failed before; a part they passed in
an earlier round is carried over (第十七条, 第二十一条(八): scores are recorded once, by three people).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from pipeline.core.domain import LEVEL_SHORT, normalise_id
from pipeline.core.errors import BadInput

THEORY, PRACTICAL = "theory", "practical"
PART_ZH = {THEORY: "理论", PRACTICAL: "实操"}

# Column → the headers examiners' sheets use for it (first one is the canonical header).
COLUMNS: dict[str, tuple[str, ...]] = {
    "ticket_number": ("准考证号", "准考证号码", "准考证", "考号"),
    "name": ("姓名", "考生姓名"),
    "id_number": ("身份证号", "身份证号码", "证件号码"),
    THEORY: ("理论成绩", "理论", "理论知识成绩", "理论考试成绩", "理论知识"),
    PRACTICAL: ("实操成绩", "实操", "操作技能成绩", "技能操作成绩", "实操考核成绩", "技能成绩"),
    "absent": ("缺考", "缺考情况", "缺考科目"),
    "retake": ("补考", "是否补考"),
}
REQUIRED = ("ticket_number", "name", THEORY, PRACTICAL)
HEADER_SCAN_ROWS = 10          # a title row or two above the header is common
ABSENT_WORDS = ("缺考", "缺", "缺席", "未考", "未参加")
BOTH_WORDS = ("both", "全部", "全缺", "理论、实操", "理论实操", "理论,实操", "理论/实操", "是", "缺考", "缺", "全科")
YES = ("是", "Y", "YES", "TRUE", "1", "√", "补考")
NO = ("否", "N", "NO", "FALSE", "0", "")


@dataclass(frozen=True)
class Sheet:
    """A score sheet as read: its file name, header row number and data rows (Excel row numbers)."""

    name: str
    header_row: int
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple], ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the sheet, named by row and column."""

    row: int
    column: str
    message: str
    ticket_number: str = ""

    def __str__(self) -> str:
        return f"第 {self.row} 行“{self.column}”：{self.message}"


@dataclass(frozen=True)
class CandidateRef:
    """What validation needs to know about a candidate of the round."""

    ticket_number: str
    name: str
    id_number: str
    occupation: str
    level: int
    is_retake: bool = False


@dataclass(frozen=True)
class PriorResult:
    """A retake candidate's earlier result for the same occupation and level."""

    round_code: str
    theory: Decimal | None
    practical: Decimal | None
    theory_passed: bool
    practical_passed: bool


@dataclass(frozen=True)
class PassMarks:
    """Pass marks of one occupation (out of 100)."""

    theory: Decimal
    practical: Decimal


@dataclass(frozen=True)
class ScoreRow:
    """One validated row: the scores as recorded (carried-over parts filled in)."""

    sheet_row: int
    ticket_number: str
    theory: Decimal | None
    practical: Decimal | None
    theory_absent: bool
    practical_absent: bool
    is_retake: bool
    passed: bool
    carried: tuple[str, ...] = ()      # parts kept from an earlier round ("theory", "practical")
    carried_from: str = ""


@dataclass
class Parsed:
    """The outcome of validating a sheet: good rows and every problem found."""

    rows: list[ScoreRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[int]:
        """Sheet rows with at least one problem, in order."""
        return sorted({p.row for p in self.problems})


# ---------------------------------------------------------------- reading (thin I/O shell)

def read_sheet(path: Path) -> Sheet:
    """Read an .xlsx or .csv (UTF-8, UTF-8 with BOM or GB18030) into a Sheet."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise BadInput(f"找不到成绩表文件：{path}。请检查路径。", f"no such file {path}", code="file_missing")
    if suffix in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path)
    elif suffix == ".csv":
        raw = _csv_rows(path)
    else:
        raise BadInput(f"成绩表 {path.name} 的格式不支持：请使用 .xlsx 或 .csv（Excel 另存为）。",
                       f"unsupported sheet type {suffix}", code="sheet_type")
    return sheet_from_rows(path.name, raw)


def _xlsx_rows(path: Path) -> list[tuple]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadInput(f"无法打开成绩表 {path.name}：文件已损坏或不是 Excel 文件。请用 Excel 重新保存为 .xlsx。",
                       f"cannot open {path}: {exc}", code="sheet_unreadable") from exc
    try:
        return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(path: Path) -> list[tuple]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BadInput(f"成绩表 {path.name} 的编码无法识别：请另存为“CSV UTF-8”或 Excel 工作簿。",
                       f"cannot decode {path}", code="sheet_encoding")
    return [tuple(row) for row in csv.reader(io.StringIO(text))]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def sheet_from_rows(name: str, raw: list[tuple]) -> Sheet:
    """Find the header row (it may sit under a title) and keep the non-empty rows below it."""
    for index, row in enumerate(raw[:HEADER_SCAN_ROWS]):
        cells = tuple(_cell(c).replace(" ", "").replace("\n", "") for c in row)
        if any(c in COLUMNS["ticket_number"] for c in cells):
            rows = tuple((number, tuple(r)) for number, r in enumerate(raw[index + 1:], start=index + 2)
                         if any(_cell(c) for c in r))
            return Sheet(name=name, header_row=index + 1, headers=cells, rows=rows)
    raise BadInput(f"成绩表 {name} 前 {HEADER_SCAN_ROWS} 行中找不到表头“准考证号”。"
                   "请确认第一个工作表是成绩表，表头包括：准考证号、姓名、理论成绩、实操成绩。",
                   f"no header row with 准考证号 in {name}", code="sheet_no_header")


def column_map(sheet: Sheet) -> dict[str, int]:
    """Column key → index in the row; BadInput naming every required column that is missing."""
    found: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for index, header in enumerate(sheet.headers):
            if header in names and key not in found:
                found[key] = index
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in found]
    if missing:
        raise BadInput(f"成绩表 {sheet.name} 第 {sheet.header_row} 行的表头缺少：{'、'.join(missing)}。"
                       f"现有表头：{'、'.join(h for h in sheet.headers if h)}。",
                       f"missing columns {missing} in {sheet.name}", code="sheet_columns",
                       problems=[f"缺少列“{m}”" for m in missing])
    return found


# ---------------------------------------------------------------- pass rules

def pass_marks(occupations: Iterable, name: str) -> PassMarks | None:
    """The pass marks of the configured occupation called name, or None."""
    for occupation in occupations:
        if occupation.name == name:
            return PassMarks(Decimal(str(occupation.theory_pass)), Decimal(str(occupation.practical_pass)))
    return None


def part_passed(score: Decimal | None, absent: bool, mark: Decimal) -> bool:
    """A part is passed when it was sat and reaches the mark."""
    return not absent and score is not None and score >= mark


def judge(theory: Decimal | None, practical: Decimal | None, theory_absent: bool, practical_absent: bool,
          marks: PassMarks) -> bool:
    """Both parts needed: theory ≥ theory_pass and practical ≥ practical_pass, neither absent."""
    return (part_passed(theory, theory_absent, marks.theory)
            and part_passed(practical, practical_absent, marks.practical))


def outcome(theory: Decimal | None, practical: Decimal | None, theory_absent: bool, practical_absent: bool,
            passed: bool) -> str:
    """'passed' | 'failed' | 'absent' (missed both parts) — the column 鉴定结果."""
    if passed:
        return "passed"
    if theory_absent and practical_absent:
        return "absent"
    return "failed"


OUTCOME_ZH = {"passed": "合格", "failed": "不合格", "absent": "缺考", "pending": "未登分"}


# ---------------------------------------------------------------- row validation

def parse_score(text: str) -> Decimal:
    """'85', '85.5', '８５' → Decimal; ValueError with the Chinese reason."""
    text = normalise_id(text) if text else text
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text}”不是数字，请填写 0–100 的分数，或在“缺考”列注明") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise ValueError(f"分数 {text} 超出 0–100 的范围")
    if value != value.quantize(Decimal("0.1")):
        raise ValueError(f"分数 {text} 最多保留一位小数")
    return value.quantize(Decimal("0.1"))


def absent_parts(text: str) -> set[str]:
    """The 缺考 column: 理论 / 实操 / both (or 缺考, 是, 全部) → the parts missed."""
    text = text.strip().replace(" ", "")
    if not text or text in ("否", "无", "-", "—"):
        return set()
    if text in BOTH_WORDS or ("理论" in text and "实操" in text):
        return {THEORY, PRACTICAL}
    if "理论" in text:
        return {THEORY}
    if "实操" in text or "技能" in text or "操作" in text:
        return {PRACTICAL}
    raise ValueError(f"“{text}”无法识别：请填写 理论、实操、理论、实操（都缺考），或留空")


def _yes_no(text: str) -> bool:
    value = text.strip().upper()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"“{text}”无法识别：请填写 是 或 否")


@dataclass
class _RowReader:
    """Reads one sheet row into raw cell texts and collects its problems."""

    number: int
    cells: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    ticket: str = ""

    def problem(self, key: str, message: str) -> None:
        """Record a problem in the column called key."""
        self.problems.append(Problem(self.number, COLUMNS[key][0], message, self.ticket))


def _cells(row: tuple, columns: Mapping[str, int]) -> dict[str, str]:
    return {key: _cell(row[index]) if index < len(row) else "" for key, index in columns.items()}


def _scores(reader: _RowReader) -> tuple[dict[str, Decimal | None], set[str]]:
    """Scores and absent parts of a row; absent may be written in the score cell itself."""
    absent: set[str] = set()
    try:
        absent = absent_parts(reader.cells.get("absent", ""))
    except ValueError as exc:
        reader.problem("absent", str(exc))
    scores: dict[str, Decimal | None] = {}
    for part in (THEORY, PRACTICAL):
        text = reader.cells[part].replace(" ", "")
        scores[part] = None
        if text in ABSENT_WORDS:
            absent.add(part)
        elif text:
            try:
                scores[part] = parse_score(text)
            except ValueError as exc:
                reader.problem(part, str(exc))
                continue
            if part in absent:
                reader.problem(part, f"已注明{PART_ZH[part]}缺考，却填写了分数 {text}：请核对，二者只能有一个")
    return scores, absent


def _identity(reader: _RowReader, candidates: Mapping[str, CandidateRef]) -> CandidateRef | None:
    """The candidate the row's ticket names, checking name and ID number against it."""
    ticket = reader.ticket
    if not ticket:
        reader.problem("ticket_number", "准考证号为空")
        return None
    candidate = candidates.get(ticket)
    if candidate is None:
        reader.problem("ticket_number", f"准考证号 {ticket} 不属于本批次的任何考生，请核对")
        return None
    name = reader.cells["name"].replace(" ", "")
    if name != candidate.name.replace(" ", ""):
        reader.problem("name", f"姓名“{name}”与准考证号 {ticket} 的考生“{candidate.name}”不符")
    id_text = reader.cells.get("id_number", "")
    if id_text and normalise_id(id_text) != candidate.id_number:
        reader.problem("id_number", f"身份证号与准考证号 {ticket} 的考生“{candidate.name}”登记的不符")
    return candidate


def _carry(reader: _RowReader, scores: dict, absent: set[str], prior: PriorResult | None) -> tuple[str, ...]:
    """For a retake: fill in parts passed before; a part passed before must not be sat again."""
    if prior is None:
        return ()
    carried = []
    for part in (THEORY, PRACTICAL):
        if not getattr(prior, f"{part}_passed"):
            continue
        if scores[part] is not None:
            reader.problem(part, f"该考生{PART_ZH[part]}已在 {prior.round_code} 批次合格（"
                                 f"{getattr(prior, part)} 分），补考只考不合格部分：请删去本格分数")
            continue
        absent.discard(part)
        scores[part] = getattr(prior, part)
        carried.append(part)
    return tuple(carried)


def validate_row(number: int, cells: dict[str, str], *, candidates: Mapping[str, CandidateRef],
                 priors: Mapping[str, PriorResult], occupations: Iterable) -> tuple[ScoreRow | None, list[Problem]]:
    """One sheet row → a ScoreRow, or None with the row's problems."""
    reader = _RowReader(number, cells, ticket=normalise_id(cells["ticket_number"]))
    candidate = _identity(reader, candidates)
    scores, absent = _scores(reader)
    is_retake = candidate.is_retake if candidate else False
    if cells.get("retake"):
        try:
            is_retake = _yes_no(cells["retake"])
        except ValueError as exc:
            reader.problem("retake", str(exc))
    carried = _carry(reader, scores, absent, priors.get(reader.ticket)) if is_retake else ()
    for part in (THEORY, PRACTICAL):
        if scores[part] is None and part not in absent and not any(p.column == COLUMNS[part][0]
                                                                    for p in reader.problems):
            reader.problem(part, f"{PART_ZH[part]}成绩为空：请填写分数，或在“缺考”列注明{PART_ZH[part]}缺考")
    marks = pass_marks(occupations, candidate.occupation) if candidate else None
    if candidate and marks is None:
        reader.problem("ticket_number", f"考生的工种“{candidate.occupation}”不在 config/occupations.toml 中，"
                                        "无法判定合格线")
    if reader.problems or candidate is None or marks is None:
        return None, reader.problems
    passed = judge(scores[THEORY], scores[PRACTICAL], THEORY in absent, PRACTICAL in absent, marks)
    prior = priors.get(reader.ticket)
    return ScoreRow(number, reader.ticket, scores[THEORY], scores[PRACTICAL], THEORY in absent,
                    PRACTICAL in absent, is_retake, passed, carried,
                    prior.round_code if carried and prior else ""), []


def validate_sheet(sheet: Sheet, *, candidates: Mapping[str, CandidateRef],
                   priors: Mapping[str, PriorResult], occupations: Iterable) -> Parsed:
    """Every row checked; every problem reported at once (row and column), duplicates included."""
    columns = column_map(sheet)
    occupations = tuple(occupations)
    parsed, seen = Parsed(), {}
    for number, row in sheet.rows:
        cells = _cells(row, columns)
        ticket = normalise_id(cells["ticket_number"])
        if ticket and ticket in seen:
            parsed.problems.append(Problem(number, "准考证号", f"准考证号 {ticket} 重复：第 {seen[ticket]} 行"
                                                              "已有该考生的成绩，请删去重复的一行", ticket))
            continue
        if ticket:
            seen[ticket] = number
        result, problems = validate_row(number, cells, candidates=candidates, priors=priors,
                                        occupations=occupations)
        parsed.problems.extend(problems)
        if result:
            parsed.rows.append(result)
    return parsed


# ---------------------------------------------------------------- statistics

@dataclass(frozen=True)
class ResultRecord:
    """A candidate's result as statistics see it."""

    occupation: str
    level: int
    outcome: str          # passed | failed | absent | pending


@dataclass(frozen=True)
class GroupStats:
    """应考/实考/缺考/合格/不合格/合格率 of one occupation × level (or the total)."""

    occupation: str
    level: int | None
    expected: int
    sat: int
    absent: int
    passed: int
    failed: int
    pending: int

    @property
    def pass_rate(self) -> float | None:
        """合格率 = 合格 / 实考 (None when nobody sat)."""
        return self.passed / self.sat if self.sat else None

    @property
    def level_zh(self) -> str:
        return LEVEL_SHORT.get(self.level, "") if self.level else ""

    @property
    def pass_rate_text(self) -> str:
        return format_rate(self.pass_rate)

    def as_dict(self) -> dict:
        """Plain data for templates and --json."""
        return {"occupation": self.occupation, "level": self.level, "level_zh": self.level_zh,
                "expected": self.expected, "sat": self.sat, "absent": self.absent, "passed": self.passed,
                "failed": self.failed, "pending": self.pending, "pass_rate": self.pass_rate,
                "pass_rate_text": self.pass_rate_text}


def format_rate(rate: float | None) -> str:
    """0.8571 → '85.7%'; None → '—'."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _count(occupation: str, level: int | None, records: list[ResultRecord]) -> GroupStats:
    by = {kind: sum(1 for r in records if r.outcome == kind) for kind in ("passed", "failed", "absent", "pending")}
    return GroupStats(occupation, level, expected=len(records), sat=by["passed"] + by["failed"],
                      absent=by["absent"], passed=by["passed"], failed=by["failed"], pending=by["pending"])


def statistics(records: Iterable[ResultRecord], order: Iterable[str] = ()) -> tuple[list[GroupStats], GroupStats]:
    """Counts per occupation × level (in config order, then by name; levels 三级 before 五级) and the total.

    实考 counts those who sat at least one part; a candidate absent from one part only sat and failed.
    """
    records = list(records)
    rank = {name: i for i, name in enumerate(order)}
    keys = sorted({(r.occupation, r.level) for r in records},
                  key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1]))
    groups = [_count(occ, level, [r for r in records if (r.occupation, r.level) == (occ, level)])
              for occ, level in keys]
    return groups, _count("合计", None, records)
