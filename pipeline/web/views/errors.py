"""403, 404, 500 and CSRF failure pages in Chinese."""

from __future__ import annotations

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def forbidden(request, exception=None):
    """403: signed in, but not allowed."""
    return render(request, "web/403.html", {"message": ""}, status=403)


def not_found(request, exception=None):
    """404: no such page or record."""
    return render(request, "web/404.html", {"message": ""}, status=404)


def server_error(request):
    """500: rendered without context processors (the database may be the cause)."""
    return HttpResponseServerError(loader.get_template("web/500.html").render({}))


def csrf_failure(request, reason=""):
    """403 on a form sent without (or with a stale) CSRF token."""
    return render(
        request,
        "web/403.html",
        {"message": "表单已过期或来源不明（CSRF 校验失败），未执行。请刷新页面后重试。"},
        status=403,
    )
