"""四性检测 (DA/T 70-2018): authenticity, integrity, usability and security of the electronic records,
per item and per batch, each failed check named with the item and what to do.

The file and catalog checks of `station verify` are reused (their finding kinds keep their names); this
adds metadata ↔ file, required fields, forms of closed rounds, PDF rendering, PDF/A by two independent
tools (pikepdf and PDFBox Preflight), fonts, text layers, loans, destructions, encryption and permissions.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.utils import timezone

from pipeline.archive.audit import audit_append
from pipeline.archive.keys import key_configured
from pipeline.archive.store import metadata_read
from pipeline.archive.verify import anchor_file_check, verify_all
from pipeline.catalog.models import ArchiveItem, Role
from pipeline.catalog.people import user_roles_checked
from pipeline.catalog.sealing import SECRET_ROLES
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import Refused
from pipeline.core.paths import DataPaths
from pipeline.core.privacy import mask_personal
from pipeline.forms.service import Generated, forms_generate
from pipeline.reports import four_properties_records as records
from pipeline.reports.four_properties_items import ItemResult, item_inspect
from pipeline.reports.preflight import NOT_PROVEN_ZH, PROVEN_ZH, RULES_SET_ASIDE_ZH, preflight_check

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Check:
    """One 检测项目 of the report."""

    key: str
    prop: str  # 真实性 | 完整性 | 可用性 | 安全性
    name_zh: str
    object_zh: str  # what it looks at (对象)


CHECKS = (
    Check("fixity", "真实性", "固化信息有效性：文件与校验值一致", "档案文件"),
    Check("metadata_file", "真实性", "元数据与内容一致（页数、日期、文档哈希）", "档案元数据与 document.pdf"),
    Check("catalog_audit", "真实性", "档案与目录条目、归档审计记录一致", "目录条目、归档审计记录"),
    Check("metadata_fields", "完整性", "必备元数据项齐全", "档案元数据"),
    Check("numbering", "完整性", "件号连续，无缺号、重号", "档号序列"),
    Check("catalog_content", "完整性", "目录条目均有内容或销毁记录", "目录条目、销毁记录"),
    Check("forms_accounted", "完整性", "已结束批次的表单均已归档或作废", "已结束鉴定批次的表单"),
    Check("pdf_renders", "可用性", "文件可打开、每页可显示", "document.pdf"),
    Check("pdfa_pikepdf", "可用性", "PDF/A-2b 格式检查（pikepdf）", "document.pdf"),
    Check("pdfa_preflight", "可用性", "PDF/A 独立复核（Apache PDFBox Preflight）", "document.pdf"),
    Check("fonts_embedded", "可用性", "字体均已嵌入", "document.pdf"),
    Check("text_layer", "可用性", "经 OCR 的档案有文字层", "经 OCR 识别的档案"),
    Check("access_records", "安全性", "借阅利用记录完整", "借阅记录"),
    Check("destruction_records", "安全性", "销毁记录完整", "已销毁档案、已执行的销毁清册"),
    Check("audit_chain", "安全性", "审计日志哈希链完整（对照锚点）", "审计日志"),
    Check("accounts", "安全性", "用户与权限均有审计记录可查", "用户账号与角色"),
    Check("secret_encrypted", "安全性", "保密档案加密存放", "保密档案"),
    Check("permissions", "安全性", "档案文件不对本机其他用户开放", "档案文件与文件夹"),
)
CHECK_BY_KEY = {check.key: check for check in CHECKS}

# verify's finding kinds → the check they belong to
VERIFY_KINDS = {
    "fixity": ("changed", "missing", "unexpected", "no_manifest", "stray"),
    "catalog_audit": (
        "bad_metadata",
        "bad_code",
        "misplaced",
        "audit_unfiled",
        "catalog_hashes_missing",
        "catalog_audit_mismatch",
        "manifest_audit_mismatch",
        "manifest_catalog_mismatch",
    ),
    "numbering": ("gap", "repeat"),
    "catalog_content": ("catalog_orphan", "tombstone_missing", "not_in_catalog", "tombstoned_present"),
}
KIND_CHECK = {kind: check for check, kinds in VERIFY_KINDS.items() for kind in kinds}

RESTORE = "不要自行改动档案文件；报告站长，从备份恢复该档案后重新检测"
ACTION_ZH = {
    "changed": RESTORE,
    "missing": RESTORE,
    "unexpected": "查明多出文件的来源并移出后重新检测",
    "no_manifest": RESTORE,
    "stray": "查明来源后移出 archive/",
    "gap": "查明缺号档案的去向（遗失须登记并报告站长）",
    "repeat": "报告站长，核对重号档案后由系统管理员更正",
    "metadata_field_missing": RESTORE + "（或经站长批准补录元数据）",
    "metadata_unreadable": RESTORE,
    "catalog_orphan": "从备份恢复该档案，或核实已销毁并补齐销毁记录",
    "not_in_catalog": "运行 station rebuild-catalog（须站长）",
    "tombstone_missing": "从备份恢复 .tombstones 下的销毁记录",
    "tombstoned_present": "报告站长：已销毁档案不应仍在库中",
    "form_outstanding": "催交该表单的签字件扫描归档，或经批准作废重印",
    "pdf_unopenable": RESTORE,
    "page_unrenderable": RESTORE,
    "decrypt_failed": "核对档案密钥（station keys）后重新检测",
    "pdfa_invalid": "重新扫描或用 station review 重新归档为 PDF/A-2b 文件",
    "pdfa_preflight_failed": "同上：重新生成 PDF/A-2b 文件",
    "font_not_embedded": "重新生成嵌入字体的 PDF/A 文件后归档",
    "text_layer_missing": "对该档案重新执行 OCR 后归档",
    "page_count_mismatch": "核对页数，报告站长",
    "loan_record_incomplete": "补全借阅登记（批准人、借出与归还时间）",
    "loan_unaudited": "报告站长：借阅未经系统登记",
    "destruction_record_incomplete": "报告站长：销毁须经批准、两人监销",
    "tombstone_row_missing": "运行 station rebuild-catalog（须站长）恢复销毁记录",
    "destruction_unaudited": "报告站长",
    "secret_not_encrypted": "报告站长，由保管人用 station keys 重新加密该档案",
    "world_readable": "执行 chmod -R o-rwx 档案文件夹",
    "catalog_metadata_mismatch": "以档案元数据为准运行 station rebuild-catalog（须站长）",
}


@dataclass
class InspectionFinding:
    """A failed check on one object: the check, English kind, where, Chinese message and what to do."""

    check: str
    kind: str
    where: str
    message_zh: str
    action_zh: str


@dataclass
class InspectionReport:
    """The whole inspection: scope, per-check counts, findings, and what the PDF/A checks prove."""

    year: int | None
    at: str
    items: int = 0
    files: int = 0
    bytes: int = 0
    audit_entries: int = 0
    checked: dict[str, int] = field(default_factory=dict)  # check → objects checked
    skipped: dict[str, str] = field(default_factory=dict)  # check → why it did not run (Chinese)
    set_aside: dict[str, int] = field(default_factory=dict)  # Preflight part-1-only rule → files it met
    findings: list[InspectionFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, check: str, kind: str, where: str, message_zh: str) -> None:
        self.findings.append(
            InspectionFinding(
                check,
                kind,
                mask_personal(where),
                mask_personal(message_zh),
                ACTION_ZH.get(kind, "请核查并报告档案管理员"),
            )
        )

    def failed(self, check: str) -> list[InspectionFinding]:
        return [f for f in self.findings if f.check == check]

    def as_dict(self) -> dict:
        """The JSON form (`--json`) and the data printed on the report."""
        rows = []
        for check in CHECKS:
            failed = self.failed(check.key)
            checked, skipped = self.checked.get(check.key, 0), check.key in self.skipped
            result = (
                "不通过"
                if failed
                else ("部分未检" if checked and skipped else "未检" if skipped else "通过" if checked else "不适用")
            )
            rows.append(
                {
                    "key": check.key,
                    "property": check.prop,
                    "name": check.name_zh,
                    "object": check.object_zh,
                    "checked": self.checked.get(check.key, 0),
                    "failed": len(failed),
                    "result": result,
                    "note": self.skipped.get(check.key, ""),
                }
            )
        return {
            "year": self.year,
            "at": self.at,
            "ok": self.ok,
            "items": self.items,
            "files": self.files,
            "bytes": self.bytes,
            "audit_entries": self.audit_entries,
            "checks": rows,
            "findings": [asdict(f) for f in self.findings],
            "preflight_set_aside": self.set_aside,
            "pdfa_proven": PROVEN_ZH,
            "pdfa_not_proven": NOT_PROVEN_ZH,
            "rules_set_aside": list(RULES_SET_ASIDE_ZH),
        }


_YEAR_IN = re.compile(r"[·-](\d{4})-")  # the 年度 inside a 档号 or a series label (J118-2026-D10-KW)


def _in_year(where: str, year: int | None) -> bool:
    match = _YEAR_IN.search(where)
    return year is None or match is None or int(match.group(1)) == year


def _verify_part(report: InspectionReport, paths: DataPaths, year: int | None, progress: Progress | None) -> None:
    """station verify's checks, each finding filed under its 四性 check."""
    verified = verify_all(paths, progress=progress)
    report.files, report.bytes, report.audit_entries = verified.files, verified.bytes, verified.audit_entries
    for finding in verified.findings:
        kind = finding.kind
        check = KIND_CHECK.get(kind) or (
            "audit_chain" if kind.startswith("audit_") and kind != "audit_unfiled" else "accounts"
        )
        if _in_year(finding.where, year) or check in ("audit_chain", "accounts"):
            report.add(check, kind, finding.where, finding.message_zh)
    report.checked["audit_chain"] = verified.audit_entries
    report.checked["accounts"] = 1


def _folders(paths: DataPaths, year: int | None) -> list[tuple[Path, str]]:
    found = []
    for folder in sorted(paths.archive.glob("*/*/*/*/*")):
        if (
            not folder.is_dir()
            or folder.name.startswith(".")
            or (year and folder.parent.parent.parent.name != str(year))
        ):
            continue
        found.append((folder, folder.name))
    return found


def _items_part(
    report: InspectionReport,
    paths: DataPaths,
    year: int | None,
    scratch: Path,
    progress: Progress | None,
    decrypt: bool,
) -> list[ItemResult]:
    """The per-item checks of every item folder in scope (secret items' PDFs only when decrypt)."""
    secret = set(ArchiveItem.objects.filter(secret=True).values_list("archival_code", flat=True))
    key = key_configured() if decrypt else None
    folders = _folders(paths, year)
    results = []
    for number, (folder, code) in enumerate(folders, 1):
        result = item_inspect(folder, code=code, key=key, scratch=scratch, secret=code in secret)
        results.append(result)
        for finding in result.findings:
            report.add(finding.check, finding.kind, finding.where, finding.message_zh)
        for check in result.checked:
            report.checked[check] = report.checked.get(check, 0) + 1
        if progress:
            progress(number, len(folders), code)
    report.items = len(folders)
    skipped = [r.code for r in results if r.skipped_zh]
    if skipped:
        report.skipped["pdf_renders"] = (
            f"{len(skipped)} 件密文档案未作可用性检测（须由站长或试卷保密人员运行并配置密钥）：{'、'.join(skipped[:5])}"
        )
    return results


def _preflight_part(report: InspectionReport, results: list[ItemResult]) -> None:
    """The second, independent PDF/A check over every readable archival PDF, in one JVM."""
    readable = [r for r in results if r.pdf_path is not None]
    verdicts = preflight_check([r.pdf_path for r in readable])
    if verdicts is None:
        report.skipped["pdfa_preflight"] = (
            "未安装 Apache PDFBox Preflight（Debian 软件包 libpdfbox2-java、"
            "libactivation-java、libjaxb-api-java 及 Java），本项未检"
        )
        return
    report.checked["pdfa_preflight"] = len(readable)
    for result, verdict in zip(readable, verdicts, strict=False):
        for name in verdict.set_aside:
            report.set_aside[name] = report.set_aside.get(name, 0) + 1
        for code, details in verdict.errors[:5]:
            report.add(
                "pdfa_preflight",
                "pdfa_preflight_failed",
                result.code,
                f"{result.code}：PDFBox Preflight 判定不合格（规则 {code}：{details[:160]}）",
            )


def _records_part(report: InspectionReport, results: list[ItemResult], paths: DataPaths, year: int | None) -> None:
    metas = {}
    for result in results:
        try:
            metas[result.code] = metadata_read(paths.archive / ArchivalCode.parse(result.code).folder)
        except (OSError, ValueError):
            continue  # named by the item checks
    today = timezone.localdate()
    parts = {
        "catalog_audit": records.catalog_metadata_check(metas, year),
        "forms_accounted": records.forms_accounted_check(today, year),
        "access_records": records.access_records_check(year),
        "destruction_records": records.destruction_records_check(year),
    }
    for check, (count, found) in parts.items():
        report.checked[check] = report.checked.get(check, 0) + count
        for _, kind, where, message in found:
            report.add(check, kind, where, message)
    for check in ("fixity", "numbering", "catalog_content"):
        report.checked[check] = max(report.checked.get(check, 0), report.items)


def four_properties_inspect(
    *,
    paths: DataPaths,
    year: int | None = None,
    anchor_file: Path | None = None,
    progress: Progress | None = None,
    decrypt: bool = False,
) -> InspectionReport:
    """Run every check of the 四性检测 on the archive (or one year of it); nothing is changed."""
    report = InspectionReport(year=year, at=timezone.localtime().isoformat(timespec="seconds"))
    _verify_part(report, paths, year, progress)
    for finding in anchor_file_check(anchor_file) if anchor_file else []:
        report.add("audit_chain", finding.kind, finding.where, finding.message_zh)
    with tempfile.TemporaryDirectory(prefix="inspect-") as scratch:  # plaintext of secret items, deleted after
        results = _items_part(report, paths, year, Path(scratch), progress, decrypt)
        _preflight_part(report, results)
    _records_part(report, results, paths, year)
    for finding in report.findings:
        log.warning("four-properties %s %s at %s", finding.check, finding.kind, finding.where)
    return report


INSPECT_ROLES = frozenset({Role.ARCHIVIST.value, Role.STATION_HEAD.value})


def inspection_issue(
    *,
    paths: DataPaths,
    user,
    year: int | None = None,
    anchor_file: Path | None = None,
    out: Path,
    formats: tuple[str, ...] = ("pdf", "docx"),
    progress: Progress | None = None,
) -> tuple[InspectionReport, Generated]:
    """Run the 四性检测 as an archivist or the head, audit it, and issue its report (PDF + DOCX, QR on every
    page): a permanent DA record whose signed copy files itself. Secret items' PDFs are checked in memory
    only when the user may open them (第二十七条)."""
    roles = user_roles_checked(user)
    if not roles & INSPECT_ROLES:
        raise Refused(
            f"用户“{user.username}”无权进行四性检测；须由档案管理员或站长进行。",
            f"inspection refused to {user.username!r}",
            code="inspection_refused",
        )
    report = four_properties_inspect(
        paths=paths, year=year, anchor_file=anchor_file, progress=progress, decrypt=bool(roles & SECRET_ROLES)
    )
    kinds: dict[str, int] = {}
    for finding in report.findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    audit_append(
        actor=user.username,
        action="inspection.run",
        target=str(year or "all"),
        detail={"ok": report.ok, "items": report.items, "findings": kinds},
    )
    batch = forms_generate(
        form="four-properties-report",
        round_=None,
        formats=formats,
        out=out,
        actor=user.username,
        inspection=report.as_dict(),
    )
    return report, batch.instances[0]
