"""Pure rules: pass marks per occupation, 补考 carry-over, score parsing, statistics (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.core.config import Occupation
from pipeline.exams.results import (
    CandidateRef,
    PassMarks,
    PriorResult,
    ResultRecord,
    Sheet,
    judge,
    parse_score,
    statistics,
    validate_sheet,
)

OCCUPATIONS = (Occupation(name="电工", code="DG", levels=(4,), theory_pass=60, practical_pass=60),
               Occupation(name="焊工", code="HG", levels=(5,), theory_pass=60, practical_pass=70))
HEADERS = ("准考证号", "姓名", "身份证号", "理论成绩", "实操成绩", "缺考", "补考")
CANDIDATES = {"T1": CandidateRef("T1", "张伟", "", "电工", 4), "T2": CandidateRef("T2", "赵磊", "", "焊工", 5),
              "T3": CandidateRef("T3", "王芳", "", "焊工", 5, is_retake=True)}


def sheet(*rows) -> Sheet:
    return Sheet("成绩.xlsx", 1, HEADERS, tuple((n, r) for n, r in enumerate(rows, start=2)))


def test_both_parts_must_reach_the_occupation_mark():
    welder = PassMarks(Decimal(60), Decimal(70))
    assert judge(Decimal(60), Decimal(70), False, False, welder)
    assert not judge(Decimal(95), Decimal("69.5"), False, False, welder)   # 焊工 practical mark is 70
    assert not judge(Decimal("59.9"), Decimal(99), False, False, welder)
    assert not judge(None, Decimal(99), True, False, welder)


def test_same_scores_pass_one_occupation_and_fail_another():
    parsed = validate_sheet(sheet(("T1", "张伟", "", 80, 65, "", "否"), ("T2", "赵磊", "", 80, 65, "", "否")),
                            candidates=CANDIDATES, priors={}, occupations=OCCUPATIONS)
    assert not parsed.problems
    assert [(r.ticket_number, r.passed) for r in parsed.rows] == [("T1", True), ("T2", False)]


def test_retake_keeps_the_part_passed_before():
    prior = PriorResult("2026-06", Decimal(75), Decimal(50), theory_passed=True, practical_passed=False)
    parsed = validate_sheet(sheet(("T3", "王芳", "", "", 72, "", "是")), candidates=CANDIDATES,
                            priors={"T3": prior}, occupations=OCCUPATIONS)
    assert not parsed.problems
    row = parsed.rows[0]
    assert (row.theory, row.practical, row.passed, row.carried, row.carried_from) == (
        Decimal(75), Decimal(72), True, ("theory",), "2026-06")


def test_retake_may_not_resit_the_part_already_passed():
    prior = PriorResult("2026-06", Decimal(75), Decimal(50), theory_passed=True, practical_passed=False)
    parsed = validate_sheet(sheet(("T3", "王芳", "", 40, 72, "", "是")), candidates=CANDIDATES,
                            priors={"T3": prior}, occupations=OCCUPATIONS)
    assert [str(p) for p in parsed.problems] == [
        "第 2 行“理论成绩”：该考生理论已在 2026-06 批次合格（75 分），补考只考不合格部分：请删去本格分数"]


def test_retake_without_earlier_result_needs_both_parts():
    parsed = validate_sheet(sheet(("T3", "王芳", "", "", 72, "", "是")), candidates=CANDIDATES, priors={},
                            occupations=OCCUPATIONS)
    assert "理论成绩为空" in str(parsed.problems[0])


@pytest.mark.parametrize("text, expected", [("85", Decimal("85.0")), ("８５", Decimal("85.0")),
                                            ("59.5", Decimal("59.5")), ("100", Decimal("100.0"))])
def test_scores_parse(text, expected):
    assert parse_score(text) == expected


@pytest.mark.parametrize("text, reason", [("八十", "不是数字"), ("101", "0–100"), ("-1", "0–100"),
                                          ("60.25", "一位小数"), ("nan", "0–100")])
def test_bad_scores_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_score(text)


def test_absent_written_in_the_score_cell_or_the_absent_column():
    parsed = validate_sheet(sheet(("T1", "张伟", "", "缺考", 70, "", ""), ("T2", "赵磊", "", "", "", "理论、实操", "")),
                            candidates=CANDIDATES, priors={}, occupations=OCCUPATIONS)
    assert not parsed.problems
    first, second = parsed.rows
    assert (first.theory_absent, first.practical_absent, first.passed) == (True, False, False)
    assert (second.theory_absent, second.practical_absent) == (True, True)


def test_statistics_on_a_known_set():
    records = ([ResultRecord("焊工", 5, "passed")] * 3 + [ResultRecord("焊工", 5, "failed")]
               + [ResultRecord("电工", 4, "passed")] * 2 + [ResultRecord("电工", 4, "absent")]
               + [ResultRecord("电工", 3, "failed")])
    groups, total = statistics(records, order=["电工", "焊工"])
    assert [(g.occupation, g.level, g.expected, g.sat, g.absent, g.passed, g.failed, g.pass_rate_text)
            for g in groups] == [("电工", 3, 1, 1, 0, 0, 1, "0.0%"), ("电工", 4, 3, 2, 1, 2, 0, "100.0%"),
                                 ("焊工", 5, 4, 4, 0, 3, 1, "75.0%")]
    assert (total.expected, total.sat, total.absent, total.passed, total.failed, total.pass_rate_text) == (
        8, 7, 1, 5, 2, "71.4%")


def test_nobody_sat_gives_no_rate():
    groups, total = statistics([ResultRecord("电工", 4, "absent")])
    assert total.pass_rate is None and total.pass_rate_text == "—"


def test_utf8_bom_csv_under_a_title_row_is_read_with_excel_row_numbers(tmp_path):
    from pipeline.exams.results import read_sheet

    path = tmp_path / "成绩.csv"
    path.write_text("电工四级成绩登记表\n准考证号,姓名,理论成绩,实操成绩\n\nT1,张伟,80,缺考\n", encoding="utf-8-sig")
    sheet = read_sheet(path)
    assert sheet.header_row == 2 and sheet.rows == ((4, ("T1", "张伟", "80", "缺考")),)
    parsed = validate_sheet(sheet, candidates=CANDIDATES, priors={}, occupations=OCCUPATIONS)
    assert not parsed.problems and parsed.rows[0].practical_absent and parsed.rows[0].sheet_row == 4


def test_a_file_that_is_not_a_workbook_is_refused_by_name(tmp_path):
    from pipeline.core.errors import BadInput
    from pipeline.exams.results import read_sheet

    path = tmp_path / "scores.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(BadInput) as caught:
        read_sheet(path)
    assert caught.value.code == "sheet_unreadable" and "scores.xlsx" in caught.value.message_zh
