"""The embedded default: a Whoosh (whoosh-reloaded) index over pre-analysed tokens.

Text arrives already segmented (pipeline.search.analyzer), so the index only splits on spaces;
the searcher is kept open (warm) and refreshed only when the index changed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.index import EmptyIndexError
from whoosh.scoring import BM25F

from pipeline.search.query import QAll, QOr, QPhrase, QPrefix, QTerm
from pipeline.search.schema import IndexDoc, RawHit, SearchFilters

INDEX_NAME = "station"
_SPACE = SpaceSeparatedTokenizer()
STORED_FIELDS = ("archival_code", "title", "doc_date", "category", "form", "occupation", "level",
                 "candidate_name", "id_number", "access")


def build_schema() -> Schema:
    """Analysed text fields beside exact identifier fields."""
    return Schema(
        archival_code=ID(stored=True, unique=True), title=TEXT(analyzer=_SPACE, stored=True),
        text=TEXT(analyzer=_SPACE), grams=TEXT(analyzer=_SPACE),
        category=ID(stored=True), form=ID(stored=True), occupation=ID(stored=True),
        level=ID(stored=True), year=ID, doc_date=ID(stored=True, sortable=True),
        retention_class=ID, status=ID, id_number=ID(stored=True), ticket_number=ID,
        instance_code=ID, candidate_name=ID(stored=True), round_code=ID, access=ID(stored=True),
        occupations=KEYWORD(commas=True), levels=KEYWORD(commas=True))


def _fields(item: IndexDoc) -> dict:
    doc, an = item.doc, item.analysed
    return {"archival_code": doc.archival_code, "title": an.title, "_stored_title": doc.title,
            "text": an.text, "grams": an.grams, "category": doc.category, "form": doc.form,
            "occupation": doc.occupation, "level": doc.level, "year": str(doc.year),
            "doc_date": doc.doc_date, "retention_class": doc.retention_class, "status": doc.status,
            "id_number": doc.id_number, "ticket_number": doc.ticket_number,
            "instance_code": doc.instance_code, "candidate_name": doc.candidate_name,
            "round_code": doc.round_code, "access": doc.access,
            "occupations": ",".join(doc.occupations), "levels": ",".join(doc.levels)}


def compile_query(node) -> wq.Query:
    """Whoosh query objects for the planned primitives."""
    if isinstance(node, QTerm):
        return wq.Term(node.field, node.value, boost=node.boost)
    if isinstance(node, QPhrase):
        return wq.Phrase(node.field, list(node.values), boost=node.boost)
    if isinstance(node, QPrefix):
        return wq.Prefix(node.field, node.value, boost=node.boost)
    if isinstance(node, QAll):
        return wq.Every()
    if isinstance(node, QOr):
        return wq.Or([compile_query(item) for item in node.items])
    positive = [compile_query(item) for item in node.must if not isinstance(item, QAll)] or [wq.Every()]
    query = positive[0] if len(positive) == 1 else wq.And(positive)
    if node.must_not:
        query = wq.AndNot(query, wq.Or([compile_query(item) for item in node.must_not]))
    return query


def compile_filters(filters: SearchFilters) -> list[wq.Query]:
    """Exact-field restrictions."""
    terms = [wq.Term(name, value) for name, value in (
        ("category", filters.category), ("form", filters.form), ("occupations", filters.occupation),
        ("status", filters.status), ("round_code", filters.round_code)) if value]
    if filters.level is not None:
        terms.append(wq.Term("levels", str(filters.level)))
    if filters.year is not None:
        terms.append(wq.Term("year", str(filters.year)))
    if filters.date_from or filters.date_to:
        low = filters.date_from.isoformat() if filters.date_from else None
        high = filters.date_to.isoformat() if filters.date_to else None
        terms.append(wq.TermRange("doc_date", low, high))
    return terms


class WhooshBackend:
    """SearchBackend on a Whoosh index folder."""

    name = "whoosh"

    def __init__(self, ix) -> None:
        self.ix = ix
        self._searcher = None

    @classmethod
    def create(cls, path: Path) -> WhooshBackend:
        """A new, empty index in path (anything there before is removed)."""
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return cls(whoosh_index.create_in(str(path), build_schema(), indexname=INDEX_NAME))

    @classmethod
    def open(cls, path: Path) -> WhooshBackend:
        """The index in path; raise FileNotFoundError when there is none."""
        try:
            ix = whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
        except (EmptyIndexError, OSError) as exc:
            raise FileNotFoundError(f"no whoosh index in {path}: {exc}") from exc
        return cls(ix)

    def add(self, docs: Iterable[IndexDoc], *, procs: int = 1, fresh: bool = False) -> int:
        """Add or replace documents; fresh (an empty index) skips the per-document delete."""
        count = 0
        writer = self.ix.writer(procs=procs, multisegment=procs > 1, limitmb=128)
        try:
            for item in docs:
                (writer.add_document if fresh else writer.update_document)(**_fields(item))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count

    def delete(self, codes: Iterable[str]) -> int:
        """Remove documents by archival_code."""
        codes = list(codes)
        with self.ix.writer() as writer:
            for code in codes:
                writer.delete_by_term("archival_code", code)
        return len(codes)

    def searcher(self):
        """A warm searcher, refreshed only when the index changed."""
        if self._searcher is None:
            self._searcher = self.ix.searcher(weighting=BM25F())
        elif not self._searcher.up_to_date():
            # Not Searcher.refresh(): it reuses a segment's reader and so misses new deletions in it
            # (a replaced document would show twice), and it fails on an empty index.
            self._searcher.close()
            self._searcher = self.ix.searcher(weighting=BM25F())
        return self._searcher

    def search(self, plan, filters: SearchFilters, limit: int) -> list[RawHit]:
        """Ranked hits for a planned query within the filters."""
        query = compile_query(plan)
        restrictions = compile_filters(filters)
        if restrictions:
            query = wq.And([query, *restrictions])
        results = self.searcher().search(query, limit=limit)
        return [RawHit(hit["archival_code"], float(hit.score or 0.0),
                       {name: hit.get(name, "") for name in STORED_FIELDS}) for hit in results]

    def count(self) -> int:
        return self.searcher().doc_count()

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self.ix.close()
