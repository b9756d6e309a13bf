"""The destruction register as the approver and the witnesses see it: frozen rows with evidence and a version.

The version is the SHA-256 of the register's rows and their evidence (dates, retention rule and article,
file hashes, struck rows and why). The station head approves one version, with an opinion and the password
typed again; the two witnesses confirm that same version, each under their own sign-in and password. Any
change to the register after approval (a row struck, a due date recomputed, a file hash changed) makes the
version differ: the approval and the confirmations are void, the register goes back to 已提出, and the
reset is audited. Holds and loans are shown per row and re-checked when approving and at execution (an
item held later is kept then), not hashed. The proposer is never shown "approve" and the service refuses
it anyway (catalog/destruction.destruction_approve).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from pipeline.archive.audit import audit_append
from pipeline.archive.retention import ItemState, blockers, elapsed_zh
from pipeline.catalog.models import ArchiveItem, DestructionBatch, DestructionEntry, Hold, Loan
from pipeline.core.config import StationConfig

OPEN_LOAN_STATES = (Loan.State.REQUESTED, Loan.State.APPROVED, Loan.State.LENT)
SIGNED_STATES = (DestructionBatch.State.APPROVED, DestructionBatch.State.WITNESSED)
OPEN_STATES = (DestructionBatch.State.PROPOSED, *SIGNED_STATES)


# ---------------------------------------------------------------- item states in bulk

def _active_holds() -> dict[tuple[str, str], list[Hold]]:
    """(scope, value) → the active holds on it, in placing order."""
    found: dict[tuple[str, str], list[Hold]] = {}
    for hold in Hold.objects.filter(released_at__isnull=True).order_by("id"):
        found.setdefault((hold.scope, hold.value), []).append(hold)
    return found


def _holds_of(item: ArchiveItem, holds: dict[tuple[str, str], list[Hold]]) -> list[Hold]:
    keys = [(Hold.Scope.ITEM, item.archival_code)]
    if item.round_code:
        keys.append((Hold.Scope.ROUND, item.round_code))
    if item.candidate_id_number:
        keys.append((Hold.Scope.CANDIDATE, item.candidate_id_number))
    return sorted((h for key in keys for h in holds.get(key, [])), key=lambda h: h.id)


def item_states(items: list[ArchiveItem], config: StationConfig) -> dict[int, ItemState]:
    """item id → the plain facts the destruction check needs, for many items in three queries."""
    holds = _active_holds()
    loans: dict[int, list[Loan]] = {}
    for loan in Loan.objects.filter(item_id__in=[i.id for i in items], state__in=OPEN_LOAN_STATES).order_by("id"):
        loans.setdefault(loan.item_id, []).append(loan)
    states = {}
    for item in items:
        cls = config.retention.get(item.retention_class)
        states[item.id] = ItemState(
            archival_code=item.archival_code, permanent=item.retention_code == "Y" or bool(cls and cls.permanent),
            due=item.due_date, held_reasons=tuple(f"#{h.id} {h.reason}" for h in _holds_of(item, holds)),
            open_loans=tuple(f"#{x.id} {x.borrower}（{x.get_state_display()}）" for x in loans.get(item.id, [])),
            destroyed=item.status == ArchiveItem.Status.DESTROYED)
    return states


def held_q() -> Q:
    """A filter matching the items an active hold (保全/冻结) covers: by 档号, by round or by candidate."""
    scopes: dict[str, set[str]] = {s: set() for s in Hold.Scope.values}
    for scope, value in Hold.objects.filter(released_at__isnull=True).values_list("scope", "value"):
        scopes[scope].add(value)
    return (Q(archival_code__in=scopes[Hold.Scope.ITEM]) | Q(round_code__in=scopes[Hold.Scope.ROUND] - {""})
            | Q(candidate_id_number__in=scopes[Hold.Scope.CANDIDATE] - {""}))


def blocked_q() -> Q:
    """A filter matching the items an active hold or an open loan keeps from destruction."""
    loans = Loan.objects.filter(item_id=OuterRef("pk"), state__in=OPEN_LOAN_STATES)
    return held_q() | Q(Exists(loans))


# ---------------------------------------------------------------- the due list

@dataclass
class DueList:
    """One page of the items due by as_of, each with what blocks it, and the totals."""

    as_of: dt.date
    total: int
    blocked: int
    rows: list[dict]
    groups: list[dict]
    page: int = 1
    pages: int = 1


ROW_FIELDS = ("archival_code", "title", "year", "retention_class", "retention_code", "due_date", "round_code",
              "candidate_id_number", "status")


def due_items(*, as_of: dt.date, show: str = "all") -> QuerySet:
    """Filed items due by as_of; show = "all", "blocked" (held or on loan) or "free"."""
    due = ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED, due_date__lte=as_of)
    if show == "blocked":
        return due.filter(blocked_q())
    if show == "free":
        return due.exclude(blocked_q())
    return due


def due_list(*, config: StationConfig, as_of: dt.date, show: str = "all", page: int = 1,
             per_page: int = 100) -> DueList:
    """The due list one page at a time, each row with its blockers (holds, loans) spelled out."""
    counts = due_items(as_of=as_of).aggregate(all=Count("id"), blocked=Count("id", filter=blocked_q()))
    total = {"all": counts["all"], "blocked": counts["blocked"], "free": counts["all"] - counts["blocked"]}[show]
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    due = due_items(as_of=as_of, show=show).order_by("due_date", "archival_code")
    items = list(due.only(*ROW_FIELDS)[(page - 1) * per_page: page * per_page])
    states = item_states(items, config)
    rows = [{"archival_code": i.archival_code, "title": i.title, "year": i.year, "class": i.retention_class,
             "class_label": _label(config, i.retention_class), "due_date": i.due_date.isoformat(),
             "blockers": [b.message_zh for b in blockers(states[i.id], as_of)]} for i in items]
    groups = [{"class": g["retention_class"], "label": _label(config, g["retention_class"]), "year": g["year"],
               "count": g["n"]} for g in _group_counts(due_items(as_of=as_of, show=show))]
    return DueList(as_of=as_of, total=total, blocked=counts["blocked"], rows=rows, groups=groups, page=page,
                   pages=pages)


def _group_counts(items: QuerySet) -> list[dict]:
    return list(items.values("retention_class", "year").annotate(n=Count("id")).order_by("retention_class", "year"))


def _label(config: StationConfig, key: str) -> str:
    cls = config.retention.get(key)
    return cls.label if cls else key


# ---------------------------------------------------------------- the frozen register

@dataclass
class Register:
    """A destruction register as shown for approval: rows with evidence, and the version they hash to."""

    batch: DestructionBatch
    rows: list[dict]
    version: str
    approval_void: bool = False
    changes: list[str] = field(default_factory=list)

    @property
    def short(self) -> str:
        """The version as staff read it aloud (first 12 hex digits)."""
        return self.version[:12]


@dataclass(frozen=True)
class _Item:
    """The fields of an item the register and the destruction check read (no model instance: 2,000 rows fast)."""

    id: int
    archival_code: str
    title: str
    year: int
    pages: int
    doc_date: dt.date
    retention_class: str
    retention_code: str
    clock_start: dt.date | None
    due_date: dt.date | None
    files_sha256: dict
    round_code: str
    candidate_id_number: str
    status: str


ITEM_FIELDS = [f.name for f in _Item.__dataclass_fields__.values()]


def register_rows(batch: DestructionBatch, config: StationConfig) -> list[dict]:
    """Every row of the register with its evidence: dates, rule, file hashes, blockers, struck."""
    as_of = batch.as_of or batch.proposed_at.date()
    entries = list(DestructionEntry.objects.filter(batch=batch).order_by("item__archival_code").values(
        "struck", "struck_reason", *(f"item__{name}" for name in ITEM_FIELDS)))
    items = [_Item(**{name: e[f"item__{name}"] for name in ITEM_FIELDS}) for e in entries]
    states = item_states(items, config)
    return [_register_row(number, item, entry, config.retention.get(item.retention_class), states[item.id], as_of)
            for number, (item, entry) in enumerate(zip(items, entries, strict=False), 1)]


def _register_row(number: int, item: _Item, entry: dict, cls, state: ItemState, as_of: dt.date) -> dict:
    return {
        "number": number, "archival_code": item.archival_code, "title": item.title, "year": item.year,
        "pages": item.pages, "doc_date": item.doc_date.isoformat(),
        "retention_class": item.retention_class, "retention": cls.label if cls else item.retention_class,
        "period": "永久" if not cls or cls.permanent else f"{cls.years}年", "article": cls.article if cls else "",
        "clock_start": item.clock_start.isoformat() if item.clock_start else "",
        "due_date": item.due_date.isoformat() if item.due_date else "",
        "elapsed": elapsed_zh(item.clock_start, as_of), "files_sha256": dict(sorted((item.files_sha256 or {}).items())),
        "blockers": [b.message_zh for b in blockers(state, as_of)],
        "struck": entry["struck"], "struck_reason": entry["struck_reason"]}


LIVE_FIELDS = ("blockers",)   # shown beside a row, re-checked at approval and at execution; not hashed


def _frozen(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in LIVE_FIELDS}


def _canonical(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def register_version(batch: DestructionBatch, rows: list[dict]) -> str:
    """SHA-256 of the register's identity, day, and rows with their evidence (dates, rule, file hashes,
    struck rows); holds and loans are not hashed: they are re-checked when approving and executing."""
    return hashlib.sha256(_canonical({"batch": batch.code, "as_of": str(batch.as_of),
                                      "rows": [_frozen(r) for r in rows]})).hexdigest()


def register_read(*, batch_code: str, config: StationConfig, actor: str = "system") -> Register:
    """The register with its current version; a signed register whose content changed is reset first."""
    from pipeline.catalog.destruction import batch_get
    batch = batch_get(batch_code)
    if batch.state in SIGNED_STATES:
        reset = destruction_approval_check(batch_code=batch_code, config=config, actor=actor)
        batch = batch_get(batch_code)
        if reset:
            rows = register_rows(batch, config)
            return Register(batch, rows, register_version(batch, rows), approval_void=True, changes=reset)
    rows = register_rows(batch, config)
    return Register(batch, rows, register_version(batch, rows))


def destruction_approval_check(*, batch_code: str, config: StationConfig, actor: str = "system") -> list[str]:
    """Void the approval (and the witnesses' confirmations) of a register changed since it was approved.

    Returns what changed (empty: the approval stands)."""
    with transaction.atomic():
        batch = DestructionBatch.objects.select_for_update().get(code=batch_code)
        if batch.state not in SIGNED_STATES or not batch.approved_version:
            return []
        rows = register_rows(batch, config)
        version = register_version(batch, rows)
        if version == batch.approved_version:
            return []
        changes = _what_changed(batch, rows)
        witnesses = list(batch.witnesses.order_by("at").values_list("user", flat=True))
        batch.witnesses.all().delete()
        old = (batch.approved_by, batch.approved_version)
        batch.state, batch.approved_by, batch.approved_at, batch.approved_version, batch.approved_rows = (
            DestructionBatch.State.PROPOSED, "", None, "", {})
        batch.save(update_fields=["state", "approved_by", "approved_at", "approved_version", "approved_rows"])
        audit_append(actor=actor, action="destruction.approval_reset", target=batch.code,
                     detail={"approved_by": old[0], "approved_version": old[1], "version": version,
                             "witnesses_voided": witnesses, "changes": changes})
    return changes


def row_digests(rows: list[dict]) -> dict[str, str]:
    """档号 → a short hash of its row and evidence: the snapshot kept with an approval."""
    return {r["archival_code"]: hashlib.sha256(_canonical(_frozen(r))).hexdigest()[:16] for r in rows}


def _what_changed(batch: DestructionBatch, rows: list[dict]) -> list[str]:
    """Plain words for how the rows differ from the snapshot kept when the register was approved."""
    before, now = batch.approved_rows or {}, {r["archival_code"]: r for r in rows}
    digests = row_digests(rows)
    changes = [f"{code} 已从清册中移除" for code in sorted(set(before) - set(now))]
    changes += [f"{code} 为批准后新增" for code in sorted(set(now) - set(before))]
    for code in sorted(set(before) & set(now)):
        if before[code] != digests[code]:
            row = now[code]
            hint = f"（现已划去：{row['struck_reason']}）" if row["struck"] else ""
            changes.append(f"{code} 的内容或证据（日期、保管期限、文件校验值）已变更{hint}")
    return changes or ["清册内容已变更"]
