"""The counting rules of the 统计年报 on plain facts (no database), and its SVG charts."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

from pipeline.reports.charts import axis_top, fit_label, grouped_bars, svg_data_uri, svg_from_uri
from pipeline.reports.yearly import FormFact, ItemFact, LoanFact, statistics_of

ZONE = ZoneInfo("Asia/Shanghai")
SVG = "{http://www.w3.org/2000/svg}"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZONE)


def test_a_year_runs_from_local_midnight_and_destroyed_items_leave_the_holdings_on_their_day():
    items = [
        ItemFact(2025, "D10", "KW", 3, at(2025, 12, 31, 23, 59)),  # last year (UTC: 15:59)
        ItemFact(2025, "D10", "KW", 5, at(2026, 1, 1, 0, 1)),  # this year (UTC: still 2025)
        ItemFact(2019, "D3", "SJ", 4, at(2024, 3, 1), at(2026, 6, 1)),  # destroyed this year
        ItemFact(2019, "D3", "SJ", 6, at(2024, 3, 1), at(2027, 1, 1, 0, 0)),  # destroyed next year: held
        ItemFact(2026, "Y", "CJ", 2, at(2027, 1, 1, 0, 0)),
    ]  # filed next year: not counted
    stats = statistics_of(year=2026, items=items, loans=[], forms=[], rounds=[], zone=ZONE)
    assert (stats.opening.items, stats.opening.pages) == (3, 13)
    assert (stats.received.items, stats.received.pages) == (1, 5)
    assert (stats.removed.items, stats.removed.pages) == (1, 4)
    assert (stats.closing.items, stats.closing.pages) == (3, 14)
    assert [(r["year"], r["retention"], r["category"], r["items"], r["pages"]) for r in stats.holdings] == [
        (2019, "D3", "SJ", 1, 6),
        (2025, "D10", "KW", 2, 8),
    ]
    assert [(r["category"], r["received_items"], r["removed_items"]) for r in stats.flow] == [
        ("KW", 1, 0),
        ("SJ", 0, 1),
    ]


def test_one_visit_may_take_several_items_and_only_lent_loans_count():
    loans = [
        LoanFact("王老师", "核对材料", False, at(2026, 3, 2, 9)),
        LoanFact(" 王老师", "核对材料", True, at(2026, 3, 2, 15)),
        LoanFact("王老师", "核对材料", False, at(2026, 3, 9, 9)),
        LoanFact("中心", "", False, at(2026, 4, 1)),
        LoanFact("某公司", "复印", True, None, refused=True),
        LoanFact("旧", "x", False, at(2025, 12, 31, 23)),
    ]
    stats = statistics_of(year=2026, items=[], loans=loans, forms=[], rounds=[], zone=ZONE).loans
    assert (stats.visits, stats.items, stats.copies, stats.refused) == (3, 4, 1, 1)
    assert stats.by_purpose == [
        {"purpose": "核对材料", "visits": 2, "items": 3},
        {"purpose": "（未填写）", "visits": 1, "items": 1},
    ]


def test_a_reprint_is_counted_once_and_outstanding_is_what_did_not_come_back():
    forms = [FormFact("R1", "registration", s) for s in ("filed", "filed", "generated", "superseded", "scanned")]
    forms += [FormFact("R1", "roster", "generated"), FormFact("R2", "roster", "filed")]
    stats = statistics_of(year=2026, items=[], loans=[], forms=forms, rounds=["R2", "R1"], zone=ZONE)
    assert [
        (r["round"], r["form"], r["generated"], r["filed"], r["outstanding"], r["superseded"]) for r in stats.forms
    ] == [("R2", "roster", 1, 1, 0, 0), ("R1", "registration", 4, 2, 2, 1), ("R1", "roster", 1, 0, 1, 0)]


def test_a_chart_is_well_formed_svg_with_its_values_and_labels_that_fit():
    labels = ["KW", "一个非常非常长的类别名称写不下", "A", "B", "C", "D"]  # six groups: about 8 characters each
    svg = grouped_bars(
        title="接收与销毁", labels=labels, series=[("接收", [131, 2, 0, 0, 0, 0]), ("销毁", [0, 7, 0, 0, 0, 0])]
    )
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "接收与销毁" in texts and "131" in texts and "7" in texts and "KW" in texts
    assert any(t.endswith("…") for t in texts)  # the long label is cut, not spilled
    assert len(root.findall(f"{SVG}rect")) == 3 + 2  # three non-zero bars and two legend keys
    assert svg_from_uri(svg_data_uri(svg)) == svg
    empty = ET.fromstring(grouped_bars(title="无", labels=[], series=[("接收", [])]))
    assert "本年无数据" in [t.text for t in empty.iter(f"{SVG}text")]
    assert [axis_top(v) for v in (0, 1, 3, 131, 200, 201)] == [1, 1, 5, 200, 200, 500]
    assert fit_label("DEMO-2026-12", 200) == "DEMO-2026-12" and fit_label("鉴定" * 20, 40).endswith("…")
