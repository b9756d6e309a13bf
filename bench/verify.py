"""Benchmark: `station verify` fixity throughput against `openssl dgst -sha256` and `sha256sum`, same files.

Generates item folders of incompressible PDF-ish bytes under /tmp (default 1 GB), writes them with
the real store (manifest, read-only), then times each tool over every file, cold and warm page cache,
the tools interleaved run by run (medians):
  openssl    `openssl dgst -sha256` (the same OpenSSL SHA-256 code hashlib uses), 1 process and
             2 processes (half the files each), 500 files per call
  sha256sum  GNU coreutils (its own portable SHA-256 code), 1 process
  verify     pipeline.archive.verify.fixity_check, 1 and 2 threads (hashlib releases the GIL)
Cold: `sync; echo 3 > /proc/sys/vm/drop_caches` before the run (page cache, dentries, inodes); when
that is refused, each file's pages are evicted with posix_fadvise(DONTNEED) instead, and the output
says which was used. Warm: after one unmeasured pass of the same tool.
Usage: .venv/bin/python bench/verify.py [--gb 1] [--root /tmp/h8-bench] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("STATION_DATA", "/tmp/h8-bench-data")

from pipeline.site import django_setup  # noqa: E402

django_setup.setup()

from pipeline.archive.store import item_write, iter_item_folders  # noqa: E402
from pipeline.archive.verify import fixity_check  # noqa: E402
from pipeline.core.domain import ArchivalCode  # noqa: E402
from pipeline.core.paths import DataPaths  # noqa: E402

ITEM_BYTES = 8 << 20   # an 8 MB scanned PDF and its original per item (~16 MB per item)
BATCH = 500            # files per openssl / sha256sum call


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


def drop_cache(files: list[str]) -> str:
    """Make the next read cold: drop the kernel's caches if permitted, else evict each file's pages."""
    subprocess.run(["sync"], check=True)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "drop_caches"
    except OSError:
        for name in files:
            fd = os.open(name, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
        return "fadvise"


def _batches(tool: list[str], files: list[str]) -> list[list[str]]:
    return [tool + files[i:i + BATCH] for i in range(0, len(files), BATCH)]


def time_tool(tool: list[str], files: list[str], procs: int = 1) -> float:
    """Seconds for `tool` over every file, the list split into procs concurrent processes."""
    start = time.perf_counter()
    shares = [files[i::procs] for i in range(procs)]
    queues = [_batches(tool, share) for share in shares]
    while any(queues):
        running = [subprocess.Popen(q.pop(0), stdout=subprocess.DEVNULL) for q in queues if q]
        if any(p.wait() for p in running):
            raise SystemExit(f"{tool[0]} failed")
    return time.perf_counter() - start


def time_verify(paths: DataPaths, workers: int) -> float:
    start = time.perf_counter()
    findings, _, _ = fixity_check(paths, list(iter_item_folders(paths)), workers=workers)
    assert not findings, findings[:3]
    return time.perf_counter() - start


def cases(paths: DataPaths, files: list[str]) -> dict:
    """name -> a function timing one pass."""
    return {"openssl dgst -sha256, 1 process": lambda: time_tool(["openssl", "dgst", "-sha256"], files),
            "openssl dgst -sha256, 2 processes": lambda: time_tool(["openssl", "dgst", "-sha256"], files, 2),
            "sha256sum, 1 process": lambda: time_tool(["sha256sum"], files),
            "verify fixity_check, 1 thread": lambda: time_verify(paths, 1),
            "verify fixity_check, 2 threads": lambda: time_verify(paths, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--root", default="/tmp/h8-bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    paths = DataPaths(Path(args.root))
    paths.ensure()
    generate(paths, int(args.gb * (1 << 30)))
    files = files_of(paths)
    mb = sum(os.path.getsize(f) for f in files) / 1e6
    timed = cases(paths, files)
    times: dict[tuple[str, str], list[float]] = {(n, c): [] for n in timed for c in ("cold", "warm")}
    how = ""
    load_before = os.getloadavg()
    for _ in range(args.runs):
        for name, run in timed.items():
            how = drop_cache(files)
            times[(name, "cold")].append(run())
            times[(name, "warm")].append(run())   # the cold pass above warmed the cache
    base = {c: statistics.median(times[("openssl dgst -sha256, 1 process", c)]) for c in ("cold", "warm")}
    rows = [{"tool": n, "cache": c, "median_s": round(statistics.median(t), 3), "runs": [round(x, 2) for x in t],
             "mb_s": round(mb / statistics.median(t)), "vs_openssl_1": round(base[c] / statistics.median(t), 2)}
            for (n, c), t in times.items()]
    meta = {"date": str(dt.date.today()), "files": len(files), "mb": round(mb), "cold_by": how,
            "load_before": [round(x, 1) for x in load_before], "load_after": [round(x, 1) for x in os.getloadavg()]}
    if args.json:
        print(json.dumps({"meta": meta, "rows": rows}, ensure_ascii=False, indent=2))
        return
    print(meta)
    for r in sorted(rows, key=lambda r: (r["cache"], r["tool"])):
        print(f"{r['cache']:<5} {r['tool']:<36} {r['median_s']:7.2f} s {r['mb_s']:6d} MB/s  "
              f"×{r['vs_openssl_1']:.2f} of openssl 1 process  runs {r['runs']}")


if __name__ == "__main__":
    main()
