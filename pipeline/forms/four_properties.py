"""电子档案四性检测报告 (DA/T 70-2018) from one inspection run: 检测项目, 对象, 结果, 说明, the problems
with what to do, the conclusion, what the PDF/A checks prove, 检测人/审核人. The only builder of
"four-properties-report"; like the destruction register, its signed copy files itself by its QR
(a permanent record of category DA).
"""

from __future__ import annotations

from django.utils import timezone

from pipeline.core.paths import data_paths
from pipeline.forms.anchor import audit_anchor_context
from pipeline.forms.builders import InstanceData, register
from pipeline.reports.four_properties import four_properties_inspect
from pipeline.reports.preflight import PARSER_LIMITS, PART1_ONLY

PRINTED_FINDINGS = 200  # on paper; --json and the stored data keep every one
SET_ASIDE_ZH = {name: label for _, _, name, label in (*PART1_ONLY, *PARSER_LIMITS)}


def _note(row: dict, data: dict) -> str:
    """说明 of one 检测项目."""
    if row["note"] and not row["checked"]:
        return row["note"]
    if row["result"] == "不适用":
        return "本次检测范围内没有此类对象"
    text = f"检测 {row['checked']} 项" + (f"，{row['failed']} 处不符合（见问题清单）" if row["failed"] else "，均符合")
    if row["note"]:
        text += f"；{row['note']}"
    if row["key"] == "pdfa_preflight" and data["preflight_set_aside"]:
        met = "；".join(
            f"{SET_ASIDE_ZH.get(name, name)} {count} 份" for name, count in data["preflight_set_aside"].items()
        )
        text += f"。已按名称排除 PDF/A-2 不再要求的 PDF/A-1 规则：{met}"
    return text


def conclusion_zh(data: dict) -> str:
    """The report's conclusion in one paragraph."""
    failed = [row for row in data["checks"] if row["result"] == "不通过"]
    unchecked = [row["name"] for row in data["checks"] if row["result"] in ("未检", "部分未检")]
    if failed:
        text = (
            f"检测不通过：{len(failed)} 个检测项目共 {len(data['findings'])} 处不符合"
            f"（{'、'.join(row['name'] for row in failed)}），须按问题清单整改后重新检测。"
        )
    else:
        text = f"检测通过：真实性、完整性、可用性、安全性 {len(data['checks'])} 个检测项目均未发现不符合之处。"
    return text + (f"未检项目：{'、'.join(unchecked)}。" if unchecked else "")


def report_context(data: dict) -> dict:
    """The template's data from the inspection's JSON form."""
    rows = [{**row, "number": number, "note": _note(row, data)} for number, row in enumerate(data["checks"], 1)]
    findings = [{"number": number, **finding} for number, finding in enumerate(data["findings"][:PRINTED_FINDINGS], 1)]
    return {
        "scope": f"{data['year']}年度" if data["year"] else "全部年度",
        "at": data["at"][:16].replace("T", " "),
        "item_count": data["items"],
        "files": data["files"],
        "megabytes": f"{data['bytes'] / 1e6:.1f}",
        "audit_entries": data["audit_entries"],
        "rows": rows,
        "findings": findings,
        "findings_total": len(data["findings"]),
        "findings_more": max(0, len(data["findings"]) - PRINTED_FINDINGS),
        "ok": data["ok"],
        "conclusion": conclusion_zh(data),
        "pdfa_proven": data["pdfa_proven"],
        "pdfa_not_proven": data["pdfa_not_proven"],
        "category": "DA",
        **audit_anchor_context(),
    }


@register("four-properties-report")
def build_four_properties_report(
    round_=None, subject: str | None = None, *, year: int | None = None, inspection: dict | None = None, **opts
) -> list[InstanceData]:
    """The report of one inspection (given as its JSON form, else run now over the year or the archive)."""
    data = inspection or four_properties_inspect(paths=data_paths(), year=year).as_dict()
    scope = f"{data['year']}年度" if data["year"] else "全部年度"
    return [
        InstanceData(
            form="four-properties-report",
            subject=subject or f"{data['year'] or 'all'}@{data['at']}",
            subject_label=f"{scope}四性检测",
            title=f"电子档案四性检测报告（{scope}，{data['at'][:10]}）",
            doc_date=timezone.localdate(),
            context=report_context(data),
        )
    ]
