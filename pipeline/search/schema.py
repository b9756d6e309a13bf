"""The search document, filters, hits and the backend interface (CONTRACTS §4).

A SearchDoc is built from an archive item's metadata.json alone, so the index can be rebuilt
from archive/ without the catalog.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.core.domain import normalise_id
from pipeline.search.analyzer import Analysed, analyse, normalise

SCHEMA_VERSION = 3   # 2: occupations/levels multi-valued (room and round records cover several); 3: + access field
Progress = Callable[[int, int], None]   # (done, total)


@dataclass(frozen=True)
class SearchDoc:
    """What the index knows of one archive item (exact fields beside the analysed text)."""

    archival_code: str
    title: str
    text: str
    category: str = ""
    form: str = ""
    occupation: str = ""
    level: str = ""
    year: int = 0
    doc_date: str = ""          # ISO date, sorts as text
    retention_class: str = ""
    status: str = "filed"
    id_number: str = ""
    ticket_number: str = ""
    instance_code: str = ""
    candidate_name: str = ""
    round_code: str = ""
    occupations: tuple[str, ...] = ()   # every occupation the record covers (filter field)
    levels: tuple[str, ...] = ()        # every level the record covers (filter field)
    access: str = "open"        # open, restricted (content for permitted roles only) or secret (no text)

    @property
    def day(self) -> int:
        """doc_date as yyyymmdd (0 when unknown), for range queries."""
        return int(self.doc_date.replace("-", "")[:8]) if self.doc_date[:10].count("-") == 2 else 0


@dataclass(frozen=True)
class IndexDoc:
    """A SearchDoc with its analysed text, ready for a backend."""

    doc: SearchDoc
    analysed: Analysed


def _covered(meta: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The occupations and levels an item covers: a room or round record lists several, a candidate's one."""
    occupations = [str(o) for o in meta.get("occupations") or [] if o] or [str(meta.get("occupation") or "")]
    levels = [str(v) for v in meta.get("levels") or [] if v not in (None, "")]
    if not levels and meta.get("level") not in (None, ""):
        levels = [str(meta["level"])]
    return (tuple(sorted({normalise(o) for o in occupations if o})), tuple(sorted(set(levels))))


def doc_from_meta(meta: dict) -> SearchDoc:
    """The search document of one metadata.json dict (CONTRACTS §3); a secret item indexes no text."""
    level = meta.get("level")
    occupations, levels = _covered(meta)
    access = "secret" if meta.get("secret") else "restricted" if meta.get("restricted") else "open"
    return SearchDoc(
        archival_code=str(meta["archival_code"]),
        title=str(meta.get("title") or ""),
        text="" if access == "secret" else str(meta.get("text") or ""),
        category=str(meta.get("category") or "").upper(),
        form=str(meta.get("form") or ""),
        occupation=normalise(str(meta.get("occupation") or "")) or "、".join(occupations),
        level="" if level in (None, "") else str(level),
        year=int(meta.get("year") or 0),
        doc_date=str(meta.get("doc_date") or "")[:10],
        retention_class=str(meta.get("retention_class") or ""),
        status=str(meta.get("status") or "filed"),
        id_number=normalise_id(meta.get("candidate_id_number") or ""),
        ticket_number=normalise_id(meta.get("ticket_number") or ""),
        instance_code=str(meta.get("form_instance") or "").upper(),
        candidate_name=normalise(str(meta.get("candidate_name") or "")).replace(" ", ""),
        round_code=str(meta.get("round_code") or ""),
        occupations=occupations, levels=levels,
        access=access,
    )


def index_doc(doc: SearchDoc) -> IndexDoc:
    """Analyse one search document."""
    return IndexDoc(doc, analyse(doc.title, doc.text))


@dataclass(frozen=True)
class SearchFilters:
    """Exact restrictions beside the query (CLI options or field:value in the query)."""

    category: str | None = None
    form: str | None = None
    occupation: str | None = None
    level: int | None = None
    year: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str | None = None
    round_code: str | None = None

    def merged(self, other: SearchFilters) -> SearchFilters:
        """These filters with other's set values filled in where these have none."""
        values = {name: getattr(self, name) if getattr(self, name) is not None else getattr(other, name)
                  for name in self.__dataclass_fields__}
        return SearchFilters(**values)

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


@dataclass(frozen=True)
class RawHit:
    """What a backend returns for one matching document."""

    archival_code: str
    score: float
    stored: dict


@dataclass
class Hit:
    """One search result as staff see it."""

    archival_code: str
    title: str
    doc_date: str
    category: str
    form: str
    occupation: str
    level: str
    candidate_name: str
    id_number: str          # masked unless the caller may see it
    snippet: str            # highlighted with <b>…</b>; the rest HTML-escaped
    score: float
    matched: str            # "exact" (identifier field) or "text"
    restricted: bool = False  # a restricted or secret item
    withheld: bool = False    # restricted, and the searcher may not see it: only 档号 and title shown

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class SearchResult:
    """Ranked hits plus what staff should be told about the query."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    backend: str = ""
    elapsed_ms: float = 0.0

    def as_dict(self) -> dict:
        return {"query": self.query, "hits": [h.as_dict() for h in self.hits], "notices": self.notices,
                "backend": self.backend, "elapsed_ms": round(self.elapsed_ms, 2)}


class SearchBackend(Protocol):
    """The narrow interface both index engines implement."""

    name: str

    def add(self, docs: Iterable[IndexDoc]) -> int:
        """Add or replace documents (keyed by archival_code); return how many."""

    def delete(self, codes: Iterable[str]) -> int:
        """Remove documents by archival_code; return how many were asked for."""

    def search(self, plan, filters: SearchFilters, limit: int) -> list[RawHit]:
        """Run a planned query (pipeline.search.query primitives) with filters."""

    def count(self) -> int:
        """How many documents the index holds."""

    def close(self) -> None:
        """Release readers and writers."""
