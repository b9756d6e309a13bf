"""Normalisation and segmentation: what makes variants of one word find each other."""

from pipeline.search.analyzer import add_user_words, grams, normalise, words


def test_traditional_full_width_and_case_become_one_form():
    assert normalise("職業技能鑑定站") == "职业技能鉴定站"
    assert normalise("ＡＢＣ－１２３　考場") == "abc-123 考场"


def test_user_dictionary_keeps_a_name_whole():
    add_user_words(["欧阳建国"])
    assert "欧阳建国" in words("考生欧阳建国参加电工鉴定")


def test_occupation_is_one_token():
    add_user_words(["中式烹调师"])
    assert "中式烹调师" in words("中式烹调师实操考核评分表")


def test_bigrams_cover_a_word_inside_an_unspaced_run():
    tokens = grams("职业技能鉴定站")
    assert "鉴定" in tokens and tokens[-1] == "站"
