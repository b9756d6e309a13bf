"""统计 (issue 15 point 4): SVG charts drawn on the server from the catalog's numbers, the same numbers as a
table and as an xlsx workbook."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from pipeline.core.config import get_config
from pipeline.reports.charts import hbars, stacked_bars
from pipeline.reports.holdings import falling_due, holdings, holdings_series, stats_xlsx
from tests.retention.conftest import make_item

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_stacked_bars_are_valid_svg_with_each_total_and_a_title_for_screen_readers():
    svg = stacked_bars(title="馆藏", labels=["2024", "2025"], series=[("10年", [3, 4]), ("永久", [1, 0])])
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "馆藏"
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert sorted(r.find(f"{SVG}title").text for r in bars) == ["2024 10年：3件", "2024 永久：1件", "2025 10年：4件"]
    assert {"4", "2024", "2025", "10年", "永久"} <= set(_texts(svg))          # totals, labels, legend
    heights = {r.find(f"{SVG}title").text: float(r.get("height")) for r in bars}
    assert heights["2025 10年：4件"] == pytest.approx(4 * heights["2024 永久：1件"])
    assert "style=" not in svg and "<script" not in svg                    # passes a strict CSP inline


def test_horizontal_bars_and_the_empty_chart_say_what_they_show():
    svg = hbars(title="交回", labels=["2026-06", "2026-12"], series=[("已归档", [40, 0]), ("未交回", [3, 5])])
    assert {"2026-06", "2026-12", "43", "5"} <= set(_texts(svg))
    assert "暂无数据" in _texts(stacked_bars(title="空", labels=[], series=[]))


@pytest.mark.django_db
def test_holdings_and_falling_due_count_filed_items_and_the_workbook_holds_the_same(data_root):
    for day in (dt.date(2019, 6, 1), dt.date(2019, 7, 1), dt.date(2024, 3, 1)):
        make_item(data_root, category="KW", doc_date=day)                   # 考务 10 years from next 1 Jan
    make_item(data_root, category="CJ", doc_date=dt.date(2024, 3, 1))       # permanent
    config = get_config()
    table = holdings(config=config)
    assert [row[0] for row in table.rows] == [2019, 2024, 2024] and sum(r[3] for r in table.rows) == 4
    labels, series = holdings_series(table)
    assert labels == ["2019", "2024"] and dict(series)["永久"] == [0, 1] and dict(series)["10年"] == [2, 1]
    due = falling_due(today=dt.date(2026, 6, 1))
    assert due.rows[0] == ["2026年以前", 0] and ["2030年", 2] in due.rows and len(due.rows) == 11
    book = load_workbook(io.BytesIO(stats_xlsx([table, due])))
    first = list(book.worksheets[0].iter_rows(values_only=True))
    assert first[1] == ("年度", "保管期限", "类别", "件数", "页数") and len(first) == 2 + len(table.rows)
    assert list(book.worksheets[1].iter_rows(values_only=True))[2:] == [tuple(r) for r in due.rows]
