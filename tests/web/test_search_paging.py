"""Pages of results (20 a page) through htmx without reloading the page, and no CSP violation on the way."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import ItemSpec


@pytest.fixture
def web_items():
    """23 notices of the same kind: two pages of results."""
    return [ItemSpec(f"n{n}", "FW", f"关于2024年第{n}期焊工鉴定的通知", f"焊工 鉴定 通知 第{n}期 考点安排",
                     dt.date(2024, 1, 1) + dt.timedelta(days=n)) for n in range(1, 24)]


def test_results_page_through_htmx_without_a_reload_and_without_csp_violations(web_site, page, sign_in):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    sign_in(page, "clerk")
    page.goto(web_site.url_for("web:search"))
    page.evaluate("window.stationMarker = 1")          # survives only if the page is never reloaded
    page.get_by_label("检索词").fill("焊工")
    page.get_by_role("button", name="检索", exact=True).click()
    results = page.get_by_role("region", name=re.compile("第 1–20 条"))
    expect(results.get_by_role("listitem")).to_have_count(20)
    first = set(results.get_by_role("link").all_inner_texts())
    page.get_by_role("button", name="下一页").focus()
    page.keyboard.press("Enter")                                                       # by keyboard
    results = page.get_by_role("region", name=re.compile("第 21–23 条"))
    expect(results.get_by_role("listitem")).to_have_count(3)
    second = set(results.get_by_role("link").all_inner_texts())
    for item in results.get_by_role("listitem").all():        # snippets are made for the page shown, page 2 too
        expect(item.locator("mark").first).to_have_text("焊工")
    assert len(first) == 20 and len(second) == 3 and not first & second     # every notice once, over two pages
    expect(page.get_by_role("button", name="下一页")).to_have_count(0)
    page.get_by_role("button", name="上一页").click()
    expect(page.get_by_role("region", name=re.compile("第 1–20 条"))).to_be_visible()
    assert page.evaluate("window.stationMarker") == 1
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
