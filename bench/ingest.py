"""Ingest end to end: N scanned pages of QR-marked forms (JPEG in PDF, 200 dpi) → filed, catalogued, indexed.

    .venv/bin/python bench/ingest.py [--pages 500] [--per-stack 50] [--repeats 1]

Seeds one catalog (a round, its candidates, one 2-page registration form each) and the scans
once, then for each measured run copies that catalog into a fresh data root, drops the scans
into the inbox and times `python -m pipeline ingest --once --workers N` (a real subprocess, so
start-up is included). Baseline, measured in the same run: 1 worker; target: 2 workers.
Prints medians, pages per minute and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
os.environ.update(STATION_DATA=str(WORK / "seed"), DATABASE_URL=f"sqlite:///{WORK / 'seed.sqlite3'}")
sys.path.insert(0, str(REPO))

from pipeline import django_setup  # noqa: E402

django_setup.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from pipeline.catalog.models import Candidate, FormInstance, Round  # noqa: E402
from pipeline.domain import QrPayload, id_check_digit, new_instance_code  # noqa: E402
from pipeline.ingest.scansim import jpeg_bytes, stack_pdf, synthetic_page  # noqa: E402
from pipeline.paths import config_dir  # noqa: E402

DPI = 200


def seed(pages: int, per_stack: int) -> list[Path]:
    """The catalog rows and the scanned stacks (2-page registration forms, 200 dpi JPEG in PDF)."""
    call_command("migrate", verbosity=0)
    round_ = Round.objects.create(code="2026-12", name="基准测试批次")
    scans, stack, made = WORK / "scans", [], []
    scans.mkdir()
    template = {}
    for serial in range(1, pages // 2 + 1):
        first17 = f"35020319900101{serial:03d}"
        candidate = Candidate.objects.create(round=round_, name=f"考生{serial}", id_number=first17 + id_check_digit(first17),
                                             gender="女", birth_date=dt.date(1990, 1, 1), phone="13800000000",
                                             occupation="电工", level=4, ticket_number=f"T{serial:05d}")
        form = FormInstance.objects.create(code=new_instance_code(), form="registration", round=round_,
                                           subject=candidate.id_number, title=f"2026-12 电工四级 考生{serial} 报名登记表",
                                           pages=2, retention_class="exam-affairs", category="KW",
                                           doc_date=dt.date(2026, 12, 5), data={"name": candidate.name})
        for page in (1, 2):
            if page not in template:   # draw the body once; only the QR differs between forms
                template[page] = synthetic_page(None, ["职业技能鉴定报名登记表", f"第 {page} 页"], dpi=DPI)
            image = template[page].copy()
            qr = synthetic_page(QrPayload("DHJD", form.code, page, 2), [], dpi=DPI)
            image.paste(qr.crop((image.width // 2, 0, image.width, image.height // 5)), (image.width // 2, 0))
            stack.append(jpeg_bytes(image, DPI))
        if len(stack) >= per_stack:
            made.append(stack_pdf(stack, scans / f"stack{len(made):03d}.pdf"))
            stack = []
    if stack:
        made.append(stack_pdf(stack, scans / f"stack{len(made):03d}.pdf"))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return made


def run(scans: list[Path], workers: int, label: str) -> tuple[float, float, int]:
    """One measured run in a fresh data root: (command seconds, first claim → last filing seconds, items)."""
    root = WORK / label
    (root / "data" / "inbox").mkdir(parents=True)
    shutil.copy(WORK / "seed.sqlite3", root / "station.sqlite3")
    config = root / "config"
    shutil.copytree(config_dir(), config)
    station = config / "station.toml"
    station.write_text(re.sub(r"stable_seconds = [0-9.]+", "stable_seconds = 0", station.read_text("utf-8")), "utf-8")
    for scan in scans:
        shutil.copy(scan, root / "data" / "inbox" / scan.name)
    env = {**os.environ, "STATION_DATA": str(root / "data"), "STATION_CONFIG": str(config),
           "DATABASE_URL": f"sqlite:///{root / 'station.sqlite3'}"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", "ingest", "--once", "--workers", str(workers)],
                   env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    total = time.perf_counter() - started
    db = sqlite3.connect(root / "station.sqlite3")
    first, last = db.execute("select min(created_at), max(updated_at) from catalog_ingestjob").fetchone()
    items = db.execute("select count(*) from catalog_archiveitem").fetchone()[0]
    db.close()
    span = (dt.datetime.fromisoformat(last) - dt.datetime.fromisoformat(first)).total_seconds()
    return total, span, items


def main() -> None:
    """Seed, measure 1 worker (baseline) and 2 workers, print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--per-stack", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    t0 = time.perf_counter()
    scans = seed(args.pages, args.per_stack)
    print(f"seeded {args.pages} pages in {len(scans)} stacks in {time.perf_counter() - t0:.1f}s ({WORK})")
    results = {}
    for workers in (1, 2):
        runs = [run(scans, workers, f"w{workers}-{n}") for n in range(args.repeats)]
        assert all(items == args.pages // 2 for _, _, items in runs), runs
        total, span = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        results[workers] = (total, span)
        print(f"workers={workers}: command {total:.1f}s → {args.pages / total * 60:.0f} pages/min; "
              f"first claim → last filed {span:.1f}s → {args.pages / span * 60:.0f} pages/min "
              f"(median of {args.repeats})")
    base, two = results[1], results[2]
    print(f"ratio 2 workers / 1 worker (throughput): command {base[0] / two[0]:.2f}x, span {base[1] / two[1]:.2f}x")
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
