"""Benchmark of the results path: score-sheet import and the appraisal report, for one round.

    .venv/bin/python bench/results.py [--candidates 500] [--repeat 5]

Baseline (measured in the same run): reading the .xlsx with openpyxl alone. Then: validation
(pure rules), the whole `results_import` into SQLite (one transaction, audit entry), the pass-rate
chart (matplotlib, Noto CJK) and the report built and rendered to PDF. Medians of --repeat runs.
Runs in a throw-away data root; prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics as stats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["STATION_DATA"] = tempfile.mkdtemp(prefix="bench-results-")

from pipeline.site import django_setup  # noqa: E402

django_setup.setup()

import datetime as dt  # noqa: E402
import random  # noqa: E402

from django.core.management import call_command  # noqa: E402

from examples.make_scores import write_score_sheet  # noqa: E402
from pipeline.catalog.models import Candidate  # noqa: E402
from pipeline.catalog.scoring import _candidate_refs, results_import, round_statistics  # noqa: E402
from pipeline.catalog.services import round_add  # noqa: E402
from pipeline.core.config import get_config  # noqa: E402
from pipeline.core.domain import id_check_digit  # noqa: E402
from pipeline.core.paths import data_paths  # noqa: E402
from pipeline.exams.results import read_sheet, validate_sheet  # noqa: E402
from pipeline.forms.registry import FORMS  # noqa: E402
from pipeline.forms.results import build_report, pass_rate_chart  # noqa: E402
from pipeline.render.html import render_pdf_batch  # noqa: E402

GROUPS = [("电工", 4), ("电工", 3), ("焊工", 5), ("育婴员", 4)]


def make_round(count: int):
    """A round with count synthetic candidates (bulk insert; the importer is benchmarked elsewhere)."""
    round_ = round_add(code="BENCH-1", name="基准测试批次")
    rng = random.Random(7)
    people = []
    for i in range(count):
        first17 = f"350211{dt.date(1990, 1, 1) + dt.timedelta(days=i):%Y%m%d}{rng.randrange(1000):03d}"
        occupation, level = GROUPS[i % len(GROUPS)]
        people.append(Candidate(round=round_, name=f"考生{i:04d}", id_number=first17 + id_check_digit(first17),
                                gender="男", birth_date=dt.date(1990, 1, 1), phone="13800000000",
                                occupation=occupation, level=level, ticket_number=f"BENCH{i:05d}"))
    Candidate.objects.bulk_create(people)
    return round_


def median_seconds(fn, repeat: int) -> float:
    """Median wall time of fn over repeat runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return stats.median(times)


def main() -> int:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data_paths().ensure()
    call_command("migrate", verbosity=0)
    config = get_config()
    round_ = make_round(args.candidates)
    sheet_path = Path(os.environ["STATION_DATA"]) / "scores.xlsx"
    write_score_sheet(round_.code, sheet_path)
    refs = _candidate_refs(round_)
    sheet = read_sheet(sheet_path)
    rows = {
        "read .xlsx (openpyxl, baseline)": median_seconds(lambda: read_sheet(sheet_path), args.repeat),
        "validate rows (pure rules)": median_seconds(
            lambda: validate_sheet(sheet, candidates=refs, priors={}, occupations=config.occupations), args.repeat),
        "results_import (read + validate + write, SQLite)": median_seconds(
            lambda: results_import(round_=round_, path=sheet_path), args.repeat),
    }
    groups, total = round_statistics(round_)
    rows["pass-rate chart (matplotlib PNG, 200 dpi)"] = median_seconds(lambda: pass_rate_chart(groups, total),
                                                                        args.repeat)
    rows["report: build + render PDF"] = median_seconds(
        lambda: render_pdf_batch(FORMS["report"], [("BENCH001", build_report(round_)[0])]), args.repeat)
    base = rows["read .xlsx (openpyxl, baseline)"]
    print(f"{args.candidates} candidates, median of {args.repeat} runs, {total.passed} passed")
    print("| step | median | ratio to reading the sheet | per candidate |")
    print("|---|---|---|---|")
    for name, seconds in rows.items():
        per = seconds / args.candidates * 1e6
        print(f"| {name} | {seconds * 1000:.0f} ms | {seconds / base:.2f}× | {per:.0f} µs |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
