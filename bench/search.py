"""Search benchmark (issue 5): index build rate, index size, p50/p95 latency of 200+ mixed queries.

Three engines on the same generated corpus and the same fixed queries, in one run:
  baseline  Whoosh as first tried: jieba's ChineseAnalyzer on stored text, QueryParser, a new
            searcher per query (on --baseline-count records, as the issue measured it);
  whoosh    the shipped Whoosh set-up: pre-segmented tokens + bigrams, text not stored, exact
            identifier fields, a warm searcher, through pipeline.search.search();
  tantivy   tantivy-py on the same pre-segmented tokens, through pipeline.search.search().
Usage: python bench/search.py [--count 100000] [--baseline-count 20000] [--page-chars 1000-3000] [--cold-start 3]

--page-chars gives every record an OCR-length page of text (bench/search_corpus.py) instead of a form's
few fields. --cold-start N times N fresh processes per engine answering one query (imports, opening the
index, the segmenter's dictionary, the query), with the page cache warm and dropped
(`sync; echo 3 > /proc/sys/vm/drop_caches`, root), after one unmeasured process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_corpus import OCCUPATIONS, PHRASES, generate  # noqa: E402
from pipeline.core.config import get_config  # noqa: E402
from pipeline.core.paths import config_dir, data_paths  # noqa: E402
from pipeline.search import search  # noqa: E402
from pipeline.search.indexer import IndexHome, analyse_all, teach_words  # noqa: E402

TRADITIONAL = ["職業技能鑑定", "發動機", "監考", "考場記錄", "實操考核", "評分表", "維修", "營養"]


def build_queries(metas: list[dict], seed: int = 7) -> list[str]:
    """A fixed, mixed set of 220 queries staff would type, drawn from the corpus."""
    rng = random.Random(seed)
    personal = [m for m in metas if m["candidate_name"]]
    pick = lambda n: [rng.choice(personal) for _ in range(n)]  # noqa: E731
    queries = [m["candidate_name"] for m in pick(40)]
    queries += rng.sample(OCCUPATIONS, 20)
    queries += rng.sample(PHRASES, 20) + ["鉴定", "考场", "评分", "登记表", "审批", "通知", "拆封", "工位",
                                           "合格", "厦门"]
    queries += [m["candidate_id_number"] for m in pick(20)]
    queries += [m["candidate_id_number"][:rng.randint(6, 12)] for m in pick(10)]
    for m in pick(5):
        wrong = m["candidate_id_number"]
        queries.append(wrong[:17] + ("0" if wrong[17] != "0" else "1"))
    queries += [m["ticket_number"] for m in pick(15)]
    queries += [m["archival_code"] for m in rng.sample(metas, 10)]
    queries += [f"{m['candidate_name']} {m['occupation']}" for m in pick(20)]
    queries += [f"{a} OR {b}" for a, b in (rng.sample(OCCUPATIONS, 2) for _ in range(10))]
    queries += [f"{rng.choice(OCCUPATIONS)} -{rng.choice(PHRASES)}" for _ in range(10)]
    queries += [f'"{rng.choice(PHRASES)}"' for _ in range(10)]
    queries += [f"工种:{rng.choice(OCCUPATIONS)} 年度:{rng.randint(2016, 2025)}" for _ in range(5)]
    queries += [f"日期:{y}-01..{y}-06 {rng.choice(OCCUPATIONS)}" for y in rng.sample(range(2016, 2026), 5)]
    queries += TRADITIONAL + ["ＡＢＣ", "１２０学时"]
    return queries


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_queries(run, queries: list[str]) -> list[float]:
    """Milliseconds per query, after one warm-up pass over the whole set."""
    for query in queries:
        run(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def baseline(metas: list[dict], queries: list[str], root: Path) -> dict:
    """Whoosh as first measured: ChineseAnalyzer, stored text, QueryParser, a searcher per query."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import QueryParser

    schema = Schema(archival_code=ID(stored=True, unique=True), title=TEXT(stored=True),
                    content=TEXT(stored=True, analyzer=ChineseAnalyzer()), id_number=ID, ticket_number=ID)
    path = root / "baseline"
    path.mkdir(parents=True)
    ix = index.create_in(str(path), schema)
    started = time.perf_counter()
    with ix.writer(limitmb=128) as writer:
        for m in metas:
            writer.add_document(archival_code=m["archival_code"], title=m["title"],
                                content=m["title"] + " " + m["text"], id_number=m["candidate_id_number"],
                                ticket_number=m["ticket_number"])
    build = time.perf_counter() - started
    parser = QueryParser("content", schema)

    def run(query: str) -> None:
        with ix.searcher() as searcher:
            list(searcher.search(parser.parse(query), limit=20))

    return {"records": len(metas), "build_s": build, "size": folder_size(path),
            "times": time_queries(run, queries), "path": path}


def use_engine(name: str, root: Path) -> None:
    """Point the station's config and data at a fresh folder with [search] backend = name."""
    config = root / f"config-{name}"
    shutil.copytree(config_dir(), config)
    station = config / "station.toml"
    station.write_text(re.sub(r'(?m)^backend = "\w+"', f'backend = "{name}"', station.read_text(encoding="utf-8")),
                       encoding="utf-8")
    os.environ.update(STATION_CONFIG=str(config), STATION_DATA=str(root / f"data-{name}"))
    get_config.cache_clear()


def engine(name: str, metas: list[dict], queries: list[str], root: Path, procs: int) -> dict:
    """Build the shipped index with one backend and query it through pipeline.search.search()."""
    use_engine(name, root)
    started = time.perf_counter()
    docs = analyse_all(metas, procs=procs)
    analysed = time.perf_counter()
    IndexHome(data_paths().index, name).rebuild(docs, procs=1)
    built = time.perf_counter()
    times = time_queries(lambda q: search(q, limit=20), queries)
    return {"records": len(metas), "build_s": built - started, "analyse_s": analysed - started,
            "write_s": built - analysed, "size": folder_size(data_paths().index / name), "times": times}


COLD_BASELINE = """
import json, sys, time
t0 = time.perf_counter()
from whoosh import index
from whoosh.qparser import QueryParser
t1 = time.perf_counter()
ix = index.open_dir(sys.argv[1])
t2 = time.perf_counter()
with ix.searcher() as searcher:
    hits = len(list(searcher.search(QueryParser("content", ix.schema).parse(sys.argv[2]), limit=20)))
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "first_query": t3 - t2, "hits": hits}))
"""
COLD_ENGINE = """
import json, sys, time
t0 = time.perf_counter()
from pipeline.search import search
t1 = time.perf_counter()
from pipeline.search import _home, prepare
prepare(whole=False)
_home().open()
t2 = time.perf_counter()
hits = len(search(sys.argv[1], limit=20).hits)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "first_query": t3 - t2, "hits": hits}))
"""


def _drop_cache() -> bool:
    subprocess.run(["sync"], check=True)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def cold_start(argv: list[str], env: dict, runs: int) -> dict:
    """Fresh processes answering one query: total wall and the script's own split, warm and cold cache."""
    root = Path(__file__).resolve().parents[1]
    subprocess.run(argv, env=env, cwd=root, check=True, capture_output=True)    # writes caches (jieba)
    out: dict = {}
    for cache in ("warm", "cold"):
        rows = []
        for _ in range(runs):
            if cache == "cold" and not _drop_cache():
                break
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(argv, env=env, cwd=root, check=True, capture_output=True, text=True)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            rows.append({"total": wall, "cpu": cpu, **json.loads(done.stdout)})
        if rows:
            out[cache] = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    return out


def report_cold(label: str, result: dict) -> None:
    for cache, r in result.items():
        print(f"{label:9s} cold start, {cache} cache: first answer {r['total']:.2f} s (python+imports "
              f"{r['total'] - r['open'] - r['first_query']:.2f}, open {r['open']:.2f}, query {r['first_query']:.2f}),"
              f" CPU {r['cpu']:.2f} s, {r['hits']:.0f} hits")


def report(label: str, result: dict, base: dict | None) -> None:
    rate = result["records"] / result["build_s"]
    p50, p95 = statistics.median(result["times"]), percentile(result["times"], 0.95)
    line = (f"{label:9s} records {result['records']:>7,}  build {result['build_s']:7.1f} s = {rate:7.0f} rec/s"
            f"  size {result['size'] / 2**20:7.1f} MiB  p50 {p50:6.2f} ms  p95 {p95:7.2f} ms")
    if "analyse_s" in result:
        line += f"  (segment {result['analyse_s']:.1f} s, write {result['write_s']:.1f} s)"
    print(line)
    if base:
        base_rate = base["records"] / base["build_s"]
        print(f"{'':9s} vs baseline: build ×{rate / base_rate:.1f}, p50 ×{statistics.median(base['times']) / p50:.1f}"
              f" faster, p95 ×{percentile(base['times'], 0.95) / p95:.1f} faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--baseline-count", type=int, default=20_000)
    parser.add_argument("--procs", type=int, default=2, help="segmentation worker processes")
    parser.add_argument("--engines", default="baseline,whoosh,tantivy")
    parser.add_argument("--page-chars", help="e.g. 1000-3000: an OCR-length page of text per record")
    parser.add_argument("--cold-start", type=int, default=0, help="fresh processes per engine and cache state")
    parser.add_argument("--cold-query", default="张伟 电工")
    args = parser.parse_args()
    page_chars = tuple(int(x) for x in args.page_chars.split("-")) if args.page_chars else None
    print(f"# {' '.join(sys.argv)}  |  {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}")
    print("load average before: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()), flush=True)
    started = time.perf_counter()
    metas = list(generate(args.count, page_chars=page_chars))
    print(f"corpus generated in {time.perf_counter() - started:.0f} s", flush=True)
    queries = build_queries(metas)
    print(f"corpus {len(metas):,} records, {sum(len(m['text']) for m in metas) / len(metas):.0f} chars of text each;"
          f" {len(queries)} queries")
    teach_words(metas, OCCUPATIONS)
    root = Path(tempfile.mkdtemp(prefix="search-bench-"))
    engines = args.engines.split(",")
    try:
        base = baseline(metas[:args.baseline_count], queries, root) if "baseline" in engines else None
        if base:
            report("baseline", base, None)
            if args.cold_start:
                report_cold("baseline", cold_start([sys.executable, "-c", COLD_BASELINE, str(base["path"]),
                                                    args.cold_query], dict(os.environ), args.cold_start))
        for name in ("whoosh", "tantivy"):
            if name in engines:
                report(name, engine(name, metas, queries, root, args.procs), base)
                if args.cold_start:
                    report_cold(name, cold_start([sys.executable, "-c", COLD_ENGINE, args.cold_query],
                                                 dict(os.environ), args.cold_start))
        print("load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
