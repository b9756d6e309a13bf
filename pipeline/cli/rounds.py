"""station rounds add|list|show."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from pipeline.catalog.listings import rounds_list
from pipeline.catalog.selectors import round_outstanding, round_summary
from pipeline.catalog.services import SYSTEM_ACTOR, round_add, round_get
from pipeline.cli.common import JsonOption, acting_user, console, emit
from pipeline.core.config import get_config
from pipeline.core.domain import LEVEL_SHORT
from pipeline.core.errors import BadInput

app = typer.Typer(help="鉴定批次 / appraisal rounds", no_args_is_help=True)


def _when(text: str | None, option: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option} 的时间“{text}”无法识别，请写成 2026-12-05T09:00。",
                       f"bad datetime {text!r} for {option}", code="datetime_invalid") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(get_config().station.timezone))


@app.command("add")
def add(code: str, name: str = typer.Option(..., "--name", help="批次名称"),
        theory: str = typer.Option(None, "--theory", help="理论考试开始时间 2026-12-05T09:00"),
        practical: str = typer.Option(None, "--practical", help="实操考核开始时间"),
        user: str = typer.Option(None, "--user", help="执行操作的用户（考务人员或站长；将验证密码）")) -> None:
    """新建一期鉴定（批次代码在所有命令中使用）。"""
    actor = acting_user(user).username if user else SYSTEM_ACTOR
    round_ = round_add(code=code, name=name, theory_at=_when(theory, "--theory"),
                       practical_at=_when(practical, "--practical"), actor=actor)
    console.print(f"[green]已建立鉴定批次[/] {round_.code}：{round_.name}")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """列出所有鉴定批次。"""
    rows = rounds_list()

    def render(data: list[dict]) -> None:
        table = Table("批次代码", "名称", "理论考试", "实操考核", "考生数", title="鉴定批次")
        for row in data:
            table.add_row(row["code"], row["name"], _fmt(row["theory_at"]), _fmt(row["practical_at"]),
                          str(row["candidates"]))
        console.print(table)

    emit(rows, as_json, render)


def _fmt(moment: dt.datetime | None) -> str:
    if not moment:
        return "—"
    return moment.astimezone(ZoneInfo(get_config().station.timezone)).strftime("%Y-%m-%d %H:%M")


@app.command("show")
def show(code: str, as_json: bool = JsonOption) -> None:
    """显示一期鉴定：工种等级分组、考生数、考场。"""
    summary = round_summary(round_get(code))

    def render(data: dict) -> None:
        console.print(f"[bold]{data['code']}[/] {data['name']}")
        console.print(f"  理论考试：{_fmt(data['theory_at'])}    实操考核：{_fmt(data['practical_at'])}")
        table = Table("工种", "等级", "考生数", "补考", title="工种 × 等级")
        for group in data["groups"]:
            table.add_row(group["occupation"], LEVEL_SHORT.get(group["level"], str(group["level"])),
                          str(group["candidates"]), str(group["retakes"]))
        console.print(table)
        console.print(f"  合计考生：{data['candidates']}")

    emit(summary, as_json, render)


@app.command("outstanding")
def outstanding(code: str, as_json: bool = JsonOption) -> None:
    """列出本批次已生成、尚未归档的表单（按表单，逐个考生或考场）。"""
    report = round_outstanding(round_=round_get(code))

    def render(data: dict) -> None:
        console.print(f"批次 {data['round']}：应归档表单 {data['generated']} 份，已归档 {data['filed']} 份，"
                      f"[bold]未交回 {data['outstanding']} 份[/]")
        for form in data["forms"]:
            if not form["outstanding"]:
                continue
            table = Table("考生／考场", "表单编号", "页数",
                          title=f"{form['name']}：未交回 {len(form['outstanding'])} / {form['generated']}")
            for row in form["outstanding"]:
                table.add_row(row["subject_label"], row["instance"], str(row["pages"]))
            console.print(table)
        if data["outstanding"]:
            console.print("补打未交回的表单（同一编号、同一二维码）："
                          f"station forms round {data['round']} --outstanding --out 目录")

    emit(report, as_json, render)


@app.command("remove")
def remove(code: str, reason: str = typer.Option(..., "--reason", help="删除原因（记入审计日志）"),
           user: str = typer.Option(None, "--user", help="执行操作的用户（写入审计日志；将验证密码）")) -> None:
    """删除误建或导错的批次（连同考生、照片、考场安排、未回收的表单）；已有材料归档或回收时拒绝。"""
    from pipeline.catalog.round_remove import round_remove
    from pipeline.cli.corrections import actor_of
    counts = round_remove(code=code, reason=reason, actor=actor_of(user))
    console.print(f"[green]已删除批次[/] {code}：考生 {counts['candidates']} 名，表单记录 {counts['forms']} 份，"
                  f"座位 {counts['seats']} 个，工作人员安排 {counts['duties']} 项。")
