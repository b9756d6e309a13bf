"""Pure value types: ID numbers, 档号, QR payloads."""

import datetime as dt

import pytest

from pipeline.core.domain import ArchivalCode, IdNumber, QrPayload, id_check_digit, mask_id, parse_level


def test_id_number_check_digit_gb11643():
    assert id_check_digit("11010519491231002") == "X"
    number = IdNumber.parse("11010519491231002x")
    assert number.value == "11010519491231002X"
    assert number.birth_date == dt.date(1949, 12, 31)
    assert number.gender == "女"


@pytest.mark.parametrize("text,reason", [
    ("110105194912310021", "校验位"), ("1101051949123100", "18位"), ("110105194913310027", "出生日期"),
])
def test_bad_id_numbers_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        IdNumber.parse(text)


def test_full_width_id_is_normalised():
    assert IdNumber.parse("１１０１０５１９４９１２３１００２Ｘ").value == "11010519491231002X"


def test_mask():
    assert mask_id("110105194912310021") == "110105********0021"


def test_archival_code_round_trip_and_folder():
    code = ArchivalCode("J118", 2026, "D10", "KW", 7)
    assert str(code) == "J118-WS·2026-D10-KW-0007"
    assert ArchivalCode.parse(str(code)) == code
    assert code.folder.startswith("J118/2026/D10/KW/")
    with pytest.raises(ValueError):
        ArchivalCode.parse("J118-2026-D10-KW-7")


def test_qr_payload_round_trip_and_foreign_codes():
    payload = QrPayload("DHJD", "7K3M9QX2", 2, 3)
    assert QrPayload.decode(payload.encode()) == payload
    assert QrPayload.decode("https://example.com/") is None
    assert QrPayload.decode("SJD1:DHJD:7K3M9QX2:4/3") is None
    assert QrPayload.decode("SJD1:DHJD:7K3M9QX2:0/3") is None
    assert QrPayload.decode("SJD1:DHJD:7K3M9QX2:1/0") is None


def test_qr_payload_of_a_docx_page_is_0_of_0():
    payload = QrPayload.decode("SJD1:DHJD:7K3M9QX2:0/0")
    assert payload == QrPayload("DHJD", "7K3M9QX2", 0, 0)
    assert payload.page_unknown and not QrPayload("DHJD", "7K3M9QX2", 1, 1).page_unknown


def test_levels():
    assert parse_level("四级") == 4
    assert parse_level("中级工") == 4
    assert parse_level("4") == 4
    assert parse_level("七级") is None


def test_natural_key_orders_numbers_inside_codes():
    from pipeline.core.domain import natural_key

    assert sorted(["A10", "A2", "A1", "B1"], key=natural_key) == ["A1", "A2", "A10", "B1"]
