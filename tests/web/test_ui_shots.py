"""One screenshot per page at 1366×768, the way staff see it (scripts/ui-shots.py writes them to docs/ui/;
otherwise to a temporary folder): each page renders without horizontal scrolling, in Chinese, every field
and button labelled."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.once       # the same pictures on either database engine


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("STATION_UI_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !(e.textContent || '').trim())
    .map(e => e.outerHTML.slice(0, 120))"""


def _shot(page, folder: Path, name: str) -> None:
    assert page.evaluate(UNLABELLED) == [], f"{name}: a field or button without a label"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name}: scrolls sideways"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.screenshot(path=str(folder / f"{name}.png"))


def test_screenshots_of_the_pages(web_site, page, sign_in, shots):
    page.goto(web_site.url_for("web:login"))
    page.get_by_label("用户名").fill("archivist")
    _shot(page, shots, "sign-in")
    sign_in(page, "archivist")                 # home.png: tests/web/test_ui_shots_inbox.py, with work waiting
    page.goto(web_site.url_for("web:search"))
    page.get_by_label("工种").select_option("电工")
    page.get_by_label("检索词").fill("张伟 OR 李娜 OR 成绩")
    page.get_by_role("button", name="检索", exact=True).click()
    expect(page.get_by_role("region", name=re.compile("第 1–"))).to_be_visible()
    _shot(page, shots, "search")
    page.get_by_role("link", name=re.compile("张伟 职业技能鉴定报名登记表")).click()
    expect(page.get_by_role("img", name="第 2 页")).to_have_js_property("complete", True)
    page.wait_for_timeout(4000)          # the PDF viewer in its frame
    _shot(page, shots, "item")
    page.get_by_role("link", name="修改密码").click()
    _shot(page, shots, "password")
    page.get_by_role("button", name="退出").click()
    sign_in(page, "clerk")
    page.goto(web_site.url_for("web:item", web_site.items["results"]))
    expect(page.get_by_role("heading", name="无权访问（403）")).to_be_visible()
    _shot(page, shots, "403")
    page.goto(web_site.url + "/no-such-page/")
    _shot(page, shots, "404")
    taken = {p.stem for p in shots.glob("*.png")}      # home and inbox: test_ui_shots_inbox.py, same folder
    assert taken >= {"sign-in", "search", "item", "password", "403", "404"}
