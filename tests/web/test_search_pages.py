"""检索 and 档案详情 in a real browser: by name, by ID number, by filters alone; open a record; restricted
and secret records refused (and the refusal audited); downloads logged; thumbnails cached."""

from __future__ import annotations

import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from pipeline.catalog.models import AuditEntry
from tests.web.conftest import ZHANG_WEI_ID


def _search(page, web_site, words: str = ""):
    page.goto(web_site.url_for("web:search"))
    page.get_by_label("检索词").fill(words)
    return page


def test_search_by_name_highlights_the_name_and_masks_the_id_number(web_site, page, sign_in):
    sign_in(page, "clerk")
    _search(page, web_site, "张伟").get_by_role("button", name="检索", exact=True).click()
    results = page.get_by_role("region", name=re.compile("第 1–1 条"))
    expect(results).to_be_visible()
    expect(results.get_by_role("link", name=re.compile("张伟 职业技能鉴定报名登记表"))).to_be_visible()
    expect(results.locator("mark").first).to_have_text("张伟")
    body = page.content()
    assert ZHANG_WEI_ID not in body and "350203********" in body


def test_search_by_id_number_finds_the_candidate_exactly(web_site, page, sign_in):
    sign_in(page, "clerk")
    _search(page, web_site, ZHANG_WEI_ID).keyboard.press("Enter")
    results = page.get_by_role("region", name=re.compile("第 1–1 条"))
    expect(results.get_by_text("精确匹配")).to_be_visible()
    expect(results.get_by_role("link", name=re.compile("张伟"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"350203\*+"))).to_be_visible()  # the query echoed masked


def test_filters_alone_then_refine_within_the_results(web_site, page, sign_in):
    sign_in(page, "clerk")
    page.goto(web_site.url_for("web:search"))
    page.get_by_label("工种").select_option("电工")
    page.get_by_label("类别").select_option("KW")
    page.get_by_role("button", name="检索", exact=True).click()
    results = page.get_by_role("region", name=re.compile("仅按筛选条件"))
    expect(results.get_by_role("listitem")).to_have_count(2)  # 张伟 (2024) and 李娜 (2021), newest first
    expect(results.get_by_role("listitem").first).to_contain_text("张伟")
    page.get_by_label("检索词").fill("李娜")
    page.get_by_role("button", name="在结果中检索").click()
    results = page.get_by_role("region", name=re.compile("第 1–1 条"))
    expect(results.get_by_role("listitem")).to_have_count(1)
    expect(results).to_contain_text("李娜")


def test_the_result_list_exports_to_excel_as_shown(web_site, page, sign_in, tmp_path):
    sign_in(page, "clerk")
    _search(page, web_site, "电工").get_by_role("button", name="检索", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 Excel").click()
    path = tmp_path / "out.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    codes = {row[1] for row in rows[2:]}
    assert web_site.items["zhangwei"] in codes and web_site.items["lina"] in codes
    assert all(ZHANG_WEI_ID not in str(cell) for row in rows for cell in row)
    assert AuditEntry.objects.filter(action="search.export", actor="clerk").exists()


def test_open_a_record_from_the_results_with_its_pdf_thumbnails_and_trail(web_site, page, sign_in):
    sign_in(page, "clerk")
    _search(page, web_site, "张伟").keyboard.press("Enter")
    page.get_by_role("link", name=re.compile("张伟 职业技能鉴定报名登记表")).click()
    code = web_site.items["zhangwei"]
    expect(page.get_by_role("heading", level=1)).to_have_text("2024-05 电工四级 张伟 职业技能鉴定报名登记表")
    expect(page.get_by_text(code).first).to_be_visible()
    frame = page.locator("iframe[name=pdf-frame]")
    expect(frame).to_have_attribute("src", re.compile(r"/document\.pdf$"))
    thumbs = page.get_by_role("img", name=re.compile("第 \\d 页"))
    expect(thumbs).to_have_count(2)
    for n in range(2):
        expect(thumbs.nth(n)).to_have_js_property("naturalWidth", 240)
    cached = list((web_site.paths.var / "thumbs").rglob("*.png"))
    assert len(cached) == 2
    expect(page.get_by_role("table")).to_contain_text("item.file")
    response = page.request.get(web_site.url_for("web:item_pdf", code) + "?download=1")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    assert response.headers["content-disposition"].startswith("attachment")
    downloads = AuditEntry.objects.filter(action="item.download", actor="clerk", target=code)
    assert [e.detail["inline"] for e in downloads.order_by("seq")][-1] is False


def test_a_restricted_record_is_refused_to_a_non_custodian_and_the_refusal_audited(web_site, page, sign_in):
    code = web_site.items["results"]
    sign_in(page, "clerk")
    _search(page, web_site, "成绩汇总表").keyboard.press("Enter")
    hit = page.get_by_role("region", name=re.compile("条")).get_by_role("listitem").first
    expect(hit).to_contain_text("限制利用档案：仅显示档号与题名")
    expect(hit).not_to_contain_text("理论 86")
    response = page.goto(web_site.url_for("web:item", code))
    assert response.status == 403
    expect(page.get_by_role("heading", name="无权访问（403）")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("限制利用档案")
    assert page.request.get(web_site.url_for("web:item_pdf", code)).status == 403
    assert page.request.get(web_site.url_for("web:item_thumbnail", code, 1)).status == 403
    refusals = AuditEntry.objects.filter(action="item.view_refused", actor="clerk", target=code)
    assert refusals.count() == 3
    assert not AuditEntry.objects.filter(action="item.download", target=code).exists()


def test_the_archivist_opens_the_restricted_record_and_the_view_is_audited(web_site, page, sign_in):
    code = web_site.items["results"]
    sign_in(page, "archivist")
    page.goto(web_site.url_for("web:item", code))
    expect(page.get_by_role("heading", level=1)).to_have_text("2024-05 电工四级 成绩汇总表")
    assert AuditEntry.objects.filter(action="item.view_restricted", actor="archivist", target=code).exists()


def test_a_secret_paper_is_refused_to_the_archivist_and_opened_decrypted_by_the_custodian(web_site, page, sign_in):
    code = web_site.items["paper"]
    sign_in(page, "archivist")
    assert page.goto(web_site.url_for("web:item", code)).status == 403
    expect(page.get_by_role("alert")).to_contain_text("保密档案")
    assert AuditEntry.objects.filter(action="item.view_refused", actor="archivist", target=code).exists()
    page.get_by_role("button", name="退出").click()
    sign_in(page, "custodian")
    page.goto(web_site.url_for("web:item", code))
    expect(page.get_by_text("保密（加密保存）")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("第 1 页"))).to_have_count(0)  # no picture of a secret paper on disk
    pdf = page.request.get(web_site.url_for("web:item_pdf", code))
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    assert AuditEntry.objects.filter(action="item.download", actor="custodian", target=code).exists()
    assert not (web_site.paths.var / "thumbs").exists() or not list((web_site.paths.var / "thumbs").rglob("*.png"))
