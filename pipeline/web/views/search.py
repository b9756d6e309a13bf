"""检索: one box plus filters, refine within results, pages of hits, export to Excel."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from pipeline.archive.audit import audit_append
from pipeline.core.config import get_config
from pipeline.core.domain import LEVEL_SHORT
from pipeline.core.errors import BadInput
from pipeline.core.privacy import mask_personal, mask_personal_all
from pipeline.web.forms import MAX_RESULTS, PER_PAGE, WINDOW, SearchForm

_index_ready = False


def _search(*, user, query: str, filters, limit: int, snippets_for: range | None = None) -> dict:
    """Run the search as this user (restricted items per role, pipeline.search.access) and return its dict."""
    global _index_ready
    from pipeline.search import ensure_index
    from pipeline.search.access import catalog_words, search_for
    if not _index_ready:          # a missing or corrupt index is rebuilt once, on the first search of the process
        ensure_index(extra_words=catalog_words())
        _index_ready = True
    data = search_for(user=user, query=query, filters=filters, limit=limit, snippets_for=snippets_for).as_dict()
    data["shown_query"], data["notices"] = mask_personal(data["query"]), mask_personal_all(data["notices"])
    return data


def _hits_for_page(hits: list[dict]) -> list[dict]:
    categories = get_config().categories
    for hit in hits:
        hit["category_label"] = categories[hit["category"]].label if hit["category"] in categories else hit["category"]
        hit["level_label"] = LEVEL_SHORT.get(int(hit["level"]), "") if str(hit["level"]).isdigit() else ""
        hit["snippet_html"] = hit["snippet"].replace("<b>", "<mark>").replace("</b>", "</mark>")
    return hits


def _window(page: int) -> int:
    """How many hits to ask for: whole windows of WINDOW, so every page of one window comes from the same
    ranked list (the engine cuts ties differently at another limit: a hit would show on two pages)."""
    needed = page * PER_PAGE + 1
    return min(-(-needed // WINDOW) * WINDOW, MAX_RESULTS)


def _has_terms(form: SearchForm) -> bool:
    return bool((form.cleaned_data.get("q") or "").strip()) or not form.filters().is_empty()


@require_http_methods(["GET", "POST"])
def search_page(request):
    """The search page: GET shows the form (or runs filters given in the address), POST runs the form."""
    data = request.POST if request.method == "POST" else request.GET
    form = SearchForm(data if data else None)
    context: dict = {"form": form, "result": None}
    if form.is_bound and form.is_valid() and _has_terms(form):
        query = form.query(refine="refine" in data)
        page = max(int(data.get("page") or 1), 1) if str(data.get("page") or "1").isdigit() else 1
        limit, first = _window(page), (page - 1) * PER_PAGE
        try:  # snippets only for the page shown: reading each hit's text is most of a search's time
            result = _search(user=request.user, query=query, filters=form.filters(), limit=limit,
                             snippets_for=range(first, first + PER_PAGE))
        except BadInput as problem:
            context["problem"] = problem.message_zh
        else:
            shown = _hits_for_page(result["hits"][first:first + PER_PAGE])
            context["result"] = {**result, "hits": shown, "first": first + 1, "last": first + len(shown), "page": page,
                                 "has_next": len(result["hits"]) > first + PER_PAGE and first + PER_PAGE < MAX_RESULTS,
                                 "has_prev": page > 1, "next": page + 1, "prev": page - 1}
            bound = data.copy()
            bound["q"], bound["prev"] = query, query
            form = SearchForm(bound)
            form.is_valid()
            context["form"] = form
    elif form.is_bound and form.is_valid():
        context["problem"] = "请输入检索词或选择至少一个筛选条件（例如：张伟、电工、身份证号、准考证号、档号）。"
    return render(request, "web/search.html", context)


@require_POST
def search_export(request):
    """The hits of the search as an Excel file (ID numbers masked as on the page); the export is audited."""
    form = SearchForm(request.POST)
    if not form.is_valid() or not _has_terms(form):
        raise BadInput("导出前请先检索（检索词或筛选条件）。", "export without a query", code="export_empty")
    query = form.query(refine=False)
    result = _search(user=request.user, query=query, filters=form.filters(), limit=MAX_RESULTS)
    result["query"] = result["shown_query"]
    from pipeline.search.export import results_export_xlsx
    folder = Path(tempfile.mkdtemp(prefix="station-export-"))
    path = results_export_xlsx(result=result, path=folder / "检索结果.xlsx")
    audit_append(actor=request.user.username, action="search.export", target=result["shown_query"][:200],
                 detail={"items": [hit["archival_code"] for hit in result["hits"]]})
    data = path.read_bytes()
    path.unlink()
    folder.rmdir()
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E6%A3%80%E7%B4%A2%E7%BB%93%E6%9E%9C.xlsx"
    return response
