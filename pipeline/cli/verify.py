"""station verify | rebuild-catalog."""

from __future__ import annotations

import typer
from rich.progress import Progress

from pipeline.archive.verify import VerifyReport, verify_all
from pipeline.catalog.dashboard import verify_record
from pipeline.catalog.rebuild import catalog_rebuild
from pipeline.cli.common import JsonOption, UserOption, acting_user, console, emit
from pipeline.core.config import get_config
from pipeline.core.errors import IntegrityProblem
from pipeline.core.paths import data_paths

KIND_ZH = {"changed": "内容被改动", "missing": "文件丢失", "unexpected": "多出文件", "no_manifest": "缺校验清单",
           "stray": "档案库中的游离文件", "gap": "件号缺号", "repeat": "档号重复", "misplaced": "位置与档号不符",
           "bad_metadata": "元数据损坏", "bad_code": "档号无效", "catalog_orphan": "目录有、档案库无",
           "not_in_catalog": "档案库有、目录无", "tombstoned_present": "已销毁但文件仍在",
           "tombstone_missing": "销毁记录文件缺失", "audit_unfiled": "审计日志无归档记录",
           "catalog_hashes_missing": "目录校验值缺失", "catalog_audit_mismatch": "目录与审计日志不符",
           "manifest_audit_mismatch": "清单与审计日志不符", "manifest_catalog_mismatch": "清单与目录不符",
           "user_unaccounted": "来历不明的用户", "role_unaccounted": "来历不明的角色", "role_missing": "角色被删除",
           "user_superuser": "管理员标志", "user_reenabled": "停用后被启用", "person_changed": "所属人员被改动",
           "user_missing": "用户被删除"}


def _render(report: VerifyReport) -> None:
    console.print(f"已校验 {report.items} 件档案、{report.files} 个文件（{report.bytes / 1e6:.1f} MB），"
                  f"销毁记录 {report.tombstones} 份，审计日志 {report.audit_entries} 条。")
    if report.ok:
        console.print("[green]校验通过[/]：文件、件号、目录与审计日志均完整。")
        return
    for finding in report.findings:
        label = KIND_ZH.get(finding.kind, "审计日志" if finding.kind.startswith("audit_") else finding.kind)
        console.print(f"  [red]✗[/] [{label}] {finding.message_zh}")


def verify(as_json: bool = JsonOption, workers: int = typer.Option(2, "--workers", help="并行校验线程数")) -> None:
    """校验档案库：重算每个文件的哈希、查找丢失与多余文件、件号缺号重号、目录与档案库是否一致、审计链。"""
    paths = data_paths()
    with Progress(transient=True, disable=as_json) as bar:
        task = bar.add_task("校验中", total=None)
        report = verify_all(paths, workers=workers,
                            progress=lambda done, total, _: bar.update(task, completed=done, total=total))
    verify_record(paths=paths, report=report.as_dict())
    emit(report.as_dict(), as_json, lambda _: _render(report))
    if not report.ok:
        raise IntegrityProblem(f"校验发现 {len(report.findings)} 处问题，"
                               "请按上列提示逐项核查（不要自行修改档案文件）。",
                               f"verify found {len(report.findings)} problems", code="verify_failed")


def rebuild_catalog(user: str = UserOption) -> None:
    """仅凭档案库 archive/ 重建目录数据库（档案条目、件号计数、销毁记录）；须站长本人验证。"""
    actor = acting_user(user, two_person=True)
    report = catalog_rebuild(paths=data_paths(), config=get_config(), actor=actor)
    console.print(f"[green]目录已重建[/]：在库档案 {report.items} 件，已销毁 {report.destroyed} 件，"
                  f"件号序列 {report.series} 个。")
    for rel in report.unreadable:
        console.print(f"  [yellow]无法读取[/] archive/{rel}")
    for code in report.unknown_rows:
        console.print(f"  [yellow]目录中有而档案库中没有[/] {code}（未删除，请核查）")


def register(app: typer.Typer) -> None:
    """Add `verify` and `rebuild-catalog` to app."""
    app.command("verify")(verify)
    app.command("rebuild-catalog")(rebuild_catalog)
