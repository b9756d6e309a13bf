"""One screenshot per part-2 page at 1366×768 (scripts/ui-shots.py sets STATION_UI_SHOTS=docs/ui): rounds,
a sheet refused row by row, a round's forms not yet returned with one ticked to reprint, loans, destruction
(queue, due list, register), stats, audit log, verify, users. Each page renders in Chinese without sideways
scrolling."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from pipeline.catalog.destruction import destruction_propose
from pipeline.catalog.loans import loan_lend, loan_request
from pipeline.catalog.services import round_add
from pipeline.core.config import get_config
from tests.roster.conftest import person, write_xlsx
from tests.web.conftest import ITEMS
from tests.web.test_destruction_web import OLD
from tests.web.test_rounds_web import _sign_in, _upload
from tests.web.test_ui_shots import _shot, shots  # noqa: F401 — the fixture

pytestmark = pytest.mark.once


@pytest.fixture
def web_items():
    return [*ITEMS, *OLD]


def _round_with_forms_out(web_site, tmp_path) -> None:
    """The round 2026-06: three candidates with photos, their 报名登记表 printed and not yet returned."""
    from PIL import Image

    from pipeline.catalog.importing import candidates_import
    from pipeline.catalog.models import Candidate, Round
    from pipeline.forms.service import forms_generate_many

    round_ = round_add(code="2026-06", name="2026年6月职业技能鉴定", actor="clerk")
    candidates_import(path=write_xlsx(tmp_path / "名单.xlsx", [person(n) for n in range(11, 14)]),
                      round_code="2026-06", actor="clerk")
    Image.new("RGB", (295, 413), (180, 200, 230)).save(web_site.paths.photos / "photo.jpg", quality=85)
    Candidate.objects.filter(round=round_).update(photo="photo.jpg")
    forms_generate_many(forms=["registration"], round_=Round.objects.get(code="2026-06"), out=tmp_path / "printed",
                        workers=1)


def test_screenshots_of_the_part_two_pages(web_site, page, shots, tmp_path):  # noqa: F811
    users = web_site.users
    round_add(code="2026-12", name="2026年12月职业技能鉴定", actor="clerk")
    loan = loan_request(actor=users["office"], item_code=web_site.items["notice"], borrower="王五", purpose="查阅来文",
                        due_back=dt.date(2026, 1, 10))
    loan_lend(actor=users["archivist"], loan_id=loan.id)
    loan_request(actor=users["clerk"], item_code=web_site.items["results"], borrower="李四", purpose="复核成绩",
                 copy_requested=True)
    batch = destruction_propose(actor=users["archivist"], config=get_config(), as_of=dt.date(2026, 6, 1))
    _sign_in(page, web_site, "head")
    page.goto(web_site.url_for("web:rounds"))
    _shot(page, shots, "rounds")
    page.goto(web_site.url_for("web:round", "2026-12"))
    bad = write_xlsx(tmp_path / "名单有误.xlsx", [person(1), person(2, 身份证号="35020319900101123X"),
                                                person(3, 等级="九级", 联系电话="123")])
    page.get_by_label("考生名单（.xlsx 或 .csv）").set_input_files(_upload(bad))
    page.get_by_role("button", name="导入考生名单").click()
    expect(page.locator("table.rows-table")).to_be_visible()
    _shot(page, shots, "round-rows-refused")
    _round_with_forms_out(web_site, tmp_path)
    page.goto(web_site.url_for("web:round", "2026-06") + "#outstanding")
    page.get_by_role("region", name="尚未交回归档的表单").get_by_role("checkbox").nth(1).check()
    _shot(page, shots, "round")
    page.goto(web_site.url_for("web:loans"))
    _shot(page, shots, "loans")
    page.goto(web_site.url_for("web:destruction"))
    _shot(page, shots, "destruction")
    page.goto(web_site.url_for("web:destruction_due") + "?as_of=2026-06-01")
    _shot(page, shots, "destruction-due")
    page.goto(web_site.url_for("web:destruction_register", batch.code))
    _shot(page, shots, "destruction-register")
    page.goto(web_site.url_for("web:stats"))
    _shot(page, shots, "stats")
    page.goto(web_site.url_for("web:audit"))
    _shot(page, shots, "audit")
    page.goto(web_site.url_for("web:verify"))
    _shot(page, shots, "verify")
    page.goto(web_site.url_for("web:users"))
    _shot(page, shots, "users")
