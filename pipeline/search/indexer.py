"""Where the index lives, how it is opened, checked and rebuilt from archive/ alone.

Layout: index/<backend>/engine/ (the engine's files), index/<backend>/station-index.json (schema
version, document count, build time) and index/<backend>/userdict.txt (jieba words the index
was built with, loaded again before queries are segmented). A rebuild goes into a new folder
that replaces the old one only when complete.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import multiprocessing
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import IntegrityProblem
from pipeline.search.analyzer import add_user_words, load_user_dictionary, save_user_dictionary
from pipeline.search.backends import open_backend
from pipeline.search.schema import SCHEMA_VERSION, IndexDoc, Progress, doc_from_meta, index_doc

log = logging.getLogger(__name__)
MARKER = "station-index.json"
USERDICT = "userdict.txt"
PARALLEL_FROM = 2_000          # below this many documents a worker pool costs more than it saves
CHUNK = 500
_OPEN: dict[Path, tuple[str, object]] = {}  # warm backends (and searchers) by folder, with their build id
_HELD: dict[Path, int] = {}                 # index folders this process holds the writer lock of (depth)


class IndexUnusable(IntegrityProblem):
    code = "search_index_unusable"


def read_archive(archive: Path) -> Iterator[dict]:
    """Every item's metadata.json under archive/ (temporary folders skipped), in path order."""
    for path in sorted(archive.glob("*/*/*/*/*/metadata.json")):
        if ".tmp" in path.parts:
            continue
        try:
            yield json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexUnusable(f"档案条目的元数据无法读取：{path}。请运行 station verify 检查该条目。",
                                f"unreadable metadata {path}: {exc}", code="metadata_unreadable") from exc


def metadata_path(archive: Path, archival_code: str) -> Path:
    """The metadata.json of an item, from its 档号 (CONTRACTS §3 folder layout)."""
    return archive / ArchivalCode.parse(archival_code).folder / "metadata.json"


def _analyse_meta(meta: dict) -> IndexDoc:
    return index_doc(doc_from_meta(meta))


def analyse_all(metas: list[dict], *, procs: int = 2, progress: Progress | None = None) -> list[IndexDoc]:
    """Segment every document, on procs worker processes for a large batch."""
    total, done = len(metas), []
    if procs <= 1 or total < PARALLEL_FROM:
        for number, meta in enumerate(metas, 1):
            done.append(_analyse_meta(meta))
            if progress and (number % CHUNK == 0 or number == total):
                progress(number, total)
        return done
    # fork: workers inherit jieba's dictionary and the user words added before this point
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        for item in pool.imap(_analyse_meta, metas, chunksize=64):
            done.append(item)
            if progress and (len(done) % CHUNK == 0 or len(done) == total):
                progress(len(done), total)
    return done


@contextmanager
def index_lock(root: Path) -> Iterator[None]:
    """Hold the writer lock of one index folder, across processes; re-entrant within a process.

    tantivy (and Whoosh) allow one writer per index at a time: a second ingest worker's writer
    would fail with LockBusy, so writers queue here (an flock, dropped by the kernel on kill -9).
    """
    if _HELD.get(root):
        _HELD[root] += 1
        try:
            yield
        finally:
            _HELD[root] -= 1
        return
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _HELD[root] = 1
        try:
            yield
        finally:
            _HELD[root] = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


class IndexHome:
    """One backend's index folder: open (warm), write, rebuild, check."""

    def __init__(self, root: Path, backend: str) -> None:
        self.root, self.backend_name = root / backend, backend

    @property
    def engine_path(self) -> Path:
        return self.root / "engine"

    def marker(self) -> dict:
        """The marker written after the last complete build ({} when missing or unreadable)."""
        try:
            return json.loads((self.root / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def open(self):
        """The warm backend; IndexUnusable when the index is missing, stale or unreadable."""
        marker = self.marker()
        cached = _OPEN.get(self.root)
        if cached is not None and cached[0] == marker.get("build_id"):
            return cached[1]
        self.forget()     # gone, or rebuilt (maybe by another process) since it was opened
        if marker.get("schema") != SCHEMA_VERSION or marker.get("backend") != self.backend_name:
            raise IndexUnusable("检索索引不存在或版本不符，需要重建。", f"no current marker in {self.root}",
                                code="search_index_missing")
        try:
            backend = open_backend(self.backend_name, self.engine_path)
            backend.count()
        except Exception as exc:  # noqa: BLE001 — any failure to read the engine's files means: rebuild
            raise IndexUnusable("检索索引文件损坏，需要重建。", f"cannot open index {self.root}: {exc!r}",
                                code="search_index_corrupt") from exc
        load_user_dictionary(self.root / USERDICT)
        _OPEN[self.root] = (marker.get("build_id"), backend)
        return backend

    def forget(self) -> None:
        """Close and drop the warm backend (after a rebuild or before removing files)."""
        cached = _OPEN.pop(self.root, None)
        if cached is not None:
            cached[1].close()

    def add(self, docs: list[IndexDoc]) -> int:
        """Add or replace documents in the existing index (one writer at a time, across processes)."""
        with index_lock(self.root):
            count = self.open().add(docs)
            load_user_dictionary(self.root / USERDICT)   # keep the words other workers saved meanwhile
            save_user_dictionary(self.root / USERDICT)
            self._write_marker(self.root, self.open().count(), self.marker().get("build_id"))
        return count

    def delete(self, codes: list[str]) -> int:
        """Remove documents by 档号."""
        with index_lock(self.root):
            count = self.open().delete(codes)
            self._write_marker(self.root, self.open().count(), self.marker().get("build_id"))
        return count

    def rebuild(self, docs: Iterable[IndexDoc], *, procs: int = 1) -> int:
        """Build a complete new index beside the old one, then swap it in."""
        with index_lock(self.root):
            return self._rebuild(docs, procs)

    def _rebuild(self, docs: Iterable[IndexDoc], procs: int) -> int:
        fresh = self.root.with_name(self.root.name + ".new")
        shutil.rmtree(fresh, ignore_errors=True)
        backend = open_backend(self.backend_name, fresh / "engine", create=True)
        count = backend.add(docs, procs=procs, fresh=True)
        backend.close()
        save_user_dictionary(fresh / USERDICT)
        self._write_marker(fresh, count, uuid.uuid4().hex)
        self.forget()
        old = self.root.with_name(self.root.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.root.exists():
            self.root.rename(old)
        fresh.rename(self.root)
        shutil.rmtree(old, ignore_errors=True)
        return count

    def _write_marker(self, folder: Path, count: int, build_id: str | None) -> None:
        body = {"schema": SCHEMA_VERSION, "backend": self.backend_name, "build_id": build_id, "documents": count,
                "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        tmp = folder / (MARKER + ".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        tmp.replace(folder / MARKER)


def teach_words(metas: Iterable[dict], extra: Iterable[str] = ()) -> int:
    """Add candidate names from metadata and extra words (staff, occupations) to jieba."""
    return add_user_words([*(m.get("candidate_name") or "" for m in metas), *extra])
