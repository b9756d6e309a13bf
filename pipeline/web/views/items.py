"""档案详情: the archival PDF in a same-origin frame, page thumbnails, card, retention, holds, loans, trail."""

from __future__ import annotations

from urllib.parse import quote

from csp.decorators import csp_exempt
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pipeline.catalog.items import item_authorise, item_detail, item_document
from pipeline.core.config import get_config
from pipeline.core.domain import LEVEL_SHORT, mask_id
from pipeline.core.labels import retention_label, state_label
from pipeline.core.paths import data_paths
from pipeline.web.thumbs import thumbnail_png

MAX_THUMBS = 24


@require_GET
def item_page(request, code: str):
    """One record (restricted and secret items refused to roles without the right; refusals audited)."""
    detail = item_detail(code=code, user=request.user, paths=data_paths())
    item, card = detail["item"], detail["card"]
    category = get_config().categories.get(item.category)
    context = {**detail, "category_label": category.label if category else item.category,
               "retention": retention_label(item.retention_class), "status": state_label(item.status),
               "level": LEVEL_SHORT.get(item.level or 0, ""),
               "id_number": mask_id(item.candidate_id_number) if item.candidate_id_number else "",
               "thumbs": [] if item.encrypted else list(range(1, min(item.pages, MAX_THUMBS) + 1)),
               "has_document": bool(card["document"]) or (item.encrypted and item.status == "filed")}
    return render(request, "web/item.html", context)


@csp_exempt()            # a PDF, not a page: Chromium's viewer is refused under object-src 'none'
@require_GET
def item_pdf(request, code: str):
    """The archival PDF, inline for the frame or as a download (?download=1); every delivery audited."""
    inline = request.GET.get("download") != "1"
    item, data = item_document(code=code, user=request.user, paths=data_paths(), inline=inline)
    response = HttpResponse(data, content_type="application/pdf")
    name = quote(f"{item.archival_code}.pdf")
    response["Content-Disposition"] = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{name}"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def item_thumbnail(request, code: str, page: int):
    """A page thumbnail (PNG), made once and cached; the same right as the record itself."""
    item = item_authorise(code=code, user=request.user)
    response = HttpResponse(thumbnail_png(paths=data_paths(), item=item, page=page), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response
