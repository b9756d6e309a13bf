"""首页 (a placeholder until issue 14's home page: what waits for me)."""

from __future__ import annotations

from django.shortcuts import render


def home(request):
    """The signed-in user's start page."""
    return render(request, "web/home.html", {})
