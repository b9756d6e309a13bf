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


def _round_with_candidates(tmp_path, n: int = 3) -> list[Candidate]:
    """The round 2026-12 with n candidates, made by the 考务人员 through the services."""
    from pipeline.catalog.importing import candidates_import
    from pipeline.catalog.services import round_add

    round_add(code="2026-12", name="2026年12月职业技能鉴定", actor="clerk")
    sheet = write_xlsx(tmp_path / "已导入.xlsx", [person(n) for n in range(1, n + 1)])
    candidates_import(path=sheet, round_code="2026-12", actor="clerk")
    return list(Candidate.objects.order_by("sheet_row"))


def test_an_archivist_sees_each_refusal_in_chinese_on_the_round_page_and_nothing_changes(web_site, page, tmp_path):
    from pipeline.catalog.models import AuditEntry, Round

    first = _round_with_candidates(tmp_path)[0]
    audit = AuditEntry.objects.count()
    _sign_in(page, web_site, "archivist")
    page.goto(web_site.url_for("web:round", "2026-12"))
    sheet = write_xlsx(tmp_path / "名单.xlsx", [person(7), person(8)])
    page.get_by_label("考生名单（.xlsx 或 .csv）").set_input_files(_upload(sheet))
    page.get_by_role("button", name="导入考生名单").click()
    refusal = page.locator(".alert-danger").filter(has_text="无权")
    expect(refusal).to_have_text("用户“archivist”无权导入考生名单：需要考务人员或站长角色。")
    page.get_by_label("考生（准考证号或身份证号）").fill(first.ticket_number)
    page.get_by_label("新姓名").fill("林更正")
    page.get_by_role("button", name="修改考生").click()
    expect(page.locator(".alert-danger").filter(has_text="无权")).to_contain_text("无权修改考生信息")
    page.get_by_role("button", name="编排考场与工作人员").click()
    expect(page.locator(".alert-danger").filter(has_text="无权")).to_contain_text("无权编排考场与工作人员")
    page.get_by_role("button", name="生成全部表单").click()
    expect(page.locator(".alert-danger").filter(has_text="无权")).to_contain_text("无权生成批次表单")
    expect(page.locator(".job")).to_have_count(0)                     # nothing started in the background
    page.goto(web_site.url_for("web:rounds"))
    page.get_by_label("批次代码").fill("2027-06")
    page.get_by_label("名称").fill("2027年6月职业技能鉴定")
    page.get_by_role("button", name="建立批次").click()
    expect(page.locator(".alert-danger").filter(has_text="无权")).to_contain_text("无权建立鉴定批次")
    assert Candidate.objects.count() == 3 and Candidate.objects.get(pk=first.pk).name == first.name
    assert list(Round.objects.values_list("code", flat=True)) == ["2026-12"]
    assert AuditEntry.objects.count() == audit


def test_photos_in_sub_folders_are_found_from_a_browser_upload(web_site, page, tmp_path):
    from pipeline.catalog.models import AuditEntry, Round

    # folder names in ASCII here: the test browser runs under LANG=zh_CN.UTF-8, which this machine does not
    # have, and then cannot read local paths with Chinese in them (tests/web/test_round_uploads.py sends 照片/…)
    folder = tmp_path / "signup" / "photos"
    (folder / "2026" / "class2").mkdir(parents=True)
    for n in range(1, 4):
        sub = folder / "2026" / ("class2" if n == 3 else "")
        (sub / f"p{n}.jpg").write_bytes(jpeg_bytes((300, 400), (40 * n, 90, 160)))
    cells = {1: "photos/2026/p1.jpg", 2: "photos\\2026\\p2.jpg", 3: "photos/2026/class2/p3.jpg"}  # Windows too
    sheet = write_xlsx(tmp_path / "signup" / "名单.xlsx", [person(n, 照片=cells[n]) for n in range(1, 4)],
                       headers=HEADERS)
    Round.objects.create(code="2026-12", name="2026年12月职业技能鉴定")
    _sign_in(page, web_site, "clerk")
    page.goto(web_site.url_for("web:round", "2026-12"))
    page.get_by_label("考生名单（.xlsx 或 .csv）").set_input_files(_upload(sheet))
    page.get_by_label("或照片文件夹（含子文件夹）").set_input_files(folder)
    page.get_by_role("button", name="导入考生名单").click()
    expect(page.locator(".alert-success")).to_contain_text("已导入考生名单：3 条")
    assert all(c.photo for c in Candidate.objects.all())
    # new photos later, kept in sub-folders and named by ticket number: the folder upload finds them all
    later = tmp_path / "later"
    for n, c in enumerate(Candidate.objects.order_by("sheet_row")):
        (later / f"class{n % 2}" / "retake").mkdir(parents=True, exist_ok=True)
        (later / f"class{n % 2}" / "retake" / f"{c.ticket_number}.jpg").write_bytes(jpeg_bytes((600, 800)))
    page.get_by_label("照片文件夹（文件名为身份证号或准考证号）").set_input_files(later)
    page.get_by_role("button", name="上传照片").click()
    expect(page.get_by_role("heading", name="照片已保存")).to_be_visible()
    assert AuditEntry.objects.get(action="candidates.photos").detail["updated"] == 3


def test_reprint_just_the_forms_ticked_for_one_candidate(web_site, page, tmp_path):
    from PIL import Image

    from pipeline.catalog.models import FormInstance
    from pipeline.forms.service import forms_generate_many

    candidates = _round_with_candidates(tmp_path)
    Image.new("RGB", (295, 413), (180, 200, 230)).save(web_site.paths.photos / "photo.jpg", quality=85)
    Candidate.objects.update(photo="photo.jpg")
    forms_generate_many(forms=["registration"], round_=candidates[0].round, out=tmp_path / "printed", workers=1)
    wanted = FormInstance.objects.get(form="registration", subject=candidates[1].id_number).code
    _sign_in(page, web_site, "clerk")
    page.goto(web_site.url_for("web:round", "2026-12"))
    section = page.get_by_role("region", name="尚未交回归档的表单")
    expect(section).to_contain_text("未交回 3 份")
    section.get_by_label(f"{candidates[1].name} 职业技能鉴定报名登记表").check()
    section.get_by_role("button", name="补打所选表单").click()
    job = page.locator(".job").filter(has_text="补打 2026-12 所选的未交回表单")
    expect(job).to_contain_text("已完成", timeout=120_000)
    expect(job).to_contain_text("共 1 份表单")
    with page.expect_download() as download:
        job.get_by_role("link", name=re.compile(r"\.zip$")).click()
    names = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())).namelist()
    forms = [n for n in names if n.startswith("registration/")]
    assert len(forms) == 1 and wanted in forms[0], names
    others = FormInstance.objects.exclude(code=wanted).values_list("code", flat=True)
    assert not any(code in name for code in others for name in names)
