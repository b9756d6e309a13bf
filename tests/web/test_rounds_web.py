"""鉴定批次 in the browser (issue 15 point 1): a sheet with bad rows comes back as a table of rows; a good
sheet with its photos is imported; the round's forms are generated in the background and downloaded;
a corrected candidate shows which printed forms to reprint."""

from __future__ import annotations

import io
import re
import zipfile

from playwright.sync_api import expect

from pipeline.catalog.models import Candidate
from tests.roster.conftest import HEADERS, jpeg_bytes, person, write_xlsx


def _upload(path):
    """A file for an <input type=file>, passed as bytes (this Chromium does not read paths given to it)."""
    return {"name": path.name, "mimeType": "application/octet-stream", "buffer": path.read_bytes()}


def _sign_in(page, web_site, name):
    page.goto(web_site.url_for("web:login"))
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(web_site.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_import_with_bad_rows_then_generate_download_and_correct(web_site, page, tmp_path):
    _sign_in(page, web_site, "clerk")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="鉴定批次").click()
    page.get_by_label("批次代码").fill("2026-12")
    page.get_by_label("名称").fill("2026年12月职业技能鉴定")
    page.get_by_role("button", name="建立批次").click()
    expect(page.locator(".alert-success")).to_contain_text("已建立批次 2026-12")
    page.get_by_role("link", name="2026-12").click()
    # a sheet with two bad rows: nothing imported, each row named with its column and what to do
    bad = write_xlsx(tmp_path / "名单有误.xlsx", [person(1), person(2, 身份证号="35020319900101123X"),
                                                person(3, 等级="九级")])
    page.get_by_label("考生名单（.xlsx 或 .csv）").set_input_files(_upload(bad))
    page.get_by_role("button", name="导入考生名单").click()
    table = page.locator("table.rows-table")
    expect(table).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="身份证号")).to_have_count(1)
    rows = table.get_by_role("row")
    expect(rows.filter(has=page.get_by_role("cell", name="4", exact=True))).to_contain_text("身份证号")
    expect(rows.filter(has=page.get_by_role("cell", name="5", exact=True))).to_contain_text("等级")
    assert Candidate.objects.count() == 0
    # the corrected sheet with its photos
    photos = []
    for n in range(1, 5):
        path = tmp_path / f"p{n}.jpg"
        path.write_bytes(jpeg_bytes((300, 400), (40 * n, 90, 160)))
        photos.append(path)
    good = write_xlsx(tmp_path / "名单.xlsx", [person(n, 照片=f"p{n}.jpg") for n in range(1, 5)], headers=HEADERS)
    page.get_by_label("考生名单（.xlsx 或 .csv）").set_input_files(_upload(good))
    page.get_by_label("表格中引用的照片（可多选）").set_input_files([_upload(p) for p in photos])
    page.get_by_role("button", name="导入考生名单").click()
    expect(page.locator(".alert-success")).to_contain_text("已导入考生名单：4 条")
    # the round's forms, made in the background, downloaded as one zip
    page.get_by_role("button", name="生成全部表单").click()
    job = page.locator(".job").filter(has_text="生成 2026-12 全部表单")
    expect(job).to_contain_text("已完成", timeout=180_000)
    with page.expect_download() as download:
        job.get_by_role("link", name=re.compile(r"\.zip$")).click()
    names = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())).namelist()
    assert any(n.startswith("registration/") and n.endswith(".pdf") for n in names)
    expect(page.get_by_role("region", name="尚未交回归档的表单")).to_contain_text("未交回")
    # correct one candidate's name: the forms that print it are listed for reprinting
    first = Candidate.objects.order_by("ticket_number").first()
    page.goto(web_site.url_for("web:round", "2026-12"))
    page.get_by_label("考生（准考证号或身份证号）").fill(first.ticket_number)
    page.get_by_label("新姓名").fill("林更正")
    page.get_by_role("button", name="修改考生").click()
    reprints = page.locator("table.reprints")
    expect(reprints).to_be_visible()
    expect(reprints).to_contain_text("报名登记表")
    expect(reprints).to_contain_text("须重新打印")
    assert Candidate.objects.get(id=first.id).name == "林更正"
