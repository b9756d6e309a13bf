"""Builders of the generic forms: registration, admission ticket, roster, schedule, badge,
filing cover. (Packet cover: rooms.py, per stored sitting; destruction register: destruction.py, from a
real batch; lending register: lending.py; archive catalogue and its 备考表: catalogue.py.)"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pipeline.catalog.models import Candidate, Role, Round, SeatAssignment, Staff
from pipeline.core.config import get_config
from pipeline.core.domain import LEVEL_NAMES, LEVEL_SHORT
from pipeline.core.errors import NotFound
from pipeline.forms.builders import (
    MAX_NAME,
    FormDataError,
    InstanceData,
    limit,
    photo_file,
    register,
    require,
    round_date,
    zh_date,
)

# 第二十四条 理论考试考场须知 (printed verbatim on every admission ticket)
EXAM_RULES = (
    "考试除必备的文具外，不准将任何资料（书籍、笔记、便条）及通讯设备等带入考场，如发现违纪处理；",
    "参考人员凭准考证提前 15 分钟按工作人员要求排队有序进入考场，对号入座，考试迟到 30 分钟，不准进入考场。"
    "开考 30 分钟后方可交卷退场；",
    "参考人员答卷只准使用蓝黑颜色的钢笔、圆珠笔书写，不准使用红笔、铅笔书写；",
    "参考人员要自觉遵守考场纪律，不准随意走动、不准交头接耳、抄袭、相互暗示和偷看他人试卷，严禁一切作弊行为；",
    "参考人员在考场内要听从临界考人员管理，对于扰乱考场正常秩序人员，取消考试资格，情节严重者，将按有关规定追究其相关责任。",
)
ROLE_NAMES = dict(Role.choices)


def _when(moment: dt.datetime | None) -> str:
    if not moment:
        return "另行通知"
    local = moment.astimezone(ZoneInfo(get_config().station.timezone))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _candidates(round_: Round, subject: str | None):
    rows = round_.candidates.all()
    if subject:
        rows = rows.filter(id_number=subject) | round_.candidates.filter(ticket_number=subject)
        if not rows:
            raise NotFound(f"批次 {round_.code} 中没有身份证号或准考证号为 {subject} 的考生。",
                           f"no candidate {subject} in round {round_.code}", code="candidate_not_found")
    return list(rows)


def candidate_fields(form: str, c: Candidate, *, photo_required: bool) -> dict:
    """A candidate's printable values, checked: missing, over-long or broken values name the field."""
    record = f"考生 {c.name or '（无姓名）'}（准考证号 {c.ticket_number}，名单第 {c.sheet_row or '?'} 行）"
    return {
        "name": require(form, record, "姓名", c.name, max_len=MAX_NAME),
        "gender": require(form, record, "性别", c.gender, max_len=2),
        "birth_date": zh_date(c.birth_date),
        "id_number": require(form, record, "身份证号", c.id_number, max_len=18),
        "phone": limit(form, record, "联系电话", c.phone, max_len=20),
        "occupation": require(form, record, "工种", c.occupation, max_len=MAX_NAME),
        "level": LEVEL_NAMES.get(c.level) or _bad_level(form, record, c.level),
        "level_short": LEVEL_SHORT.get(c.level, ""),
        "ticket_number": require(form, record, "准考证号", c.ticket_number, max_len=32),
        "class_name": limit(form, record, "班级", c.class_name, max_len=100),
        "employer": limit(form, record, "工作单位", c.employer),
        "education": limit(form, record, "文化程度", c.education, max_len=40),
        "address": limit(form, record, "通讯地址", c.address),
        "photo": photo_file(form, record, c.photo, required=photo_required),
        "is_retake": c.is_retake,
    }


def _bad_level(form: str, record: str, level: int) -> str:
    raise FormDataError(form, record, "等级", f"为 {level}，应为 1–5（一级至五级）")


def _round_fields(round_: Round) -> dict:
    return {"code": round_.code, "name": round_.name, "theory_at": _when(round_.theory_at),
            "practical_at": _when(round_.practical_at), "theory_minutes": round_.theory_minutes,
            "practical_minutes": round_.practical_minutes}


def _candidate_instance(form: str, round_: Round, c: Candidate, name_zh: str, *, photo: bool) -> InstanceData:
    fields = candidate_fields(form, c, photo_required=photo)
    return InstanceData(form=form, subject=c.id_number, subject_label=f"{c.name}",
                        title=f"{round_.code} {c.occupation}{fields['level_short']} {c.name} {name_zh}",
                        doc_date=round_date(round_), context={"candidate": fields, "round": _round_fields(round_)},
                        round_code=round_.code, candidate_id_number=c.id_number)


@register("registration")
def build_registration(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """报名登记表 with the 资格审查 section: one per candidate."""
    return [_candidate_instance("registration", round_, c, "职业技能鉴定报名登记表", photo=True)
            for c in _candidates(round_, subject)]


@register("admission-ticket")
def build_admission_ticket(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """准考证 with photo and 考场须知 (第二十四条): one per candidate."""
    instances = [_candidate_instance("admission-ticket", round_, c, "准考证", photo=True)
                 for c in _candidates(round_, subject)]
    places = ticket_places(round_)
    for instance in instances:
        instance.context["rules"] = list(EXAM_RULES)
        instance.context["places"] = places.get(instance.subject, {})
    return instances


def ticket_places(round_: Round) -> dict[str, dict]:
    """Candidate ID → {theory: {room, seat, starts}, practical: {…}} from the stored seating plan
    (empty before `station assign`: the ticket then says 考场待编排)."""
    places: dict[str, dict] = {}
    for seat in SeatAssignment.objects.filter(round=round_).select_related("room", "candidate"):
        places.setdefault(seat.candidate.id_number, {})[seat.room.kind] = {
            "room": seat.room.name, "seat": seat.workstation, "sitting": seat.sitting,
            "starts": _when(seat.starts_at) if seat.starts_at else ""}
    return places


@register("roster")
def build_roster(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """花名册 of the whole round."""
    rows = [candidate_fields("roster", c, photo_required=False) for c in _candidates(round_, None)]
    for row in rows:
        row.pop("photo")
    return [InstanceData(form="roster", subject=round_.code, subject_label=f"{round_.code} 花名册",
                         title=f"{round_.code} {round_.name} 考生花名册", doc_date=round_date(round_),
                         context={"round": _round_fields(round_), "rows": rows, "total": len(rows)},
                         round_code=round_.code)]


@register("schedule")
def build_schedule(round_: Round, subject: str | None = None, **opts) -> list[InstanceData]:
    """实施安排表: occupation × level groups, times and rooms of the round."""
    groups = {}
    for c in round_.candidates.all():
        group = groups.setdefault((c.occupation, c.level), {"occupation": c.occupation,
                                                           "level": LEVEL_SHORT.get(c.level, str(c.level)),
                                                           "count": 0, "retakes": 0})
        group["count"] += 1
        group["retakes"] += int(c.is_retake)
    context = {"round": _round_fields(round_), "groups": [groups[k] for k in sorted(groups)],
               "sittings": schedule_sittings(round_), "total": sum(g["count"] for g in groups.values())}
    return [InstanceData(form="schedule", subject=round_.code, subject_label=f"{round_.code} 实施安排表",
                         title=f"{round_.code} {round_.name} 职业技能鉴定实施安排表", doc_date=round_date(round_),
                         context=context, round_code=round_.code)]


def schedule_sittings(round_: Round) -> list[dict]:
    """Per room × sitting of the stored plan: times, occupation and level, candidates (empty before assign)."""
    from pipeline.forms.rooms import room_sittings  # rooms.py builds on this module's helpers
    return [{"room": f["room"], "location": f["location"], "kind": f["kind"], "sitting": f["sitting"],
             "starts": f["starts"], "ends": f["ends"], "occupation": f["occupation"], "levels": f["levels"],
             "count": f["expected"]} for f in room_sittings(round_)]


@register("badge")
def build_badge(round_: Round | None, subject: str | None = None, **opts) -> list[InstanceData]:
    """胸卡 (统一编号, photo, role; 第十条(一)(二)): one per staff member."""
    staff = Staff.objects.all() if not subject else Staff.objects.filter(badge_number=subject)
    instances = []
    for member in staff:
        record = f"工作人员 {member.name}（胸卡编号 {member.badge_number}）"
        roles = [ROLE_NAMES.get(role, role) for role in member.roles]
        context = {"name": require("badge", record, "姓名", member.name, max_len=MAX_NAME),
                   "badge_number": require("badge", record, "统一编号", member.badge_number, max_len=32),
                   "roles": roles or _no_role(record), "certificate": member.certificate,
                   # no photo on file: a box to glue one
                   "photo": photo_file("badge", record, member.photo, required=False),
                   "round": _round_fields(round_) if round_ else None}
        instances.append(InstanceData(form="badge", subject=member.badge_number, subject_label=member.name,
                                      title=f"{member.name} 工作人员胸卡", doc_date=round_date(round_),
                                      context=context, round_code=round_.code if round_ else ""))
    return instances


def _no_role(record: str) -> list[str]:
    raise FormDataError("badge", record, "岗位", "为空，胸卡必须写明岗位（考评员、考务人员等）")


@register("filing-cover")
def build_filing_cover(round_: Round | None, subject: str | None = None, *, category: str = "",
                       title: str = "", date: dt.date | None = None, responsible: str = "",
                       pages: int | None = None, doc_number: str = "", **opts) -> list[InstanceData]:
    """归档封面 of any document: its category, title, date, responsible body, pages."""
    if not category and not title:
        return []   # only made on request (`station cover`), never as part of a round
    config = get_config()
    record = f"文件“{title or '（无题名）'}”"
    if category not in config.categories:
        raise FormDataError("filing-cover", record, "类别",
                            f"“{category}”不是已配置的类别（可选：{'、'.join(sorted(config.categories))}）")
    if pages is not None and pages < 1:
        raise FormDataError("filing-cover", record, "页数", f"为 {pages}，应为正整数")
    label = config.categories[category].label
    context = {"category": category, "category_label": label,
               "title": require("filing-cover", record, "题名", title),
               "date": zh_date(date), "date_iso": date.isoformat() if date else "",
               "responsible": require("filing-cover", record, "责任者", responsible),
               "doc_number": (doc_number or "").strip(),
               "pages": pages or "", "round_code": round_.code if round_ else ""}
    return [InstanceData(form="filing-cover", subject=f"{category}:{title}"[:100], subject_label=title,
                         title=title, doc_date=date or dt.date.today(), context=context,
                         round_code=round_.code if round_ else "")]
