"""jieba's word frequencies in an SQLite table, read word by word.

Segmenting a query of a few words needs the frequencies of that query's substrings only, but
jieba loads its whole dictionary first (≈ 500,000 entries, ≈ 1.5 s of CPU from its cache file).
A search command reads the same numbers from this table instead: jieba's own code segments the
query, over the same frequencies and the same total, so the words are the same. Words added in
the process (the user dictionary) stay in memory on top, exactly as jieba.add_word adds them.
Indexing loads the whole dictionary as before (millions of look-ups).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)
TABLE = "jieba-words.sqlite3"


def _source_key(jieba) -> str:
    """What the table was made from: jieba's version and its bundled dictionary file."""
    source = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    stat = source.stat()
    return f"{jieba.__version__}|{source}|{stat.st_size}|{int(stat.st_mtime)}"


class Frequencies:
    """jieba's FREQ as its tokenizer uses it (in, [], get, []=), looked up in the table on demand."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._known: dict[str, int | None] = {}
        self._lock = threading.Lock()

    def _lookup(self, word: str) -> int | None:
        if word not in self._known:
            with self._lock:
                row = self._db.execute("SELECT f FROM freq WHERE w = ?", (word,)).fetchone()
            self._known[word] = None if row is None else row[0]
        return self._known[word]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._lookup(word) is not None

    def __getitem__(self, word: str) -> int:
        value = self._lookup(word)
        if value is None:
            raise KeyError(word)
        return value

    def get(self, word: str, default: int | None = None) -> int | None:
        value = self._lookup(word)
        return default if value is None else value

    def __setitem__(self, word: str, freq: int) -> None:
        self._known[word] = freq        # jieba.add_word: the word and its prefixes, this process only

    def total(self) -> int:
        """jieba's total of every frequency in the dictionary (before words added here)."""
        with self._lock:
            return int(self._db.execute("SELECT v FROM meta WHERE k = 'total'").fetchone()[0])


def _table_write(path: Path, jieba, cache_dir: Path) -> None:
    """Load jieba's dictionary once (its own cache file in cache_dir) and write the table beside it."""
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(cache_dir)
    tokenizer.initialize()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.execute("CREATE TABLE freq (w TEXT PRIMARY KEY, f INTEGER NOT NULL) WITHOUT ROWID")
        db.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        db.executemany("INSERT INTO freq VALUES (?, ?)", sorted(tokenizer.FREQ.items()))
        db.executemany("INSERT INTO meta VALUES (?, ?)",
                       [("total", str(tokenizer.total)), ("source", _source_key(jieba))])
        db.commit()
    finally:
        db.close()
    os.replace(tmp, path)       # whole or not at all: a reader never sees half a table
    log.info("jieba word table written: %s (%d entries)", path, len(tokenizer.FREQ))


def frequencies_open(cache_dir: Path, jieba) -> Frequencies | None:
    """The word table in cache_dir, written first when missing or made from another dictionary;
    None when it cannot be written or read (the caller then loads the whole dictionary)."""
    path = cache_dir / TABLE
    try:
        for attempt in range(2):
            if path.exists():
                table = Frequencies(path)
                with table._lock:
                    row = table._db.execute("SELECT v FROM meta WHERE k = 'source'").fetchone()
                if row is not None and row[0] == _source_key(jieba):
                    return table
                table._db.close()
            if attempt == 0:
                cache_dir.mkdir(parents=True, exist_ok=True)
                _table_write(path, jieba, cache_dir)
    except (OSError, sqlite3.Error) as exc:
        log.warning("jieba word table unusable in %s, loading the whole dictionary: %s", cache_dir, exc)
    return None
