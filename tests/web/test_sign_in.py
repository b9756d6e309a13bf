"""Sign-in, lock-out by user name + address, sign-out, own password change; Argon2 first."""

from __future__ import annotations

import re

from django.conf import settings
from playwright.sync_api import expect

from pipeline.catalog.models import AuditEntry


def test_argon2_hashes_passwords_first():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_a_user_signs_in_sees_the_navigation_and_signs_out(web_site, page, sign_in):
    page.goto(web_site.url_for("web:search"))
    expect(page).to_have_url(re.compile(r"/login/\?next=/search/"))
    page.get_by_label("用户名").fill("archivist")
    page.get_by_label("密码").fill(web_site.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/$"))
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="检索")).to_have_attribute("aria-current", "page")
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    page.goto(web_site.url_for("web:search"))
    expect(page).to_have_url(re.compile(r"/login/"))


def test_a_wrong_password_is_told_in_chinese_and_five_lock_the_user_on_this_address(web_site, page):
    page.goto(web_site.url_for("web:login"))
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("用户名").fill("clerk")
        page.get_by_label("密码").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="登录").click()
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    expect(page.get_by_role("heading", name="登录已暂时锁定")).to_be_visible()
    # now even the right password is refused for this user from this address…
    page.goto(web_site.url_for("web:login"))
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(web_site.password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="登录已暂时锁定")).to_be_visible()
    # …while another user at the same office PC (same address) still signs in
    page.goto(web_site.url_for("web:login"))
    page.get_by_label("用户名").fill("archivist")
    page.get_by_label("密码").fill(web_site.password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="首页")).to_be_visible()


def test_a_user_changes_their_own_password_and_the_change_is_audited(web_site, page, sign_in):
    sign_in(page, "witness")
    page.get_by_role("link", name="修改密码").click()
    page.get_by_label("原密码").fill(web_site.password)
    page.get_by_label("新密码", exact=True).fill("a-new-secret-9")
    page.get_by_label("再次输入新密码").fill("a-new-secret-9")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.get_by_role("heading", name="密码已修改")).to_be_visible()
    assert AuditEntry.objects.filter(action="user.password", actor="witness").count() == 1
    page.get_by_role("button", name="退出").click()
    page.get_by_label("用户名").fill("witness")
    page.get_by_label("密码").fill(web_site.password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    page.get_by_label("密码").fill("a-new-secret-9")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="首页")).to_be_visible()
