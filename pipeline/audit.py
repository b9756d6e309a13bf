"""Hash-chained, append-only audit log: append and verify.

Each entry's hash covers its sequence number, time, actor, action, target, detail and the
previous entry's hash, so an edited, removed or reordered entry breaks the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from pipeline.catalog.models import AuditEntry

GENESIS = "0" * 64


def entry_hash(*, seq: int, at: str, actor: str, action: str, target: str, detail: dict,
               prev_hash: str) -> str:
    """The SHA-256 of an entry's canonical JSON form."""
    body = json.dumps({"seq": seq, "at": at, "actor": actor, "action": action, "target": target,
                       "detail": detail, "prev": prev_hash},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _stamp(moment) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_append(*, actor: str, action: str, target: str = "", detail: dict | None = None) -> AuditEntry:
    """Append one entry at the end of the chain; call inside the transaction of the change."""
    detail = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    with transaction.atomic():
        last = AuditEntry.objects.select_for_update().order_by("-seq").first()
        seq = (last.seq + 1) if last else 1
        prev = last.hash if last else GENESIS
        now = timezone.now()
        digest = entry_hash(seq=seq, at=_stamp(now), actor=actor, action=action, target=target,
                            detail=detail, prev_hash=prev)
        return AuditEntry.objects.create(seq=seq, at=now, actor=actor, action=action, target=target,
                                         detail=detail, prev_hash=prev, hash=digest)


@dataclass(frozen=True)
class AuditFinding:
    """One break in the chain, named for the report."""

    seq: int
    problem: str      # English code: edited, removed, reordered
    message_zh: str


def audit_head() -> tuple[int, str] | None:
    """(seq, hash) of the last entry, to anchor outside the database; None when the log is empty."""
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return (last[0], last[1]) if last else None


def audit_list(*, limit: int = 50, actor: str = "", action: str = "", target: str = "") -> list[AuditEntry]:
    """The newest entries first, optionally filtered by actor, action prefix or target."""
    entries = AuditEntry.objects.order_by("-seq")
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action__startswith=action)
    if target:
        entries = entries.filter(target=target)
    return list(entries[:limit])


def _anchor_findings(anchor: tuple[int, str] | None) -> list[AuditFinding]:
    if not anchor:
        return []
    seq, digest = anchor
    stored = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if stored is None:
        return [AuditFinding(seq, "truncated", f"审计日志在上次校验时已有第 {seq} 条，现已不存在（日志尾部被删除）")]
    if stored != digest:
        return [AuditFinding(seq, "rewritten", f"审计日志第 {seq} 条与上次校验时记录的哈希不同（日志被改写）")]
    return []


def audit_verify(anchor: tuple[int, str] | None = None) -> list[AuditFinding]:
    """Walk the chain; report every entry whose hash or link does not hold, and a lost anchored head."""
    findings: list[AuditFinding] = _anchor_findings(anchor)
    prev_hash, expected_seq = GENESIS, 1
    for entry in AuditEntry.objects.order_by("seq").iterator():
        if entry.seq != expected_seq:
            findings.append(AuditFinding(entry.seq, "removed",
                                         f"审计日志缺少第 {expected_seq}–{entry.seq - 1} 条（被删除）"))
        recomputed = entry_hash(seq=entry.seq, at=_stamp(entry.at), actor=entry.actor, action=entry.action,
                                target=entry.target, detail=entry.detail, prev_hash=entry.prev_hash)
        if recomputed != entry.hash:
            findings.append(AuditFinding(entry.seq, "edited", f"审计日志第 {entry.seq} 条内容被修改"))
        elif entry.prev_hash != prev_hash and entry.seq == expected_seq:
            findings.append(AuditFinding(entry.seq, "reordered",
                                         f"审计日志第 {entry.seq} 条与前一条的链接断开（顺序被调换或前一条被改动）"))
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    return findings
