"""Benchmark: the whole tier-1 form set of a 500-candidate round as PDFs, batched on both cores,
against the per-form-call baseline (one WeasyPrint document per instance) measured in the same run.

Run: STATION_DATA=/tmp/bench-forms .venv/bin/python bench/forms.py [--candidates 500] [--workers 2]
The data root is wiped and rebuilt (synthetic round, Pillow photos). Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FAMILY = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏窦章云苏潘葛范彭郎鲁韦马苗方俞任袁柳鲍史唐费薛雷贺倪汤罗毕郝安常于傅齐康余顾孟黄穆萧尹姚邵汪毛狄米贝明臧成戴宋庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路江童颜郭梅盛林钟徐邱骆高夏蔡田胡凌霍万柯卢莫房缪解应宗丁宣邓单洪包左石崔吉龚程邢裴陆荣翁荀惠甄曲封储靳段焦巴牧山谷车侯全班秋仲伊宫宁仇甘厉戎祖武符刘景詹龙叶黎白蒲从鄂赖卓屠蒙池乔"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍文辉海波宇浩然欣怡子涵梓轩思远雨晨佳琪俊杰"


def seed_round(candidates: int):
    """A synthetic round: candidates with photos, theory/practical rooms with workstations, staff."""
    from django.core.management import call_command
    from PIL import Image

    from pipeline.catalog.models import Candidate, Room, Round, Staff, Workstation
    from pipeline.domain import id_check_digit
    from pipeline.paths import data_paths

    paths = data_paths()
    shutil.rmtree(paths.root, ignore_errors=True)
    paths.ensure()
    call_command("migrate", verbosity=0)
    Image.new("RGB", (295, 413), (180, 200, 230)).save(paths.photos / "photo.jpg", quality=85)
    tz = ZoneInfo("Asia/Shanghai")
    round_ = Round.objects.create(code="2026-12", name="2026年12月职业技能鉴定",
                                  theory_at=dt.datetime(2026, 12, 5, 9, 0, tzinfo=tz),
                                  practical_at=dt.datetime(2026, 12, 6, 8, 30, tzinfo=tz))
    rnd = random.Random(7)
    occupations = [("电工", 4), ("电工", 3), ("焊工", 4), ("育婴员", 4), ("育婴员", 5)]
    rows = []
    for n in range(candidates):
        first17 = f"350200{1985 + n % 20}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
        occupation, level = occupations[n % len(occupations)]
        rows.append(Candidate(round=round_, name=rnd.choice(FAMILY) + "".join(rnd.sample(GIVEN, 2)),
                              id_number=first17 + id_check_digit(first17), gender="男女"[n % 2],
                              birth_date=dt.date(1985 + n % 20, 1 + n % 12, 1 + n % 28), phone="13800000000",
                              occupation=occupation, level=level, ticket_number=f"2026120{n:04d}",
                              class_name=f"{occupation}{23 + n % 3}01班", photo="photo.jpg", sheet_row=n + 2))
    Candidate.objects.bulk_create(rows)
    for k in range(1, 15):
        Room.objects.create(code=f"T{k:02d}", name=f"理论{k}室", kind="theory", capacity=40, location="实训楼")
    for k, occupation in enumerate(["电工", "电工", "焊工", "育婴员", "育婴员"] * 2, start=1):
        room = Room.objects.create(code=f"P{k:02d}", name=f"实操{k}室", kind="practical", capacity=20,
                                   location="实训中心", occupations=occupation)
        Workstation.objects.bulk_create(Workstation(room=room, number=str(i)) for i in range(1, 21))
    roles = ["examiner", "examiner", "chief_examiner", "invigilator", "invigilator", "exam_affairs"]
    for k in range(60):
        Staff.objects.create(name=rnd.choice(FAMILY) + rnd.choice(GIVEN), badge_number=f"DH-{k:03d}",
                             roles=[roles[k % len(roles)]], photo="photo.jpg",
                             occupations=["电工", "焊工", "育婴员"])
    return round_


def try_assign(round_) -> str:
    """Seat the round with the assignment engine if it is available (for the room forms)."""
    try:
        from pipeline.catalog.assignment import assignment_make
        assignment_make(round_=round_, seed=1)
        return "seated"
    except Exception as exc:  # noqa: BLE001 — the bench reports what it could not include
        return f"not seated ({type(exc).__name__}: {str(exc)[:80]})"


def baseline(round_, sample: int, config) -> float:
    """Median seconds per page with one WeasyPrint document per instance (the unbatched way)."""
    from pipeline.forms.registry import FORMS
    from pipeline.forms.service import forms_build
    from pipeline.render.html import render_chunk

    instances = forms_build(form="registration", round_=round_)[:sample]
    per_page = []
    for n, data in enumerate(instances):
        start = time.perf_counter()
        parts, _ = render_chunk(FORMS["registration"], [(f"BASE{n:04d}", data)], config=config)
        per_page.append((time.perf_counter() - start) / parts[0].pages)
    return statistics.median(per_page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=10, help="instances in the baseline sample")
    parser.add_argument("--repeat", type=int, default=1, help="batched runs (median reported)")
    args = parser.parse_args()
    os.environ.setdefault("STATION_DATA", "/tmp/bench-forms")
    from pipeline import django_setup
    django_setup.setup()
    from pipeline.config import get_config
    from pipeline.forms.service import forms_round
    from pipeline.paths import data_paths

    round_ = seed_round(args.candidates)
    seated = try_assign(round_)
    config = get_config()
    base = baseline(round_, args.sample, config)
    runs = []
    for run in range(args.repeat):
        out = data_paths().root / f"out{run}"
        start = time.perf_counter()
        batch = forms_round(round_=round_, out=out, workers=args.workers)
        runs.append((time.perf_counter() - start, batch))
    elapsed = statistics.median(r[0] for r in runs)
    batch = runs[0][1]
    by_form = {}
    for g in batch.instances:
        count, pages = by_form.get(g.form, (0, 0))
        by_form[g.form] = (count + 1, pages + g.pages)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"round: {args.candidates} candidates, assignment: {seated}")
    for form, (count, pages) in by_form.items():
        print(f"  {form:22s} {count:5d} instances {pages:5d} pages")
    for form, why in batch.skipped.items():
        print(f"  {form:22s} skipped: {why[:70]}")
    pages = batch.pages
    print(f"batched ({args.workers} workers): {len(batch.instances)} instances, {pages} pages, "
          f"median {elapsed:.1f} s over {args.repeat} run(s) -> {pages / elapsed:.1f} pages/s")
    print(f"baseline (one WeasyPrint call per instance, median of {args.sample} registration forms, "
          f"extrapolated to {pages} pages): {base:.2f} s/page -> {base * pages:.0f} s, {1 / base:.2f} pages/s")
    print(f"speed-up batched vs baseline: {base * pages / elapsed:.1f}x")
    print(f"peak RSS: main {peak_self:.0f} MB, largest worker {peak_children:.0f} MB")


if __name__ == "__main__":
    main()
