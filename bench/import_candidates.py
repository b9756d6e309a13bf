"""Benchmark: `station import candidates` of 5,000 candidates with photos, end to end.

    .venv/bin/python bench/import_candidates.py [--candidates 5000] [--runs 3] [--out bench/out/import]

Generates a 5,000-row candidates.xlsx (valid synthetic ID numbers, three occupation × level
groups) and a 600×800 JPEG photo for every row, then runs the real command in a fresh process
on a fresh data root and database each time (init and round creation are not timed). Baseline,
measured in the same run: a plain openpyxl read-only pass over the same sheet. Prints medians of
wall time and of CPU time (user + system of the command and every process it starts: the bench
makes itself a child subreaper so that photo workers, which are grandchildren, are counted too;
CPU time is far less sensitive than wall time to other work on a shared machine), the ratio,
the load average before and after, and a Markdown block for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import io
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples"))
sys.path.insert(0, str(REPO))
import make_example  # noqa: E402

STATION = [sys.executable, "-m", "pipeline"]
TARGET_SECONDS = 10.0
PR_SET_CHILD_SUBREAPER = 36


def make_sheet(out: Path, count: int, seed: int = 5000) -> Path:
    """candidates.xlsx with `count` unique candidates and one photo file each (40 distinct drawings)."""
    rng = random.Random(seed)
    drawings = []
    for _ in range(40):
        buffer = io.BytesIO()
        make_example.draw_photo(rng).save(buffer, "JPEG", quality=88)
        drawings.append(buffer.getvalue())
    (out / "photos").mkdir(parents=True, exist_ok=True)
    groups = [("电工", "四级", ["24电气1班", "24电气2班"]), ("焊工", "五级", ["23焊接1班"]),
              ("育婴员", "四级", ["24早教1班"])]
    rows, seen = [], set()
    while len(rows) < count:
        occupation, level, classes = groups[len(rows) % 3]
        male = rng.random() < 0.6
        birth = dt.date(rng.randrange(1980, 2007), rng.randrange(1, 13), rng.randrange(1, 29))
        id_number = make_example.synthetic_id(rng, birth, male)
        if id_number in seen:
            continue
        seen.add(id_number)
        photo = f"photos/{len(rows) + 1:05d}.jpg"
        (out / photo).write_bytes(drawings[len(rows) % len(drawings)])
        rows.append({"序号": len(rows) + 1, "姓名": make_example.synthetic_name(rng, male),
                     "性别": "男" if male else "女",
                     "身份证号": id_number, "出生日期": birth, "联系电话": make_example.synthetic_phone(rng),
                     "工种/职业": occupation, "等级": level, "班级": rng.choice(classes),
                     "工作单位": rng.choice(make_example.EMPLOYERS), "文化程度": "中专", "照片": photo,
                     "是否补考": "否"})
    path = out / "candidates.xlsx"
    make_example.write_sheet(path, make_example.HEADERS, rows, title="基准测试报名花名册")
    return path


def baseline_read(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds for a plain openpyxl read-only pass over every cell (in this process)."""
    from openpyxl import load_workbook

    start, cpu = time.perf_counter(), time.process_time()
    book = load_workbook(path, read_only=True, data_only=True)
    cells = sum(len(row) for row in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert cells > 0
    return time.perf_counter() - start, time.process_time() - cpu


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux), so their CPU time reaches RUSAGE_CHILDREN when reaped."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children_cpu() -> float:
    """User + system seconds of every reaped descendant, after reaping adopted orphans."""
    while True:
        try:
            if os.waitpid(-1, 0)[0] == 0:
                break
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(sheet: Path, data: Path) -> tuple[float, float]:
    """Wall and CPU seconds for `station import candidates` in a fresh process on a fresh data root."""
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "STATION_DATA": str(data)}
    env.pop("DATABASE_URL", None)
    for args in (["init"], ["rounds", "add", "2026-12", "--name", "基准"]):
        subprocess.run([*STATION, *args], env=env, check=True, capture_output=True, cwd=REPO)
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run([*STATION, "import", "candidates", str(sheet), "--round", "2026-12", "--json"],
                          env=env, capture_output=True, cwd=REPO, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, children_cpu() - cpu


def startup() -> tuple[float, float]:
    """Wall and CPU seconds of `station --help`: the CLI's import time, paid by every command."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run([*STATION, "--help"], check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - start, children_cpu() - cpu


def _figures(pairs: list[tuple[float, float]]) -> tuple[float, float, str]:
    walls, cpus = [w for w, _ in pairs], [c for _, c in pairs]
    listed = ", ".join(f"{w:.2f}" for w in walls)
    return statistics.median(walls), statistics.median(cpus), listed


def main(argv: list[str] | None = None) -> int:
    """Generate the sheet, time the baseline and the import, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "import")
    args = parser.parse_args(argv)
    counted = become_subreaper()
    shutil.rmtree(args.out, ignore_errors=True)
    sheet = make_sheet(args.out / "sheet", args.candidates)
    load_before = os.getloadavg()
    base_wall, base_cpu, base_list = _figures([baseline_read(sheet) for _ in range(args.runs)])
    start_wall, start_cpu, _ = _figures([startup() for _ in range(args.runs)])
    full, full_cpu, full_list = _figures([timed_import(sheet, args.out / f"data{n}") for n in range(args.runs)])
    load_after = os.getloadavg()
    loads = " → ".join("/".join(f"{x:.1f}" for x in load) for load in (load_before, load_after))
    print(f"candidates: {args.candidates} (each with a 600x800 JPEG photo), runs: {args.runs}, "
          f"{os.cpu_count()} cores, load average (1/5/15 min) {loads}")
    print(f"baseline openpyxl read-only pass: median {base_wall:.2f} s wall ({base_list}), {base_cpu:.2f} s CPU")
    print(f"CLI start-up (station --help): median {start_wall:.2f} s wall, {start_cpu:.2f} s CPU")
    print(f"station import candidates (fresh process + DB): median {full:.2f} s wall ({full_list}), "
          f"{full_cpu:.2f} s CPU{'' if counted else ' (photo worker CPU NOT counted: no subreaper)'}")
    print(f"ratio import / baseline: {full / base_wall:.1f}x wall, {full_cpu / base_cpu:.1f}x CPU; "
          f"per candidate {full / args.candidates * 1000:.2f} ms; "
          f"target < {TARGET_SECONDS:.0f} s: {'met' if full < TARGET_SECONDS else 'NOT met'}")
    print(f"\n| date | machine | candidates | openpyxl read (baseline) | station import (median of {args.runs}) "
          "| CPU (user+sys, all processes) | ratio |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {dt.date.today()} | 2 cores, shared (load {loads}), Python {platform.python_version()} "
          f"| {args.candidates} + photos | {base_wall:.2f} s ({base_list}) | {full:.2f} s ({full_list}) "
          f"| import {full_cpu:.2f} s, baseline {base_cpu:.2f} s | {full / base_wall:.1f}× |")
    shutil.rmtree(args.out, ignore_errors=True)
    return 0 if full < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
