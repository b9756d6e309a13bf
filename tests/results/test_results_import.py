"""Importing a real score sheet: every problem with its row, all-or-nothing, 补考, audit, CLI."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from pipeline.catalog.models import AuditEntry, Round, Score
from pipeline.catalog.scoring import results_import, round_statistics
from pipeline.cli.main import main
from pipeline.core.errors import BadInput, ExitCode

from .factories import HEADERS, add_candidates, good_rows, write_xlsx

pytestmark = pytest.mark.django_db


def bad_sheet(tmp_path, round_):
    rows = good_rows(round_.candidates.order_by("ticket_number"))
    rows[1] = (rows[1][0], "王小芳", *rows[1][2:])                       # row 4: name does not match ticket
    rows[2] = (rows[2][0], rows[2][1], rows[2][2], "八十", 120, "", "否")  # row 5: not a number, > 100
    rows[4] = ("20261299999", "陈杰", "", 70, 70, "", "否")              # row 7: unknown ticket
    rows[5] = (rows[5][0], rows[5][1], rows[5][2], 66, 70, "理论", "否")  # row 8: absent but scored
    rows.append(rows[0])                                                 # row 15: duplicate of row 3
    return write_xlsx(tmp_path / "成绩表.xlsx", rows, title="2026年12月鉴定成绩登记表")


def test_bad_sheet_reports_every_problem_with_its_row_and_imports_nothing(round_with_candidates, tmp_path):
    with pytest.raises(BadInput) as caught:
        results_import(round_=round_with_candidates, path=bad_sheet(tmp_path, round_with_candidates))
    problems = caught.value.problems
    assert len(problems) == 6
    assert problems[0].startswith("第 4 行“姓名”：姓名“王小芳”与准考证号 2026120002 的考生“王芳”不符")
    assert problems[1].startswith("第 5 行“理论成绩”：“八十”不是数字")
    assert problems[2].startswith("第 5 行“实操成绩”：分数 120 超出 0–100")
    assert problems[3].startswith("第 7 行“准考证号”：准考证号 20261299999 不属于本批次")
    assert problems[4].startswith("第 8 行“理论成绩”：已注明理论缺考，却填写了分数 66")
    assert problems[5].startswith("第 15 行“准考证号”：准考证号 2026120001 重复：第 3 行")
    assert "5 行有误" in caught.value.message_zh
    assert Score.objects.count() == 0
    assert Round.objects.get(code="2026-12").scores_recorded_on is None


def test_skip_invalid_imports_the_good_rows(round_with_candidates, tmp_path):
    report = results_import(round_=round_with_candidates, path=bad_sheet(tmp_path, round_with_candidates),
                            skip_invalid=True, actor="clerk")
    assert report.created == 8
    assert sorted({p.row for p in report.skipped}) == [4, 5, 7, 8, 15]
    assert sorted(report.unscored) == ["2026120002", "2026120003", "2026120005", "2026120006"]
    entry = AuditEntry.objects.get(action="results.import")
    assert entry.actor == "clerk" and entry.detail["skipped_rows"] == [4, 5, 7, 8, 15]
    assert Round.objects.get(code="2026-12").scores_recorded_on is not None


def test_statistics_of_a_known_round(round_with_candidates, tmp_path):
    path = write_xlsx(tmp_path / "scores.xlsx", good_rows(round_with_candidates.candidates.all()))
    results_import(round_=round_with_candidates, path=path)
    groups, total = round_statistics(round_with_candidates)
    assert [(g.occupation, g.level, g.expected, g.sat, g.absent, g.passed, g.failed, g.pass_rate_text)
            for g in groups] == [("电工", 3, 2, 2, 0, 2, 0, "100.0%"), ("电工", 4, 4, 3, 1, 1, 2, "33.3%"),
                                 ("焊工", 5, 3, 3, 0, 2, 1, "66.7%"), ("育婴员", 4, 3, 3, 0, 2, 1, "66.7%")]
    assert (total.expected, total.sat, total.absent, total.passed, total.failed, total.pass_rate_text) == (
        12, 11, 1, 7, 4, "63.6%")
    huang = Score.objects.get(candidate__name="黄勇")
    assert (huang.theory, huang.practical, huang.practical_absent, huang.passed) == (Decimal("61.0"), None, True, False)


def test_reimport_updates_instead_of_duplicating(round_with_candidates, tmp_path):
    rows = good_rows(round_with_candidates.candidates.all())
    results_import(round_=round_with_candidates, path=write_xlsx(tmp_path / "a.xlsx", rows))
    rows[1] = (*rows[1][:4], 61, "", "否")                                 # 王芳 practical corrected to 61
    report = results_import(round_=round_with_candidates, path=write_xlsx(tmp_path / "b.xlsx", rows))
    assert (report.created, report.updated) == (0, 12)
    assert Score.objects.count() == 12 and Score.objects.get(candidate__name="王芳").passed


def test_gb18030_csv_with_retake_carry_over(data_root, tmp_path):
    from pipeline.catalog.services import round_add

    earlier = round_add(code="2026-06", name="2026年6月鉴定")
    (zhou,) = add_candidates(earlier, [("周敏", "女", "焊工", 5)])
    Score.objects.create(candidate=zhou, theory=Decimal(81), practical=Decimal(42), passed=False,
                         recorded_on="2026-06-20")
    later = round_add(code="2026-12", name="2026年12月鉴定")
    (again,) = add_candidates(later, [("周敏", "女", "焊工", 5)], retake={1})
    path = tmp_path / "补考成绩.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        csv.writer(handle).writerows([HEADERS, (again.ticket_number, "周敏", "", "", "75", "", "是")])
    results_import(round_=later, path=path)
    score = Score.objects.get(candidate=again)
    assert (score.theory, score.practical, score.is_retake, score.passed) == (Decimal(81), Decimal(75), True, True)


def test_missing_columns_are_named(round_with_candidates, tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [("2026120001", "张伟", 80)], headers=("准考证号", "姓名", "理论成绩"))
    with pytest.raises(BadInput) as caught:
        results_import(round_=round_with_candidates, path=path)
    assert "第 1 行的表头缺少：实操成绩" in caught.value.message_zh


def test_cli_import_bad_sheet_exit_code_and_chinese_rows(round_with_candidates, tmp_path, capsys):
    path = bad_sheet(tmp_path, round_with_candidates)
    assert main(["results", "import", str(path), "--round", "2026-12"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "未导入任何成绩" in err and "第 15 行" in err and "--skip-invalid" in err
    assert main(["results", "import", str(path), "--round", "2026-12", "--json"]) == ExitCode.BAD_INPUT
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == "score_sheet_invalid" and len(data["problems"]) == 6


def test_cli_import_and_show_pass_rates(round_with_candidates, tmp_path, capsys):
    path = write_xlsx(tmp_path / "scores.xlsx", good_rows(round_with_candidates.candidates.all()))
    assert main(["results", "import", str(path), "--round", "2026-12"]) == 0
    assert "新增 12 人" in capsys.readouterr().out
    assert main(["results", "show", "2026-12"]) == 0
    out = capsys.readouterr().out
    assert "育婴员" in out and "63.6%" in out and "33.3%" in out
    assert main(["results", "show", "2026-12", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["passed"] == 7 and len(data["candidates"]) == 12
    assert main(["results", "show", "nope"]) == ExitCode.NOT_FOUND


def test_example_score_sheet_imports_cleanly_and_looks_plausible(data_root, tmp_path):
    import random

    from examples.make_scores import write_score_sheet
    from pipeline.catalog.services import round_add

    from .factories import PEOPLE

    round_ = round_add(code="DEMO-2026-12", name="演示批次")
    people = [random.Random(i).choice(PEOPLE) for i in range(120)]
    add_candidates(round_, people, retake=set(range(1, 121, 15)))
    path = tmp_path / "scores.xlsx"
    assert write_score_sheet("DEMO-2026-12", path) == 120
    results_import(round_=round_, path=path)
    _, total = round_statistics(round_)
    assert total.expected == 120 and total.pending == 0
    assert 0.7 <= total.passed / 120 <= 0.95 and 1 <= total.absent <= 10 and total.failed >= 5
    assert Score.objects.filter(is_retake=True).count() == 8


def test_cli_report_with_evaluation_and_incidents(round_with_candidates, tmp_path, capsys):
    from pypdf import PdfReader

    path = write_xlsx(tmp_path / "scores.xlsx", good_rows(round_with_candidates.candidates.all()))
    assert main(["results", "report", "2026-12", "--out", str(tmp_path / "out")]) == 0
    assert "尚未导入任何成绩" in capsys.readouterr().err
    main(["results", "import", str(path), "--round", "2026-12"])
    capsys.readouterr()
    assert main(["results", "report", "2026-12", "--out", str(tmp_path / "out"), "--evaluation", "评分客观公正",
                 "--incident", "实操二室停电15分钟", "--incident", "一名考生迟到被拒入场"]) == 0
    assert "已生成鉴定报告" in capsys.readouterr().out
    (pdf,) = (tmp_path / "out" / "report").glob("*.pdf")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "评分客观公正" in text and "实操二室停电15分钟" in text and "一名考生迟到被拒入场" in text
