"""A search segments its query from jieba's frequencies looked up in a table (no whole-dictionary load):
the words must be exactly those the whole dictionary gives, with the user dictionary on top."""

from __future__ import annotations

import json
import subprocess
import sys

import jieba
import pytest

from bench.search_corpus import OCCUPATIONS, PHRASES, generate
from pipeline.core.paths import REPO_ROOT
from pipeline.search import lexicon

USER_WORDS = ["欧阳建国", "中式烹调师", "张志伟", "育婴员", "司马相如", "欧阳"]


def _texts() -> list[str]:
    metas = list(generate(300, seed=5))
    return ([m["text"] for m in metas] + [m["title"] for m in metas] + [m["candidate_name"] for m in metas]
            + OCCUPATIONS + PHRASES + ["考场记录", "电工 考场", "职业技能鉴定站", "厦门市2026年度电工鉴定"])


def _add(tokenizer, words: list[str]) -> None:
    for word in words:       # as pipeline.search.analyzer.add_user_words does
        tokenizer.add_word(word, freq=max(tokenizer.FREQ.get(word) or 0, 50_000))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A var/ folder holding jieba's cache file and the word table (each made once: slow)."""
    folder = tmp_path_factory.mktemp("jieba")
    assert lexicon.frequencies_open(folder, jieba) is not None
    return folder


def _whole(cache) -> jieba.Tokenizer:
    whole = jieba.Tokenizer()
    whole.tmp_dir = str(cache)
    whole.initialize()
    return whole


def test_table_segments_every_text_as_the_whole_dictionary_does(cache):
    whole = _whole(cache)
    table = lexicon.frequencies_open(cache, jieba)
    assert table is not None
    looked_up = jieba.Tokenizer()
    looked_up.FREQ, looked_up.total, looked_up.initialized = table, table.total(), True
    assert looked_up.total == whole.total
    _add(whole, USER_WORDS)
    _add(looked_up, USER_WORDS)
    assert looked_up.total == whole.total
    texts = _texts()
    assert [list(looked_up.cut(t, HMM=False)) for t in texts] == [list(whole.cut(t, HMM=False)) for t in texts]
    assert "欧阳建国" in looked_up.lcut("考生欧阳建国参加电工鉴定", HMM=False)


def test_a_table_from_another_dictionary_is_written_again(cache, tmp_path):
    import shutil
    import sqlite3

    for name in ("jieba.cache", lexicon.TABLE):
        shutil.copy(cache / name, tmp_path / name)
    with sqlite3.connect(tmp_path / lexicon.TABLE) as db:
        db.execute("UPDATE meta SET v = 'jieba 0.0|elsewhere' WHERE k = 'source'")
    table = lexicon.frequencies_open(tmp_path, jieba)
    assert table is not None and table.get("鉴定")
    with sqlite3.connect(tmp_path / lexicon.TABLE) as db:
        assert db.execute("SELECT v FROM meta WHERE k = 'source'").fetchone()[0].startswith(jieba.__version__)


SWITCH = """
import json, sys
from pathlib import Path
import jieba
import pytest
from pipeline.search import analyzer, lexicon
cache, words, texts = Path(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
analyzer.prepare(cache, whole=False)
table_mode = isinstance(jieba.dt.FREQ, lexicon.Frequencies)
analyzer.add_user_words(words)
first = [analyzer.words(t) for t in texts]
analyzer.prepare(cache, whole=True)            # indexing after a search: the whole dictionary, same words
print(json.dumps({"table_mode": table_mode, "whole_after": type(jieba.dt.FREQ).__name__,
                  "first": first, "second": [analyzer.words(t) for t in texts], "total": jieba.dt.total}))
"""


def test_a_search_process_that_then_indexes_loads_the_whole_dictionary_with_its_user_words(cache):
    texts = _texts()[:80]
    done = subprocess.run([sys.executable, "-c", SWITCH, str(cache), json.dumps(USER_WORDS), json.dumps(texts)],
                          check=False, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["table_mode"] and result["whole_after"] == "dict"
    assert result["first"] == result["second"]
    whole = _whole(cache)
    _add(whole, USER_WORDS)
    assert result["total"] == whole.total
