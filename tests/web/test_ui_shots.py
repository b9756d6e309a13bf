"""One screenshot per page at 1366×768, the way staff see it (scripts/ui-shots.py writes them to docs/ui/;
otherwise to a temporary folder): each page renders without horizontal scrolling and in Chinese."""

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


def _shot(page, folder: Path, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name}: scrolls sideways"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.screenshot(path=str(folder / f"{name}.png"))


def test_screenshots_of_the_pages(web_site, page, sign_in, shots):
    page.goto(web_site.url_for("web:login"))
    page.get_by_label("用户名").fill("archivist")
    _shot(page, shots, "sign-in")
    sign_in(page, "archivist")
    _shot(page, shots, "home")
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
    assert len(list(shots.glob("*.png"))) == 7
