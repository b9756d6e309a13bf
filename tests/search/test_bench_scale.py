"""The search-at-scale benchmark (bench/search_scale.py) composes each page's token streams from its parts:
they must be exactly what the indexer's own analysis gives for the page's text, or the benchmark would
measure a different index than `station reindex` builds."""

from __future__ import annotations

import re

import pytest

from bench.search_corpus import OCCUPATIONS, generate
from bench.search_scale import Pool, four_digit_items, like_sql, pages
from pipeline.core.domain import ArchivalCode
from pipeline.search.indexer import analyse_all, teach_words

pytestmark = pytest.mark.nodb


def test_composed_token_streams_equal_the_indexers_analysis_of_the_page():
    metas = list(generate(40, seed=3))
    teach_words(metas, OCCUPATIONS)
    composed = list(pages(metas, Pool(400, seed=4, procs=1), seed=5, page_chars=(1000, 3000)))
    texts = [meta["text"] for meta, _ in composed]
    assert all(1000 <= len(text) <= 3200 for text in texts)
    assert any("鑑定" in text for text in texts)                        # OCR noise: traditional characters
    assert any(re.search("[０-９]", text) for text in texts)           # and full-width digits
    real = analyse_all([meta for meta, _ in composed], procs=1)
    assert [r.analysed for r in real] == [analysed for _, analysed in composed]


def test_like_baseline_reads_words_or_and_exclusions():
    sql, params = like_sql("电工 OR 焊工 -合格率 年度:2019")
    assert "year = ?" in sql and "NOT (title LIKE ?" in sql and sql.endswith("ORDER BY doc_date DESC LIMIT 20")
    assert params == ["%合格率%"] * 5 + [2019] + ["%电工%"] * 5 + ["%焊工%"] * 5


def test_item_numbers_past_9999_become_valid_archival_codes_of_another_fonds():
    metas = [{"archival_code": "J118-WS·2019-D10-KW-61230"}, {"archival_code": "J118-WS·2019-D10-KW-1230"},
             {"archival_code": "J118-WS·2019-D10-KW-0007"}]
    assert four_digit_items(metas) == 1
    codes = [m["archival_code"] for m in metas]
    assert codes == ["J1186-WS·2019-D10-KW-1230", "J118-WS·2019-D10-KW-1230", "J118-WS·2019-D10-KW-0007"]
    assert [ArchivalCode.parse(c).item for c in codes] == [1230, 1230, 7]
