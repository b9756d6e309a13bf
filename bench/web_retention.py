"""Web benchmark of the retention pages (issue 15): server time of the due list (到期清单) and of the frozen
destruction register page (销毁清册) on a 100,000-record catalog; goal p95 < 300 ms.

1. Catalog (built once into --root, reused while --count matches): ArchiveItem rows from bench/search_corpus.py
   with their retention class, clock start and due date as ingest computes them; --holds round and item holds,
   --loans open loans on due items; one proposed register holding the due exam papers of --register-year
   (its rows are what the approver sees: evidence and the version hash over all of them).
2. Server time through Django's test client in this process (the whole request: session, sign-in, roles,
   selectors, template), after one warm-up pass: the due list (first page, a middle page, "blocked", "free")
   and the register page (first page of rows + version over every row); p50/p95 per page.
Usage: python bench/web_retention.py [--count 100000] [--root out/bench-retention] [--repeats 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-retention-password-1"
AS_OF = "2026-06-01"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _id(first17: str) -> str:
    from pipeline.core.domain import id_check_digit

    return first17 + id_check_digit(first17)


def _files(meta: dict) -> dict[str, str]:
    """A made-up archived file hash (no files are written: the bench reads the catalog only)."""
    return {"document.pdf": f"{hash(meta['archival_code']) & (2**64 - 1):064x}"}


def build(root: Path, count: int, holds: int, loans: int, register_year: int) -> None:
    """The catalog, holds, loans, users and one proposed register (the bench reads the catalog only)."""
    from django.core.management import call_command
    from django.utils import timezone

    from bench.search_corpus import catalog_item, generate
    from pipeline.catalog.models import ArchiveItem, DestructionBatch, DestructionEntry, Hold, Loan
    from pipeline.catalog.people import head_create_first, user_add
    from pipeline.core.config import get_config

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    config = get_config()
    head = head_create_first(
        username="benchhead", password=PASSWORD, full_name="测试站长", id_number=_id("35020319700101001")
    )
    user_add(
        actor=head,
        username="archivist",
        password=PASSWORD,
        roles=["archivist"],
        full_name="测试档案员",
        id_number=_id("35020319800101002"),
    )
    metas = list(generate(count))
    for start in range(0, len(metas), 5000):
        ArchiveItem.objects.bulk_create(
            [catalog_item(m, config, files_sha256=_files(m), text=False, due=True) for m in metas[start : start + 5000]]
        )
    rng, now, as_of = random.Random(7), timezone.now(), dt.date.fromisoformat(AS_OF)
    due = list(ArchiveItem.objects.filter(due_date__lte=as_of).values_list("id", "archival_code", "round_code"))
    rounds = sorted({r for _, _, r in due if r})
    Hold.objects.bulk_create(
        [
            Hold(scope="round", value=r, reason="上级检查", placed_by="benchhead", placed_at=now)
            for r in rng.sample(rounds, min(len(rounds), holds // 4))
        ]
        + [
            Hold(scope="item", value=c, reason="劳动争议待查", placed_by="benchhead", placed_at=now)
            for _, c, _ in rng.sample(due, min(len(due), holds - holds // 4))
        ]
    )
    Loan.objects.bulk_create(
        [
            Loan(
                item_id=i,
                borrower="王五",
                purpose="复核",
                requested_by="archivist",
                requested_at=now,
                state="lent",
                lent_at=now,
                due_back=as_of,
            )
            for i, _, _ in rng.sample(due, min(len(due), loans))
        ]
    )
    batch = DestructionBatch.objects.create(
        code=f"XH{register_year}-B", proposed_by="archivist", proposed_at=now, as_of=as_of
    )
    papers = ArchiveItem.objects.filter(category="SJ", year=register_year, due_date__lte=as_of).values_list(
        "id", flat=True
    )
    DestructionEntry.objects.bulk_create([DestructionEntry(batch=batch, item_id=i) for i in papers])
    (root / "ready.json").write_text(
        json.dumps(
            {
                "count": count,
                "due": len(due),
                "register": batch.code,
                "register_rows": len(papers),
                "build_s": round(time.perf_counter() - started, 1),
            }
        )
    )
    print(
        f"  catalog ready in {time.perf_counter() - started:.0f} s: {len(due)} due, register {len(papers)} rows",
        flush=True,
    )


def timed(client, url: str, repeats: int) -> list[float]:
    """Milliseconds per GET of url (after one warm-up), failing loudly on anything but 200."""

    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return response

    get()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--root", type=Path, default=ROOT / "out" / "bench-retention")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--holds", type=int, default=200)
    parser.add_argument("--loans", type=int, default=300)
    parser.add_argument("--register-year", type=int, default=2020)
    args = parser.parse_args()
    root = args.root.resolve()
    ready = root / "ready.json"
    fresh = not ready.exists() or json.loads(ready.read_text())["count"] != args.count
    if fresh and root.exists():
        import shutil

        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    os.environ["STATION_DATA"] = str(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipeline.site.settings")
    import django

    django.setup()
    if fresh:
        build(root, args.count, args.holds, args.loans, args.register_year)
    info = json.loads(ready.read_text())
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(username="benchhead"))
    pages = {
        "due list, page 1": f"/destruction/due/?as_of={AS_OF}",
        "due list, page 50": f"/destruction/due/?as_of={AS_OF}&page=50",
        "due list, blocked only": f"/destruction/due/?as_of={AS_OF}&show=blocked",
        "due list, free only": f"/destruction/due/?as_of={AS_OF}&show=free",
        f"register page ({info['register_rows']} rows)": f"/destruction/{info['register']}/",
    }
    print(
        f"{platform.python_version()} · {os.cpu_count()} CPUs · catalog {info['count']} items, {info['due']} due "
        f"on {AS_OF} · SQLite · {args.repeats} requests each after a warm-up"
    )
    for label, url in pages.items():
        times = timed(client, url, args.repeats)
        print(f"  {label:32s} p50 {statistics.median(times):7.1f} ms   p95 {percentile(times, 0.95):7.1f} ms")


if __name__ == "__main__":
    main()
