"""统计年报: a year's statistics as stations report them. Pure counting over plain facts (tested on
its own), and one selector that reads those facts from the catalog.

Definitions (all in the station's time zone):
- 年末馆藏: items filed before 1 January of the next year and not destroyed by then, by 年度 (the
  档号's year) × 保管期限 × 类别, in items (件) and pages (页); 年初馆藏 the same at 1 January.
- 本年接收: items filed in the year; 本年销毁: items destroyed in the year (their tombstones).
  年初 + 接收 − 销毁 = 年末, and the report prints that balance.
- 借阅: loans lent in the year. 件次 = loans; 人次 = distinct borrower × day of lending (one visit
  may take several items); by purpose as written on the request. Requests refused are counted apart.
- 表单: per round held in the year (theory day, else practical day, else created), each form that
  comes back to be filed: instances generated (reprints superseded by a newer print not counted),
  filed, outstanding (generated − filed), superseded.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from pipeline.catalog.models import ArchiveItem, FormInstance, Loan, Round, Tombstone
from pipeline.core.config import get_config
from pipeline.forms.registry import FORMS

RETENTION_ORDER = ("Y", "D30", "D10", "D3")  # longest first, as the 档号 codes rank
NO_PURPOSE = "（未填写）"


@dataclass(frozen=True)
class ItemFact:
    """One item ever filed: where it sits in the 档号 and when it came and went."""

    year: int
    retention: str
    category: str
    pages: int
    filed_at: dt.datetime
    destroyed_at: dt.datetime | None = None


@dataclass(frozen=True)
class LoanFact:
    """One loan request: who, why, and when it was lent (None: not lent)."""

    borrower: str
    purpose: str
    copy: bool
    lent_at: dt.datetime | None
    refused: bool = False


@dataclass(frozen=True)
class FormFact:
    """One generated form instance of a round."""

    round_code: str
    form: str
    status: str


@dataclass
class Count:
    """Items (件) and pages (页)."""

    items: int = 0
    pages: int = 0

    def add(self, pages: int) -> None:
        """Count one item of `pages` pages."""
        self.items += 1
        self.pages += pages


@dataclass
class LoanStats:
    """Loans lent in the year."""

    visits: int = 0  # 人次
    items: int = 0  # 件次
    copies: int = 0  # of which with 复印
    refused: int = 0  # requests refused in the year
    by_purpose: list[dict] = field(default_factory=list)  # {purpose, visits, items}


@dataclass
class YearlyStats:
    """Everything the 统计年报 prints."""

    year: int
    opening: Count
    received: Count
    removed: Count
    closing: Count
    holdings: list[dict]  # {year, retention, category, items, pages}, 年末
    flow: list[dict]  # {category, retention, received_items/pages, removed_items/pages}
    loans: LoanStats
    forms: list[dict]  # {round, form, generated, filed, outstanding, superseded}


def year_window(year: int, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[1 January of year, 1 January of the next year) as aware moments in the station's zone."""
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def _held_at(fact: ItemFact, moment: dt.datetime) -> bool:
    return fact.filed_at < moment and (fact.destroyed_at is None or fact.destroyed_at >= moment)


def _rank(retention: str) -> int:
    return RETENTION_ORDER.index(retention) if retention in RETENTION_ORDER else len(RETENTION_ORDER)


def holdings_at(facts: list[ItemFact], moment: dt.datetime) -> dict[tuple[int, str, str], Count]:
    """Items held at `moment`, by (年度, 保管期限 code, 类别)."""
    counts: dict[tuple[int, str, str], Count] = defaultdict(Count)
    for fact in facts:
        if _held_at(fact, moment):
            counts[(fact.year, fact.retention, fact.category)].add(fact.pages)
    return dict(sorted(counts.items(), key=lambda kv: (kv[0][0], _rank(kv[0][1]), kv[0][2])))


def total(counts) -> Count:
    """The sum of several counts."""
    result = Count()
    for count in counts:
        result.items += count.items
        result.pages += count.pages
    return result


def _within(moment: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> bool:
    return moment is not None and start <= moment < end


def flow_in(facts: list[ItemFact], start: dt.datetime, end: dt.datetime) -> dict[tuple[str, str], tuple[Count, Count]]:
    """Items received and removed (destroyed) in [start, end), by (类别, 保管期限 code)."""
    flow: dict[tuple[str, str], tuple[Count, Count]] = defaultdict(lambda: (Count(), Count()))
    for fact in facts:
        key = (fact.category, fact.retention)
        if _within(fact.filed_at, start, end):
            flow[key][0].add(fact.pages)
        if _within(fact.destroyed_at, start, end):
            flow[key][1].add(fact.pages)
    return dict(sorted(flow.items(), key=lambda kv: (kv[0][0], _rank(kv[0][1]))))


def loans_in(facts: list[LoanFact], start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> LoanStats:
    """人次, 件次, copies and purposes of the loans lent in [start, end)."""
    lent = [f for f in facts if _within(f.lent_at, start, end)]

    def visit(fact: LoanFact) -> tuple[str, dt.date]:
        return fact.borrower.strip(), fact.lent_at.astimezone(zone).date()

    purposes: dict[str, list[LoanFact]] = defaultdict(list)
    for fact in lent:
        purposes[fact.purpose.strip() or NO_PURPOSE].append(fact)
    by_purpose = [
        {"purpose": purpose, "visits": len({visit(f) for f in group}), "items": len(group)}
        for purpose, group in purposes.items()
    ]
    by_purpose.sort(key=lambda row: (-row["items"], row["purpose"]))
    return LoanStats(
        visits=len({visit(f) for f in lent}),
        items=len(lent),
        copies=sum(f.copy for f in lent),
        refused=sum(f.refused for f in facts),
        by_purpose=by_purpose,
    )


def forms_by_round(facts: list[FormFact], rounds: list[str]) -> list[dict]:
    """Per round (in the given order) and form (registry order): generated, filed, outstanding, superseded."""
    counts: Counter = Counter((f.round_code, f.form, f.status) for f in facts)
    order = list(FORMS)
    rows = []
    for code in rounds:
        forms = sorted(
            {f.form for f in facts if f.round_code == code}, key=lambda k: order.index(k) if k in order else 99
        )
        for form in forms:
            superseded = counts[(code, form, FormInstance.Status.SUPERSEDED)]
            filed = counts[(code, form, FormInstance.Status.FILED)]
            generated = sum(counts[(code, form, s)] for s in FormInstance.Status.values) - superseded
            rows.append(
                {
                    "round": code,
                    "form": form,
                    "generated": generated,
                    "filed": filed,
                    "outstanding": generated - filed,
                    "superseded": superseded,
                }
            )
    return rows


def statistics_of(
    *, year: int, items: list[ItemFact], loans: list[LoanFact], forms: list[FormFact], rounds: list[str], zone: ZoneInfo
) -> YearlyStats:
    """The year's statistics from plain facts (no database)."""
    start, end = year_window(year, zone)
    closing = holdings_at(items, end)
    flow = flow_in(items, start, end)
    return YearlyStats(
        year=year,
        opening=total(holdings_at(items, start).values()),
        received=total(pair[0] for pair in flow.values()),
        removed=total(pair[1] for pair in flow.values()),
        closing=total(closing.values()),
        holdings=[
            {"year": k[0], "retention": k[1], "category": k[2], "items": c.items, "pages": c.pages}
            for k, c in closing.items()
        ],
        flow=[
            {
                "category": k[0],
                "retention": k[1],
                "received_items": r.items,
                "received_pages": r.pages,
                "removed_items": d.items,
                "removed_pages": d.pages,
            }
            for k, (r, d) in flow.items()
        ],
        loans=loans_in(loans, start, end, zone),
        forms=forms_by_round(forms, rounds),
    )


# ---------------------------------------------------------------- the selector (reads the catalog)


def _round_moment(round_: Round) -> dt.datetime:
    return round_.theory_at or round_.practical_at or round_.created_at


def rounds_of_year(year: int, zone: ZoneInfo) -> list[Round]:
    """Rounds held in the year (theory day, else practical day, else the day created), in date order."""
    start, end = year_window(year, zone)
    held = [r for r in Round.objects.all() if start <= _round_moment(r) < end]
    return sorted(held, key=lambda r: (_round_moment(r), r.code))


def yearly_statistics(*, year: int) -> YearlyStats:
    """统计年报 figures of one year, read from the catalog (items, tombstones, loans, form instances)."""
    zone = ZoneInfo(get_config().station.timezone)
    _, end = year_window(year, zone)
    destroyed = dict(Tombstone.objects.values_list("archival_code", "destroyed_at"))
    items = [
        ItemFact(
            year=i.year,
            retention=i.retention_code,
            category=i.category,
            pages=i.pages,
            filed_at=i.filed_at,
            destroyed_at=destroyed.get(i.archival_code),
        )
        for i in ArchiveItem.objects.filter(filed_at__lt=end).only(
            "archival_code", "year", "retention_code", "category", "pages", "filed_at"
        )
    ]
    loans = [
        LoanFact(
            borrower=loan.borrower,
            purpose=loan.purpose,
            copy=loan.copy_requested,
            lent_at=loan.lent_at,
            refused=loan.state == Loan.State.REFUSED
            and loan.approved_at is not None
            and year_window(year, zone)[0] <= loan.approved_at < end,
        )
        for loan in Loan.objects.filter(requested_at__lt=end)
    ]
    rounds = rounds_of_year(year, zone)
    filed_forms = {key for key, spec in FORMS.items() if spec.filed}
    forms = [
        FormFact(round_code=code, form=form, status=status)
        for code, form, status in FormInstance.objects.filter(round__in=rounds, form__in=filed_forms).values_list(
            "round__code", "form", "status"
        )
    ]
    return statistics_of(year=year, items=items, loans=loans, forms=forms, rounds=[r.code for r in rounds], zone=zone)


def stats_dict(stats: YearlyStats) -> dict:
    """The statistics as plain JSON-ready data (the --json output and the xlsx source)."""

    def count(c: Count) -> dict:
        return {"items": c.items, "pages": c.pages}

    loans = stats.loans
    return {
        "year": stats.year,
        "opening": count(stats.opening),
        "received": count(stats.received),
        "removed": count(stats.removed),
        "closing": count(stats.closing),
        "holdings": stats.holdings,
        "flow": stats.flow,
        "loans": {
            "visits": loans.visits,
            "items": loans.items,
            "copies": loans.copies,
            "refused": loans.refused,
            "by_purpose": loans.by_purpose,
        },
        "forms": stats.forms,
    }
