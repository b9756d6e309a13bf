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
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


# ---------------------------------------------------------------- anchors outside the data root

ANCHOR_SCHEMA = "station-audit-anchor/1"
ANCHOR_PREFIX = "DHJD-AUDIT"
SHORT = 16          # hex digits of an entry hash kept per entry in an exported anchor


def anchor_line(seq: int, digest: str) -> str:
    """The text of the printed anchor QR: 'DHJD-AUDIT <seq> <hash>' (one line, also typed by hand)."""
    return f"{ANCHOR_PREFIX} {seq} {digest}"


def audit_anchor_make(*, station: str) -> dict:
    """The anchor to carry off the data root: the head in full and every entry's short hash."""
    hashes = list(AuditEntry.objects.order_by("seq").values_list("seq", "hash"))
    head = hashes[-1] if hashes else (0, GENESIS)
    return {"schema": ANCHOR_SCHEMA, "station": station, "seq": head[0], "hash": head[1],
            "line": anchor_line(*head), "made_at": _stamp(timezone.now()),
            "entries": {str(seq): digest[:SHORT] for seq, digest in hashes}}


def audit_anchor_parse(text: str) -> dict:
    """An anchor from an exported JSON file or from the printed QR line; ValueError when it is neither."""
    text = text.strip()
    if text.startswith(ANCHOR_PREFIX):
        _, seq, digest = text.split()
        if len(digest) != 64:
            raise ValueError("anchor hash is not 64 hex digits")
        return {"seq": int(seq), "hash": digest.lower(), "entries": {}}
    data = json.loads(text)
    if data.get("schema") != ANCHOR_SCHEMA:
        raise ValueError(f"not an audit anchor: schema {data.get('schema')!r}")
    return {"seq": int(data["seq"]), "hash": str(data["hash"]), "entries": dict(data.get("entries") or {}),
            "made_at": data.get("made_at", "")}


def audit_anchor_check(anchor: dict) -> list[AuditFinding]:
    """Prove the log was not rewritten since the anchor: every anchored entry still has its hash."""
    when = f"（锚点导出于 {anchor['made_at']}）" if anchor.get("made_at") else ""
    stored = dict(AuditEntry.objects.filter(seq__lte=anchor["seq"]).values_list("seq", "hash"))
    for seq_text, short in sorted(anchor["entries"].items(), key=lambda kv: int(kv[0])):
        seq = int(seq_text)
        if seq not in stored:
            return [AuditFinding(seq, "anchor_missing",
                                 f"审计日志第 {seq} 条在锚点中有记录，现已不存在（被删除）{when}")]
        if not stored[seq].startswith(short):
            return [AuditFinding(seq, "anchor_rewritten",
                                 f"审计日志第 {seq} 条与锚点记录的哈希不同："
                                 f"自锚点导出以来该条及其后的日志被改写{when}")]
    head = stored.get(anchor["seq"])
    if anchor["seq"] and head is None:
        return [AuditFinding(anchor["seq"], "anchor_missing",
                             f"审计日志第 {anchor['seq']} 条（锚点所记的链头）现已不存在（日志被截断）{when}")]
    if anchor["seq"] and head != anchor["hash"]:
        return [AuditFinding(anchor["seq"], "anchor_rewritten",
                             f"审计日志第 {anchor['seq']} 条（锚点所记的链头）哈希不同：日志自锚点以来被改写{when}")]
    return []
