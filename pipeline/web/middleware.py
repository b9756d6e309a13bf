"""The web edge of the error hierarchy: a StationError raised by a service becomes a Chinese page."""

from __future__ import annotations

import logging

from django.shortcuts import render

from pipeline.core.errors import BadInput, Conflict, NotFound, Refused, StationError

log = logging.getLogger("pipeline.web")
STATUS = ((Refused, 403), (NotFound, 404), (BadInput, 400), (Conflict, 409))
AUDITED = {"restricted_refused", "secret_refused"}     # refusals the service wrote to the audit log


def error_status(error: StationError) -> int:
    """The HTTP status of a service error (500 for the rest)."""
    return next((status for kind, status in STATUS if isinstance(error, kind)), 500)


def error_page(request, error: StationError):
    """The Chinese page for one service error: what is wrong and what to do, never a traceback."""
    status = error_status(error)
    template = {403: "web/403.html", 404: "web/404.html"}.get(status, "web/error.html")
    return render(request, template, {"message": error.message_zh, "problems": error.problems,
                                      "code": error.code, "audited": error.code in AUDITED}, status=status)


class StationErrorMiddleware:
    """Turn a StationError from a view into its page (403 refused, 404 not found, 400 bad input)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, StationError):
            return None
        log.info("web %s %s: %s %s", request.method, request.path, exception.code, exception.detail)
        return error_page(request, exception)
