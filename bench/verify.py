"""Benchmark: `station verify` fixity throughput against sha256sum over the same files, same run.

Generates item folders of incompressible PDF-ish bytes under /tmp (default 2 GB), writes them with
the real store (manifest, read-only), then times, twice each (warm page cache, medians):
  baseline  `sha256sum` over every file (single process)
  verify    pipeline.archive.verify.fixity_check (thread pool of 2; hashlib releases the GIL)
Usage: .venv/bin/python bench/verify.py [--gb 2] [--root /tmp/h8-bench] [--runs 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("STATION_DATA", "/tmp/h8-bench-data")

from pipeline.site import django_setup# noqa: E402

django_setup.setup()

from pipeline.core.domain import ArchivalCode  # noqa: E402
from pipeline.core.paths import DataPaths  # noqa: E402
from pipeline.archive.store import item_write, iter_item_folders  # noqa: E402
from pipeline.archive.verify import fixity_check  # noqa: E402

ITEM_BYTES = 8 << 20   # an 8 MB scanned PDF and its original per item (~16 MB per item)


def generate(paths: DataPaths, total: int) -> None:
    """Item folders of random bytes until total bytes exist (reused when already there)."""
    have = sum(p.stat().st_size for f in iter_item_folders(paths) for p in f.rglob("*") if p.is_file())
    number = len(list(iter_item_folders(paths)))
    scratch = paths.work / "orig.pdf"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    while have < total:
        number += 1
        body = b"%PDF-1.7\n" + os.urandom(ITEM_BYTES)
        scratch.write_bytes(os.urandom(ITEM_BYTES))
        code = ArchivalCode("J118", 2020, "D10", "KW", number)
        item_write(paths=paths, code=code, pdf=body, originals=[scratch],
                   metadata={"title": f"bench {number}", "doc_date": "2020-01-01"})
        have += 2 * ITEM_BYTES


def files_of(paths: DataPaths) -> list[str]:
    return [str(p) for f in iter_item_folders(paths) for p in sorted(f.rglob("*")) if p.is_file()]


def time_sha256sum(files: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(files), 500):
        subprocess.run(["sha256sum", *files[i:i + 500]], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_verify(paths: DataPaths, workers: int) -> float:
    start = time.perf_counter()
    findings, _, _ = fixity_check(paths, list(iter_item_folders(paths)), workers=workers)
    assert not findings, findings[:3]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--root", default="/tmp/h8-bench")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    paths = DataPaths(Path(args.root))
    paths.ensure()
    generate(paths, int(args.gb * (1 << 30)))
    files = files_of(paths)
    size = sum(os.path.getsize(f) for f in files)
    time_sha256sum(files)  # warm the page cache once (it cannot be dropped on a shared machine)
    base = [time_sha256sum(files) for _ in range(args.runs)]
    ours = {w: [time_verify(paths, w) for _ in range(args.runs)] for w in (1, 2)}
    mb = size / 1e6
    print(f"{dt.date.today()}  {len(files)} files, {mb:.0f} MB, warm cache, {args.runs} runs each, medians")
    print(f"sha256sum         {statistics.median(base):7.2f} s  {mb / statistics.median(base):7.0f} MB/s  (baseline)")
    for workers, times in ours.items():
        median = statistics.median(times)
        print(f"verify workers={workers}  {median:7.2f} s  {mb / median:7.0f} MB/s  "
              f"ratio {statistics.median(base) / median:.2f} of sha256sum")


if __name__ == "__main__":
    main()
