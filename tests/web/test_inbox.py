"""收件箱 and 首页 in a real browser: a scan uploaded (file field and drag and drop) lands in the inbox and
is filed by the worker, not by the request; the review queue's items are filed and discarded by keyboard."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect

from pipeline.catalog.models import ArchiveItem, ReviewItem
from pipeline.ingest.flow import ingest_once
from tests.ingest.test_flow import fast_config, form_pages, make_registration, make_round, stack_bytes
from tests.ingest.test_stack_groups import make_instance, scanned

pytestmark = pytest.mark.django_db(transaction=True)

DROP_JS = """([data, name]) => {
  const zone = document.getElementById("drop-zone");
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(data)], name, {type: "application/pdf"}));
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
}"""


def _registration_scan(tmp_path, serial: int, name: str):
    form = make_registration(make_round(), serial)
    path = tmp_path / name
    path.write_bytes(stack_bytes(form_pages(form), tmp_path, f"stack{serial}.pdf"))
    return path


def test_scans_uploaded_by_file_field_and_by_drop_are_filed_by_the_worker_and_shown_filed(
    web_site, page, sign_in, tmp_path
):
    chosen = _registration_scan(tmp_path, 7, "报名表扫描.pdf")
    dropped = _registration_scan(tmp_path, 8, "拖入的报名表.pdf")
    sign_in(page, "archivist")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="收件箱").click()
    # the file's bytes, not its path: Chromium started with LANG=zh_CN.UTF-8 (conftest) cannot open a Chinese
    # path where that locale is not installed
    page.get_by_label(re.compile("^扫描件")).set_input_files(
        {"name": chosen.name, "mimeType": "application/pdf", "buffer": chosen.read_bytes()}
    )
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("已上传 1 个文件（报名表扫描.pdf）", timeout=15_000)
    page.evaluate(DROP_JS, [list(dropped.read_bytes()), dropped.name])
    expect(page.get_by_role("status").first).to_contain_text("已上传 1 个文件（拖入的报名表.pdf）", timeout=15_000)
    inbox = web_site.paths.inbox
    assert sorted(p.name for p in inbox.iterdir()) == sorted([chosen.name, dropped.name])  # saved, not filed
    assert (inbox / "报名表扫描.pdf").read_bytes() == chosen.read_bytes()
    assert not ArchiveItem.objects.filter(source_name__in=[chosen.name, dropped.name]).exists()
    status = page.locator("#inbox-status")
    expect(status).to_contain_text("排队：报名表扫描.pdf")
    assert ingest_once(paths=web_site.paths, config=fast_config(0)) == {"filed": 2}  # the worker files them
    for name in (chosen.name, dropped.name):
        code = ArchiveItem.objects.get(source_name=name).archival_code
        expect(status.get_by_role("row", name=re.compile(re.escape(name)))).to_contain_text(code, timeout=15_000)
    expect(status).not_to_contain_text("排队：")


def test_one_review_item_is_filed_and_another_discarded_by_keyboard(web_site, page, sign_in, tmp_path):
    round_ = make_round()
    for n in (1, 2):  # admission tickets are never filed on their own: each waits
        ticket = make_instance("admission-ticket", round_)
        (web_site.paths.inbox / f"准考证{n}.pdf").write_bytes(
            stack_bytes(scanned(ticket, random.Random(n)), tmp_path, f"t{n}.pdf")
        )
    assert ingest_once(paths=web_site.paths, config=fast_config(0)) == {"review": 2}
    first, second = ReviewItem.objects.order_by("id")
    sign_in(page, "archivist")
    expect(page.get_by_role("region", name="收件箱")).to_contain_text("2")
    page.goto(web_site.url_for("web:inbox"))
    one = page.get_by_role("region", name=re.compile(f"^待处理项 {first.id}："))
    image = one.get_by_role("img", name=f"待处理项 {first.id} 第 1 页")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 500")
    one.get_by_label("类别").select_option("KW")
    one.get_by_label("题名").fill("2026-12 准考证存根（人工归档）")
    one.get_by_label("题名").press("Enter")
    filed = ArchiveItem.objects.get(title="2026-12 准考证存根（人工归档）")
    expect(page.get_by_role("status").first).to_contain_text(
        f"待处理项 {first.id} 已归档：档号 {filed.archival_code}", timeout=15_000
    )
    two = page.get_by_role("region", name=re.compile(f"^待处理项 {second.id}："))
    two.get_by_label("剔除原因").fill("准考证由考生本人保存，不归档")
    two.get_by_label("剔除原因").press("Enter")
    expect(page.get_by_role("status").first).to_contain_text(f"待处理项 {second.id} 已剔除", timeout=15_000)
    states = dict(ReviewItem.objects.values_list("id", "state"))
    assert states == {first.id: ReviewItem.State.FILED, second.id: ReviewItem.State.DISCARDED}
    assert filed.category == "KW" and (web_site.paths.archive / filed.folder / "document.pdf").is_file()
    assert list((web_site.paths.processed / "discarded").glob(f"准考证2.item{second.id}.pdf"))
    expect(page.get_by_role("region", name=re.compile("^待人工处理"))).to_contain_text("没有待人工处理的项目")


def test_a_witness_sees_the_queue_counts_but_cannot_work_it(web_site, page, sign_in, tmp_path):
    ticket = make_instance("admission-ticket", make_round())
    (web_site.paths.inbox / "准考证.pdf").write_bytes(stack_bytes(scanned(ticket, random.Random(3)), tmp_path))
    assert ingest_once(paths=web_site.paths, config=fast_config(0)) == {"review": 1}
    item = ReviewItem.objects.get()
    sign_in(page, "witness")
    page.goto(web_site.url_for("web:inbox"))
    expect(page.get_by_role("region", name=re.compile("^待人工处理"))).to_contain_text("由档案管理员或站长处理")
    expect(page.get_by_label("剔除原因")).to_have_count(0)
    expect(page.get_by_text("您的角色不能上传扫描件")).to_be_visible()
    response = page.request.get(web_site.url_for("web:review_page", item.id, 1))
    assert response.status == 403 and "无权" in response.text()
