"""Relevance with known answers, on both engines, through the public interface."""

import json
import shutil

import pytest

from pipeline.core.errors import BadInput
from pipeline.search import SearchFilters, ensure_index, reindex, remove_items, search
from tests.search.conftest import CORPUS, LI_NA, ZHANG_WEI_A, ZHANG_WEI_B, codes

REG_ZW = "J118-WS·2024-D10-KW-0001"      # 张伟, 电工
REG_ZWM = "J118-WS·2024-D10-KW-0002"     # 张伟明, 焊工
XY_ZW = "J118-WS·2025-Y-XY-0001"         # the other 张伟, 育婴员
ROOM = "J118-WS·2023-D10-KW-0004"        # OCR room record, traditional + full-width
SCORE = "J118-WS·2023-D3-SJ-0002"        # 王芳 score sheet
REPORT = "J118-WS·2022-Y-CJ-0001"
NOTICE = "J118-WS·2024-D10-FW-0003"
CAR = "J118-WS·2025-D10-KW-0009"
LI = "J118-WS·2021-D10-KW-0005"


def test_common_name_finds_both_people_before_a_longer_name(indexed):
    found = codes(search("张伟"))
    assert set(found[:2]) == {REG_ZW, XY_ZW}
    assert REG_ZWM in found[2:]


def test_name_field_is_exact(indexed):
    assert set(codes(search("姓名:张伟"))) == {REG_ZW, XY_ZW}


def test_occupation_word(indexed):
    found = codes(search("育婴员"))
    assert set(found) == {XY_ZW, ROOM}


def test_word_inside_ocr_text_in_traditional_characters(indexed):
    assert codes(search("监考人员")) == [ROOM]
    assert codes(search("發動機")) == [CAR]
    assert codes(search("发动机")) == [CAR]


def test_full_width_text_found_by_half_width_query_and_back(indexed):
    # the score sheet is restricted (category SJ): its words are searched by a permitted user
    assert codes(search("abc-12", see_restricted=True)) == [SCORE]
    assert codes(search("ＡＢＣ－１２", see_restricted=True)) == [SCORE]


def test_word_inside_a_longer_unspaced_run(indexed):
    found = set(codes(search("鉴定")))
    assert {REG_ZW, REG_ZWM, XY_ZW, ROOM, REPORT, NOTICE} <= found
    assert codes(search("维修")) == [CAR] or set(codes(search("维修"))) == {CAR, NOTICE}


def test_unspaced_run_of_two_words_finds_them_apart(indexed):
    """"育婴记录" is not in any record as a run, but 育婴(员) and 记录 are both in the room record."""
    assert ROOM in codes(search("育婴员记录"))
    assert codes(search('"育婴员记录"')) == []          # quoted: the run itself, which no record has


def test_and_or_not_and_phrase(indexed):
    assert codes(search("张伟 电工")) == [REG_ZW]
    assert set(codes(search("茶艺师 OR 汽车维修工"))) == {REPORT, CAR, NOTICE}
    assert set(codes(search("张伟 -育婴员"))) == {REG_ZW, REG_ZWM}
    assert set(codes(search("张伟 NOT 育婴员"))) == {REG_ZW, REG_ZWM}
    # the appraisal report is restricted (category CJ): its words are searched by a permitted user
    assert codes(search('"合格率 95%"', see_restricted=True)) == [REPORT]
    assert codes(search('"考评小组工作认真"', see_restricted=True)) == [REPORT]
    assert codes(search('"工作认真考评小组"', see_restricted=True)) == []


def test_full_id_number_matches_exactly_first(indexed):
    result = search(ZHANG_WEI_A)
    assert codes(result)[0] == REG_ZW and result.hits[0].matched == "exact"
    assert result.hits[0].id_number == ZHANG_WEI_A[:6] + "********" + ZHANG_WEI_A[-4:]
    assert ZHANG_WEI_A not in result.hits[0].snippet


def test_partial_id_number_is_a_prefix(indexed):
    result = search(ZHANG_WEI_B[:10])
    assert codes(result) == [XY_ZW] and result.hits[0].matched == "exact"


def test_wrong_check_digit_says_so_and_shows_the_likely_record(indexed):
    wrong = LI_NA[:17] + ("0" if LI_NA[17] != "0" else "1")
    result = search(wrong)
    assert any("校验位不符" in notice and "可能输错" in notice for notice in result.notices)
    assert codes(result) == [LI]


def test_ticket_number_archival_code_and_instance_code(indexed):
    assert codes(search("2025060401003"))[0] == CAR
    assert search("2025060401003").hits[0].matched == "exact"
    assert codes(search("J118-WS·2022-Y-CJ-0001")) == [REPORT]
    assert codes(search("7K3M9QX2")) == [REG_ZW]


def test_filters_and_date_ranges(indexed):
    assert codes(search("张伟", SearchFilters(occupation="电工"))) == [REG_ZW]
    assert codes(search("张伟", SearchFilters(year=2025))) == [XY_ZW]
    assert set(codes(search("报名登记表", SearchFilters(level=4)))) == {REG_ZW, CAR}
    assert codes(search("鉴定", SearchFilters(category="成绩与鉴定报告"))) == [REPORT]
    import datetime as dt
    window = SearchFilters(date_from=dt.date(2024, 5, 11), date_to=dt.date(2025, 11, 20))
    assert set(codes(search("张伟", window))) == {REG_ZWM, XY_ZW}
    assert set(codes(search("日期:2023 工种:育婴员"))) == {ROOM}


def test_snippet_highlights_the_match_from_the_archive_text(indexed):
    hit = search("发动机").hits[0]
    assert "<b>發動機</b>" in hit.snippet
    hit = search("资格审查").hits[0]
    assert "<b>资格审查</b>" in hit.snippet and hit.score > 0


def test_show_id_returns_the_full_number(indexed):
    assert search(ZHANG_WEI_A, show_id=True).hits[0].id_number == ZHANG_WEI_A


def test_empty_query_without_filters_is_refused(indexed):
    with pytest.raises(BadInput):
        search("  ")


def test_removed_items_are_no_longer_found(indexed):
    remove_items([REPORT])
    assert codes(search("茶艺师")) == []


def test_reindex_gives_the_same_results_as_incremental(indexed, data_root):
    queries = ["张伟", "鉴定", "育婴员 OR 电工", "监考人员", ZHANG_WEI_A, "2025060401003", '"报名登记表"',
               "张伟 -育婴员", "工种:电工"]
    before = {q: codes(search(q)) for q in queries}
    shutil.rmtree(data_root.index)
    message = ensure_index()
    assert "重建" in message and str(len(CORPUS)) in message
    assert {q: codes(search(q)) for q in queries} == before
    assert reindex() == len(CORPUS)
    assert {q: codes(search(q)) for q in queries} == before


def test_corrupt_index_is_rebuilt_at_start_up(indexed, data_root, backend):
    home = data_root.index / backend
    from pipeline.search.indexer import IndexHome
    IndexHome(data_root.index, backend).forget()
    for path in (home / "engine").iterdir():
        if path.is_file() and path.suffix in (".toc", ".seg", ".json", ".idx", ".term", ".pos", ".store"):
            path.write_bytes(b"\x00garbage")
    message = ensure_index()
    assert message and "损坏" in message
    assert codes(search("发动机")) == [CAR]


def test_index_built_before_an_item_is_filed_is_updated_in_place(indexed, data_root):
    late = dict(CORPUS[0], archival_code="J118-WS·2026-D10-KW-0001", title="2026-12 钳工五级 孙悦 报名登记表",
                text="钳工 孙悦 锉削", candidate_name="孙悦", candidate_id_number="", ticket_number="",
                form_instance="", doc_date="2026-12-01", year=2026)
    search_marker = json.loads((data_root.index / indexed.get_config().search.backend / "station-index.json")
                               .read_text(encoding="utf-8"))
    assert search_marker["documents"] == len(CORPUS)
    indexed.index_items([late])
    assert codes(search("孙悦")) == ["J118-WS·2026-D10-KW-0001"]
    indexed.index_items([dict(late, text="钳工 孙悦 划线")])
    assert codes(search("锉削")) == [] and codes(search("孙悦")) == ["J118-WS·2026-D10-KW-0001"]


def test_snippets_mask_mobile_numbers_like_id_numbers():
    from pipeline.search.snippets import make_snippet

    text = "厦门电力 电话 13912345678 证号 350203199001011234"
    snippet = make_snippet(text, ["厦门电力"])
    assert "139****5678" in snippet and "13912345678" not in snippet
    assert "350203********1234" in snippet
