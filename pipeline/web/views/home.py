"""首页: what waits for the signed-in user (selectors in pipeline.catalog.dashboard)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from pipeline.catalog.dashboard import home_summary
from pipeline.core.paths import data_paths

# pages the cards link to; one of part 2 (h15) not there yet is simply not linked
LINKS = {"inbox": "web:inbox", "search": "web:search", "loans": "web:loans", "destruction": "web:destruction",
         "rounds": "web:rounds", "verify": "web:verify", "retention": "web:retention"}


def _links() -> dict[str, str]:
    found = {}
    for key, name in LINKS.items():
        try:
            found[key] = reverse(name)
        except NoReverseMatch:
            found[key] = ""
    return found


@require_GET
def home(request):
    """The start page: counts and lists of what waits, each linked to the page where it is done."""
    summary = home_summary(user=request.user, paths=data_paths())
    return render(request, "web/home.html", {**summary, "links": _links()})
