"""The common shape of a form POST on the part-2 pages: call one service, say what happened, go back.

A StationError from the service becomes a red message on the page the user came from (what is wrong and
what to do, in Chinese) with a 303 redirect, so the refusal is read where the button was; anything else
propagates to the 500 page. Dates and numbers typed into forms are parsed here with Chinese messages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from pipeline.core.errors import BadInput, StationError

log = logging.getLogger("pipeline.web")


def back(request, fallback: str) -> str:
    """Where to return: the form's own page (a same-site `next`), else fallback."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def act(request, fallback: str, call: Callable[[], str | None]) -> HttpResponseRedirect:
    """Run call(); its return is the success message (or None). Errors are shown, not raised."""
    try:
        done = call()
    except StationError as exc:
        log.info("web %s %s refused: %s %s", request.user.username, request.path, exc.code, exc.detail)
        messages.error(request, exc.message_zh)
        for problem in exc.problems[:20]:
            messages.warning(request, problem)
        return HttpResponseRedirect(back(request, fallback), status=303)
    if done:
        messages.success(request, done)
    return HttpResponseRedirect(back(request, fallback), status=303)


def redirect_to(url: str) -> HttpResponseRedirect:
    """A 303 after a successful POST."""
    return HttpResponseRedirect(url, status=303)


def day_field(text: str | None, label: str, default: dt.date | None = None) -> dt.date:
    """A date typed as 2026-12-31 (the browser's date field), else a BadInput naming the field."""
    if not text:
        if default is not None:
            return default
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"“{label}”的日期“{text}”无法识别，请写成 2026-12-31。", f"bad date {text!r}",
                       code="date_invalid") from None


def int_field(text: str | None, label: str, default: int = 1) -> int:
    """A whole number from a query string (page numbers, years); default when absent or not a number."""
    try:
        return int(text) if text else default
    except ValueError:
        return default


def attachment(path, name: str):
    """A file download whose Chinese name survives every browser: an ASCII fallback plus RFC 6266 filename*."""
    from urllib.parse import quote

    from django.http import FileResponse
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    fallback = "".join(ch if ch.isascii() and ch not in '"\\;' else "_" for ch in name)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return response


def dict_problems(error: StationError) -> dict:
    """Message and problems of a service error for a template."""
    return {"message": error.message_zh, "problems": error.problems}
