"""Ingest end to end: N scanned pages of real QR-marked forms (JPEG in PDF, 200 dpi) → filed, catalogued, indexed.

    .venv/bin/python bench/ingest.py [--pages 500] [--per-stack 50] [--repeats 3] [--work DIR] [--mix]

--mix: instead of baseline / 1 worker / 2 workers, time 2 workers on the all-QR stacks and on a
realistic mix of the same size (`mixed_inputs`): about 80 % of pages QR-marked forms in shuffled
stacks (one page in eight of them fed upside down, i.e. 10 % of all pages), 10 % unmarked pages that
need OCR (letters in inbox/公文/), 5 % blank duplex backs inside the stacks, 5 % in broken files
(cut-off PDFs, an empty file). Every input must end filed, in review or quarantined.

The input is built once (and cached in --work): a round with its candidates, the real
registration form of every candidate rendered by pipeline.forms.service.forms_generate, then
scanned by pipeline.ingest.scansim (200 dpi, signed, tilted, noisy, JPEG in PDF, several forms
per stack, pages shuffled). Each measured run copies the seeded catalog into a fresh data root,
drops the stacks into the inbox and times `python -m pipeline ingest --once --workers N` (a real
subprocess: start-up included) — identified, split, PDF/A written, catalogued, indexed, released.
CPU seconds of the worker processes are reported too (the machine is shared).

Baseline, measured in the same run on the same stacks: bench/identify.py's identification +
archival PDF (`run_end_to_end`: iter_pages at 100 dpi, page_infos, group_pages, archival_pdf per
form), in this process, no catalog, no index. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _load_identify_bench():
    """bench/identify.py as a module (its run_end_to_end is the baseline)."""
    spec = importlib.util.spec_from_file_location("bench_identify", REPO / "bench" / "identify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup_django(work: Path) -> None:
    """Point the station at the bench's seed data root and database, then set Django up."""
    os.environ.update(STATION_DATA=str(work / "seed"), DATABASE_URL=f"sqlite:///{work / 'seed.sqlite3'}")
    from pipeline.site import django_setup
    django_setup.setup()


def seed(work: Path, pages: int, per_stack: int) -> list[Path]:
    """The seeded catalog (round, candidates, registration forms) and the scanned stacks; cached."""
    scans = work / "scans"
    if (work / "seed.done").exists():
        return sorted(scans.glob("stack*.pdf"))
    from django.core.management import call_command
    from django.db import connection
    from PIL import Image

    from pipeline.catalog.models import Candidate, Round
    from pipeline.core.domain import id_check_digit
    from pipeline.core.paths import data_paths
    from pipeline.forms.service import forms_generate
    from pipeline.ingest.scansim import ScanOptions, simulate

    paths = data_paths()
    paths.ensure()
    call_command("migrate", verbosity=0)
    Image.new("RGB", (295, 413), (180, 200, 230)).save(paths.photos / "photo.jpg", quality=85)
    round_ = Round.objects.create(code="2026-12", name="2026年12月职业技能鉴定",
                                  theory_at=dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC))
    probe = _candidates(round_, 0, 1, Candidate, id_check_digit)
    first = forms_generate(form="registration", round_=round_, out=work / "forms-probe", subject=probe[0].id_number)
    per_form = first.instances[0].pages
    count = max(1, pages // per_form) - 1
    _candidates(round_, 1, count, Candidate, id_check_digit)
    batch = forms_generate(form="registration", round_=round_, out=work / "forms", workers=2)
    sources = sorted([first.instances[0].pdf] + [g.pdf for g in batch.instances if g.subject_label != probe[0].name])
    scans.mkdir(exist_ok=True)
    per = max(1, per_stack // per_form)
    for number, start in enumerate(range(0, len(sources), per)):
        options = ScanOptions(dpi=200, seed=number, shuffle=True, stack=True)
        made = simulate(sources[start:start + per], work / "raw" / str(number), options)
        made[0].rename(scans / f"stack{number:03d}.pdf")
        print(f"  scanned stack {number + 1} ({len(sources[start:start + per])} forms)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    (work / "seed.done").write_text(str(per_form))
    return sorted(scans.glob("stack*.pdf"))


def _candidates(round_, start: int, count: int, model, check_digit) -> list:
    """count synthetic candidates numbered from start."""
    rows = []
    for serial in range(start, start + count):
        first17 = f"350203199{serial % 10}0101{serial:03d}"[:17]
        rows.append(model(round=round_, name=f"考生{serial:03d}", id_number=first17 + check_digit(first17),
                          gender="男女"[serial % 2], birth_date=dt.date(1990, 1, 1), phone="13800000000",
                          occupation="电工", level=4, ticket_number=f"T{serial:05d}", photo="photo.jpg",
                          sheet_row=serial + 2))
    return model.objects.bulk_create(rows)


def run(work: Path, scans: list[Path], workers: int, label: str, keep: bool = False) -> dict:
    """One measured run in a fresh data root: wall and CPU seconds, items filed, jobs not filed.
    keep: the inbox was filled by the caller, and the data root is left for it to inspect."""
    from pipeline.core.paths import config_dir

    root = work / "runs" / label
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    (root / "data" / "inbox").mkdir(parents=True, exist_ok=True)
    shutil.copy(work / "seed.sqlite3", root / "station.sqlite3")
    config = root / "config"
    shutil.copytree(config_dir(), config)
    station = config / "station.toml"
    station.write_text(re.sub(r"stable_seconds = [0-9.]+", "stable_seconds = 0", station.read_text("utf-8")), "utf-8")
    for scan in scans:
        shutil.copy(scan, root / "data" / "inbox" / scan.name)
    env = {**os.environ, "STATION_DATA": str(root / "data"), "STATION_CONFIG": str(config),
           "DATABASE_URL": f"sqlite:///{root / 'station.sqlite3'}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "ingest", "--once", "--workers", str(workers)],
                          env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    assert done.returncode in (0, 8), done.returncode      # 8: something was quarantined (the broken files)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    db = sqlite3.connect(root / "station.sqlite3")
    items = db.execute("select count(*) from catalog_archiveitem").fetchone()[0]
    unfinished = db.execute("select count(*) from catalog_ingestjob where state != 'filed'").fetchone()[0]
    db.close()
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "items": items, "unfinished": unfinished}


def baseline(work: Path, scans: list[Path]) -> tuple[float, float, int]:
    """bench/identify.py's identification + archival PDF over the same stacks: wall, CPU seconds, forms."""
    module = _load_identify_bench()
    out = work / "baseline"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    started, cpu0 = time.perf_counter(), time.process_time()
    forms = sum(module.run_end_to_end(scan, out) for scan in scans)
    return time.perf_counter() - started, time.process_time() - cpu0, forms


def main() -> None:
    """Seed (once), then baseline / 1 worker / 2 workers, --repeats times each; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--per-stack", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-ingest")
    parser.add_argument("--mix", action="store_true", help="all-QR stacks vs a realistic mix, 2 workers")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    setup_django(args.work)
    t0 = time.perf_counter()
    scans = seed(args.work, args.pages, args.per_stack)
    per_form = int((args.work / "seed.done").read_text())
    pages = _count_pages(scans)
    forms = pages // per_form
    print(f"# bench/ingest.py {dt.datetime.now():%Y-%m-%d %H:%M} cores={os.cpu_count()} "
          f"load={os.getloadavg()}  input: {pages} pages, {forms} registration forms of {per_form} pages, "
          f"{len(scans)} stacks ({time.perf_counter() - t0:.1f}s to seed or reuse, {args.work})", flush=True)
    if args.mix:
        main_mix(args, scans, pages)
        return
    rows: dict[str, list[dict]] = {"baseline": [], "1 worker": [], "2 workers": []}
    for repeat in range(args.repeats):
        wall, cpu, made = baseline(args.work, scans)
        assert made == forms, (made, forms)
        rows["baseline"].append({"wall": wall, "cpu": cpu})
        for workers in (1, 2):
            result = run(args.work, scans, workers, f"w{workers}-{repeat}")
            assert result["items"] == forms and result["unfinished"] == 0, result
            rows[f"{workers} worker{'s' if workers > 1 else ''}"].append(result)
        print(f"  repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.1f}s" for k, v in rows.items()),
              flush=True)
    base = statistics.median(r["wall"] for r in rows["baseline"])
    print(f"\n{pages} pages, median of {args.repeats}; load after: {os.getloadavg()}")
    print(f"{'path':<10} {'wall s':>7} {'pages/min':>10} {'CPU s':>7} {'CPU ms/page':>12} {'vs baseline':>12}")
    for name, values in rows.items():
        wall = statistics.median(r["wall"] for r in values)
        cpu = statistics.median(r["cpu"] for r in values)
        print(f"{name:<10} {wall:7.1f} {pages / wall * 60:10.0f} {cpu:7.1f} {cpu / pages * 1000:12.1f} "
              f"{base / wall:11.2f}x")


def mixed_inputs(work: Path, pages: int, per_stack: int) -> list[tuple[str, Path, int]]:
    """The realistic mix (see module docstring) as (inbox-relative name, file, pages); cached in work/mix."""
    import random

    import img2pdf

    from pipeline.ingest.scansim import ScanOptions, blank_back, jpeg_bytes, simulate, synthetic_page
    folder = work / "mix"
    if (folder / "done").exists():
        rows = [line.split("\t") for line in (folder / "done").read_text().splitlines()]
        return [(name, Path(path), int(count)) for name, path, count in rows]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(7)
    per_form = int((work / "seed.done").read_text())
    sources = sorted((work / "forms").rglob("*.pdf"))[: max(1, int(pages * 0.80) // per_form)]
    blanks, unmarked, broken = int(pages * 0.05), int(pages * 0.10), int(pages * 0.05)
    made: list[tuple[str, Path]] = []
    pages_of: dict[str, int] = {}
    per = max(1, per_stack // per_form)
    for number, start in enumerate(range(0, len(sources), per)):
        chunk = sources[start:start + per]
        upside = tuple(range(rng.randrange(1, 9), len(chunk) * per_form + 1, 8))
        raw = simulate(chunk, folder / "raw" / str(number), ScanOptions(dpi=200, seed=100 + number, shuffle=True,
                                                                        stack=True, upside_down=upside))[0]
        made.append((f"stack{number:03d}.pdf", raw))
    stacks = [path for _, path in made]
    for index in range(blanks):                      # blank backs slipped into the stacks
        import pikepdf
        target = stacks[index % len(stacks)]
        back = img2pdf.convert(jpeg_bytes(blank_back(200, rng), 200, 75))
        with pikepdf.open(target, allow_overwriting_input=True) as pdf, \
                pikepdf.open(__import__("io").BytesIO(back)) as b:
            pdf.pages.insert(rng.randrange(len(pdf.pages) + 1), b.pages[0])
            pdf.save(target)
    for index in range(unmarked):                    # letters without a QR: OCR decides nothing, the folder does
        lines = [f"关于第 {index + 1} 批考评员培训的通知", "各有关单位：", "现将培训安排通知如下，请准时参加。"]
        letter = folder / f"letter{index:03d}.pdf"
        letter.write_bytes(img2pdf.convert(jpeg_bytes(synthetic_page(None, lines, dpi=200), 200, 75)))
        made.append((f"公文/letter{index:03d}.pdf", letter))
    while broken > 0:                                # cut-off scans (a few pages each), as a copy interrupted midway
        import pikepdf
        count = min(broken, 5)
        piece = folder / f"broken{broken:03d}.pdf"
        with pikepdf.open(stacks[broken % len(stacks)]) as source:
            whole = pikepdf.new()
            for page in list(source.pages)[:count]:
                whole.pages.append(page)
            buffer = __import__("io").BytesIO()
            whole.save(buffer)
        data = buffer.getvalue()
        piece.write_bytes(data[: len(data) // 2])
        made.append((piece.name, piece))
        pages_of[piece.name] = count
        broken -= count
    for name, path in made:
        if name not in pages_of:
            pages_of[name] = _count_pages([path])
    (folder / "done").write_text("\n".join(f"{name}\t{path}\t{pages_of[name]}" for name, path in made))
    return [(name, path, pages_of[name]) for name, path in made]


def run_mix(work: Path, inputs: list[tuple[str, Path]], label: str) -> dict:
    """One measured 2-worker run over inputs (name, file); every job must end filed, in review or quarantined."""
    root = work / "runs" / label
    shutil.rmtree(root, ignore_errors=True)
    for name, path, _ in inputs:
        (root / "data" / "inbox" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, root / "data" / "inbox" / name)
    result = run(work, [], 2, label, keep=True)
    db = sqlite3.connect(root / "station.sqlite3")
    states = dict(db.execute("select state, count(*) from catalog_ingestjob group by state").fetchall())
    db.close()
    shutil.rmtree(root, ignore_errors=True)
    assert set(states) <= {"filed", "review", "quarantined"}, states
    return {**result, "states": states}


def main_mix(args, scans: list[Path], qr_pages: int) -> None:
    """--mix: all-QR stacks and the realistic mix, 2 workers each, --repeats times; pages/min."""
    mix = mixed_inputs(args.work, args.pages, args.per_stack)
    mix_pages = sum(count for _, _, count in mix)
    print(f"  mix: {len(mix)} files, {mix_pages} pages ({sum(c for n, _, c in mix if n.startswith('公文'))} unmarked, "
          f"{sum(c for n, _, c in mix if n.startswith('broken'))} in broken files)", flush=True)
    rows: dict[str, list[dict]] = {"all QR": [], "mix": []}
    for repeat in range(args.repeats):
        rows["all QR"].append(run(args.work, scans, 2, f"qr-{repeat}"))
        rows["mix"].append(run_mix(args.work, mix, f"mix-{repeat}"))
        print(f"  repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.1f}s" for k, v in rows.items()), flush=True)
    print(f"\nmedian of {args.repeats}, 2 workers; load after: {os.getloadavg()}")
    print(f"{'input':<8} {'pages':>6} {'wall s':>7} {'pages/min':>10} {'CPU s':>7}  outcome")
    for name, count in (("all QR", qr_pages), ("mix", mix_pages)):
        wall = statistics.median(r["wall"] for r in rows[name])
        cpu = statistics.median(r["cpu"] for r in rows[name])
        print(f"{name:<8} {count:6d} {wall:7.1f} {count / wall * 60:10.0f} {cpu:7.1f}  "
              f"items {rows[name][-1]['items']}, jobs {rows[name][-1].get('states', 'all filed')}")


def _count_pages(scans: list[Path]) -> int:
    import pikepdf
    total = 0
    for scan in scans:
        with pikepdf.open(scan) as pdf:
            total += len(pdf.pages)
    return total


if __name__ == "__main__":
    main()
