"""The fast alternative: a tantivy index over the same pre-analysed tokens.

Text arrives already segmented (pipeline.search.analyzer); tantivy only splits on whitespace.
One writer is opened per change and committed; the searcher is reloaded after a commit.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import tantivy

from pipeline.search.query import QAll, QOr, QPhrase, QPrefix, QTerm
from pipeline.search.schema import IndexDoc, RawHit, SearchFilters

TOKENIZER = "station_ws"
EXACT_FIELDS = ("archival_code", "category", "form", "occupation", "level", "doc_date", "retention_class",
                "status", "id_number", "ticket_number", "instance_code", "candidate_name", "round_code", "access")
STORED_FIELDS = ("archival_code", "title_display", "doc_date", "category", "form", "occupation", "level",
                 "candidate_name", "id_number", "access")
MULTI_FIELDS = ("occupations", "levels")   # several values per document: what the filters match
HEAP_BYTES = 128_000_000


def build_schema() -> tantivy.Schema:
    """Analysed text fields (whitespace tokens) beside raw exact fields."""
    builder = tantivy.SchemaBuilder()
    for name in ("title", "text", "grams"):
        builder.add_text_field(name, stored=False, tokenizer_name=TOKENIZER, index_option="position")
    builder.add_text_field("title_display", stored=True, tokenizer_name="raw", index_option="basic")
    for name in EXACT_FIELDS:
        builder.add_text_field(name, stored=name in STORED_FIELDS, tokenizer_name="raw", index_option="basic")
    for name in MULTI_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("day", indexed=True, fast=True)
    return builder.build()


def _register(index: tantivy.Index) -> tantivy.Index:
    index.register_tokenizer(TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    return index


def _document(item: IndexDoc) -> tantivy.Document:
    doc, an = item.doc, item.analysed
    values = {name: getattr(doc, name) for name in EXACT_FIELDS}
    values.update({name: list(getattr(doc, name)) for name in MULTI_FIELDS})
    values.update(title=an.title, text=an.text, grams=an.grams, title_display=doc.title,
                  year=doc.year, day=doc.day)
    return tantivy.Document(**values)


class TantivyBackend:
    """SearchBackend on a tantivy index folder."""

    name = "tantivy"

    def __init__(self, index: tantivy.Index) -> None:
        self.index = _register(index)
        self.schema = index.schema

    @classmethod
    def create(cls, path: Path) -> TantivyBackend:
        """A new, empty index in path (anything there before is removed)."""
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return cls(tantivy.Index(build_schema(), path=str(path), reuse=False))

    @classmethod
    def open(cls, path: Path) -> TantivyBackend:
        """The index in path; raise FileNotFoundError when there is none."""
        if not path.is_dir() or not tantivy.Index.exists(str(path)):
            raise FileNotFoundError(f"no tantivy index in {path}")
        try:
            return cls(tantivy.Index.open(str(path)))
        except ValueError as exc:
            raise FileNotFoundError(f"unreadable tantivy index in {path}: {exc}") from exc

    def add(self, docs: Iterable[IndexDoc], *, procs: int = 1, fresh: bool = False) -> int:
        """Add or replace documents; fresh (an empty index) skips the per-document delete."""
        writer = self.index.writer(HEAP_BYTES, max(1, procs))
        count = 0
        try:
            for item in docs:
                if not fresh:
                    writer.delete_documents_by_term("archival_code", item.doc.archival_code)
                writer.add_document(_document(item))
                count += 1
        except BaseException:
            writer.rollback()
            raise
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        return count

    def delete(self, codes: Iterable[str]) -> int:
        """Remove documents by archival_code."""
        codes = list(codes)
        writer = self.index.writer(HEAP_BYTES, 1)
        for code in codes:
            writer.delete_documents_by_term("archival_code", code)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        return len(codes)

    def compile_query(self, node) -> tantivy.Query:
        """tantivy query objects for the planned primitives."""
        if isinstance(node, QTerm):
            return self._boost(tantivy.Query.term_query(self.schema, node.field, node.value), node.boost)
        if isinstance(node, QPhrase):
            return self._boost(tantivy.Query.phrase_query(self.schema, node.field, list(node.values)), node.boost)
        if isinstance(node, QPrefix):
            query = tantivy.Query.regex_query(self.schema, node.field, re.escape(node.value) + ".*")
            return self._boost(query, node.boost)
        if isinstance(node, QAll):
            return tantivy.Query.all_query()
        if isinstance(node, QOr):
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, self.compile_query(i)) for i in node.items])
        clauses = [(tantivy.Occur.Must, self.compile_query(item)) for item in node.must]
        clauses += [(tantivy.Occur.MustNot, self.compile_query(item)) for item in node.must_not]
        return tantivy.Query.boolean_query(clauses)

    @staticmethod
    def _boost(query: tantivy.Query, boost: float) -> tantivy.Query:
        return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)

    def compile_filters(self, filters: SearchFilters) -> list[tantivy.Query]:
        """Exact-field restrictions."""
        terms = [tantivy.Query.term_query(self.schema, name, value) for name, value in (
            ("category", filters.category), ("form", filters.form), ("occupations", filters.occupation),
            ("status", filters.status), ("round_code", filters.round_code),
            ("levels", None if filters.level is None else str(filters.level))) if value]
        if filters.year is not None:
            terms.append(tantivy.Query.term_query(self.schema, "year", filters.year))
        if filters.date_from or filters.date_to:
            low = int(filters.date_from.strftime("%Y%m%d")) if filters.date_from else None
            high = int(filters.date_to.strftime("%Y%m%d")) if filters.date_to else None
            terms.append(tantivy.Query.range_query(self.schema, "day", tantivy.FieldType.Integer, low, high))
        return terms

    def search(self, plan, filters: SearchFilters, limit: int) -> list[RawHit]:
        """Ranked hits for a planned query within the filters."""
        query = self.compile_query(plan)
        restrictions = self.compile_filters(filters)
        if restrictions:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in [query, *restrictions]])
        searcher = self.index.searcher()
        hits = []
        for score, address in searcher.search(query, limit=limit, count=False).hits:
            stored = searcher.doc(address).to_dict()
            values = {name: (stored.get(name) or [""])[0] for name in STORED_FIELDS}
            values["title"] = values.pop("title_display")
            hits.append(RawHit(values["archival_code"], float(score), values))
        return hits

    def count(self) -> int:
        return self.index.searcher().num_docs

    def close(self) -> None:
        self.index = None
