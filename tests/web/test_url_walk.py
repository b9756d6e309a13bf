"""Every URL pattern, resolved from the URLconf (new pages are covered without editing this file):
without a session each one redirects to sign-in or is refused; a POST without a CSRF token is refused
everywhere; pages carry the CSP (no inline script), X-Frame-Options SAMEORIGIN; error pages in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tests.people import make_users

PUBLIC = {"web:login", "admin:login"}  # the only pages a visitor without a session may load
SAMPLES = {
    "int": "1",
    "str": "J118-WS·2024-D10-KW-0001",
    "slug": "x",
    "path": "x/y",
    "uuid": "00000000-0000-0000-0000-000000000000",
}
_REGEX_SAMPLES = ("1", "catalog", "auth", "x", "J118-WS·2024-D10-KW-0001")


def _fill_route(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "x"), route)


def _fill_regex(regex: str) -> str:
    def group(match):
        inner = match.group(2)
        return next((s for s in _REGEX_SAMPLES if re.fullmatch(inner, s)), "1")

    text = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, regex)
    return text.lstrip("^").rstrip("$").replace("\\", "").replace("\\Z", "")


def _piece(pattern) -> str:
    text = str(pattern.pattern)
    return _fill_regex(text) if pattern.pattern.__class__.__name__ == "RegexPattern" else _fill_route(text)


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    """(name, path) for every URL pattern in the URLconf, with sample values for its parameters."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        piece = prefix + _piece(pattern)
        if isinstance(pattern, URLResolver):
            space = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from walk(pattern.url_patterns, piece, space)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}:{pattern.name}" if namespace else str(pattern.name)), "/" + piece.replace("$", "")


URLS = sorted(set(walk()))


def test_the_walk_covers_the_web_pages():
    names = {name for name, _ in URLS}
    assert {"web:login", "web:search", "web:item", "web:item_pdf", "web:search_export"} <= names
    assert len(URLS) > 20  # and the admin's


@pytest.mark.parametrize(("name", "path"), URLS, ids=[f"{n}={p}" for n, p in URLS])
def test_without_a_session_every_page_redirects_to_sign_in_or_is_refused(db, name, path):
    assert resolve(path.split("?")[0]) is not None
    response = Client().get(path)
    if name in PUBLIC:
        assert response.status_code == 200
        return
    if response.status_code in (301, 302):
        assert re.search(r"/(admin/)?login/", response["Location"]), (path, response["Location"])
    else:
        assert response.status_code in (403, 405), (path, response.status_code)


@pytest.fixture
def signed_in(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = make_users({"head": ["station_head", "archivist"]})["head"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize(("name", "path"), URLS, ids=[f"{n}={p}" for n, p in URLS])
def test_a_post_without_a_csrf_token_is_refused_everywhere(signed_in, name, path):
    anonymous = Client(enforce_csrf_checks=True)
    for client in (signed_in, anonymous):
        response = client.post(path, {"q": "张伟", "username": "head", "password": "x"})
        assert response.status_code == 403, (path, response.status_code)
        if name.startswith("web:"):
            assert "CSRF 校验失败" in response.content.decode()


def test_pages_send_the_csp_without_inline_script_and_frames_same_origin_only(signed_in):
    response = signed_in.get("/search/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'self'" in csp
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    assert re.search(r'<meta name="htmx-config"', html)


def test_no_template_has_inline_script_or_event_handler_attributes():
    folder = Path(__file__).parents[2] / "pipeline" / "web" / "templates"
    for template in folder.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "javascript:" not in text and "style=" not in text and "hx-on" not in text, template


def test_not_found_and_refused_pages_speak_chinese(signed_in):
    response = signed_in.get("/no-such-page/")
    assert response.status_code == 404 and "未找到（404）" in response.content.decode()
    response = signed_in.get("/items/J118-WS·1999-Y-KW-9999/")
    assert response.status_code == 404 and "没有档号为 J118-WS·1999-Y-KW-9999 的档案" in response.content.decode()
