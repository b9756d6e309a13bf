"""统计, 审计日志, 校验, 用户与角色 in the browser (issue 15 points 4 and 5)."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from pipeline.catalog.models import AuditEntry, Staff
from tests.people import person_id
from tests.web.test_rounds_web import _sign_in


def test_stats_audit_verify_and_users_for_the_station_head(web_site, page, browser):
    _sign_in(page, web_site, "head")
    # 统计: three server-drawn charts, each with its table; the same numbers as xlsx
    page.goto(web_site.url_for("web:stats"))
    expect(page.locator(".chart svg[role=img]")).to_have_count(3)
    holdings = page.get_by_role("table").filter(has=page.get_by_text("馆藏档案（年度 × 保管期限 × 类别）"))
    expect(holdings.get_by_role("row").filter(has_text="2024")).to_have_count(4)       # KW, FW, CJ, SJ of 2024
    with page.expect_download() as download:
        page.get_by_role("link", name="下载全部数据（xlsx）").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert [s.title[:4] for s in book.worksheets] == ["1.馆藏", "2.今后", "3.各批"]
    assert sum(r[3] for r in list(book.worksheets[0].iter_rows(values_only=True))[2:]) == len(web_site.items)
    # 用户与角色: a new account for a new person, a role granted — each change audited
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="用户与角色").click()
    page.get_by_label("用户名", exact=True).fill("liu")
    page.get_by_label("初始密码（至少 8 位）").fill("liu-password-1")
    page.get_by_label("姓名").fill("刘档案")
    page.get_by_label("身份证号").fill(person_id())
    page.get_by_role("checkbox", name="档案管理员").check()
    page.get_by_role("button", name="新增用户").click()
    expect(page.locator(".alert-success")).to_contain_text("已建立用户 liu")
    assert Staff.objects.get(user__username="liu").name == "刘档案"
    page.get_by_label("授予 liu 的角色").select_option("witness")
    page.get_by_role("row").filter(has_text="刘档案").get_by_role("button", name="授予").click()
    expect(page.get_by_role("row").filter(has_text="刘档案")).to_contain_text("监销人")
    assert list(AuditEntry.objects.filter(target="liu").values_list("action", "actor")) == [
        ("user.add", "head"), ("user.grant", "head")]
    # 审计日志: filtered by who and which object
    page.goto(web_site.url_for("web:audit"))
    page.get_by_label("操作人（用户名）").fill("head")
    page.get_by_label("对象（档号、清册、用户…）").fill("liu")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(3)             # header + 2
    expect(page.get_by_role("table")).to_contain_text("user.grant")
    # 校验: run in the background, then the report is the page's
    page.goto(web_site.url_for("web:verify"))
    expect(page.get_by_text("尚未运行过校验")).to_be_visible()
    page.get_by_role("button", name="开始校验").click()
    expect(page.locator(".job")).to_contain_text("已完成", timeout=60_000)
    page.reload()
    expect(page.get_by_role("region", name="最近一次校验").get_by_role("status")).to_contain_text("校验通过")
    # a witness may not administer users nor read the audit log
    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    _sign_in(other, web_site, "witness")
    other.goto(web_site.url_for("web:users"))
    expect(other.get_by_role("heading", name=re.compile("403"))).to_be_visible()
    other.goto(web_site.url_for("web:audit"))
    expect(other.get_by_role("heading", name=re.compile("403"))).to_be_visible()
    other.context.close()


def test_the_url_walk_and_csrf_test_cover_every_part_two_page():
    from tests.web.test_url_walk import URLS
    names = {name for name, _ in URLS}
    assert {"web:rounds", "web:round", "web:round_upload", "web:round_forms", "web:round_file", "web:loans",
            "web:loan_step", "web:loan_register", "web:destruction", "web:destruction_due",
            "web:destruction_register", "web:destruction_approve", "web:destruction_witness",
            "web:destruction_execute", "web:destruction_strike", "web:destruction_file", "web:stats",
            "web:stats_xlsx", "web:audit", "web:verify", "web:verify_start", "web:users", "web:user_create",
            "web:user_change", "web:job"} <= names
