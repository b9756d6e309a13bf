"""Chinese text analysis for the search index: normalise, segment (jieba), CJK bigrams.

Both the index and the query go through the same functions, so a word typed in traditional
characters, full-width digits or upper case finds the simplified, half-width, lower-case text.
Segmentation gives precise words (so "张伟" or "育婴员" is one token, via the user dictionary);
bigrams of every CJK run give recall for a word inside a longer unspaced run ("鉴定" inside
"职业技能鉴定站"), whatever jieba made of it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import opencc

from pipeline.search import lexicon


def _import_jieba():
    """jieba without pkg_resources: jieba._compat imports it only to open its own dictionary file and
    falls back to a plain open() when it is missing; importing pkg_resources costs ~0.2 s of CPU at
    every search command's start-up."""
    import sys

    saved = sys.modules.get("pkg_resources")
    sys.modules["pkg_resources"] = None       # type: ignore[assignment]  (makes `import pkg_resources` fail)
    try:
        import jieba as module
    finally:
        if saved is None:
            del sys.modules["pkg_resources"]
        else:
            sys.modules["pkg_resources"] = saved
    return module


jieba = _import_jieba()
jieba.setLogLevel(logging.WARNING)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORDISH = re.compile(r"\w")
_USER_WORDS: set[str] = set()
# Words read from an index's saved user dictionary but not yet taught to jieba: a word can change how a text is
# segmented only where the text contains it, so words() teaches just those (opening an index with 100,000
# candidate names no longer costs 27 µs a name before the first query).
_PENDING: set[str] = set()
_PENDING_LONGEST = [0]


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Every character OpenCC's t2s tables convert (the first column of TSCharacters/TSPhrases)."""
    folder = Path(opencc.__file__).parent / "dictionary"
    chars: set[str] = set()
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            source = line.split("\t", 1)[0]
            chars.update(c for c in source if c not in line.split("\t", 1)[-1])
    return frozenset(chars)


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC), traditional → simplified, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    # OpenCC is pure Python and slow: only text holding a traditional character goes through it
    if not _traditional_chars().isdisjoint(text):
        text = _converter().convert(text)
    return text.lower()


def is_cjk(text: str) -> bool:
    """True when every character of text is a CJK ideograph."""
    return bool(text) and _CJK_RUN.fullmatch(text) is not None


def words(text: str, *, normalised: bool = False) -> list[str]:
    """jieba words of text (punctuation and spaces dropped)."""
    text = text if normalised else normalise(text)
    if _PENDING:
        _teach_pending(text)
    return [w for w in jieba.cut(text, HMM=False) if _WORDISH.search(w) and not w.isspace()]


def _teach_pending(text: str) -> None:
    """Teach jieba the pending user words that occur in text: jieba builds a sentence's graph from its own
    substrings only, so a word text does not contain cannot change its segmentation."""
    longest = min(_PENDING_LONGEST[0], len(text))
    found = {text[i:i + n] for n in range(2, longest + 1) for i in range(len(text) - n + 1)} & _PENDING
    if found:
        _PENDING.difference_update(found)
        add_user_words(sorted(found))


def bigrams(run: str) -> list[str]:
    """Overlapping bigrams of one CJK run; a single character stands for itself."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i:i + 2] for i in range(len(run) - 1)]


def grams(text: str, *, normalised: bool = False) -> list[str]:
    """Bigrams of every CJK run in text, in order, each run closed by its last character.

    The closing character lets a one-character query find a run's last character (every other
    character starts a bigram), and keeps a phrase from matching across two runs.
    """
    text = text if normalised else normalise(text)
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out += bigrams(run)
        if len(run) > 1:
            out.append(run[-1])
    return out


@dataclass(frozen=True)
class Analysed:
    """One document's fields after analysis, as space-joined token strings."""

    title: str
    text: str
    grams: str


def analyse(title: str, text: str) -> Analysed:
    """Analyse a document's title and text for both backends."""
    title_n, text_n = normalise(title), normalise(text)
    return Analysed(title=" ".join(words(title_n, normalised=True)),
                    text=" ".join(words(text_n, normalised=True)),
                    grams=" ".join(grams(title_n, normalised=True) + grams(text_n, normalised=True)))


def prepare(cache_dir: Path | None = None, *, whole: bool = True) -> None:
    """Load jieba's dictionary now (once per process), its cache file kept in cache_dir.

    whole=False (a search: a few words to segment) reads the frequencies word by word from a table
    in cache_dir instead of loading the whole dictionary (lexicon.py); a later whole=True (indexing)
    loads it and adds this process's user words again, as jieba.add_word did."""
    looked_up = isinstance(jieba.dt.FREQ, lexicon.Frequencies)
    if jieba.dt.initialized and (not whole or not looked_up):
        return      # loaded already: the whole dictionary, or the table and a look-up is enough
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(cache_dir)
    if not whole and cache_dir is not None:
        table = lexicon.frequencies_open(cache_dir, jieba)
        if table is not None:
            with jieba.dt.lock:
                jieba.dt.FREQ, jieba.dt.total, jieba.dt.initialized = table, table.total(), True
            return
    if looked_up:
        jieba.dt.initialized = False
        jieba.dt.FREQ = {}
    jieba.initialize()
    if looked_up:
        for word in sorted(_USER_WORDS):
            jieba.add_word(word, freq=max(jieba.get_FREQ(word) or 0, 50_000))


# ---------------------------------------------------------------- user dictionary

def add_user_words(new_words: Iterable[str]) -> int:
    """Teach jieba names and occupations so each is one token; return how many were new."""
    added = 0
    for word in new_words:
        word = normalise(word).strip()
        if len(word) < 2 or word in _USER_WORDS or " " in word:
            continue
        _PENDING.discard(word)
        # A frequency high enough that jieba keeps the word whole inside a longer run.
        jieba.add_word(word, freq=max(jieba.get_FREQ(word) or 0, 50_000))
        _USER_WORDS.add(word)
        added += 1
    return added


def user_words() -> set[str]:
    """The user words of this process: taught to jieba, or pending until a text contains them."""
    return _USER_WORDS | _PENDING


def load_user_dictionary(path: Path) -> int:
    """Take on the words saved beside an index (so queries segment as the index did); each is taught to jieba
    when a text to segment first contains it. Returns how many were new."""
    if not path.exists():
        return 0
    # the file is this module's own output (normalised words, one a line): read as written
    new = {w for w in path.read_text(encoding="utf-8").split() if len(w) >= 2} - _USER_WORDS - _PENDING
    _PENDING.update(new)
    _PENDING_LONGEST[0] = max([_PENDING_LONGEST[0], *map(len, new)])
    return len(new)


def save_user_dictionary(path: Path) -> None:
    """Write the words known to this process beside the index, one a line."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(sorted(user_words())) + "\n", encoding="utf-8")
    tmp.replace(path)
