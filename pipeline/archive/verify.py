"""station verify: fixity of every archive file, stray files, 件号 numbering, catalog ↔ archive,
tombstones, and the audit chain — a report that names each finding (bagit-python's idea).

The file checks read archive/ only; the catalog and audit checks read the database.
Hashing runs in a small thread pool: hashlib releases the GIL on large blocks.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.archive.audit import audit_anchor_check, audit_anchor_parse, audit_head, audit_verify
from pipeline.archive.store import (
    METADATA,
    file_identity,
    item_verify,
    iter_item_folders,
    manifest_read,
    metadata_read,
    write_json_atomic,
)
from pipeline.catalog.models import ArchiveItem, AuditEntry, Tombstone
from pipeline.catalog.people import accounts_check
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import BadInput
from pipeline.core.paths import DataPaths

Progress = Callable[[int, int, str], None]
TOMBSTONES = ".tombstones"
ANCHOR = "audit-anchor.json"
SKIP_TOP = {".tmp", TOMBSTONES}
FILING_ACTIONS = ("item.file", "review.file")    # audit actions that record an item's archived-file hashes
REHASH_ACTIONS = ("item.release",)   # audited rewrites of a filed item that record its new files' hashes


@dataclass(frozen=True)
class Finding:
    """One problem, named: what kind, where (folder/file/series/audit seq), and the staff message."""

    kind: str
    where: str
    message_zh: str


@dataclass
class VerifyReport:
    """Everything verify found, with the counts it checked."""

    items: int = 0
    files: int = 0
    bytes: int = 0
    tombstones: int = 0
    audit_entries: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict:
        """The JSON form of `station verify --json`."""
        return {**{k: v for k, v in asdict(self).items() if k != "findings"}, "ok": self.ok,
                "findings": [asdict(f) for f in self.findings]}


# ---------------------------------------------------------------- files (archive/ only)

def _fixity(folder: Path, archive: Path, cache: dict) -> tuple[list[Finding], int, dict]:
    findings = [Finding(f.problem, f"{f.folder}/{f.path}", f.message_zh)
                for f in item_verify(folder, archive_root=archive, cache=cache)]
    files = [p for p in folder.rglob("*") if p.is_file()]
    return findings, len(files), {file_identity(p): p.stat().st_size for p in files}


def fixity_check(paths: DataPaths, folders: list[Path], *, workers: int = 2,
                 progress: Progress | None = None) -> tuple[list[Finding], int, int]:
    """Re-hash every file of every item folder against its manifest: (findings, files, bytes).

    A stack's original hard-linked into several items is one file on disk: read and counted once.
    """
    findings: list[Finding] = []
    files, sizes, cache = 0, {}, {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for number, (found, count, item_sizes) in enumerate(
                pool.map(lambda f: _fixity(f, paths.archive, cache), folders), 1):
            findings += found
            files += count
            sizes.update(item_sizes)
            if progress:
                progress(number, len(folders), folders[number - 1].name)
    return findings, files, sum(sizes.values())


def stray_files(paths: DataPaths, folders: Iterable[Path]) -> list[Finding]:
    """Files in archive/ that lie outside every item folder (item folders are checked by fixity)."""
    inside = {f.resolve() for f in folders}
    findings = []
    for root, dirs, names in os.walk(paths.archive):
        here = Path(root)
        if here == paths.archive:
            dirs[:] = [d for d in dirs if d not in SKIP_TOP]
        if here.resolve() in inside:
            dirs[:] = []
            continue
        for name in sorted(names):
            rel = (here / name).relative_to(paths.archive).as_posix()
            findings.append(Finding("stray", rel, f"档案库中有不属于任何档案的文件：archive/{rel}，请查明来源后移出"))
    return findings


def read_tombstones(paths: DataPaths) -> dict[str, dict]:
    """档号 → tombstone record from archive/.tombstones/*.json."""
    folder = paths.archive / TOMBSTONES
    records = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            records[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            records[path.stem] = {}
    return records


def _folder_code(folder: Path, paths: DataPaths) -> tuple[str, list[Finding]]:
    rel = folder.relative_to(paths.archive).as_posix()
    try:
        code = str(metadata_read(folder)["archival_code"])
    except (OSError, ValueError, KeyError):
        return folder.name, [Finding("bad_metadata", rel, f"{rel}：{METADATA} 缺失或无法读取")]
    try:
        expected = ArchivalCode.parse(code).folder
    except ValueError:
        return code, [Finding("bad_code", rel, f"{rel}：元数据中的档号“{code}”格式无效")]
    if expected != rel:
        return code, [Finding("misplaced", rel, f"{rel}：元数据档号为 {code}，应位于 archive/{expected}")]
    return code, []


def numbering_check(codes: dict[str, list[str]], destroyed: Iterable[str]) -> list[Finding]:
    """件号 gaps and repeats per series, counting destroyed items (their numbers stay used)."""
    series: dict[tuple, list[int]] = defaultdict(list)
    findings = []
    for code, places in sorted(codes.items()):
        if len(places) > 1:
            findings.append(Finding("repeat", code, f"档号 {code} 重复出现于：{'、'.join(places)}"))
    for code in set(codes) | set(destroyed):
        try:
            parsed = ArchivalCode.parse(code)
        except ValueError:
            continue
        series[parsed.series].append(parsed.item)
    for key, numbers in sorted(series.items()):
        present = set(numbers)
        missing = [n for n in range(1, max(present) + 1) if n not in present]
        if missing:
            label = "-".join(str(part) for part in key)
            shown = "、".join(f"{n:04d}" for n in missing[:20]) + ("……" if len(missing) > 20 else "")
            findings.append(Finding("gap", label, f"档号序列 {label} 件号不连续，缺少：{shown}"))
    return findings


# ---------------------------------------------------------------- catalog and audit (database)

def catalog_check(codes: dict[str, list[str]], tombstones: dict[str, dict]) -> list[Finding]:
    """Catalog rows without an item folder, folders without a row, destroyed items still present."""
    findings = []
    rows = dict(ArchiveItem.objects.values_list("archival_code", "status"))
    for code, status in sorted(rows.items()):
        if status == ArchiveItem.Status.FILED and code not in codes:
            findings.append(Finding("catalog_orphan", code, f"目录中有 {code}，但档案库中没有该档案文件夹"))
        if status == ArchiveItem.Status.DESTROYED and code not in tombstones:
            findings.append(Finding("tombstone_missing", code,
                                    f"{code} 已登记销毁，但 archive/{TOMBSTONES}/{code}.json 缺失"))
    for code in sorted(set(codes) - set(rows)):
        findings.append(Finding("not_in_catalog", code,
                                f"档案库中的 {code} 未登记在目录中（可运行 station rebuild-catalog）"))
    destroyed = set(tombstones) | set(Tombstone.objects.values_list("archival_code", flat=True))
    for code in sorted(destroyed & set(codes)):
        findings.append(Finding("tombstoned_present", code, f"{code} 已销毁（有销毁记录），但档案文件夹仍然存在"))
    return findings


def filing_hashes() -> dict[str, dict | None]:
    """档号 → files_sha256 of its first filing audit entry, or of a later lawful rewrite of the item (a
    release decrypts it); None: filed before hashes were recorded."""
    found: dict[str, dict | None] = {}
    for action, target, detail in AuditEntry.objects.filter(
            action__in=FILING_ACTIONS + REHASH_ACTIONS).order_by("seq").values_list("action", "target", "detail"):
        hashes = (detail or {}).get("files_sha256")
        if action in REHASH_ACTIONS and target in found:
            found[target] = hashes
        else:
            found.setdefault(target, hashes)
    return found


def _differences(first: dict, second: dict) -> list[str]:
    return sorted(name for name in set(first) | set(second) if first.get(name) != second.get(name))


def item_hashes_check(*, code: str, manifest: dict | None, catalog: dict, audit: dict | None,
                      audit_known: bool, encrypted: bool) -> list[Finding]:
    """One item's archived-file hashes: manifest ↔ catalog ↔ filing audit entry, each disagreement named.

    catalog and audit hold plaintext hashes. For an encrypted item the manifest holds the ciphertext's,
    so only catalog ↔ audit is compared here (fixity already compares manifest ↔ disk)."""
    findings = []
    if not audit_known:
        findings.append(Finding("audit_unfiled", code, f"{code}：审计日志中没有该档案的归档记录"))
    if audit and not catalog:
        findings.append(Finding("catalog_hashes_missing", code, f"{code}：目录数据库中该档案的文件校验值被清空"))
    if audit and catalog:
        for name in _differences(catalog, audit):
            findings.append(Finding("catalog_audit_mismatch", f"{code}/{name}",
                                    f"{code}：文件 {name} 在目录数据库中的校验值与归档时审计日志记录的不同"))
    if encrypted or manifest is None:
        return findings
    for label, kind, recorded in (("归档时审计日志", "manifest_audit_mismatch", audit),
                                  ("目录数据库", "manifest_catalog_mismatch", catalog)):
        for name in _differences(manifest, recorded or {}) if recorded else []:
            findings.append(Finding(kind, f"{code}/{name}",
                                    f"{code}：文件 {name} 的校验清单与{label}记录的不同"
                                    "（档案文件与其清单可能一并被改写）"))
    return findings


def cross_check(paths: DataPaths, codes: dict[str, list[str]]) -> list[Finding]:
    """archive ↔ manifest ↔ catalog ↔ audit for every filed item present in archive/."""
    audit = filing_hashes()
    findings = []
    rows = ArchiveItem.objects.filter(status=ArchiveItem.Status.FILED).values_list(
        "archival_code", "files_sha256", "encrypted")
    for code, catalog, encrypted in rows.order_by("archival_code"):
        if code not in codes:
            continue
        try:
            manifest = manifest_read(paths.archive / codes[code][0])
        except OSError:
            manifest = None          # fixity names the missing manifest
        findings += item_hashes_check(code=code, manifest=manifest, catalog=catalog or {}, audit=audit.get(code),
                                      audit_known=code in audit, encrypted=encrypted)
    return findings


def people_check() -> list[Finding]:
    """Users and roles in the database that the audit log does not account for."""
    return [Finding(kind, f"user:{name}", message) for kind, name, message in accounts_check()]


def anchor_read(paths: DataPaths) -> tuple[int, str] | None:
    """The audit head recorded by the last clean verify (var/audit-anchor.json)."""
    try:
        data = json.loads((paths.var / ANCHOR).read_text(encoding="utf-8"))
        return int(data["seq"]), str(data["hash"])
    except (OSError, ValueError, KeyError):
        return None


def anchor_write(paths: DataPaths, head: tuple[int, str] | None) -> None:
    """Remember the audit head outside the database, so a truncated log is noticed next time."""
    if head:
        write_json_atomic(paths.var / ANCHOR, {"seq": head[0], "hash": head[1]})


def audit_check(paths: DataPaths) -> list[Finding]:
    """Breaks in the hash chain, and a head lost since the last verify."""
    return [Finding(f"audit_{f.problem}", f"audit#{f.seq}", f.message_zh) for f in audit_verify(anchor_read(paths))]


def anchor_file_check(path: Path) -> list[Finding]:
    """An exported anchor file (or the QR text of a register) checked against the audit log."""
    try:
        anchor = audit_anchor_parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"无法读取审计锚点文件 {path}：请给出 station audit anchor 导出的文件，"
                       "或写有清册上二维码内容（DHJD-AUDIT 序号 哈希）的文本文件。", f"bad anchor {path}: {exc}",
                       code="anchor_invalid") from None
    return [Finding(f"audit_{f.problem}", f"audit#{f.seq}", f.message_zh) for f in audit_anchor_check(anchor)]


def verify_all(paths: DataPaths, *, workers: int = 2, progress: Progress | None = None) -> VerifyReport:
    """Every check; the audit anchor moves forward only when the whole archive is clean."""
    folders = list(iter_item_folders(paths))
    report = VerifyReport(items=len(folders))
    fixity, report.files, report.bytes = fixity_check(paths, folders, workers=workers, progress=progress)
    codes: dict[str, list[str]] = defaultdict(list)
    for folder in folders:
        code, found = _folder_code(folder, paths)
        codes[code].append(folder.relative_to(paths.archive).as_posix())
        report.findings += found
    tombstones = read_tombstones(paths)
    report.tombstones = len(tombstones)
    report.findings += fixity + stray_files(paths, folders)
    report.findings += numbering_check(codes, tombstones)
    report.findings += catalog_check(codes, tombstones)
    report.findings += cross_check(paths, codes)
    report.findings += people_check()
    report.findings += audit_check(paths)
    head = audit_head()
    report.audit_entries = head[0] if head else 0
    if report.ok:
        anchor_write(paths, head)
    return report
