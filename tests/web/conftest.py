"""Browser tests of the web interface: a live server over a real data root, one user per role, Playwright
driving the machine's Chromium (/usr/bin/chromium through executable_path; no browser download).

Fixtures for every web test (h14a, h14b, h15):
- `web_site`   a live server (pytest-django's, in this process, on the test database: SQLite or PostgreSQL)
               over a fresh data root with filed items (real PDFs, indexed) and WEB_USERS; a WebSite
               with .url, .paths, .users, .items (name → 档号), .password, and .url_for(name, *args)
- `browser`    Chromium, once per session (headless; STATION_CHROMIUM names another binary)
- `page`       a fresh browser context and page per test, 1366×768, zh-CN, Asia/Shanghai
- `sign_in`    sign_in(page, username, password=PASSWORD) → page: signs in through the form
- `web_items`  the item specs filed into the data root (add yours with `file_item`)
Module helpers: `file_item(paths, spec)` files one more item; WEB_USERS; PASSWORD; CHROMIUM.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls of the tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.people import PASSWORD, make_users  # noqa: E402

CHROMIUM = os.environ.get("STATION_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 768}
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

# one account per role (each its own person); the head is made first, by init's service
WEB_USERS: dict[str, list[str]] = {
    "head": ["station_head"],
    "archivist": ["archivist"],
    "clerk": ["exam_affairs"],
    "examiner": ["examiner"],
    "chief": ["chief_examiner"],
    "invigilator": ["invigilator"],
    "custodian": ["paper_custodian"],
    "scorer": ["score_clerk"],
    "office": ["office_head"],
    "witness": ["witness"],
}


def _id(first17: str) -> str:
    from pipeline.core.domain import id_check_digit

    return first17 + id_check_digit(first17)


ZHANG_WEI_ID = _id("35020319900101123")
LI_NA_ID = _id("35020619920304002")


@dataclass(frozen=True)
class ItemSpec:
    """One item to file: what staff would find by name, ID number, filters."""

    name: str  # key in WebSite.items
    category: str
    title: str
    text: str
    doc_date: dt.date
    candidate_name: str = ""
    id_number: str = ""
    occupation: str = ""
    level: int | None = None
    form: str = ""
    round_code: str = ""
    pages: int = 1
    restricted: bool = False


ITEMS = [
    ItemSpec(
        "zhangwei",
        "KW",
        "2024-05 电工四级 张伟 职业技能鉴定报名登记表",
        f"职业技能鉴定报名登记表 姓名 张伟 身份证号 {ZHANG_WEI_ID} 报考职业 电工 等级 四级 工作单位 厦门电力安装公司",
        dt.date(2024, 5, 10),
        "张伟",
        ZHANG_WEI_ID,
        "电工",
        4,
        "registration",
        "2024-05",
        pages=2,
    ),
    ItemSpec(
        "lina",
        "KW",
        "2021-04 电工三级 李娜 职业技能鉴定报名登记表",
        f"报名登记表 姓名 李娜 身份证号 {LI_NA_ID} 电工 三级 理论考试 实操考核",
        dt.date(2021, 4, 8),
        "李娜",
        LI_NA_ID,
        "电工",
        3,
        "registration",
        "2021-04",
    ),
    ItemSpec(
        "notice",
        "FW",
        "关于做好2024年职业技能鉴定工作的通知",
        "厦门市职业技能鉴定指导中心 关于做好2024年职业技能鉴定工作的通知 各鉴定站 请按要求组织汽车维修工鉴定",
        dt.date(2024, 3, 1),
    ),
    ItemSpec(
        "results",
        "CJ",
        "2024-05 电工四级 成绩汇总表",
        "成绩汇总表 电工 四级 张伟 理论 86 实操 91 合格 保密成绩未公布",
        dt.date(2024, 6, 1),
        occupation="电工",
        level=4,
        form="results",
        round_code="2024-05",
    ),
    ItemSpec(
        "paper",
        "SJ",
        "2024-05 电工四级 理论试卷",
        "电工四级理论试卷 第一题 选择题",
        dt.date(2024, 5, 20),
        occupation="电工",
        level=4,
        round_code="2024-05",
    ),
]


def page_pdf(title: str, text: str, pages: int) -> bytes:
    """A real PDF: each page a rendered image of Chinese text, as a scanner would make it."""
    import img2pdf
    from PIL import Image, ImageDraw, ImageFont

    font, small = ImageFont.truetype(FONT, 40), ImageFont.truetype(FONT, 28)
    images = []
    for number in range(1, pages + 1):
        image = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(image)
        draw.text((100, 120), title, font=font, fill=0)
        for row, start in enumerate(range(0, len(text), 36)):
            draw.text((100, 260 + row * 50), text[start : start + 36], font=small, fill=0)
        draw.text((560, 1650), f"第 {number} 页", font=small, fill=0)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        images.append(buffer.getvalue())
    return img2pdf.convert(images)


_scan = itertools.count(1)


def file_item(paths, spec: ItemSpec) -> str:
    """File one item as ingest does (store.item_write, audit entry, catalog row, search index); its 档号."""
    from pipeline import search
    from pipeline.archive.keys import key_require
    from pipeline.core.config import get_config
    from tests.items import catalog_item, item_file

    access = get_config().categories[spec.category].access
    secret = access == "secret"
    item = catalog_item(
        category=spec.category,
        doc_date=spec.doc_date,
        title=spec.title,
        pages=spec.pages,
        restricted=spec.restricted or access != "open",
        secret=secret,
        encrypted=secret,
        form=spec.form,
        round_code=spec.round_code,
        candidate_id_number=spec.id_number,
        candidate_name=spec.candidate_name,
        occupation=spec.occupation,
        level=spec.level,
        text="" if secret else spec.text,
    )
    pdf = page_pdf(spec.title, spec.text, spec.pages)
    scan = paths.work / "scans" / str(next(_scan)) / "scan.pdf"
    scan.parent.mkdir(parents=True, exist_ok=True)
    scan.write_bytes(pdf)
    key = key_require("测试归档保密档案") if secret else None
    meta = item_file(paths, item, pdf=pdf, originals=[scan], key=key)
    search.index_items([{**meta, "archival_code": item.archival_code}])
    return item.archival_code


@dataclass
class WebSite:
    """A running site: its address, data root, users (name → User) and filed items (name → 档号)."""

    url: str
    paths: object
    users: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    password: str = PASSWORD

    def url_for(self, name: str, *args) -> str:
        """The absolute address of a named URL pattern (e.g. "web:item", 档号)."""
        from django.urls import reverse

        return self.url + reverse(name, args=args)


@pytest.fixture
def web_items() -> list[ItemSpec]:
    """The items web_site files (override in a test module to file others)."""
    return list(ITEMS)


@pytest.fixture
def web_site(live_server, transactional_db, data_root, settings, web_items) -> WebSite:
    """A live server over a fresh data root with WEB_USERS and web_items filed (a fast hasher in tests:
    Argon2 is slow by design; tests/web/test_sign_in.py checks that Argon2 comes first in the settings)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = make_users(WEB_USERS)
    items = {spec.name: file_item(data_root, spec) for spec in web_items}
    return WebSite(url=live_server.url, paths=data_root, users=users, items=items)


@pytest.fixture(scope="session")
def browser():
    """Chromium from the system (no download), headless, once per test session."""
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/system-packages.sh (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"],
            env={**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN"},
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh context (no cookies) and page: 1366×768, zh-CN; closed after the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(web_site):
    """sign_in(page, username, password=PASSWORD): sign in through the form and land on the start page."""

    def go(page, username: str, password: str = PASSWORD):
        page.goto(web_site.url_for("web:login"))
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return go
