"""Builders of the results forms: score register, qualified roster, statistics, appraisal report.

Each is one instance per round and needs every candidate of the round scored first. The report
carries a bar chart of pass rates by occupation and level, drawn with matplotlib in Noto Sans CJK
and embedded as a PNG data URI; a glyph missing from the font stops the chart (no tofu on paper).
"""

from __future__ import annotations

import base64
import io
import warnings
from decimal import Decimal

from pipeline.catalog.models import Round
from pipeline.catalog.scoring import prior_result, result_rows, round_statistics
from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import LEVEL_SHORT
from pipeline.core.errors import BadInput, ConfigError, Conflict
from pipeline.exams.results import GroupStats, format_rate, part_passed, pass_marks
from pipeline.forms.builders import InstanceData, limit, register, round_date, zh_date
from pipeline.forms.registry import FORMS

CHART_FONT = "Noto Sans CJK SC"
CHART_COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6")
MAX_INCIDENTS = 50


# ---------------------------------------------------------------- shared pieces

def _scored_rows(round_: Round, form: str) -> list[dict]:
    """Every candidate's result; [] before any score is recorded (nothing to print yet, so
    `forms round` before the exam skips these forms); Conflict naming who is still unscored, so
    that `forms round` lists the form as 未生成 and goes on with the others."""
    rows = result_rows(round_)
    if all(r["outcome"] == "pending" for r in rows):
        return []
    pending = [f"{r['name']}（{r['ticket_number']}）" for r in rows if r["outcome"] == "pending"]
    if pending:
        more = " 等" if len(pending) > 10 else ""
        raise Conflict(f"无法生成《{FORMS[form].name_zh}》：批次 {round_.code} 共 {len(rows)} 名考生，"
                       f"还有 {len(pending)} 名考生没有成绩：{'、'.join(pending[:10])}{more}。"
                       "请先用 station results import 导入其余成绩后重新生成。",
                       f"{len(pending)} of {len(rows)} candidates of {round_.code} unscored",
                       code="scores_incomplete")
    return rows


def _score_text(value: Decimal | None, absent: bool) -> str:
    if absent:
        return "缺考"
    return "" if value is None else f"{value:.1f}".removesuffix(".0")


def _instance(form: str, round_: Round, context: dict) -> InstanceData:
    doc_date = round_.scores_recorded_on or round_date(round_)
    base = {"round": {"code": round_.code, "name": round_.name, "theory_on": zh_date(_day(round_.theory_at)),
                      "practical_on": zh_date(_day(round_.practical_at)),
                      "recorded_on": zh_date(round_.scores_recorded_on)}}
    return InstanceData(form=form, subject=round_.code, subject_label=round_.name,
                        title=f"{round_.code} {round_.name} {FORMS[form].name_zh}", doc_date=doc_date,
                        context={**base, **context}, round_code=round_.code)


def _day(moment):
    return moment.date() if moment else None


def _group_key(row: dict) -> tuple[str, int]:
    return row["occupation"], row["level"]


def _groups(rows: list[dict], config: StationConfig) -> list[tuple[tuple[str, int], list[dict]]]:
    """Rows grouped by occupation × level, occupations in config order."""
    rank = {o.name: i for i, o in enumerate(config.occupations)}
    keys = sorted({_group_key(r) for r in rows}, key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1]))
    return [(key, [r for r in rows if _group_key(r) == key]) for key in keys]


def _stats(round_: Round, config: StationConfig) -> tuple[list[dict], dict]:
    groups, total = round_statistics(round_, config)
    return [g.as_dict() for g in groups], total.as_dict()


# ---------------------------------------------------------------- 成绩登记册

def _register_row(seq: int, row: dict, note: str) -> dict:
    return {"seq": seq, "ticket_number": row["ticket_number"], "name": row["name"], "gender": row["gender"],
            "theory": _score_text(row["theory"], row["theory_absent"]),
            "practical": _score_text(row["practical"], row["practical_absent"]),
            "retake": "是" if row["is_retake"] else "", "result": row["outcome_zh"], "note": note}


def _carry_note(round_: Round, row: dict, config: StationConfig) -> str:
    """'理论成绩保留自 2026-06 批次' for a retake whose passed part was carried over."""
    if not row["is_retake"]:
        return ""
    candidate = round_.candidates.get(ticket_number=row["ticket_number"])
    prior = prior_result(candidate, config)
    kept = [zh for part, zh in (("theory", "理论"), ("practical", "实操"))
            if prior and getattr(prior, f"{part}_passed")]
    return f"{'、'.join(kept)}成绩保留自 {prior.round_code} 批次" if kept else ""


def _clerks(opts: dict) -> dict:
    """拆封、核分、登分 names if given: three different people (第十七条(六))."""
    names = {key: limit("score-register", "成绩登记册", label, opts.get(key), max_len=20)
             for key, label in (("unsealed_by", "拆封人"), ("checked_by", "核分人"), ("entered_by", "登分人"))}
    given = [n for n in names.values() if n]
    if len(given) != len(set(given)):
        raise BadInput("拆封、核分、登分须由三名不同人员分别担任，不得一人兼任（第十七条(六)）。请更换人员后重新生成。",
                       f"score register clerks not distinct: {names}", code="clerks_not_distinct")
    return names


@register("score-register")
def build_score_register(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """鉴定成绩登记册: every candidate with both scores, absent marks and result, by occupation × level."""
    config = opts.get("config") or get_config()
    rows = _scored_rows(round_, "score-register")
    if not rows:
        return []
    sections = []
    for (occupation, level), members in _groups(rows, config):
        marks = pass_marks(config.occupations, occupation)
        sections.append({
            "occupation": occupation, "level": level, "level_zh": LEVEL_SHORT.get(level, ""),
            "theory_pass": _score_text(marks.theory if marks else None, False),
            "practical_pass": _score_text(marks.practical if marks else None, False),
            "rows": [_register_row(i, r, _carry_note(round_, r, config)) for i, r in enumerate(members, 1)],
            "passed": sum(r["outcome"] == "passed" for r in members), "count": len(members)})
    groups, total = _stats(round_, config)
    return [_instance("score-register", round_, {"sections": sections, "total": total,
                                                 "clerks": _clerks(opts), "panel_slots": 5})]


# ---------------------------------------------------------------- 合格人员名册

@register("qualified-roster")
def build_qualified_roster(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """合格人员名册 for the guidance centre: name, gender, full ID number, occupation, level, scores."""
    config = opts.get("config") or get_config()
    rows = _scored_rows(round_, "qualified-roster")
    if not rows:
        return []
    passed = [r for _, members in _groups(rows, config) for r in members if r["outcome"] == "passed"]
    people = [{"seq": i, "name": r["name"], "gender": r["gender"], "id_number": r["id_number"],
               "occupation": r["occupation"], "level_zh": LEVEL_SHORT.get(r["level"], ""),
               "ticket_number": r["ticket_number"], "theory": _score_text(r["theory"], False),
               "practical": _score_text(r["practical"], False), "retake": "是" if r["is_retake"] else ""}
              for i, r in enumerate(passed, 1)]
    groups, total = _stats(round_, config)
    return [_instance("qualified-roster", round_, {"people": people, "count": len(people),
                                                   "groups": [g for g in groups if g["passed"]]})]


# ---------------------------------------------------------------- 统计表

def _failed_parts(rows: list[dict], config: StationConfig) -> dict[tuple[str, int], dict]:
    """Per group: how many of those who sat failed the theory, the practical, or both."""
    counts: dict[tuple[str, int], dict] = {}
    for row in rows:
        entry = counts.setdefault(_group_key(row), {"theory": 0, "practical": 0, "both": 0})
        marks = pass_marks(config.occupations, row["occupation"])
        if row["outcome"] != "failed" or marks is None:
            continue
        theory_ok = part_passed(row["theory"], row["theory_absent"], marks.theory)
        practical_ok = part_passed(row["practical"], row["practical_absent"], marks.practical)
        key = "both" if not (theory_ok or practical_ok) else ("theory" if not theory_ok else "practical")
        entry[key] += 1
    return counts


@register("statistics")
def build_statistics(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """统计表: 应考/实考/缺考/合格/不合格/合格率 per occupation × level and in total, with 不合格 by part."""
    config = opts.get("config") or get_config()
    rows = _scored_rows(round_, "statistics")
    if not rows:
        return []
    groups, total = _stats(round_, config)
    failed = _failed_parts(rows, config)
    for group in groups:
        group["failed_parts"] = failed.get((group["occupation"], group["level"]),
                                           {"theory": 0, "practical": 0, "both": 0})
    total["failed_parts"] = {k: sum(g["failed_parts"][k] for g in groups) for k in ("theory", "practical", "both")}
    return [_instance("statistics", round_, {"groups": groups, "total": total})]


# ---------------------------------------------------------------- 鉴定报告 and its chart

def chart_font_path(family: str = CHART_FONT) -> str:
    """The font file matplotlib will use for family; ConfigError when it is not installed."""
    from matplotlib import font_manager

    try:
        return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError as exc:
        raise ConfigError(f"图表需要中文字体“{family}”，但系统中没有安装。请安装 fonts-noto-cjk 后重试。",
                          f"font {family!r} not found by matplotlib", code="chart_font_missing") from exc


def _bar_labels(groups: list[GroupStats]) -> list[str]:
    return [f"{g.occupation}\n{g.level_zh}" for g in groups]


def _draw(groups: list[GroupStats], total: GroupStats, family: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.3, 3.1), dpi=200, layout="constrained")
    ax = fig.subplots()
    rates = [(g.pass_rate or 0) * 100 for g in groups]
    colours = {occ: CHART_COLOURS[i % len(CHART_COLOURS)]
               for i, occ in enumerate(dict.fromkeys(g.occupation for g in groups))}
    bars = ax.bar(_bar_labels(groups), rates, color=[colours[g.occupation] for g in groups], width=0.6)
    ax.bar_label(bars, labels=[g.pass_rate_text for g in groups], padding=2, fontsize=8, family=family)
    if total.pass_rate is not None:
        ax.axhline(total.pass_rate * 100, color="#7f7f7f", linestyle="--", linewidth=0.8,
                   label=f"总合格率 {total.pass_rate_text}")
        ax.legend(loc="upper right", fontsize=8, prop={"family": family, "size": 8}, frameon=False)
    ax.set_ylim(0, 115)
    ax.set_ylabel("合格率（%）", family=family, fontsize=9)
    ax.set_title("各工种、等级鉴定合格率", family=family, fontsize=10)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontfamily(family)
        label.set_fontsize(8)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def pass_rate_chart(groups: list[GroupStats], total: GroupStats, *, family: str = CHART_FONT) -> bytes:
    """PNG bar chart of pass rates by occupation × level; ConfigError if any glyph is missing."""
    chart_font_path(family)
    fig = _draw(groups, total, family)
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(buffer, format="png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise ConfigError(f"图表字体“{family}”缺少汉字字形，图中会出现方框：{missing[0]}。请使用 Noto Sans CJK SC。",
                          f"missing glyphs in chart font {family}: {missing[:3]}", code="chart_glyph_missing")
    return buffer.getvalue()


def _absentees(rows: list[dict]) -> list[dict]:
    parts = {(True, True): "理论、实操", (True, False): "理论", (False, True): "实操"}
    return [{"name": r["name"], "ticket_number": r["ticket_number"], "occupation": r["occupation"],
             "level_zh": LEVEL_SHORT.get(r["level"], ""), "parts": parts[(r["theory_absent"], r["practical_absent"])]}
            for r in rows if r["theory_absent"] or r["practical_absent"]]


def _report_text(opts: dict) -> tuple[list[str], str]:
    """Incidents (list the station fills; room records add theirs later) and the evaluation of the 考评小组."""
    incidents = [limit("report", "鉴定报告", "考场情况", text) for text in opts.get("incidents") or ()]
    if len(incidents) > MAX_INCIDENTS:
        raise BadInput(f"考场情况最多 {MAX_INCIDENTS} 条，当前 {len(incidents)} 条：请合并后重新生成。",
                       f"{len(incidents)} incidents", code="report_incidents")
    evaluation = limit("report", "鉴定报告", "对考评小组的评价意见", opts.get("evaluation"), max_len=800)
    return incidents, evaluation


@register("report")
def build_report(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """职业技能鉴定报告: numbers, pass rates by occupation and level with a chart, absentees, incidents, evaluation."""
    config = opts.get("config") or get_config()
    rows = _scored_rows(round_, "report")
    if not rows:
        return []
    group_objs, total_obj = round_statistics(round_, config)
    png = pass_rate_chart(group_objs, total_obj)
    incidents, evaluation = _report_text(opts)
    occupations = list(dict.fromkeys(g.occupation for g in group_objs))
    return [_instance("report", round_, {
        "groups": [g.as_dict() for g in group_objs], "total": total_obj.as_dict(),
        "occupations": occupations, "retakes": sum(r["is_retake"] for r in rows),
        "absentees": _absentees([r for _, members in _groups(rows, config) for r in members]),
        "incidents": incidents, "evaluation": evaluation,
        "guidance_centre": config.station.guidance_centre,
        "chart_uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "total_rate": format_rate(total_obj.pass_rate)})]
