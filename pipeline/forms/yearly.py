"""档案工作统计年报 (第二十六条(六) 登记、统计): one per calendar year (subject = "2026"), from the
selector pipeline.reports.yearly, with three charts drawn as SVG (pipeline.reports.charts)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pipeline.catalog.models import Round
from pipeline.core.config import get_config
from pipeline.core.errors import BadInput
from pipeline.forms.builders import InstanceData, register
from pipeline.forms.registry import FORMS
from pipeline.reports.charts import grouped_bars, svg_data_uri
from pipeline.reports.yearly import YearlyStats, stats_dict, yearly_statistics

RETENTION_ZH = {"Y": "永久", "D30": "30年", "D10": "10年", "D3": "3年"}


def retention_zh(code: str) -> str:
    """A 保管期限 code of the 档号 (Y, D10…) as printed: 永久, 10年…"""
    return RETENTION_ZH.get(code, code)


def report_year(subject: str | None, year: int | None) -> int:
    """The report's year from the subject ("2026") or the year option, else this year; BadInput if malformed."""
    text = str(subject or year or timezone.localdate().year).strip()
    if not (text.isdigit() and len(text) == 4):
        raise BadInput(f"统计年报按年度生成，年度“{text}”无效，请写成 2026。", f"bad report year {text!r}",
                       code="year_invalid")
    return int(text)


def _category(code: str) -> str:
    categories = get_config().categories
    return f"{code} {categories[code].label}" if code in categories else code


def _charts(stats: YearlyStats) -> dict[str, str]:
    """The three charts as SVG data URIs: holdings by category, received/destroyed by category, forms by round."""
    by_category: dict[str, int] = {}
    for row in stats.holdings:
        by_category[row["category"]] = by_category.get(row["category"], 0) + row["items"]
    flow: dict[str, list[int]] = {}
    for row in stats.flow:
        pair = flow.setdefault(row["category"], [0, 0])
        pair[0] += row["received_items"]
        pair[1] += row["removed_items"]
    rounds: dict[str, list[int]] = {}
    for row in stats.forms:
        pair = rounds.setdefault(row["round"], [0, 0])
        pair[0] += row["generated"]
        pair[1] += row["filed"]
    return {
        "holdings": svg_data_uri(grouped_bars(title=f"{stats.year}年末馆藏（件，按类别）", labels=list(by_category),
                                              series=[("年末馆藏", list(by_category.values()))])),
        "flow": svg_data_uri(grouped_bars(title=f"{stats.year}年接收与销毁（件，按类别）", labels=list(flow),
                                          series=[("接收", [v[0] for v in flow.values()]),
                                                  ("销毁", [v[1] for v in flow.values()])])),
        "forms": svg_data_uri(grouped_bars(title=f"{stats.year}年各批次表单生成与归档（份）",
                                           labels=list(rounds),
                                           series=[("生成", [v[0] for v in rounds.values()]),
                                                   ("已归档", [v[1] for v in rounds.values()])])),
    }


def yearly_context(stats: YearlyStats) -> dict:
    """What the template prints: the statistics with Chinese labels, and the chart URIs."""
    data = stats_dict(stats)
    round_names = dict(Round.objects.filter(code__in={r["round"] for r in stats.forms}).values_list("code", "name"))
    for row in data["holdings"] + data["flow"]:
        row["retention_zh"], row["category_zh"] = retention_zh(row["retention"]), _category(row["category"])
    for row in data["forms"]:
        row["form_zh"] = FORMS[row["form"]].name_zh if row["form"] in FORMS else row["form"]
        row["round_name"] = round_names.get(row["round"], "")
    keys = ("generated", "filed", "outstanding", "superseded")
    groups: dict[str, dict] = {}
    for row in data["forms"]:
        group = groups.setdefault(row["round"], {"round": row["round"], "round_name": row["round_name"], "rows": [],
                                                 **dict.fromkeys(keys, 0)})
        group["rows"].append(row)
        for key in keys:
            group[key] += row[key]
    data["forms_by_round"] = list(groups.values())
    data["forms_total"] = {key: sum(r[key] for r in stats.forms) for key in keys}
    data["rounds"] = len(groups)
    return {**data, "category": "DA", "charts_uri": _charts(stats)}


@register("yearly-statistics")
def build_yearly_statistics(round_=None, subject: str | None = None, *, year: int | None = None,
                            **opts) -> list[InstanceData]:
    """统计年报 of one year (subject or year; default this year)."""
    year = report_year(subject, year)
    stats = yearly_statistics(year=year)
    today = timezone.localdate()
    return [InstanceData(form="yearly-statistics", subject=str(year), subject_label=f"{year}年统计年报",
                         title=f"{year}年 档案工作统计年报", doc_date=min(today, dt.date(year, 12, 31)),
                         context=yearly_context(stats))]
