"""借阅 in the browser (issue 15 point 2): a loan from request to return, the requester refused as its
approver, the overdue list, and the year's register as a PDF made in the background."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from pipeline.catalog.models import AuditEntry, Loan
from tests.web.test_destruction_web import _forced_post


def _sign_in(page, web_site, name):
    page.goto(web_site.url_for("web:login"))
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(web_site.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_a_loan_from_request_to_return_with_the_requester_refused_as_approver(web_site, browser, page):
    code = web_site.items["results"]                                      # 成绩: restricted, needs approval
    _sign_in(page, web_site, "office")                                   # an office head: a loan approver
    page.goto(web_site.url_for("web:loans"))
    page.get_by_label("档号").fill(code)
    page.get_by_label("借阅人").fill("王五")
    page.get_by_label("借阅目的").fill("复核成绩")
    page.get_by_label("应还日期").fill("2020-01-10")
    page.get_by_label("申请复印").check()
    page.get_by_role("button", name="登记借阅").click()
    expect(page.locator(".alert-success")).to_contain_text("已登记借阅")
    loan = Loan.objects.get(item__archival_code=code)
    row = page.get_by_role("row").filter(has_text=f"#{loan.id}")
    expect(row).to_contain_text("已申请")
    expect(row.get_by_role("button")).to_have_count(0)                   # the requester is offered nothing
    refused = _forced_post(page, web_site.url_for("web:loan_step", loan.id, "approve"), {})
    assert "须由另一位领导审批" in refused
    assert Loan.objects.get(id=loan.id).state == "requested"
    # the head approves, in another browser context
    head = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    _sign_in(head, web_site, "head")
    head.goto(web_site.url_for("web:loans"))
    head.get_by_role("button", name=f"批准 #{loan.id}", exact=True).click()
    expect(head.locator(".alert-success")).to_contain_text("已批准")
    head.context.close()
    # the archivist lends it; past its return date it is listed as overdue; then it comes back
    page.get_by_role("button", name="退出").click()
    _sign_in(page, web_site, "archivist")
    page.goto(web_site.url_for("web:loans"))
    page.get_by_role("button", name=f"借出 #{loan.id}").click()
    expect(page.locator(".alert-success")).to_contain_text("借出")
    overdue = page.get_by_role("region", name=re.compile("逾期未还"))
    expect(overdue).to_contain_text(code)
    expect(overdue).to_contain_text("2020-01-10")
    page.get_by_role("button", name=f"归还 #{loan.id}").click()
    expect(page.locator(".alert-success")).to_contain_text("已归还")
    expect(page.get_by_role("region", name=re.compile("逾期未还"))).to_have_count(0)
    actions = list(AuditEntry.objects.filter(target=code, action__startswith="loan.").values_list("action", "actor"))
    assert actions == [("loan.request", "office"), ("loan.approve", "head"), ("loan.lend", "archivist"),
                       ("loan.return", "archivist")]
    # the year's register: made in the background, then downloaded
    year = Loan.objects.get(id=loan.id).requested_at.year
    page.get_by_label("年度", exact=True).fill(str(year))
    page.get_by_role("button", name="生成借阅登记表").click()
    job = page.locator(".job").filter(has_text="借阅登记表")
    expect(job).to_contain_text("已完成", timeout=60_000)
    with page.expect_download() as download:
        job.get_by_role("link", name=re.compile(r"下载 .*\.pdf")).click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
