"""四性检测, from the catalog: the item ↔ its catalog row, forms of closed rounds, loans and destructions.

Each function returns (checked count, [(check, kind, where, message_zh)]).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from pipeline.catalog.models import ArchiveItem, AuditEntry, DestructionBatch, FormInstance, Loan, Round, Tombstone
from pipeline.catalog.selectors import forms_outstanding

Found = tuple[str, str, str, str]
# a round is closed (its forms should all be back and filed) this long after its scores were recorded
ROUND_CLOSES_AFTER_DAYS = 30
CATALOG_FIELDS = {
    "title": "题名",
    "doc_date": "日期",
    "pages": "页数",
    "category": "类别",
    "retention_code": "保管期限",
    "item_number": "件号",
    "year": "年度",
}


def catalog_metadata_check(metas: dict[str, dict], year: int | None) -> tuple[int, list[Found]]:
    """Each filed item's catalog row says what its metadata.json says (题名, 日期, 页数, 类别…)."""
    rows = ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED, archival_code__in=list(metas))
    if year:
        rows = rows.filter(year=year)
    found = []
    for row in rows.order_by("archival_code"):
        meta = metas[row.archival_code]
        for name, label in CATALOG_FIELDS.items():
            ours = getattr(row, name)
            ours = ours.isoformat() if isinstance(ours, dt.date) else ours
            if name in meta and str(meta[name]) != str(ours):
                found.append(
                    (
                        "catalog_audit",
                        "catalog_metadata_mismatch",
                        f"{row.archival_code}#{name}",
                        f"{row.archival_code}：目录数据库的“{label}”（{ours}）与档案元数据（{meta[name]}）不一致",
                    )
                )
    return rows.count(), found


def closed_rounds(today: dt.date) -> list[Round]:
    """Rounds whose scores were recorded at least ROUND_CLOSES_AFTER_DAYS days ago."""
    limit = today - dt.timedelta(days=ROUND_CLOSES_AFTER_DAYS)
    return list(Round.objects.filter(scores_recorded_on__isnull=False, scores_recorded_on__lte=limit).order_by("code"))


def forms_accounted_check(today: dt.date, year: int | None) -> tuple[int, list[Found]]:
    """Every form printed for a closed round is filed, or superseded by a reprint."""
    rounds = [r for r in closed_rounds(today) if not year or r.scores_recorded_on.year == year]
    found, checked = [], 0
    for round_ in rounds:
        checked += FormInstance.objects.filter(round=round_).count()
        for instance in forms_outstanding(round_=round_):
            found.append(
                (
                    "forms_accounted",
                    "form_outstanding",
                    f"{round_.code}/{instance.code}",
                    f"批次 {round_.code} 已结束，但《{instance.title}》（表单编号 {instance.code}）未交回归档",
                )
            )
    return checked, found


def _audited(action: str) -> dict[str, int]:
    rows = AuditEntry.objects.filter(action=action).values("target").annotate(n=Count("id"))
    return {row["target"]: row["n"] for row in rows}


def access_records_check(year: int | None) -> tuple[int, list[Found]]:
    """Each loan has its approver, lending and return times as its state requires, and its audit entries."""
    loans = Loan.objects.select_related("item").order_by("id")
    if year:
        loans = loans.filter(item__year=year)
    audited = {action: _audited(action) for action in ("loan.request", "loan.approve", "loan.lend", "loan.return")}
    found = []
    states = Loan.State
    for loan in loans:
        where, code = f"loan#{loan.id}", loan.item.archival_code
        needs = [
            ("loan.request", True, "申请"),
            ("loan.approve", loan.state in (states.APPROVED, states.LENT, states.RETURNED), "批准"),
            ("loan.lend", loan.state in (states.LENT, states.RETURNED), "借出"),
            ("loan.return", loan.state == states.RETURNED, "归还"),
        ]
        fields = [
            ("approved_by", needs[1][1], "批准人"),
            ("lent_at", needs[2][1], "借出时间"),
            ("returned_at", needs[3][1], "归还时间"),
        ]
        for name, required, label in fields:
            if required and not getattr(loan, name):
                found.append(
                    ("access_records", "loan_record_incomplete", where, f"{code} 的第 {loan.id} 号借阅记录缺少{label}")
                )
        for action, required, label in needs:
            if required and not audited[action].get(code):
                found.append(
                    ("access_records", "loan_unaudited", where, f"{code} 的第 {loan.id} 号借阅没有“{label}”的审计记录")
                )
    return loans.count(), found


def destruction_records_check(year: int | None) -> tuple[int, list[Found]]:
    """Every destroyed item has its tombstone, an executed batch with approver, two witnesses and
    executor, and its audit entry."""
    items = ArchiveItem.objects.filter(status=ArchiveItem.Status.DESTROYED)
    if year:
        items = items.filter(year=year)
    tombstones = {t.archival_code: t for t in Tombstone.objects.select_related("batch")}
    destroyed_audit = _audited("destruction.destroy")
    found = []
    for code in items.order_by("archival_code").values_list("archival_code", flat=True):
        stone = tombstones.get(code)
        if stone is None:
            found.append(
                ("destruction_records", "tombstone_row_missing", code, f"{code} 已登记销毁，但目录中没有其销毁记录")
            )
            continue
        if not destroyed_audit.get(code):
            found.append(
                ("destruction_records", "destruction_unaudited", code, f"{code} 已销毁，但审计日志中没有销毁记录")
            )
    batches = DestructionBatch.objects.filter(state=DestructionBatch.State.EXECUTED).annotate(n=Count("witnesses"))
    for batch in batches.order_by("code"):
        lacking = [
            label
            for label, missing in (
                ("批准人", not batch.approved_by),
                ("执行人", not batch.executed_by),
                ("执行时间", not batch.executed_at),
                ("两名监销人", batch.n < 2),
            )
            if missing
        ]
        if lacking:
            found.append(
                (
                    "destruction_records",
                    "destruction_record_incomplete",
                    batch.code,
                    f"销毁清册 {batch.code} 已执行，但缺少{'、'.join(lacking)}",
                )
            )
    return items.count() + batches.count(), found
