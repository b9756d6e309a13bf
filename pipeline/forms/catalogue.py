"""归档文件目录 and its 备考表 (DA/T 22-2015), one per year × category: the items of the catalog in
档号 order, grouped by 保管期限, with 文号 and 责任者 as filing kept them (cover sheet, review, or the
station for its own forms), dates as 8 digits, destroyed items noted; then the 备考表 — counts, 件号
ranges, what was destroyed and by which register, notes, and the 立卷人／检查人 boxes."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from pipeline.catalog.models import ArchiveItem, Round, Tombstone
from pipeline.core.config import get_config
from pipeline.core.errors import BadInput
from pipeline.forms.anchor import audit_anchor_context
from pipeline.forms.builders import InstanceData, register, round_date

RETENTION_ZH = {"Y": "永久", "D30": "30年", "D10": "10年", "D3": "3年"}
RETENTION_ORDER = ("Y", "D30", "D10", "D3")
MIN_LINES = 12  # an empty catalogue still offers this many lines for hand entry


def _note(item: ArchiveItem, destroyed: dict[str, str]) -> str:
    if item.archival_code in destroyed:
        return "已销毁"
    if item.secret:
        return "加密保存"
    return "限制利用" if item.restricted else ""


def catalogue_row(number: int, item: ArchiveItem, destroyed: dict[str, str]) -> dict:
    """One line of the catalogue: what filing kept for the item, the date as DA/T 22 writes it (20261231)."""
    return {
        "number": number,
        "archival_code": item.archival_code,
        "doc_number": item.doc_number,
        "responsible": item.responsible,
        "title": item.title,
        "date": item.doc_date.strftime("%Y%m%d"),
        "secrecy": item.secrecy,
        "pages": item.pages,
        "note": _note(item, destroyed),
    }


def _ranges(numbers: list[int]) -> str:
    """0001–0070、0072: consecutive 件号 as ranges."""
    parts, start = [], None
    for i, n in enumerate(numbers):
        start = n if start is None else start
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(f"{start:04d}" if start == n else f"{start:04d}–{n:04d}")
            start = None
    return "、".join(parts)


def remarks(items: list[ArchiveItem], destroyed: dict[str, str]) -> dict:
    """The 备考表's figures: counts, pages, 件号 per series, destroyed items by register, other notes."""
    held = [i for i in items if i.archival_code not in destroyed]
    series = []
    for code, group in groupby(items, key=lambda i: i.retention_code):
        numbers = [i.item_number for i in group]
        series.append(f"{RETENTION_ZH.get(code, code)}（{code}）{len(numbers)} 件，件号 {_ranges(numbers)}")
    batches: dict[str, list[int]] = {}
    for item in items:
        if item.archival_code in destroyed:
            batches.setdefault(destroyed[item.archival_code], []).append(item.item_number)
    notes = [
        f"已按销毁清册 {batch} 销毁 {len(nums)} 件（件号 {_ranges(sorted(nums))}），保留销毁记录"
        for batch, nums in sorted(batches.items())
    ]
    counted = [
        ("密级文件", sum(1 for i in held if i.secrecy)),
        ("加密保存（试卷等保密档案）", sum(1 for i in held if i.secret)),
        ("限制利用", sum(1 for i in held if i.restricted and not i.secret)),
        ("有文号", sum(1 for i in held if i.doc_number)),
    ]
    notes += [f"{label} {count} 件" for label, count in counted if count]
    return {
        "total": len(items),
        "held": len(held),
        "held_pages": sum(i.pages for i in held),
        "destroyed": len(items) - len(held),
        "series": series,
        "notes": notes,
    }


def catalogue_context(year: int, code: str) -> dict:
    """Rows grouped by 保管期限 and the 备考表 of one year × category."""
    config = get_config()
    items = sorted(
        ArchiveItem.objects.filter(year=year, category=code),
        key=lambda i: (
            RETENTION_ORDER.index(i.retention_code) if i.retention_code in RETENTION_ORDER else 9,
            i.retention_code,
            i.item_number,
        ),
    )
    destroyed = dict(
        Tombstone.objects.filter(archival_code__in=[i.archival_code for i in items]).values_list(
            "archival_code", "batch__code"
        )
    )
    destroyed.update(
        {
            i.archival_code: ""
            for i in items
            if i.status == ArchiveItem.Status.DESTROYED and i.archival_code not in destroyed
        }
    )
    groups, number = [], 0
    for retention, members in groupby(items, key=lambda i: i.retention_code):
        rows = []
        for item in members:
            number += 1
            rows.append(catalogue_row(number, item, destroyed))
        groups.append(
            {
                "retention": retention,
                "retention_zh": RETENTION_ZH.get(retention, retention),
                "rows": rows,
                "pages": sum(r["pages"] for r in rows),
            }
        )
    label = config.categories[code].label
    return {
        "year": year,
        "category": code,
        "category_label": label,
        "groups": groups,
        "rows": [r for g in groups for r in g["rows"]],
        "blank_rows": max(0, MIN_LINES - number),
        "remarks": remarks(items, destroyed),
        **audit_anchor_context(),
    }


@register("archive-catalogue")
def build_archive_catalogue(
    round_: Round | None, subject: str | None = None, *, year: int | None = None, category: str | None = None, **opts
) -> list[InstanceData]:
    """归档文件目录 (with its 备考表) per year × category, from the catalog (empty lines for hand entry if none yet)."""
    config = get_config()
    year = year or round_date(round_).year
    categories = [category] if category else sorted(config.categories)
    if subject:
        year_text, _, category_code = subject.partition("-")
        if not (year_text.isdigit() and len(year_text) == 4):
            raise BadInput(
                f"归档文件目录按“年度-类别”生成（如 2026-KW），“{subject}”无效。",
                f"bad catalogue subject {subject!r}",
                code="subject_invalid",
            )
        year, categories = int(year_text), [category_code.upper()]
    instances = []
    for code in categories:
        if code not in config.categories:
            raise BadInput(
                f"归档文件目录按“年度-类别”生成（如 2026-KW），“{code}”不是已配置的类别"
                f"（可选：{'、'.join(sorted(config.categories))}）。",
                f"bad catalogue category {code!r}",
                code="category_invalid",
            )
        context = catalogue_context(year, code)
        label = context["category_label"]
        instances.append(
            InstanceData(
                form="archive-catalogue",
                subject=f"{year}-{code}",
                subject_label=f"{year}年 {label}",
                title=f"{year}年 {label}（{code}）归档文件目录",
                doc_date=dt.date(year, 12, 31),
                context=context,
                round_code=round_.code if round_ else "",
            )
        )
    return instances
