"""station assign R [--seed N] [--json]: seat the candidates and staff the rooms of a round."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from pipeline.catalog.services import SYSTEM_ACTOR, round_get
from pipeline.cli.common import JsonOption, acting_user, console, emit, err_console, render_reprints
from pipeline.core.config import get_config

if TYPE_CHECKING:
    from pipeline.catalog.assignment import AssignmentResult


def _summary(result: AssignmentResult) -> dict:
    """The plan as plain data: one row per room × sitting with its people."""
    from pipeline.exams.assign.planner import DUTY_ZH, PRACTICAL  # here, not at module level: CLI start-up time (ortools)
    zone = ZoneInfo(get_config().station.timezone)
    seats, staff = Counter(), defaultdict(list)
    for seat in result.plan.seats:
        seats[seat.kind, seat.room_code, seat.sitting] += 1
    for duty in result.plan.duties:
        staff[duty.kind, duty.room_code, duty.sitting].append(
            {"badge": duty.staff_key, "name": result.staff_names[duty.staff_key], "duty": duty.duty,
             "duty_zh": DUTY_ZH[duty.duty]})
    rows = [{"kind": s.kind, "room": s.room_code, "room_name": s.room_name, "sitting": s.index,
             "occupation": s.occupation, "label": s.label,
             "starts_at": s.starts_at.astimezone(zone).isoformat(timespec="minutes") if s.starts_at else None,
             "candidates": seats[s.kind, s.room_code, s.index], "staff": staff[s.kind, s.room_code, s.index]}
            for s in result.plan.sittings]
    return {"round": result.round_code, "seed": result.plan.seed, "candidates": result.candidates,
            "sittings": rows, "practical_sittings": max((r["sitting"] for r in rows if r["kind"] == PRACTICAL),
                                                        default=0),
            "warnings": list(result.plan.warnings)}


def _render(data: dict) -> None:
    from pipeline.exams.assign.planner import THEORY  # here, not at module level: CLI start-up time (ortools)
    table = Table("考场", "场次", "类别", "工种", "开始时间", "考生数", "工作人员", title=f"批次 {data['round']} 考场安排")
    for row in data["sittings"]:
        people = "、".join(f"{p['name']}（{p['duty_zh']}）" for p in row["staff"])
        table.add_row(row["room_name"], f"第{row['sitting']}场", "理论" if row["kind"] == THEORY else "实操",
                      row["occupation"] or "—", (row["starts_at"] or "另行通知").replace("T", " ")[:16],
                      str(row["candidates"]), people)
    console.print(table)
    console.print(f"[green]已安排[/] {data['candidates']} 名考生：理论与实操各一个座位/工位；"
                  f"实操共 {data['practical_sittings']} 场。随机种子 {data['seed']}（用 --seed {data['seed']} 可重现同一安排）。")
    for warning in data["warnings"]:
        err_console.print(f"[yellow]注意[/]：{warning}")


def assign_cmd(round_code: str = typer.Argument(..., help="鉴定批次代码"),
               seed: int = typer.Option(None, "--seed", min=0, max=2 ** 31 - 1,
                                        help="随机种子：同一种子得到同一安排（默认随机并记录在批次上）"),
               user: str = typer.Option(None, "--user", help="执行操作的用户（写入审计日志；将验证密码）"),
               replan: bool = typer.Option(False, "--replan", help="安排表已打印后仍要重新安排（须同时给出 --reason）"),
               reason: str = typer.Option("", "--reason", help="重新安排的原因（记入审计日志）"),
               as_json: bool = JsonOption) -> None:
    """安排考场：考生→考场/场次/工位，考评员/监考/考务→考场（遵守回避），结果保存并可打印安排表。"""
    from pipeline.catalog.assignment import assignment_make  # here: CLI start-up time (ortools)
    actor = acting_user(user).username if user else SYSTEM_ACTOR
    result = assignment_make(round_=round_get(round_code), seed=seed, actor=actor, replan=replan, reason=reason,
                             progress=None if as_json else (lambda msg: err_console.print(f"[dim]{msg}[/]")))
    summary = {**_summary(result), "reprints": list(result.reprints)}
    emit(summary, as_json, lambda data: (_render(data), render_reprints(data["reprints"])))
