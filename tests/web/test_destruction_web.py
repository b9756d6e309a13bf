"""鉴定销毁 in the browser (issue 15 point 3): four people at four PCs — four browser contexts, each signed
in as itself — take a register from proposal to execution, and each refusal the two-person rule needs is
seen: the proposer approving, one witness confirming twice, an approval of a register changed since."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from pipeline.catalog.models import ArchiveItem, AuditEntry, DestructionBatch
from pipeline.catalog.people import user_add, user_grant
from tests.people import PASSWORD, person_id
from tests.web.conftest import ITEMS, VIEWPORT, ItemSpec

OLD = [
    ItemSpec(f"old{n}", "KW", f"2013 考务资料 第{n}号", f"考务资料 旧档 第{n}号", dt.date(2013, 3, n))
    for n in range(1, 4)
]


@pytest.fixture
def web_items():
    """The usual items plus three 考务 records of 2013, due on 1 January 2024."""
    return [*ITEMS, *OLD]


@pytest.fixture
def four(web_site, browser):
    """Four people, each at their own PC: the archivist (who also holds the head role), the head, two witnesses."""
    head = web_site.users["head"]
    user_grant(actor=head, username="archivist", roles=["station_head"])
    user_add(
        actor=head, username="witness2", password=PASSWORD, roles=["witness"], full_name="赵监销", id_number=person_id()
    )
    pages = {}
    for name in ("archivist", "head", "witness", "witness2"):
        context = browser.new_context(
            viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto(web_site.url_for("web:login"))
        page.get_by_label("用户名").fill(name)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        pages[name] = page
    yield pages
    for page in pages.values():
        page.context.close()


def _forced_post(page, url: str, data: dict) -> str:
    """What a user gets who posts a form the page did not offer them (with their own session and CSRF token)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        url, form={**data, "csrfmiddlewaretoken": token}, headers={"Referer": url, "X-CSRFToken": token}
    )
    return response.text()


def _open_register(page, web_site, code):
    page.goto(web_site.url_for("web:destruction_register", code))
    return page.locator("code.version").get_attribute("title")


def _sign(page, button: str, *, opinion: str | None = None):
    if opinion is not None:
        page.get_by_label("鉴定意见").fill(opinion)
    page.get_by_label("再次输入您的登录密码").fill(PASSWORD)
    page.get_by_role("button", name=button).click()


def test_four_people_destroy_records_and_each_refusal_is_shown(web_site, four):
    arch, head, w1, w2 = four["archivist"], four["head"], four["witness"], four["witness2"]
    old = [web_site.items[s.name] for s in OLD]
    # the archivist sees the due list with what blocks each row, then proposes
    arch.goto(web_site.url_for("web:destruction_due") + "?as_of=2026-06-01")
    expect(arch.get_by_role("row").filter(has_text=old[0])).to_contain_text("可销毁")
    arch.get_by_role("link", name="← 鉴定销毁").click()
    arch.get_by_label("截至日期").fill("2026-06-01")
    arch.get_by_role("button", name="提出销毁清册").click()
    expect(arch.get_by_role("heading", name=re.compile("档案销毁清册 XH2026-001"))).to_be_visible()
    code = "XH2026-001"
    assert sorted(DestructionBatch.objects.get(code=code).entries.values_list("item__archival_code", flat=True)) == old
    # 1. the proposer, though a station head, is not offered "approve" — and a forged approval is refused
    version = _open_register(arch, web_site, code)
    expect(arch.get_by_role("button", name="批准销毁")).to_have_count(0)
    refused = _forced_post(
        arch,
        web_site.url_for("web:destruction_approve", code),
        {"version": version, "opinion": "同意销毁", "password": PASSWORD},
    )
    assert "同一人" in refused and "职责分离" in refused
    # the head has it waiting; opens the register while the archivist strikes a row: the stale approval is refused
    head.goto(web_site.url_for("web:destruction"))
    head.get_by_role("link", name="待您批准").click()
    expect(head.get_by_role("button", name="批准销毁")).to_be_visible()
    arch.goto(web_site.url_for("web:destruction_register", code))
    arch.get_by_label("档号").fill(old[2])
    arch.get_by_label("理由").fill("上级要求暂缓")
    arch.get_by_role("button", name="划去").click()
    expect(arch.locator(".alert-success")).to_contain_text("已从销毁清册")
    _sign(head, "批准销毁", opinion="已到保管期限，经鉴定无继续保存价值，同意销毁")
    expect(head.locator(".alert-danger")).to_contain_text("在您打开之后已变更")
    # a wrong password is refused too; then the head approves what is now shown
    head.get_by_label("再次输入您的登录密码").fill("not-my-password")
    head.get_by_role("button", name="批准销毁").click()
    expect(head.locator(".alert-danger")).to_contain_text("密码不正确")
    _sign(head, "批准销毁", opinion="已到保管期限，经鉴定无继续保存价值，同意销毁")
    expect(head.locator(".alert-success")).to_contain_text("已批准销毁清册")
    # 2. the first witness confirms; confirming again is not offered, and a forged second confirmation is refused
    w1.goto(web_site.url_for("web:destruction"))
    w1.get_by_role("link", name="待您监销确认").click()
    approved = w1.locator("input[name=version]").get_attribute("value")
    _sign(w1, "作为监销人确认")
    expect(w1.locator(".alert-success")).to_contain_text("（1/2）")
    expect(w1.get_by_role("button", name="作为监销人确认")).to_have_count(0)
    twice = _forced_post(
        w1, web_site.url_for("web:destruction_witness", code), {"version": approved, "password": PASSWORD}
    )
    assert "已确认过" in twice
    # 3. the register changes after approval: approval and the first confirmation are void
    _open_register(arch, web_site, code)
    arch.get_by_label("档号").fill(old[1])
    arch.get_by_label("理由").fill("另案需要")
    arch.get_by_role("button", name="划去").click()
    expect(arch.locator(".alert-success")).to_contain_text("原批准与监销确认已作废")
    void = _forced_post(
        w2, web_site.url_for("web:destruction_witness", code), {"version": approved, "password": PASSWORD}
    )
    assert "不能监销确认" in void or "已作废" in void
    assert DestructionBatch.objects.get(code=code).state == "proposed"
    assert AuditEntry.objects.filter(action="destruction.approval_reset", target=code).count() == 1
    # the head approves again; both witnesses confirm, each at their own PC
    head.goto(web_site.url_for("web:destruction_register", code))
    _sign(head, "批准销毁", opinion="经鉴定同意销毁")
    for page in (w1, w2):
        page.goto(web_site.url_for("web:destruction_register", code))
        _sign(page, "作为监销人确认")
    expect(w2.locator(".alert-success")).to_contain_text("可以执行销毁")
    # the archivist executes in the background and downloads the final register
    arch.goto(web_site.url_for("web:destruction"))
    arch.get_by_role("link", name="待执行销毁").click()
    _sign(arch, "执行销毁")
    expect(arch.locator(".job").filter(has_text="执行销毁")).to_contain_text("已完成", timeout=60_000)
    assert ArchiveItem.objects.get(archival_code=old[0]).status == "destroyed"
    assert ArchiveItem.objects.get(archival_code=old[1]).status == "filed"
    arch.reload()
    final = (
        arch.get_by_role("listitem").filter(has_text="已执行，永久保存").get_by_role("link", name=re.compile(r"\.pdf$"))
    )
    with arch.expect_download() as download:
        final.click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    batch = DestructionBatch.objects.get(code=code)
    assert batch.state == "executed" and batch.approved_by == "head"
    assert sorted(batch.witnesses.values_list("user", flat=True)) == ["witness", "witness2"]
