"""首页 and 收件箱 with real work waiting, photographed at 1366×768 (STATION_UI_SHOTS=docs/ui keeps the PNGs there):
the head sees the register and loan waiting for approval, the overdue loan and a failed verify; the archivist
sees review items with their page images, a quarantined file with its reason, and what was filed lately."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pipeline.catalog.dashboard import verify_record
from pipeline.catalog.destruction import destruction_propose
from pipeline.catalog.holds import hold_place
from pipeline.catalog.loans import loan_lend, loan_request
from pipeline.core.config import get_config
from pipeline.ingest.flow import ingest_once
from tests.ingest.test_flow import fast_config, form_pages, make_registration, make_round, stack_bytes
from tests.ingest.test_stack_groups import make_instance, scanned
from tests.web.conftest import ItemSpec, file_item
from tests.web.test_ui_shots import _shot

pytestmark = pytest.mark.django_db(transaction=True)


def _keep(page, shot: Path, name: str) -> None:
    """Photograph the page (every field labelled, no sideways scroll: the checks of test_ui_shots.py); kept in
    STATION_UI_SHOTS when set."""
    _shot(page, shot.parent, shot.stem)
    folder = os.environ.get("STATION_UI_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(folder) / name)


def _work_waiting(site, tmp_path) -> None:
    paths, users = site.paths, site.users
    old = file_item(
        paths,
        ItemSpec(
            "old",
            "KW",
            "2015-06 电工四级 陈静 职业技能鉴定报名登记表",
            "报名登记表 陈静 电工",
            dt.date(2015, 6, 1),
            "陈静",
            "",
            "电工",
            4,
            "registration",
            "2015-06",
        ),
    )
    destruction_propose(actor=users["archivist"], config=get_config(), as_of=dt.date.today())
    hold_place(actor=users["archivist"], round_code="2015-06", reason="劳动争议待查")   # no longer counted as due
    loan = loan_request(
        actor=users["clerk"],
        item_code=site.items["zhangwei"],
        borrower="李老师",
        purpose="核对报名资料",
        due_back=dt.date.today() - dt.timedelta(days=5),
    )
    loan_lend(actor=users["archivist"], loan_id=loan.id)
    loan_request(
        actor=users["clerk"], item_code=site.items["notice"], borrower="张主任", purpose="复印存档", copy_requested=True
    )
    verify_record(
        paths=paths,
        report={
            "ok": False,
            "items": 6,
            "files": 24,
            "findings": [{"message_zh": f"{old}：文件 document.pdf 内容与校验值不符（被修改或损坏）"}],
        },
    )
    round_ = make_round()
    form = make_registration(round_, 21)
    make_registration(round_, 22)
    (paths.inbox / "报名表_0001.pdf").write_bytes(stack_bytes(form_pages(form), tmp_path, "a.pdf"))
    for n in (1, 2):
        ticket = make_instance("admission-ticket", round_)
        (paths.inbox / f"准考证_000{n}.pdf").write_bytes(
            stack_bytes(scanned(ticket, random.Random(n)), tmp_path, f"t{n}.pdf")
        )
    (paths.inbox / "扫描_0003.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    assert ingest_once(paths=paths, config=fast_config(0)) == {"filed": 1, "review": 2, "quarantined": 1}


def test_home_and_inbox_pages_at_1366_by_768(web_site, page, sign_in, tmp_path):
    _work_waiting(web_site, tmp_path)
    sign_in(page, "head")
    mine = page.get_by_role("region", name="等待我审批或监销")
    expect(mine).to_contain_text("销毁清册")
    expect(mine).to_contain_text("借阅")
    expect(page.get_by_role("region", name="逾期未还的借阅")).to_contain_text("逾期 5 天")
    expect(page.get_by_role("region", name="最近一次完整性校验")).to_contain_text("1 处问题")
    expect(page.get_by_role("region", name="未交回归档的表单")).to_contain_text("1 份未交回")
    expect(page.get_by_role("region", name="到期的档案")).to_contain_text("另有 1 件在保全（冻结）中，不计入")
    _keep(page, tmp_path / "home.png", "home.png")
    page.get_by_role("button", name="退出").click()
    sign_in(page, "archivist")
    page.goto(web_site.url_for("web:inbox"))
    expect(page.get_by_role("region", name="隔离区（1）")).to_contain_text("扫描_0003.pdf")
    expect(page.locator("#inbox-status")).to_contain_text("报名表_0001.pdf")
    for img in page.locator(".review-thumbs img").all():
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
    page.evaluate("window.scrollTo(0, 0)")
    _keep(page, tmp_path / "inbox.png", "inbox.png")
