"""Search at scale (issue 13): OCR-length pages at 100,000 and 1,000,000 records, tantivy against baselines.

Corpus: every record of bench/search_corpus.generate(count) (the same seed: the same titles, names, ID
numbers, tickets, 档号 and form text as the short-text benchmark), its text grown to an OCR-length page
(--page-chars, 1,000–3,000 characters) by appending clauses of the station's paperwork (the templates of
search_corpus._page) drawn from a pool of --pool clauses; 60 % of pages take the pool's OCR-noisy copies.

Segmenting a million such pages with jieba would take ≈ 5.7 CPU-hours here, so the analysed token streams are
composed: jieba cuts text into blocks at every character outside its word class (spaces, 。) and segments
each block alone, and the CJK bigrams stop at the same characters; every clause ends with 。 and the form
text's fields are separated by spaces, so a page's words and bigrams are its parts' words and bigrams in
order. Each pool clause and each distinct field is analysed once by pipeline.search.analyzer (normalise,
words, grams: the indexer's own functions) and pages are joined from the results. --check N pages of the
indexed stream go through the indexer's analyse_all afterwards and must come out identical, field by field.

Engines, in one run on the same stream: tantivy (shipped) and whoosh through IndexHome.rebuild and
pipeline.search.search(); like: what a station without a search index has — the records in an SQLite table
and every typed word matched with LIKE '%word%' in title, text, 档号, ID or ticket, newest first, 20 rows.
Usage: python bench/search_scale.py --count 100000 --engines tantivy,like --check 2000 --cold-start 2
       python bench/search_scale.py --user-words 10000,100000   (CPU of loading the names an index opens with)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import resource
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search import (
    COLD_ENGINE,
    build_queries,
    cold_start,
    folder_size,
    percentile,
    report_cold,
    time_queries,
    use_engine,  # noqa: E402
)
from bench.search_corpus import CLAUSES, OCCUPATIONS, PHRASES, _name, _ocr, generate  # noqa: E402
from pipeline.core.paths import data_paths  # noqa: E402
from pipeline.search import search  # noqa: E402
from pipeline.search.analyzer import Analysed, grams, normalise, words  # noqa: E402
from pipeline.search.indexer import IndexHome, analyse_all, teach_words  # noqa: E402
from pipeline.search.schema import IndexDoc, doc_from_meta  # noqa: E402

END = "。"


def analyse_unit(unit: str) -> tuple[str, str]:
    """One part of a page (a clause, a field) as the analyzer sees it: its words and its bigrams."""
    text = normalise(unit)
    return " ".join(words(text, normalised=True)), " ".join(grams(text, normalised=True))


def _joined(parts: list[str]) -> str:
    return " ".join(p for p in parts if p)


class Pool:
    """Clauses of the station's paperwork with their analysis, clean and OCR-noisy."""

    def __init__(self, size: int, seed: int, procs: int) -> None:
        rng = random.Random(seed)
        self.clean = [self._clause(rng) + END for _ in range(size // 2)]
        self.noisy = [_ocr(rng, self._clause(rng)) + END for _ in range(size - size // 2)]
        texts = self.clean + self.noisy
        if procs <= 1:
            done = [analyse_unit(text) for text in texts]
        else:
            with multiprocessing.get_context("fork").Pool(procs) as workers:
                done = workers.map(analyse_unit, texts, chunksize=500)
        self.analysed = {"clean": done[:len(self.clean)], "noisy": done[len(self.clean):]}

    @staticmethod
    def _clause(rng: random.Random) -> str:
        year = rng.randint(2016, 2025)
        return rng.choice(CLAUSES).format(
            name=_name(rng), name2=_name(rng), occ=rng.choice(OCCUPATIONS), phrase=rng.choice(PHRASES),
            n=rng.randint(1, 40), year=year, m=rng.randint(1, 12), d=rng.randint(1, 28),
            score=rng.randint(40, 99), ticket=f"{year}{rng.randint(0, 10**8):08d}")


_MEMO: dict[str, tuple[str, str]] = {}     # field → its analysis (in this process)


def analyse_head(meta: dict) -> tuple[str, str, str]:
    """A record's title and form text analysed field by field: title words, text words, their bigrams."""
    def fields(text: str) -> list[tuple[str, str]]:
        out = []
        for unit in text.split(" "):
            got = _MEMO.get(unit)
            if got is None:
                got = _MEMO[unit] = analyse_unit(unit)
            out.append(got)
        return out

    head, title = fields(meta["text"]), fields(meta["title"])
    return _joined([w for w, _ in title]), _joined([w for w, _ in head]), _joined([g for _, g in title + head])


def analyse_heads(metas: list[dict], procs: int) -> list[tuple[str, str, str]]:
    """analyse_head of every record, on procs worker processes."""
    if procs <= 1:
        return [analyse_head(meta) for meta in metas]
    with multiprocessing.get_context("fork").Pool(procs) as workers:
        return workers.map(analyse_head, metas, chunksize=2000)


def pages(metas: list[dict], pool: Pool, *, seed: int, page_chars: tuple[int, int],
          heads: list[tuple[str, str, str]] | None = None, tokens: bool = True) -> Iterator[tuple[dict, Analysed]]:
    """Each record with an OCR-length page of text, and that page's analysis composed from its parts
    (tokens=False: the text only, the same pages, for the LIKE table)."""
    rng = random.Random(seed)
    heads = analyse_heads(metas, 1) if heads is None else heads
    kinds = {kind: (texts, [a[0] for a in pool.analysed[kind]], [a[1] for a in pool.analysed[kind]],
                    [len(t) for t in texts], range(len(texts)))
             for kind, texts in (("clean", pool.clean), ("noisy", pool.noisy))}
    for meta, (title_words, head_words, head_grams) in zip(metas, heads, strict=True):
        target = rng.randint(*page_chars)
        texts, piece_words, piece_grams, lengths, span = kinds["noisy" if rng.random() < 0.6 else "clean"]
        parts, word_parts, gram_parts = [meta["text"], END], [head_words], [head_grams]
        length = len(meta["text"]) + 1
        while length < target:
            for pick in rng.choices(span, k=16):
                parts.append(texts[pick])
                if tokens:
                    word_parts.append(piece_words[pick])
                    gram_parts.append(piece_grams[pick])
                length += lengths[pick]
                if length >= target:
                    break
        yield ({**meta, "text": "".join(parts)},
               Analysed(title=title_words, text=_joined(word_parts), grams=_joined(gram_parts)) if tokens else None)


class Timed:
    """An iterator that adds up the time spent producing its items (corpus generation, not indexing)."""

    def __init__(self, items: Iterator) -> None:
        self.items, self.seconds, self.count = items, 0.0, 0

    def __iter__(self):
        return self

    def __next__(self):
        started = time.perf_counter()
        try:
            return next(self.items)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def _sampled(stream: Iterator, every: int, sample: list) -> Iterator:
    for number, item in enumerate(stream):
        if every and number % every == 0:
            sample.append(item)
        yield item


def check(sample: list[tuple[dict, Analysed]], procs: int) -> dict:
    """The indexer's own analysis (analyse_all) of sampled pages against the composed streams."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    real = analyse_all([meta for meta, _ in sample], procs=procs)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    fields = ("title", "text", "grams")
    same = {f: sum(getattr(r.analysed, f) == getattr(a, f) for r, (_, a) in zip(real, sample, strict=True))
            for f in fields}
    return {"pages": len(sample), "wall": wall, "cpu": cpu, "same": same,
            "tokens": sum(len(a.text.split()) + len(a.grams.split()) for _, a in sample)}


def build_index(name: str, stream: Iterator[tuple[dict, Analysed]], root: Path) -> dict:
    """The shipped index with one backend, written from the composed stream."""
    use_engine(name, root)
    timed = Timed(stream)
    started = time.perf_counter()
    count = IndexHome(data_paths().index, name).rebuild((IndexDoc(doc_from_meta(m), a) for m, a in timed), procs=1)
    total = time.perf_counter() - started
    return {"records": count, "write_s": total - timed.seconds, "generate_s": timed.seconds,
            "size": folder_size(data_paths().index / name)}


# ---------------------------------------------------------------- the LIKE baseline

FILTERS = {"工种": "occupation = ?", "年度": "year = ?"}


def like_sql(query: str) -> tuple[str, list]:
    """A search box without an index: every word must occur in a field (LIKE), OR between words, -word excluded."""
    try:
        tokens = shlex.split(query)
    except ValueError:
        tokens = query.split()
    groups: list[list[str]] = []
    conds, params = [], []
    joined = False
    for token in tokens:
        if token == "OR":
            joined = True
            continue
        field, _, value = token.partition(":")
        if value and field in FILTERS:
            conds.append(FILTERS[field])
            params.append(int(value) if field == "年度" else value)
        elif value and field == "日期":
            low, _, high = value.partition("..")
            conds.append("doc_date BETWEEN ? AND ?")
            params += [low, high + "-99"]
        elif token.startswith("-") and len(token) > 1:
            conds.append("NOT " + _any_field())
            params += [f"%{token[1:]}%"] * 5
        elif joined and groups:
            groups[-1].append(token)
        else:
            groups.append([token])
        joined = False
    for group in groups:
        conds.append("(" + " OR ".join(_any_field() for _ in group) + ")")
        params += [f"%{word}%" for word in group for _ in range(5)]
    where = " AND ".join(conds) or "1"
    return f"SELECT archival_code, title FROM items WHERE {where} ORDER BY doc_date DESC LIMIT 20", params


def _any_field() -> str:
    return "(title LIKE ? OR archival_code LIKE ? OR id_number LIKE ? OR ticket_number LIKE ? OR text LIKE ?)"


def build_like(stream: Iterator[tuple[dict, Analysed]], root: Path) -> dict:
    """The records in one SQLite table (text last: read only when the short fields did not match)."""
    path = root / "like.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE items (archival_code TEXT PRIMARY KEY, title TEXT, doc_date TEXT, year INTEGER,"
               " occupation TEXT, id_number TEXT, ticket_number TEXT, text TEXT)")
    timed = Timed(stream)
    started = time.perf_counter()
    with db:
        db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
            (m["archival_code"], m["title"], m["doc_date"], m["year"], m["occupation"], m["candidate_id_number"],
             m["ticket_number"], m["text"]) for m, _ in timed))
        db.execute("CREATE INDEX items_date ON items (doc_date)")
    total = time.perf_counter() - started
    db.close()
    return {"records": timed.count - 1, "write_s": total - timed.seconds, "generate_s": timed.seconds,
            "size": path.stat().st_size, "path": path}


def time_like(path: Path, queries: list[str]) -> list[float]:
    """Milliseconds per query, one pass, after one untimed scan of the whole table (warms the page cache)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.execute("SELECT count(*) FROM items WHERE text LIKE '%之乎者也%'").fetchone()
    times = []
    for query in queries:
        sql, params = like_sql(query)
        started = time.perf_counter()
        db.execute(sql, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    db.close()
    return times


COLD_LIKE = """
import json, sys, time
t0 = time.perf_counter()
import sqlite3
t1 = time.perf_counter()
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
db.execute("SELECT count(*) FROM sqlite_master").fetchone()
t2 = time.perf_counter()
hits = len(db.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall())
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "first_query": t3 - t2, "hits": hits}))
"""


# ---------------------------------------------------------------- run

def load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def report_build(label: str, result: dict) -> None:
    rate = result["records"] / result["write_s"]
    print(f"{label:8s} records {result['records']:>9,}  write {result['write_s']:8.1f} s = {rate:7.0f} rec/s"
          f"  (generating, not counted: {result['generate_s']:.1f} s)  size {result['size'] / 2**20:9.1f} MiB",
          flush=True)


def report_times(label: str, times: list[float], what: str) -> None:
    print(f"{label:8s} {what}: p50 {statistics.median(times):8.2f} ms  p95 {percentile(times, 0.95):8.2f} ms",
          flush=True)


def report_ratio(label: str, result: dict, base: dict, subset: list[int]) -> None:
    chosen = [result["times"][i] for i in subset]
    print(f"{label:8s} against like on the same {len(subset)} queries: p50 {statistics.median(chosen):.2f} ms "
          f"(like ×{statistics.median(base['times']) / statistics.median(chosen):.1f}), p95 "
          f"{percentile(chosen, 0.95):.2f} ms (like ×{percentile(base['times'], 0.95) / percentile(chosen, 0.95):.1f});"
          f" write like/{label} ×{base['write_s'] / result['write_s']:.2f}", flush=True)


def four_digit_items(metas: list[dict]) -> int:
    """Item numbers past 9,999 in one year, retention and category (a million records) move to fonds J118<n>,
    as a 档号's item number has four digits; return how many moved."""
    moved = 0
    for meta in metas:
        head, _, item = meta["archival_code"].rpartition("-")
        if len(item) > 4:
            fonds, rest = head.split("-", 1)
            meta["archival_code"] = f"{fonds}{int(item) // 10_000}-{rest}-{int(item) % 10_000:04d}"
            moved += 1
    return moved


def user_words_cost(counts: list[int], cache: Path, query: str = "张伟 电工") -> None:
    """CPU time from taking on a corpus's candidate names (as opening an index does) to segmenting the first
    query: as opened now (names pending, taught when a text contains them) and, in the same run, every name
    taught up front (as opening did before)."""
    for count in counts:
        names_file = cache / f"userdict-{count}.txt"
        for mode in ("up front", "as opened"):
            code = ("import sys, time; from pathlib import Path; sys.path.insert(0, '.');"
                    "from bench.search_corpus import generate; from pipeline.search import analyzer;"
                    f"f = Path({str(names_file)!r});"
                    f"names = sorted({{m['candidate_name'] for m in generate({count}) if m['candidate_name']}});"
                    "f.write_text('\\n'.join(names) + '\\n', encoding='utf-8');"
                    f"analyzer.prepare(Path({str(cache)!r}), whole=False); t = time.process_time();"
                    + ("analyzer.add_user_words(f.read_text(encoding='utf-8').split());" if mode == "up front"
                       else "analyzer.load_user_dictionary(f);")
                    + f"analyzer.words({query!r}); print(len(names), time.process_time() - t)")
            done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                                  check=True, capture_output=True, text=True)
            names, cpu = done.stdout.split()
            print(f"{count:>9,} records, {int(names):>7,} candidate names, {mode:9s}: first query segmented after "
                  f"{float(cpu):.3f} s of CPU ({float(cpu) / int(names) * 1e6:.1f} µs a name)", flush=True)
        names_file.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20_261_205)
    parser.add_argument("--pool", type=int, default=200_000, help="distinct clauses pages are drawn from")
    parser.add_argument("--page-chars", default="1000-3000")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--engines", default="tantivy,like")
    parser.add_argument("--check", type=int, default=2000, help="pages compared with analyse_all")
    parser.add_argument("--like-every", type=int, default=1, help="time the LIKE baseline on every k-th query")
    parser.add_argument("--cold-start", type=int, default=0)
    parser.add_argument("--cold-query", default="张伟 电工")
    parser.add_argument("--root", default="/work/benchruns/s5c")
    parser.add_argument("--keep", action="store_true", help="keep the indexes and the table")
    parser.add_argument("--user-words", help="e.g. 10000,100000: only time loading that many records' names")
    args = parser.parse_args()
    if args.user_words:
        user_words_cost([int(n) for n in args.user_words.split(",")], Path(args.root) / "jieba-cache")
        return
    page_chars = tuple(int(x) for x in args.page_chars.split("-"))
    print(f"# {' '.join(sys.argv)}  |  {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC", flush=True)
    print(f"load average at start: {load()}", flush=True)
    root = Path(args.root) / f"run-{args.count}-{os.getpid()}"
    root.mkdir(parents=True)
    try:
        started = time.perf_counter()
        metas = list(generate(args.count, seed=args.seed))
        moved = four_digit_items(metas)
        queries = build_queries(metas)
        teach_words(metas, OCCUPATIONS)
        print(f"records generated in {time.perf_counter() - started:.0f} s ({moved:,} 档号 past item 9999 moved to "
              f"another fonds); {len(queries)} queries", flush=True)
        started = time.perf_counter()
        pool = Pool(args.pool, args.seed + 1, args.procs)
        print(f"pool: {args.pool:,} clauses analysed in {time.perf_counter() - started:.0f} s "
              f"({args.procs} processes)", flush=True)

        started = time.perf_counter()
        heads = analyse_heads(metas, args.procs)
        print(f"titles and form text analysed field by field in {time.perf_counter() - started:.0f} s "
              f"({args.procs} processes)", flush=True)

        def stream(tokens: bool = True) -> Iterator[tuple[dict, Analysed]]:
            return pages(metas, pool, seed=args.seed + 2, page_chars=page_chars, heads=heads, tokens=tokens)

        subset = list(range(0, len(queries), args.like_every))
        engines = args.engines.split(",")
        first = next((n for n in engines if n != "like"), "")
        results: dict[str, dict] = {}
        for name in engines:
            print(f"{name}: load at start {load()}", flush=True)
            if name == "like":
                result = results[name] = build_like(stream(tokens=False), root)
                report_build(name, result)
                result["times"] = time_like(result["path"], [queries[i] for i in subset])
                report_times(name, result["times"], f"{len(subset)} queries (every {args.like_every})")
                if args.cold_start:
                    sql, params = like_sql(args.cold_query)
                    report_cold(name, cold_start([sys.executable, "-c", COLD_LIKE, str(result["path"]), sql,
                                                  json.dumps(params)], dict(os.environ), args.cold_start))
                print(f"{name}: load at end {load()}", flush=True)
                continue
            sample: list = []
            every = max(1, args.count // args.check) if args.check and name == first else 0
            result = results[name] = build_index(name, _sampled(stream(), every, sample), root)
            report_build(name, result)
            result["times"] = time_queries(lambda q: search(q, limit=20), queries)
            report_times(name, result["times"], f"all {len(queries)} queries")
            if sample:
                got = check(sample, args.procs)
                per_page = got["wall"] / got["pages"]
                print(f"{'':8s} check: {got['pages']:,} pages through analyse_all ({args.procs} processes): "
                      f"identical title {got['same']['title']:,}, text {got['same']['text']:,}, grams "
                      f"{got['same']['grams']:,}; {got['tokens'] / got['pages']:,.0f} tokens a page; "
                      f"{per_page * 1000:.1f} ms a page wall, {got['cpu'] / got['pages'] * 1000:.1f} ms CPU → "
                      f"segmenting {args.count:,} pages ≈ {per_page * args.count / 60:,.0f} min", flush=True)
            if args.cold_start:
                report_cold(name, cold_start([sys.executable, "-c", COLD_ENGINE, args.cold_query],
                                             dict(os.environ), args.cold_start))
            print(f"{name}: load at end {load()}", flush=True)
        for name, result in results.items():
            if name != "like" and "like" in results:
                report_ratio(name, result, results["like"], subset)
        print(f"load average at end: {load()}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
