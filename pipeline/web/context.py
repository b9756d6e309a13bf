"""Template context for every page: the navigation bar with the current item marked."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from pipeline.web.nav import NAV


def navigation(request) -> dict:
    """nav: [{label, url, current}] for the signed-in user (nothing on the sign-in page); the station's name."""
    from pipeline.core.config import get_config
    common = {"station_name": get_config().station.name, "failure_limit": settings.AXES_FAILURE_LIMIT,
              "lockout_minutes": round(settings.AXES_COOLOFF_TIME * 60)}
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {**common, "nav": []}
    match = getattr(request, "resolver_match", None)
    here = f"{match.namespace}:{match.url_name}" if match and match.namespace else ""
    items = []
    for item in NAV:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:       # a page listed before its view exists: left out, not a crash
            continue
        items.append({"label": item.label, "url": url, "current": here.startswith(item.section or item.url_name)})
    return {**common, "nav": items}
