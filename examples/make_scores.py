"""Write a plausible examiners' score sheet for the candidates of a round already in the catalog.

    python examples/make_scores.py --round DEMO-2026-12 --out out/demo/scores.xlsx [--seed 2026]

Deterministic for a seed: most candidates pass; some fail the theory or the practical; a few
are absent (from both parts, or only the practical, written as 缺考 in the score cell); 补考
candidates sit only the part they failed before (the part they passed stays empty and is kept
by `station results import`). Columns as on the examiners' sheet: 准考证号, 姓名, 身份证号,
理论成绩, 实操成绩, 缺考, 补考 — under a title row, as sheets typed by hand usually have.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED = 2026
HEADERS = ["准考证号", "姓名", "身份证号", "理论成绩", "实操成绩", "缺考", "补考"]


def _score(rng: random.Random, mark: float, passing: bool) -> float | int:
    """A score at or above the mark when passing, below it otherwise; half points now and then."""
    value = rng.uniform(mark, 98) if passing else rng.uniform(max(mark - 30, 20), mark - 1)
    return round(value * 2) / 2 if rng.random() < 0.2 else int(value)


def score_row(rng: random.Random, candidate, marks, prior) -> list:
    """One sheet row: scores, absent marks and 补考 for a candidate (prior: earlier result or None)."""
    fate = rng.random()       # 7 % fail the theory, 8 % the practical, 2 % miss the practical, 3 % miss both
    theory = _score(rng, float(marks.theory), passing=fate >= 0.07)
    practical: float | int | str = _score(rng, float(marks.practical), passing=not 0.07 <= fate < 0.15)
    absent = ""
    if fate >= 0.97:
        theory, practical, absent = "", "", "理论、实操"
    elif fate >= 0.95:
        practical = "缺考"
    if candidate.is_retake and prior is not None:
        theory = "" if prior.theory_passed else theory
        practical = "" if prior.practical_passed else practical
    return [candidate.ticket_number, candidate.name, candidate.id_number, theory, practical, absent,
            "是" if candidate.is_retake else "否"]


def write_score_sheet(round_code: str, path: Path, seed: int = SEED) -> int:
    """Write the score sheet of round_code's candidates to path (.xlsx); return the number of rows."""
    from pipeline.catalog.scoring import prior_result
    from pipeline.catalog.services import round_get
    from pipeline.core.config import get_config
    from pipeline.exams.results import pass_marks

    config = get_config()
    round_ = round_get(round_code)
    rng = random.Random(f"{seed}:{round_code}")
    book = Workbook()
    sheet = book.active
    sheet.title = "成绩登记"
    sheet.append([f"{round_.name} 鉴定成绩登记表（考评员填写）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(HEADERS)
    count = 0
    for candidate in round_.candidates.select_related("round").order_by("ticket_number"):
        marks = pass_marks(config.occupations, candidate.occupation)
        prior = prior_result(candidate, config) if candidate.is_retake else None
        sheet.append(score_row(rng, candidate, marks, prior))
        count += 1
    for column, width in zip("ABCDEFG", (16, 10, 21, 10, 10, 12, 6), strict=False):
        sheet.column_dimensions[column].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return count


def main(argv: list[str] | None = None) -> int:
    """Command line: --round R --out FILE [--seed N]."""
    parser = argparse.ArgumentParser(description="为已导入的鉴定批次生成示例成绩表")
    parser.add_argument("--round", required=True, dest="round_code")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    from pipeline.site import django_setup

    django_setup.setup()
    count = write_score_sheet(args.round_code, args.out, args.seed)
    print(f"已生成示例成绩表 {args.out}（{count} 名考生）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
