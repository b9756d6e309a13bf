"""Web benchmark (issue 14): the search page's server time on the 100,000-record corpus, a bounded loopback
load test against gunicorn (`station serve`), and the bytes the search page transfers.

1. Corpus (built once into --root, reused while --count matches): the catalog (100,000 ArchiveItem rows from
   bench/search_corpus.py), a metadata.json per item (snippets are read from it), the tantivy index, and
   --documents filed items with a real one-page archival PDF (record page, thumbnails); two users.
2. Server time: the 220 fixed queries of bench/search.py through Django's test client in this process
   (the whole request: sign-in check, search, template), after one warm-up pass; p50/p95.
3. Load: `station serve` on 127.0.0.1, --sessions signed-in sessions (half archivist, half 考务人员) for
   --duration seconds, each looping search 40 % / record page 20 % / thumbnail 20 % / inbox status 20 %;
   requests/s, p50/p95 per kind, errors (any status but 200, any exception). One run per --think value: the
   mean pause between one session's requests (default 1 s — a person reads a result page for longer; the inbox
   page polls its status every 3 s), then 0 s: every session fires its next request at once (saturation: the
   most the server answers per second, and how long a request waits then).
4. Transferred bytes of one search page: HTML, and the CSS/JS it loads on a first visit.
Usage: python bench/web.py [--count 100000] [--root out/bench-web] [--sessions 20] [--duration 60] [--workers N]
                           [--think 1 0]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.cookiejar
import io
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-web-password-1"
USERS = {"bench": ["archivist"], "clerk": ["exam_affairs"]}
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
MIX = [("search", 40), ("record", 20), ("thumbnail", 20), ("status", 20)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def _id(first17: str) -> str:
    from pipeline.core.domain import id_check_digit

    return first17 + id_check_digit(first17)


def _document_pdf(title: str) -> bytes:
    """A real one-page archival PDF: a rendered page of Chinese text, as a scanner makes it."""
    import img2pdf
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    draw.text((100, 120), title, font=ImageFont.truetype(FONT, 40), fill=0)
    for row in range(12):
        draw.text(
            (100, 260 + row * 60),
            f"第 {row + 1} 行  考生签名  考评员签名  日期",
            font=ImageFont.truetype(FONT, 28),
            fill=0,
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return img2pdf.convert([buffer.getvalue()])


def build(root: Path, count: int, documents: int) -> None:
    """The corpus data root: catalog, metadata.json files, some real documents, the index, users."""
    from django.core.management import call_command

    from bench.search_corpus import OCCUPATIONS, catalog_item, generate
    from pipeline.catalog.models import ArchiveItem
    from pipeline.catalog.people import head_create_first, user_add
    from pipeline.core.config import get_config
    from pipeline.core.paths import data_paths
    from pipeline.search.indexer import IndexHome, analyse_all, metadata_path, teach_words

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    paths, config = data_paths(), get_config()
    head = head_create_first(
        username="benchhead", password=PASSWORD, full_name="测试站长", id_number=_id("35020319700101001")
    )
    for n, (name, roles) in enumerate(USERS.items(), 2):
        user_add(
            actor=head,
            username=name,
            password=PASSWORD,
            roles=roles,
            full_name=f"测试{name}",
            id_number=_id(f"35020319800101{n:03d}"),
        )
    metas = list(generate(count))
    for meta in metas:
        access = config.categories[meta["category"]].access
        meta["secret"], meta["restricted"] = access == "secret", access != "open"
    with_documents = [m for m in metas if not m["restricted"]][:documents]
    files: dict[str, dict[str, str]] = {}  # 档号 → its archived file's SHA-256
    for meta in with_documents:
        data = _document_pdf(meta["title"])
        folder = metadata_path(paths.archive, meta["archival_code"]).parent
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "document.pdf").write_bytes(data)
        files[meta["archival_code"]] = {"document.pdf": hashlib.sha256(data).hexdigest()}
    for meta in metas:
        path = metadata_path(paths.archive, meta["archival_code"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({**meta, "text": "" if meta["secret"] else meta["text"]}, ensure_ascii=False), encoding="utf-8"
        )
    print(f"  metadata written {time.perf_counter() - started:.0f} s", flush=True)
    for start in range(0, len(metas), 5000):
        ArchiveItem.objects.bulk_create(
            [catalog_item(m, config, files_sha256=files.get(m["archival_code"])) for m in metas[start : start + 5000]]
        )
    print(f"  catalog filled {time.perf_counter() - started:.0f} s", flush=True)
    teach_words(metas, OCCUPATIONS)
    IndexHome(paths.index, config.search.backend).rebuild(analyse_all(metas, procs=2), procs=1)
    (root / "ready.json").write_text(
        json.dumps({"count": count, "documents": sorted(files), "build_s": round(time.perf_counter() - started, 1)})
    )
    print(f"  index built; corpus ready in {time.perf_counter() - started:.0f} s", flush=True)


def server_time(queries: list[str]) -> tuple[list[float], bytes]:
    """Milliseconds per search page in this process (test client, signed in), after a warm-up pass."""
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(username="clerk"))

    def get(query: str):
        response = client.get("/search/", {"q": query})
        if response.status_code != 200:
            raise SystemExit(f"search page for {query!r}: HTTP {response.status_code}")
        return response

    for query in queries:
        get(query)
    times, page = [], b""
    for query in queries:
        started = time.perf_counter()
        response = get(query)
        times.append((time.perf_counter() - started) * 1000)
        if query == queries[0]:
            page = response.content
    return times, page


def transferred(page: bytes) -> dict:
    """Bytes of one search page (HTML) and of the static files it loads on a first visit."""
    from django.contrib.staticfiles import finders

    assets = re.findall(rb'(?:href|src)="/static/([^"]+)"', page)
    sizes = {a.decode(): Path(finders.find(a.decode())).stat().st_size for a in assets}
    return {
        "html": len(page),
        "html_gzip": len(gzip.compress(page)),
        "assets": sizes,
        "first_visit": len(page) + sum(sizes.values()),
    }


class Session:
    """One signed-in browser: a cookie jar and the CSRF token of the sign-in form."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = self.get("/login/")[1].decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
        status, page = self.get("/login/", body.encode())
        if status != 200 or "/login/" in self.last_url:
            raise SystemExit(f"sign-in of {username} failed (HTTP {status})")

    def get(self, path: str, data: bytes | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=data, headers={"Referer": self.base + "/login/"})
        with self.opener.open(request, timeout=30) as response:
            self.last_url = response.geturl()
            return response.status, response.read()


def load(base: str, sessions: int, duration: float, queries: list[str], codes: list[str], think: float = 0.0) -> dict:
    """Every session loops the mix until the deadline, pausing a random think time (exponential, mean `think`
    seconds; 0: none) between requests; latencies per kind, errors."""
    results: dict[str, list[float]] = {kind: [] for kind, _ in MIX}
    errors: list[str] = []
    lock = threading.Lock()
    clients = [Session(base, "bench" if n % 2 else "clerk") for n in range(sessions)]
    deadline = [0.0]
    warm = threading.Barrier(sessions + 1, action=lambda: deadline.__setitem__(0, time.monotonic() + duration))

    def run(number: int, client: Session) -> None:
        rng = random.Random(number)
        kinds, weights = zip(*MIX, strict=False)
        try:  # untimed: the workers load the search engine on their first search
            client.get("/search/?" + urllib.parse.urlencode({"q": rng.choice(queries)}))
        finally:
            warm.wait()
        while time.monotonic() < deadline[0]:
            kind = rng.choices(kinds, weights)[0]
            code = urllib.parse.quote(rng.choice(codes))
            path = {
                "search": "/search/?" + urllib.parse.urlencode({"q": rng.choice(queries)}),
                "record": f"/items/{code}/",
                "thumbnail": f"/items/{code}/pages/1.png",
                "status": "/inbox/status/",
            }[kind]
            started = time.perf_counter()
            try:
                status, _ = client.get(path)
                problem = "" if status == 200 else f"{kind} HTTP {status}"
            except Exception as exc:  # noqa: BLE001 — every failure is counted, none stops the run
                problem = f"{kind} {type(exc).__name__}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                results[kind].append(elapsed)
                if problem:
                    errors.append(problem)
            if think:
                time.sleep(min(rng.expovariate(1 / think), 10 * think))

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    warm.wait()
    started = deadline[0] - duration
    for thread in threads:
        thread.join()
    return {"seconds": time.monotonic() - started, "results": results, "errors": errors}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_command(port: int, workers: int) -> list[str]:
    """`station serve` when this tree has it; else the same gunicorn it runs (said so in the output)."""
    station = [
        sys.executable,
        "-m",
        "pipeline",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    probe = subprocess.run([sys.executable, "-m", "pipeline", "serve", "--help"], cwd=ROOT, capture_output=True)
    if probe.returncode == 0:
        return station
    print("  (no `station serve` in this tree: gunicorn started directly, sync workers)")
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "django.core.wsgi:get_wsgi_application()",
    ]


def serve(port: int, workers: int, log: Path) -> subprocess.Popen:
    """`station serve` (gunicorn) on loopback; waits until it answers."""
    server = subprocess.Popen(
        _server_command(port, workers),
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}; see {log}") from None
            time.sleep(0.5)
    os.killpg(server.pid, 15)
    raise SystemExit(f"the server did not answer within 2 minutes; see {log}")


def report_load(label: str, outcome: dict) -> None:
    total = sum(len(v) for v in outcome["results"].values())
    every = [t for v in outcome["results"].values() for t in v]
    print(
        f"{label}: {total} requests in {outcome['seconds']:.1f} s = {total / outcome['seconds']:.1f} req/s, "
        f"p50 {statistics.median(every):.0f} ms, p95 {percentile(every, 0.95):.0f} ms, "
        f"errors {len(outcome['errors'])}"
    )
    for kind, times in outcome["results"].items():
        if times:
            print(
                f"  {kind:9s} {len(times):6d} requests  p50 {statistics.median(times):7.1f} ms  "
                f"p95 {percentile(times, 0.95):7.1f} ms"
            )
    for problem in sorted(set(outcome["errors"]))[:10]:
        print(f"  error: {problem} (×{outcome['errors'].count(problem)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=200, help="items with a real archival PDF")
    parser.add_argument("--root", type=Path, default=ROOT / "out" / "bench-web")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers of station serve (default: its own, 2 per core)"
    )
    parser.add_argument(
        "--think",
        type=float,
        nargs="*",
        default=[1.0, 0.0],
        help="mean pause between one session's requests, seconds (one load run per value; 0: none, saturation)",
    )
    args = parser.parse_args()
    root = args.root.resolve()
    os.environ["STATION_DATA"] = str(root / "data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "pipeline.site.settings"
    print(
        f"# {' '.join(sys.argv)}  |  {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    ready = root / "ready.json"
    if not ready.is_file() or json.loads(ready.read_text())["count"] != args.count:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        (root / "data").mkdir(parents=True)
        from pipeline.site.django_setup import setup

        setup()
        print(f"building the {args.count:,}-record corpus in {root} (once)", flush=True)
        build(root, args.count, args.documents)
    else:
        from django.core.management import call_command

        from pipeline.site.django_setup import setup

        setup()
        call_command("migrate", verbosity=0)  # a corpus built before a new migration
    from bench.search import build_queries
    from bench.search_corpus import generate

    queries = build_queries(list(generate(args.count)))
    codes = json.loads(ready.read_text())["documents"]
    times, page = server_time(queries)
    print(
        f"search page, server time ({len(queries)} queries, in process, signed in as 考务人员): "
        f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, max {max(times):.0f} ms"
    )
    sizes = transferred(page)
    print(
        f"search page transferred: HTML {sizes['html']:,} B ({sizes['html_gzip']:,} B gzipped); first visit with "
        f"CSS/JS {sizes['first_visit']:,} B ({', '.join(f'{k} {v:,}' for k, v in sizes['assets'].items())})"
    )
    port = _free_port()
    if args.workers is None:
        from pipeline.cli.serve import default_workers

        args.workers = default_workers()
    server = serve(port, args.workers, root / "serve.log")
    try:
        for think in args.think:
            outcome = load(f"http://127.0.0.1:{port}", args.sessions, args.duration, queries, codes, think)
            pause = f"think time mean {think:g} s" if think else "no think time (saturation)"
            report_load(
                f"load: {args.sessions} sessions × {args.duration:.0f} s, {pause}, {args.workers} gunicorn workers",
                outcome,
            )
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
