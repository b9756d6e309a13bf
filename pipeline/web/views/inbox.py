"""收件箱: upload scans into the inbox (filed by the worker, never in the request), live status, the review
queue with page images and its actions, quarantine with reasons and retry. Roles are checked in the services."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pipeline.catalog.dashboard import inbox_activity, inbox_summary
from pipeline.core.config import get_config
from pipeline.core.errors import BadInput, Conflict, NotFound
from pipeline.core.labels import local_time
from pipeline.core.paths import data_paths
from pipeline.ingest.inbox import (
    REVIEW_ROLES,
    UPLOAD_ROLES,
    inbox_may,
    inbox_require,
    inbox_upload,
    quarantine_retry_for,
    review_attach_by,
    review_discard_by,
    review_file_by,
)
from pipeline.ingest.quarantine import quarantine_list

SHOWN_ERRORS = (BadInput, Conflict, NotFound)     # said on the page; a refusal (Refused) is a 403 page


RECENT = 6                 # items filed lately shown in the status box


def _status(paths) -> dict:
    return {"summary": inbox_summary(paths=paths), "activity": inbox_activity(paths=paths, limit=RECENT)}


def _review_rows(paths) -> list[dict]:
    from pipeline.ingest.review import review_list  # here: it loads the filing flow
    rows = review_list(paths=paths)
    for row in rows:
        row["page_numbers"] = list(range(1, len(row["images"]) + 1))
        row["pages_label"] = "、".join(map(str, row["source_pages"]))
    return rows


def _quarantine_rows(paths) -> list[dict]:
    return [{**row, "when": local_time(row.get("time"))} for row in quarantine_list(paths)]


@require_GET
def inbox_page(request):
    """The inbox: upload, status, review queue and quarantine."""
    paths, config = data_paths(), get_config()
    may_review = inbox_may(user=request.user, roles=REVIEW_ROLES)
    context = {**_status(paths), "may_upload": inbox_may(user=request.user, roles=UPLOAD_ROLES),
               "may_review": may_review, "review": _review_rows(paths) if may_review else [],
               "quarantine": _quarantine_rows(paths) if may_review else [],
               "categories": [(code, c.label) for code, c in config.categories.items()],
               "upload_categories": [(code, c.label) for code, c in config.categories.items() if c.inbox_folder]}
    return render(request, "web/inbox.html", context)


@require_GET
def inbox_status(request):
    """The live part of the inbox page (htmx polls it): queued, in progress, filed lately."""
    return render(request, "web/_inbox_status.html", _status(data_paths()))


@require_POST
def inbox_upload_view(request):
    """Save each uploaded file into the inbox for the worker; say what was saved and what was not."""
    files = request.FILES.getlist("scans")
    if not files:
        messages.error(request, "请先选择要上传的扫描件（可一次选择多个文件）。")
        return redirect("web:inbox")
    paths, config, saved = data_paths(), get_config(), []
    category = (request.POST.get("category") or "").strip()
    for upload in files:
        try:
            target = inbox_upload(user=request.user, paths=paths, config=config, name=upload.name,
                                  chunks=upload.chunks(), category=category)
        except SHOWN_ERRORS as problem:
            messages.error(request, problem.message_zh)
        else:
            saved.append(target.name)
    if saved:
        messages.success(request, f"已上传 {len(saved)} 个文件（{'、'.join(saved)}），正在排队归档；"
                                  "归档结果见下方“处理状态”。")
    return redirect("web:inbox")


@require_GET
def review_page_image(request, item_id: int, page: int):
    """One page image (PNG) of a review item, for those who work the review queue."""
    from pipeline.ingest.review import review_get
    from pipeline.ingest.review_pages import review_page_images
    inbox_require(user=request.user, roles=REVIEW_ROLES, action_zh="查看待处理项的页面")
    images = review_page_images(item=review_get(item_id), paths=data_paths())
    if not 1 <= page <= len(images):
        raise Http404(f"review item {item_id} has no page {page}")
    response = FileResponse(open(images[page - 1], "rb"), content_type="image/png")  # noqa: SIM115 — FileResponse closes it
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _review_do(request, item_id: int) -> str:
    action, data, paths = request.POST.get("action", ""), request.POST, data_paths()
    if action == "file":
        code = review_file_by(user=request.user, item_id=item_id, category=data.get("category", ""),
                              title=data.get("title", ""), paths=paths, config=get_config(),
                              responsible=data.get("responsible", ""), doc_number=data.get("doc_number", ""))
        return f"待处理项 {item_id} 已归档：档号 {code}"
    if action == "attach":
        page = (data.get("page") or "").strip()
        if page and not page.isdigit():
            raise BadInput(f"起始页“{page}”不是页码，请填数字或留空。", f"bad page {page!r}", code="page_invalid")
        code = review_attach_by(user=request.user, item_id=item_id, instance_code=data.get("instance", ""),
                                page=int(page) if page else None, paths=paths, config=get_config())
        return f"待处理项 {item_id} 已并入表单 {data.get('instance', '').strip().upper()} 并归档：档号 {code}"
    if action == "discard":
        review_discard_by(user=request.user, item_id=item_id, reason=data.get("reason", ""), paths=paths)
        return f"待处理项 {item_id} 已剔除（页面与原因保存在 processed/discarded/）"
    raise BadInput("未知的操作。", f"unknown review action {action!r}", code="action_unknown")


@require_POST
def review_action(request, item_id: int):
    """File, attach or discard one review item; back to the queue with what happened."""
    try:
        messages.success(request, _review_do(request, item_id))
    except SHOWN_ERRORS as problem:
        messages.error(request, f"待处理项 {item_id}：{problem.message_zh}")
    return redirect(reverse("web:inbox") + "#review")


@require_POST
def quarantine_retry_view(request):
    """Put one quarantined file back into the inbox."""
    name = request.POST.get("name", "")
    try:
        target = quarantine_retry_for(paths=data_paths(), config=get_config(), name=name, user=request.user)
    except SHOWN_ERRORS as problem:
        messages.error(request, problem.message_zh)
    else:
        messages.success(request, f"已把“{target.name}”放回收件箱，将重新处理。")
    return redirect(reverse("web:inbox") + "#quarantine")

