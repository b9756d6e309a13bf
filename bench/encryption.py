"""Encryption at rest: what it costs on ingest and on verify, as a ratio with it off (same command, medians).

    .venv/bin/python bench/encryption.py [--sheets 24] [--per-stack 8] [--repeats 3] [--verify-mb 256]

Ingest: answer sheets (category SJ, one QR-marked page each, scanned at 200 dpi by
pipeline.ingest.scansim) are filed by `python -m pipeline ingest --once` (a real subprocess,
start-up included) into a fresh data root, once with SJ `access = "secret"` (encrypted, text
sealed, kept scan encrypted) and once with `access = "open"`; runs alternate, medians compared.
Verify: item folders of random bytes (8 MB document + 8 MB original each) written by the real
store with and without a key, then `pipeline.archive.verify.fixity_check` over each set (warm cache).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
sys.path.insert(0, str(REPO))
SEED = """
import datetime as dt, sys
from pathlib import Path
from pipeline.site import django_setup; django_setup.setup()
from pipeline.catalog.models import FormInstance, Round
from pipeline.core.domain import QrPayload, new_instance_code
from pipeline.ingest.scansim import jpeg_bytes, stack_pdf, synthetic_page
out, sheets, per = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
round_ = Round.objects.create(code="2026-06", name="bench")
pages = []
for serial in range(1, sheets + 1):
    fi = FormInstance.objects.create(code=new_instance_code(), form="practical-score", round=round_,
        subject=f"T{serial}", title=f"实操答卷 {serial}", pages=1, retention_class="exam-papers", category="SJ",
        doc_date=dt.date(2026, 6, 6), data={"task": "三相异步电动机正反转控制线路安装与调试"})
    pages.append(jpeg_bytes(synthetic_page(QrPayload("DHJD", fi.code, 1, 1), [fi.title], dpi=200), 200))
for start in range(0, len(pages), per):
    stack_pdf(pages[start:start + per], out / f"stack{start // per:02d}.pdf")
"""


def _env(root: Path, access: str, key: str) -> dict:
    config = root / "config"
    shutil.copytree(REPO / "config", config)
    station = config / "station.toml"
    station.write_text(re.sub(r"stable_seconds = [0-9.]+", "stable_seconds = 0", station.read_text("utf-8")), "utf-8")
    classification = config / "classification.toml"
    text = classification.read_text("utf-8")
    classification.write_text(re.sub(r'(\[categories\.SJ\][^\[]*?)access = "\w+"', rf'\1access = "{access}"', text,
                                     flags=re.S), "utf-8")
    return {**os.environ, "STATION_DATA": str(root / "data"), "STATION_CONFIG": str(config), "STATION_KEY": key,
            "DATABASE_URL": f"sqlite:///{root / 'station.sqlite3'}", "PYTHONPATH": str(REPO)}


def seed(work: Path, sheets: int, per_stack: int, key: str) -> Path:
    """One seeded catalog (round, answer-sheet instances) and its scans, copied for every run."""
    template = work / "template"
    env = _env(template, "open", key)
    subprocess.run([PY, "-m", "pipeline", "init"], env=env, cwd=REPO, check=True, capture_output=True)
    scans = work / "scans"
    scans.mkdir()
    subprocess.run([PY, "-c", SEED, str(scans), str(sheets), str(per_stack)], env=env, cwd=REPO, check=True,
                   capture_output=True)
    return scans


def ingest_once(work: Path, scans: Path, access: str, key: str, run: int) -> float:
    """Seconds for `station ingest --once` over every stack in a fresh copy of the seed."""
    root = work / f"{access}-{run}"
    shutil.copytree(work / "template" / "data", root / "data")
    shutil.copy(work / "template" / "station.sqlite3", root / "station.sqlite3")
    env = _env(root, access, key)
    for stack in sorted(scans.glob("*.pdf")):
        shutil.copy(stack, root / "data" / "inbox" / stack.name)
    started = time.perf_counter()
    done = subprocess.run([PY, "-m", "pipeline", "ingest", "--once"], env=env, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    sealed = list((root / "data" / "archive").rglob("document.pdf"))
    assert sealed and all((p.read_bytes()[:7] == b"STNENC1") == (access == "secret") for p in sealed)
    shutil.rmtree(root)
    return elapsed


def verify_ratio(work: Path, megabytes: int, repeats: int, key: str) -> tuple[float, float]:
    """Median seconds of fixity_check over plain and over encrypted item folders of the same size."""
    os.environ.update(STATION_DATA=str(work / "verify-none"), STATION_KEY=key)
    from pipeline.site import django_setup
    django_setup.setup()
    from pipeline.archive.keys import key_configured
    from pipeline.archive.store import item_write, iter_item_folders
    from pipeline.archive.verify import fixity_check
    from pipeline.core.domain import ArchivalCode
    from pipeline.core.paths import DataPaths
    medians = []
    for name, archive_key in (("plain", None), ("encrypted", key_configured())):
        paths = DataPaths(work / f"verify-{name}")
        paths.ensure()
        scratch = paths.work / "orig.pdf"
        for number in range(1, max(1, megabytes // 16) + 1):
            scratch.write_bytes(os.urandom(8 << 20))
            item_write(paths=paths, code=ArchivalCode("J118", 2026, "D3", "SJ", number),
                       pdf=b"%PDF-1.7\n" + os.urandom(8 << 20), originals=[scratch],
                       metadata={"title": f"bench {number}", "doc_date": "2026-06-06"}, key=archive_key)
        folders = list(iter_item_folders(paths))
        fixity_check(paths, folders)                       # warm the page cache
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            findings, _, _ = fixity_check(paths, folders)
            times.append(time.perf_counter() - started)
            assert findings == []
        medians.append(statistics.median(times))
    return medians[0], medians[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=24)
    parser.add_argument("--per-stack", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--verify-mb", type=int, default=256)
    args = parser.parse_args()
    key = base64.b64encode(os.urandom(32)).decode("ascii")
    with tempfile.TemporaryDirectory(prefix="bench-encryption-") as folder:
        work = Path(folder)
        scans = seed(work, args.sheets, args.per_stack, key)
        runs = {"open": [], "secret": []}
        for run in range(args.repeats):
            for access in ("open", "secret"):
                runs[access].append(ingest_once(work, scans, access, key, run))
        off, on = (statistics.median(runs[a]) for a in ("open", "secret"))
        print(f"ingest --once, {args.sheets} answer sheets in {len(list(scans.glob('*.pdf')))} stacks, "
              f"{args.repeats} runs each: open {off:.2f} s, secret {on:.2f} s (median); ratio {on / off:.3f}")
        print(f"  all runs open {[round(t, 2) for t in runs['open']]}, secret {[round(t, 2) for t in runs['secret']]}")
        plain, sealed = verify_ratio(work, args.verify_mb, args.repeats, key)
        print(f"verify fixity, {args.verify_mb} MB of items: plain {plain:.2f} s, encrypted {sealed:.2f} s (median); "
              f"ratio {sealed / plain:.3f}")


if __name__ == "__main__":
    main()
