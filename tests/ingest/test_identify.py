"""QR identification of scanned pages, blank-page detection and grouping a stack into forms."""

from __future__ import annotations

import io
import random

import img2pdf
import pytest
from PIL import Image

from pipeline.core.domain import QrPayload
from pipeline.ingest.identify import Group, PageInfo, decode_page, group_pages, is_blank, page_infos, parse_payload
from pipeline.ingest.pages import PageImage, open_pages
from pipeline.ingest.scansim import (
    blank_back,
    degrade,
    draw_signature,
    jpeg_bytes,
    mm_to_px,
    signature_box,
    synthetic_page,
)

ST = "DHJD"
INK = 0.002


def _scan(image: Image.Image, *, seed=1, tilt=1.0, turns=0, quality=75) -> Image.Image:
    """Degrade like a scanner and round-trip through JPEG, as the scanner would store it."""
    data = jpeg_bytes(degrade(image, random.Random(seed), tilt=tilt, quarter_turns=turns), 200, quality)
    return Image.open(io.BytesIO(data)).convert("L")


# ---------------------------------------------------------------- decoding one page


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_qr_is_read_at_any_quarter_turn_and_resolution(dpi, turns):
    payload = QrPayload(ST, "7K3M9QX2", 2, 3)
    page = synthetic_page(payload, ["姓名：张三"], dpi=dpi)
    assert decode_page(_scan(page, turns=turns, seed=dpi + turns)) == [payload]


@pytest.mark.parametrize("angle", [-5.0, -2.5, 2.5, 5.0])
def test_qr_is_read_on_a_skewed_low_quality_jpeg(angle):
    payload = QrPayload(ST, "ABCDEFGH", 1, 1)
    page = synthetic_page(payload, dpi=200).rotate(angle, fillcolor=255, expand=True)
    assert decode_page(_scan(page, tilt=0, quality=50)) == [payload]


def test_a_small_qr_at_low_resolution_is_found_by_the_harder_looks():
    payload = QrPayload(ST, "0123ABCD", 1, 2)
    page = synthetic_page(payload, dpi=300, qr_mm=14).reduce(4)   # 75 dpi: ~2 px per module
    assert decode_page(page) == [payload]


def test_foreign_qr_codes_are_ignored_and_docx_pages_decode_as_0_of_0():
    url = synthetic_page("https://www.example.com/不是我们的", dpi=150)
    assert decode_page(_scan(url)) == []
    docx_page = synthetic_page(f"SJD1:{ST}:7K3M9QX2:0/0", dpi=150)
    assert decode_page(_scan(docx_page)) == [QrPayload(ST, "7K3M9QX2", 0, 0)]
    assert parse_payload("SJD1:DHJD:7K3M9QX2:3/2") is None


def test_page_without_qr_gives_nothing():
    assert decode_page(_scan(synthetic_page(None, ["附件：身份证复印件"], dpi=150))) == []


# ---------------------------------------------------------------- blank pages


def test_duplex_back_side_with_noise_and_dust_is_blank():
    for seed in range(3):
        assert is_blank(_scan(blank_back(200, random.Random(seed)), seed=seed), INK)


def test_a_back_side_with_only_a_faint_signature_is_not_blank():
    page = blank_back(200, random.Random(5))
    draw_signature(page, (mm_to_px(60, 200), mm_to_px(200, 200)), 200, random.Random(5), shade=185,
                   width_mm=0.35)
    assert not is_blank(_scan(page), INK)


def test_a_page_with_a_short_handwritten_note_is_not_blank():
    page = Image.new("L", (1654, 2339), 255)
    page.paste(120, (800, 1200, 860, 1204))            # a 6 mm pencil tick
    assert not is_blank(_scan(page, tilt=0), INK)


def test_printed_form_page_is_not_blank():
    assert not is_blank(_scan(synthetic_page(None, ["考场记录"], dpi=200)), INK)


# ---------------------------------------------------------------- a stack, page by page


def test_page_infos_examines_each_page_and_one_failure_never_stops_the_rest():
    good = [synthetic_page(QrPayload(ST, "AAAAAAAA", n, 2), dpi=150) for n in (1, 2)]
    pages = [PageImage(0, good[0], 150), PageImage(1, Image.new("L", (0, 0)), 150),
             PageImage(2, good[1], 150), PageImage(3, blank_back(150, random.Random(1)), 150)]
    infos = page_infos(pages, ST, INK)
    assert [i.index for i in infos] == [0, 1, 2, 3]
    assert infos[0].payloads == [QrPayload(ST, "AAAAAAAA", 1, 2)]
    assert infos[1].error and not infos[1].blank and infos[1].payloads == []
    assert infos[2].payloads == [QrPayload(ST, "AAAAAAAA", 2, 2)]
    assert infos[3].blank


# ---------------------------------------------------------------- grouping (pure)


def _qr(index, instance, page, pages, station=ST):
    return PageInfo(index, [QrPayload(station, instance, page, pages)], False)


def _plain(index, blank=False):
    return PageInfo(index, [], blank)


def _all_pages_accounted(result, count):
    placed = sorted([i for g in result.groups for i in g.page_indices] + result.blank_dropped)
    return placed == list(range(count))


def test_two_forms_shuffled_are_split_and_put_in_page_order():
    infos = [_qr(0, "BBBBBBBB", 2, 2), _qr(1, "AAAAAAAA", 3, 3), _qr(2, "AAAAAAAA", 1, 3),
             _qr(3, "BBBBBBBB", 1, 2), _qr(4, "AAAAAAAA", 2, 3)]
    result = group_pages(infos, ST, set())
    assert result.groups == [Group("form", "BBBBBBBB", [3, 0], 2, ST), Group("form", "AAAAAAAA", [2, 4, 1], 3, ST)]
    assert result.problems == [] and result.blank_dropped == []
    assert [g.instance_code for g in result.fileable] == ["BBBBBBBB", "AAAAAAAA"]


def test_missing_page_is_a_problem_naming_the_page_number():
    result = group_pages([_qr(0, "AAAAAAAA", 1, 3), _qr(1, "AAAAAAAA", 3, 3)], ST, set())
    (problem,) = result.problems
    assert (problem.kind, problem.instance_code, problem.pages) == ("missing_page", "AAAAAAAA", [2])
    assert result.fileable == []


def test_page_scanned_twice_is_a_problem_and_both_copies_are_kept():
    infos = [_qr(0, "AAAAAAAA", 1, 2), _qr(1, "AAAAAAAA", 2, 2), _qr(2, "AAAAAAAA", 1, 2)]
    result = group_pages(infos, ST, set())
    (problem,) = result.problems
    assert (problem.kind, problem.pages, problem.scan_indices) == ("duplicate_page", [1], [0, 2])
    assert result.groups[0].page_indices == [0, 2, 1]


def test_page_of_a_foreign_station_is_a_problem():
    infos = [_qr(0, "AAAAAAAA", 1, 1), _qr(1, "CCCCCCCC", 1, 1, station="XMJD")]
    result = group_pages(infos, ST, set())
    (problem,) = result.problems
    assert (problem.kind, problem.instance_code, problem.scan_indices) == ("foreign_station", "CCCCCCCC", [1])
    assert "XMJD" in problem.detail_en
    assert [g.instance_code for g in result.fileable] == ["AAAAAAAA"]


def test_pages_that_disagree_on_the_total_are_a_problem():
    result = group_pages([_qr(0, "AAAAAAAA", 1, 2), _qr(1, "AAAAAAAA", 2, 3)], ST, set())
    assert [p.kind for p in result.problems] == ["mixed_totals"]


def test_pages_after_a_cover_belong_to_it_until_the_next_qr_page():
    infos = [_qr(0, "COVER001", 1, 1), _plain(1), _plain(2, blank=True), _plain(3),
             _qr(4, "AAAAAAAA", 1, 1), _plain(5)]
    result = group_pages(infos, ST, {"COVER001"})
    assert result.groups == [Group("cover", "COVER001", [0, 1, 3], 1, ST),
                             Group("form", "AAAAAAAA", [4], 1, ST),
                             Group("unmarked", None, [5], 0)]
    assert result.blank_dropped == [2]
    assert _all_pages_accounted(result, 6)


def test_unmarked_pages_before_any_qr_form_their_own_group():
    result = group_pages([_plain(0), _plain(1), _qr(2, "AAAAAAAA", 1, 1)], ST, set())
    assert result.groups[0] == Group("unmarked", None, [0, 1], 0)
    assert result.fileable == [result.groups[1]]


def test_docx_pages_without_numbers_stay_in_scan_order():
    infos = [_qr(0, "DDDDDDDD", 0, 0), _plain(1, blank=True), _qr(2, "DDDDDDDD", 0, 0), _qr(3, "DDDDDDDD", 0, 0)]
    result = group_pages(infos, ST, set())
    assert result.groups == [Group("form", "DDDDDDDD", [0, 2, 3], 0, ST)]
    assert result.problems == [] and result.blank_dropped == [1]


# ---------------------------------------------------------------- a real scanned stack, end to end


def test_a_scanned_stack_of_two_shuffled_forms_with_blank_backs_is_grouped(tmp_path):
    rng = random.Random(7)
    sheets = [(QrPayload(ST, "AAAAAAAA", n, 3), 0) for n in (1, 2, 3)] + \
             [(QrPayload(ST, "BBBBBBBB", n, 2), 2 if n == 2 else 0) for n in (1, 2)]   # B2 fed upside down
    rng.shuffle(sheets)
    jpegs = []
    for payload, turns in sheets:
        page = synthetic_page(payload, ["职业技能鉴定报名登记表"], dpi=200)
        draw_signature(page, signature_box(200)[:2], 200, rng)
        jpegs.append(jpeg_bytes(degrade(page, rng, quarter_turns=turns), 200, 75))
        jpegs.append(jpeg_bytes(blank_back(200, rng), 200, 75))          # duplex back side
    stack = tmp_path / "stack.pdf"
    stack.write_bytes(img2pdf.convert(jpegs))

    infos = page_infos(open_pages(stack, dpi=100), ST, INK)
    result = group_pages(infos, ST, set())

    assert result.blank_dropped == list(range(1, 10, 2))
    assert result.problems == []
    by_code = {g.instance_code: g for g in result.groups}
    assert set(by_code) == {"AAAAAAAA", "BBBBBBBB"}
    for _code, group in by_code.items():
        numbers = [infos[i].payloads[0].page for i in group.page_indices]
        assert numbers == list(range(1, group.pages_expected + 1))
