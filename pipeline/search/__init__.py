"""Full-text search of the archive: the narrow interface the rest of the system uses.

index_items / remove_items keep the index in step with the archive; search answers a query;
reindex rebuilds from archive/ alone; ensure_index repairs a missing or corrupt index at
start-up. The engine (Whoosh or tantivy) is chosen by config ([search] backend).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path

from pipeline.core.config import get_config
from pipeline.core.domain import mask_id
from pipeline.core.errors import BadInput
from pipeline.core.paths import data_paths
from pipeline.search import analyzer
from pipeline.search.indexer import (
    IndexHome,
    IndexUnusable,
    analyse_all,
    index_lock,
    metadata_path,
    read_archive,
    teach_words,
)
from pipeline.search.query import Exact, Ident, Phrase, QOr, QTerm, Word, access_plan, parse, plan
from pipeline.search.schema import Hit, Progress, RawHit, SearchFilters, SearchResult
from pipeline.search.snippets import make_snippet, mask_ids

__all__ = ["index_items", "remove_items", "search", "reindex", "ensure_index", "prepare", "SearchFilters",
           "SearchResult", "Hit"]
log = logging.getLogger(__name__)


def _home() -> IndexHome:
    return IndexHome(data_paths().index, get_config().search.backend)


def _config_words() -> list[str]:
    return [o.name for o in get_config().occupations]


def prepare(*, whole: bool = True) -> None:
    """Load the segmenter's dictionary, once per process (its cache file lives in var/, not /tmp);
    whole=False: only what a query needs, looked up in a table (pipeline/search/lexicon.py)."""
    analyzer.prepare(data_paths().var, whole=whole)


def index_items(metas: list[dict]) -> int:
    """Add or replace archive items (metadata.json dicts) in the index; build it if missing."""
    prepare()
    home = _home()
    teach_words(metas, _config_words())
    try:
        home.open()
    except IndexUnusable:
        with index_lock(home.root):     # another worker may be rebuilding it right now
            try:
                home.open()
            except IndexUnusable:
                log.warning("search index missing or unusable; rebuilding from archive before adding")
                reindex()
    return home.add(analyse_all(list(metas), procs=1))


def remove_items(codes: list[str]) -> int:
    """Remove items (by 档号) from the index, e.g. after destruction."""
    return _home().delete(list(codes))


def reindex(progress: Progress | None = None, *, extra_words: Iterable[str] = (), procs: int = 2) -> int:
    """Rebuild the index from archive/ alone; progress(done, total) while segmenting."""
    prepare()
    home = _home()
    with index_lock(home.root):     # no worker adds an item between reading archive/ and the swap
        metas = list(read_archive(data_paths().archive))
        teach_words(metas, [*_config_words(), *extra_words])
        docs = analyse_all(metas, procs=procs, progress=progress)
        return home.rebuild(docs, procs=1)


def ensure_index(progress: Progress | None = None, *, extra_words: Iterable[str] = ()) -> str | None:
    """Open the index; if it is missing or corrupt, rebuild it and return a message for staff."""
    prepare(whole=False)        # opened to be queried: a rebuild below loads the whole dictionary
    home = _home()
    try:
        home.open()
        return None
    except IndexUnusable as exc:
        log.warning("rebuilding search index: %s", exc.detail)
        reason = "不存在" if exc.code == "search_index_missing" else "已损坏"
    count = reindex(progress, extra_words=extra_words)
    return f"检索索引{reason}，已从档案库 archive/ 重建，共 {count} 条。"


# ---------------------------------------------------------------- search


def _category_code(value: str | None) -> str | None:
    """A category given by code (KW) or label (考务) → its code."""
    if not value:
        return None
    categories = get_config().categories
    if value.upper() in categories:
        return value.upper()
    return next((code for code, c in categories.items() if c.label == value or c.inbox_folder == value),
                value.upper())


def _needles(node) -> list[str]:
    """The positive words of a query tree, to highlight in snippets."""
    if isinstance(node, (Word, Phrase)):
        return [node.text]
    if isinstance(node, Ident):
        return [node.raw.lower(), node.value.lower()]
    if isinstance(node, Exact):
        return [node.value.lower()]
    return [n for item in getattr(node, "items", ()) for n in _needles(item)]


def _text_of(code: str, archive: Path) -> str:
    """The item's full text from its metadata.json (the index does not store text)."""
    path = metadata_path(archive, code)
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("text") or "")
    except (OSError, ValueError):
        return ""


def _negated(iso_date: str) -> tuple:
    """A key that sorts ISO dates newest first."""
    return tuple(-ord(c) for c in iso_date)


def _restricted_clause(categories: set[str]):
    """Index documents that are restricted: by the access they were filed with, or their category's today."""
    return QOr((QTerm("access", "restricted"), QTerm("access", "secret"),
                *(QTerm("category", code) for code in sorted(categories))))


def _withheld(raw: RawHit, restricted: bool) -> Hit:
    """A restricted item for a user without the right: its 档号 and title, nothing of its content."""
    stored = raw.stored
    return Hit(archival_code=raw.archival_code, title=mask_ids(stored.get("title", "")),
               doc_date=stored.get("doc_date", ""),
               category=stored.get("category", ""), form="", occupation="", level="", candidate_name="",
               id_number="", snippet="", score=round(raw.score, 4), matched="title", restricted=restricted,
               withheld=True)


def _hit(raw: RawHit, matched: str, needles: list[str], show_id: bool, archive: Path | None) -> Hit:
    """A hit with its snippet; archive None: no snippet (a hit on a page not shown reads no text)."""
    stored = raw.stored
    text = (_text_of(raw.archival_code, archive) if archive else "") or stored.get("title", "")
    id_number = stored.get("id_number", "")
    return Hit(archival_code=raw.archival_code,
               title=stored.get("title", "") if show_id else mask_ids(stored.get("title", "")),
               doc_date=stored.get("doc_date", ""), category=stored.get("category", ""),
               form=stored.get("form", ""), occupation=stored.get("occupation", ""),
               level=stored.get("level", ""), candidate_name=stored.get("candidate_name", ""),
               id_number=id_number if show_id or not id_number else mask_id(id_number),
               snippet=make_snippet(text, needles, show_id=show_id) if archive else "", score=round(raw.score, 4),
               matched=matched)


def search(query: str, filters: SearchFilters | None = None, limit: int = 20,
           show_id: bool = False, *, see_restricted: bool = False, snippets_for: range | None = None) -> SearchResult:
    """Ranked hits for what staff typed; identifiers are matched in their exact fields first.

    show_id=True returns ID numbers unmasked; see_restricted=True matches and shows restricted items'
    content: the caller must have checked the user's role for each. Otherwise a restricted item is
    matched by its title and exact fields only and shows its 档号 and title (or, with [search]
    restricted_hits = "hidden", not at all). snippets_for: the positions of the hits that get a snippet
    (the page shown; reading each item's text is most of a search's time); None: every hit.
    """
    prepare(whole=False)
    started = time.perf_counter()
    parsed = parse(query)
    filters = (filters or SearchFilters()).merged(parsed.filters)
    filters = SearchFilters(**{**filters.__dict__, "category": _category_code(filters.category)})
    if parsed.tree is None and filters.is_empty():
        raise BadInput("请输入检索词或筛选条件（例如：张伟、电工、身份证号、准考证号、档号）。",
                       "empty query", code="query_empty")
    backend = _home().open()
    config = get_config()
    closed = {code for code, category in config.categories.items() if category.restricted}
    clause = _restricted_clause(closed)
    guard = (lambda node: node) if see_restricted else (
        lambda node: access_plan(node, clause, hidden=config.search.restricted_hits == "hidden"))
    raw: list[tuple[RawHit, str]] = []
    if parsed.has_ident:
        raw = [(h, "exact") for h in backend.search(guard(plan(parsed.tree, exact_only=True)), filters, limit)]
    seen = {h.archival_code for h, _ in raw}
    if len(raw) < limit:
        more = backend.search(guard(plan(parsed.tree)), filters, limit + len(raw))
        raw += [(h, "text") for h in more if h.archival_code not in seen][:limit - len(raw)]
    # equal scores (a filter-only query) → newest first, then by 档号, whatever the engine's order
    raw.sort(key=lambda pair: (pair[1] != "exact", -round(pair[0].score, 4),
                               _negated(pair[0].stored.get("doc_date", "")), pair[0].archival_code))
    needles = _needles(parsed.tree)
    hits, archive = [], data_paths().archive
    for position, (h, matched) in enumerate(raw):
        restricted = h.stored.get("access", "open") != "open" or h.stored.get("category", "") in closed
        if restricted and not see_restricted:
            hits.append(_withheld(h, restricted))
        else:
            shown = snippets_for is None or position in snippets_for
            hits.append(_hit(h, matched, needles, show_id, archive if shown else None))
            hits[-1].restricted = restricted
    result = SearchResult(query=query, notices=list(parsed.notices), backend=backend.name, hits=hits)
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result
