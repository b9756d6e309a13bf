"""Benchmark: the whole tier-1 form set of a 500-candidate round as PDFs, batched on both cores,
against rendering each form instance with its own WeasyPrint call, measured in the same run.

Run: STATION_DATA=/tmp/bench-forms .venv/bin/python bench/forms.py [--candidates 500] [--workers 2]
     [--repeat 3] [--compare-full] [--sample 0]
The data root is wiped and rebuilt: a synthetic round (one Pillow JPEG photo per candidate) with
enough certified examiners and invigilators for every room, seated and staffed by the assignment
engine (pipeline.catalog.assignment.assignment_make) and scored like examples/make_scores.py
(pipeline.catalog.scoring.results_import), so every tier-1 form with a builder has instances.

Batched: pipeline.forms.service.forms_round, as `station forms round` runs it — chunks in worker
processes; look-alike one-page forms laid out once per chunk with each instance's values drawn on it
(pipeline.render.reuse, pipeline.render.retext). --compare-full adds one run with that reuse off.

Baseline ("one WeasyPrint call per form"): for a sample of up to --sample instances of EVERY form,
one standalone call per instance — FormHTML(string=…).write_pdf(stylesheets=[print.css]), stylesheet
and fonts set up by that call — then the same QR stamping and font compaction, so the output equals
the batched one; timed sequentially. Each form's mean is multiplied by its instance count
(extrapolated, labelled as such). Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
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

FAMILY = ("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏窦章云苏潘葛范彭郎鲁韦马苗方"
          "俞任袁柳鲍史唐费薛雷贺倪汤罗毕郝安常于傅齐康余顾孟黄穆萧尹姚邵汪毛狄米贝明臧成戴宋庞熊纪舒屈项祝董梁"
          "杜阮蓝闵席季麻强贾路江童颜郭梅盛林钟徐邱骆高夏蔡田胡凌霍万柯卢莫房缪解应宗丁宣邓单洪包左石崔吉龚程邢"
          "裴陆荣翁荀惠甄曲封储靳段焦巴牧山谷车侯全班秋仲伊宫宁仇甘厉戎祖武符刘景詹龙叶黎白蒲从鄂赖卓屠蒙池乔")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍文辉海波宇浩然欣怡子涵梓轩思远雨晨佳琪俊杰"


def seed_round(candidates: int):
    """A synthetic round: candidates with photos, theory/practical rooms with workstations, staff."""
    from django.core.management import call_command

    from pipeline.catalog.models import Candidate, Room, Round, Staff, Workstation
    from pipeline.core.domain import id_check_digit
    from pipeline.core.paths import data_paths

    paths = data_paths()
    shutil.rmtree(paths.root, ignore_errors=True)
    paths.ensure()
    call_command("migrate", verbosity=0)
    photos = make_photos(paths.photos, candidates)
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
                              class_name=f"{occupation}{23 + n % 3}01班", photo=photos[n], sheet_row=n + 2))
    Candidate.objects.bulk_create(rows)
    for k in range(1, 15):
        Room.objects.create(code=f"T{k:02d}", name=f"理论{k}室", kind="theory", capacity=40, location="实训楼")
    for k, occupation in enumerate(["电工", "电工", "焊工", "育婴员", "育婴员"] * 2, start=1):
        room = Room.objects.create(code=f"P{k:02d}", name=f"实操{k}室", kind="practical", capacity=20,
                                   location="实训中心", occupations=occupation)
        Workstation.objects.bulk_create(Workstation(room=room, number=str(i)) for i in range(1, 21))
    staff = ([("invigilator",)] * 30 + [("exam_affairs",)] * 14 + [("examiner",)] * 30
             + [("examiner", "chief_examiner")] * 10)
    for k, roles in enumerate(staff):
        Staff.objects.create(name=rnd.choice(FAMILY) + rnd.choice(GIVEN), badge_number=f"DH-{k:03d}",
                             roles=list(roles), photo=photos[k % len(photos)], occupations=["电工", "焊工", "育婴员"])
    return round_


def make_photos(folder: Path, count: int) -> list[str]:
    """count distinct 295×413 JPEG passport-style photos (~15 KB each, like real ones)."""
    from PIL import Image, ImageDraw

    rnd, names = random.Random(11), []
    noise = Image.effect_noise((295, 413), 24).convert("RGB")
    for n in range(count):
        image = Image.new("RGB", (295, 413), (rnd.randint(150, 230), rnd.randint(170, 230), 235))
        draw = ImageDraw.Draw(image)
        skin = (rnd.randint(190, 240), rnd.randint(150, 200), rnd.randint(120, 170))
        draw.ellipse((80, 70, 215, 250), fill=skin)
        draw.rectangle((40, 300, 255, 413), fill=(rnd.randint(20, 90),) * 3)
        image = Image.blend(image, noise, 0.08)
        names.append(f"p{n:04d}.jpg")
        image.save(folder / names[-1], quality=85)
    return names


def seat_and_score(round_) -> str:
    """Seat and staff the round (assignment engine), then import a score sheet made like the example's."""
    from examples.make_scores import write_score_sheet
    from pipeline.catalog.assignment import assignment_make
    from pipeline.catalog.scoring import results_import
    from pipeline.core.paths import data_paths

    plan = assignment_make(round_=round_, seed=1).plan
    sheet = data_paths().root / "scores.xlsx"
    write_score_sheet(round_.code, sheet)
    report = results_import(round_=round_, path=sheet)
    return (f"{len(plan.sittings)} sittings, {len(plan.duties)} staff duties, {len(plan.warnings)} plan warnings; "
            f"{report.created} scores imported, {report.passed} passed")


def one_call(spec, code: str, data, config) -> int:
    """One instance with its own WeasyPrint call (stylesheet and fonts set up by the call); pages."""
    import pikepdf

    from pipeline.core.domain import QrPayload
    from pipeline.render.fonts import compact_fonts
    from pipeline.render.html import FORMS_DIR, FormHTML, document_html, instance_pdf, render_fragment
    from pipeline.render.stamp import stamp_pages

    html = document_html([render_fragment(config, spec, code, data)])
    pdf = pikepdf.open(io.BytesIO(FormHTML(string=html, base_url=str(FORMS_DIR)).write_pdf(
        stylesheets=[str(FORMS_DIR / "print.css")])))
    pages = len(pdf.pages)
    stamp_pages(pdf, [QrPayload(config.station.code, code, i + 1, pages) for i in range(pages)])
    compact_fonts(pdf)
    instance_pdf(pdf, 0, pages)
    return pages


def baseline(round_, forms: list[str], sample: int, config) -> dict[str, float]:
    """form → mean seconds per instance with one WeasyPrint call per instance (a spread-out sample)."""
    from pipeline.forms.registry import FORMS
    from pipeline.forms.service import forms_build

    result = {}
    for form in forms:
        instances = forms_build(form=form, round_=round_)
        picked = instances if sample <= 0 else instances[:: max(1, len(instances) // sample)][:sample]
        seconds = []
        for n, data in enumerate(picked):
            start = time.perf_counter()
            one_call(FORMS[form], f"BASE{n:04d}", data, config)
            seconds.append(time.perf_counter() - start)
        result[form] = statistics.mean(seconds)
    return result


def compare_retext(round_, workers: int, repeat: int) -> None:
    """Batched runs with the direct redraw (pipeline.render.retext) on and off, interleaved; medians."""
    from pipeline.core.paths import data_paths
    from pipeline.forms.service import forms_round

    times: dict[str, list[float]] = {"1": [], "0": []}
    for run in range(repeat):
        for flag in ("0", "1"):
            os.environ["STATION_RENDER_RETEXT"] = flag
            start = time.perf_counter()
            batch = forms_round(round_=round_, out=data_paths().root / f"out-retext{flag}-{run}", workers=workers)
            times[flag].append(time.perf_counter() - start)
            print(f"retext {'on' if flag == '1' else 'off'} run {run + 1}: {times[flag][-1]:.1f} s, "
                  f"{sum(g.pages for g in batch.instances)} pages", flush=True)
    os.environ.pop("STATION_RENDER_RETEXT")
    on, off = statistics.median(times["1"]), statistics.median(times["0"])
    print(f"direct redraw on: {on:.1f} s, off: {off:.1f} s (median of {repeat}); off/on = {off / on:.2f}×")


def compare_one_worker(round_, repeat: int) -> tuple[float, float]:
    """Median seconds of forms_round on 1 worker with layout reuse on and off, runs interleaved."""
    from pipeline.core.paths import data_paths
    from pipeline.forms.service import forms_round

    times: dict[bool, list[float]] = {True: [], False: []}
    for run in range(repeat):
        for reuse in (True, False):
            start = time.perf_counter()
            forms_round(round_=round_, out=data_paths().root / f"out-1w-{reuse}-{run}", workers=1, reuse_layout=reuse)
            times[reuse].append(time.perf_counter() - start)
            print(f"1 worker, reuse {'on' if reuse else 'off'}, run {run + 1}: {times[reuse][-1]:.1f} s", flush=True)
    return statistics.median(times[True]), statistics.median(times[False])


def compare_guard(round_, repeat: int) -> None:
    """forms_round on 1 worker (in this process) with compact_safely's read-back check (every page of a chunk
    read with pdfium before and after its fonts are compacted) on and off, interleaved; medians. Off =
    compact_fonts under its fallback only, what the render fast path cost before the check."""
    from pipeline.core.paths import data_paths
    from pipeline.forms.service import forms_round
    from pipeline.render import fast
    from pipeline.render import html as render_html

    checked = render_html.compact_safely

    def unchecked(pdf, cache=None):
        if not fast.compaction_enabled():
            return pdf
        with contextlib.suppress(Exception):      # the fallback compact_safely has too
            render_html.compact_fonts(pdf)
        return pdf

    times: dict[str, list[float]] = {"on": [], "off": []}
    for run in range(repeat):
        for flag, function in (("off", unchecked), ("on", checked)):
            render_html.compact_safely = function
            start = time.perf_counter()
            forms_round(round_=round_, out=data_paths().root / f"out-guard-{flag}-{run}", workers=1)
            times[flag].append(time.perf_counter() - start)
            print(f"1 worker, read-back check {flag}, run {run + 1}: {times[flag][-1]:.1f} s", flush=True)
    render_html.compact_safely = checked
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    print(f"read-back check on: {on:.1f} s, off: {off:.1f} s (median of {repeat}, 1 worker); on/off = {on / off:.3f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=4,
                        help="instances per form in the baseline sample (0: every instance, nothing extrapolated)")
    parser.add_argument("--repeat", type=int, default=1, help="batched runs (median reported)")
    parser.add_argument("--compare-full", action="store_true",
                        help="also one batched run with layout reuse off (every instance laid out in full)")
    parser.add_argument("--compare-retext", action="store_true",
                        help="also batched runs with the direct redraw off (STATION_RENDER_RETEXT=0), "
                             "interleaved with as many with it on")
    parser.add_argument("--equal", action="store_true",
                        help="also batched runs on 1 worker, layout reuse on and off, interleaved (--repeat each): "
                             "the ratio at equal parallelism with the 1-process baseline, and reuse alone")
    parser.add_argument("--compare-guard", action="store_true",
                        help="also runs on 1 worker with font compaction's read-back check on and off, interleaved")
    parser.add_argument("--skip-baseline", action="store_true", help="no one-call-per-form baseline")
    args = parser.parse_args()
    os.environ.setdefault("STATION_DATA", "/tmp/bench-forms")
    from pipeline.site import django_setup
    django_setup.setup()
    from pipeline.core.config import get_config
    from pipeline.core.paths import data_paths
    from pipeline.forms.service import forms_round

    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    round_ = seed_round(args.candidates)
    prepared = seat_and_score(round_)
    config = get_config()
    runs = []
    for run in range(args.repeat):
        out = data_paths().root / f"out{run}"
        start = time.perf_counter()
        batch = forms_round(round_=round_, out=out, workers=args.workers)
        runs.append((time.perf_counter() - start, batch))
        print(f"batched run {run + 1}: {runs[-1][0]:.1f} s", flush=True)
    full_run = None
    if args.compare_full:
        start = time.perf_counter()
        forms_round(round_=round_, out=data_paths().root / "out-full", workers=args.workers, reuse_layout=False)
        full_run = time.perf_counter() - start
        print(f"batched run without layout reuse: {full_run:.1f} s", flush=True)
    if args.compare_retext:
        compare_retext(round_, args.workers, args.repeat)
    if args.compare_guard:
        compare_guard(round_, args.repeat)
    one = compare_one_worker(round_, args.repeat) if args.equal else None
    if args.skip_baseline:
        return
    elapsed = statistics.median(r[0] for r in runs)
    batch = runs[0][1]
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    by_form: dict[str, list] = {}
    for g in batch.instances:
        by_form.setdefault(g.form, []).append(g)
    start = time.perf_counter()
    base = baseline(round_, list(by_form), args.sample, config)
    sampled = time.perf_counter() - start
    base_total = sum(base[form] * len(items) for form, items in by_form.items())
    print(f"round: {args.candidates} candidates; {prepared}")
    print(f"  {'form':20s} {'inst':>5s} {'pages':>5s} {'KB/file':>8s} {'print KB':>9s} {'1 call s':>9s}")
    for form, items in by_form.items():
        sizes = [g.pdf.stat().st_size for g in items]
        printed = batch.merged[form].stat().st_size / 1024 if form in batch.merged else 0
        print(f"  {form:20s} {len(items):5d} {sum(g.pages for g in items):5d} "
              f"{statistics.mean(sizes) / 1024:8.0f} {printed:9.0f} {base[form]:9.2f}")
    for form, why in batch.skipped.items():
        print(f"  {form:20s} skipped: {why[:70]}")
    pages = batch.pages
    total_mb = sum(g.pdf.stat().st_size for g in batch.instances) / 2**20
    print(f"batched ({args.workers} workers): {len(batch.instances)} instances, {pages} pages, "
          f"median {elapsed:.1f} s over {args.repeat} run(s) -> {pages / elapsed:.1f} pages/s; "
          f"instance PDFs {total_mb:.1f} MB in all")
    how = (f"every one of the {len(batch.instances)} instances timed" if args.sample <= 0 else
           f"mean of <= {args.sample} instances per form timed in {sampled:.0f} s, EXTRAPOLATED to all "
           f"{len(batch.instances)} instances")
    print(f"baseline (one WeasyPrint call per instance, sequential; {how}): "
          f"{base_total:.0f} s -> {pages / base_total:.2f} pages/s")
    print(f"speed-up batched vs baseline: {base_total / elapsed:.1f}x")
    if full_run:
        print(f"batched without layout reuse: {full_run:.1f} s -> {pages / full_run:.1f} pages/s, "
              f"{base_total / full_run:.1f}x the baseline; layout reuse adds {full_run / elapsed:.2f}x")
    if one:
        on, off = one
        print(f"batched on 1 worker (equal parallelism with the baseline): {on:.1f} s -> {pages / on:.1f} pages/s, "
              f"{base_total / on:.1f}x the baseline")
        print(f"1 worker without layout reuse: {off:.1f} s -> {base_total / off:.1f}x the baseline; "
              f"reuse alone (same worker count): {off / on:.2f}x")
        print(f"2 workers / 1 worker: {on / elapsed:.2f}x")
    print(f"peak RSS: main {peak_self:.0f} MB, largest worker {peak_children:.0f} MB")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
