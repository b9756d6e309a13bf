"""The query language: operators, fields and identifier detection (no index needed)."""

import datetime as dt

import pytest

from pipeline.core.errors import BadInput
from pipeline.search.query import And, Exact, Ident, Not, Or, Phrase, Word, parse
from tests.search.conftest import ZHANG_WEI_A


def test_space_and_or_not_and_phrase():
    tree = parse('张伟 电工 OR 焊工 -育婴员 "报名登记表"').tree
    assert tree == And((Word("张伟"), Or((Word("电工"), Word("焊工"))), Not(Word("育婴员")),
                        Phrase("报名登记表")))
    assert parse("张伟 AND NOT 电工").tree == And((Word("张伟"), Not(Word("电工"))))


def test_fields_become_filters_or_exact_terms():
    parsed = parse("姓名:张伟 工种:電工 等级:四级 年度:2024 类别:kw 日期:2024-05..2024-06")
    assert parsed.tree == Exact("candidate_name", "张伟")
    f = parsed.filters
    assert (f.occupation, f.level, f.year, f.category) == ("电工", 4, 2024, "KW")
    assert (f.date_from, f.date_to) == (dt.date(2024, 5, 1), dt.date(2024, 6, 30))


def test_identifiers_are_recognised():
    assert parse(ZHANG_WEI_A).tree == Ident("id", ZHANG_WEI_A, ZHANG_WEI_A)
    assert parse("350203").tree.kind == "digits"
    assert parse("J118-WS·2024-D10-KW-0001").tree.kind == "archival_code"
    assert parse("7k3m9qx2").tree == Ident("instance", "7K3M9QX2", "7k3m9qx2")


def test_full_width_id_number_is_recognised():
    full = ZHANG_WEI_A.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert parse(full).tree == Ident("id", ZHANG_WEI_A, ZHANG_WEI_A)


def test_wrong_check_digit_is_reported():
    wrong = ZHANG_WEI_A[:17] + ("0" if ZHANG_WEI_A[17] != "0" else "1")
    parsed = parse(wrong)
    assert parsed.tree.kind == "id_prefix" and parsed.tree.value == ZHANG_WEI_A[:17]
    assert "身份证号校验位不符" in parsed.notices[0] and "可能输错" in parsed.notices[0]


def test_bad_field_value_names_the_problem():
    with pytest.raises(BadInput) as caught:
        parse("日期:去年")
    assert "去年" in caught.value.message_zh and "2024-05-01" in caught.value.message_zh
    with pytest.raises(BadInput) as caught:
        parse("等级:特级")
    assert "等级“特级”" in caught.value.message_zh
