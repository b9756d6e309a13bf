"""station retention|hold|loan|destruction: due lists, holds, loans, the destruction register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from django.utils import timezone
from rich.table import Table

from pipeline.catalog.models import DestructionBatch, Hold, Loan
from pipeline.cli.common import JsonOption, UserOption, acting_user, console, emit, err_console
from pipeline.core.config import get_config
from pipeline.core.errors import BadInput
from pipeline.core.paths import data_paths
from pipeline.core.privacy import mask_personal

# The commands import the retention services (catalog.holds, loans, destruction) and pipeline.forms inside
# their bodies, for CLI start-up time: at module level they would load the search engine and WeasyPrint for
# every `station` command.

retention_app = typer.Typer(help="保管期限与到期清单 / retention", no_args_is_help=True)
hold_app = typer.Typer(help="保全（冻结）/ holds", no_args_is_help=True)
loan_app = typer.Typer(help="借阅 / loans", no_args_is_help=True)
destruction_app = typer.Typer(help="档案销毁（提出→批准→两名监销人→执行）/ destruction", no_args_is_help=True)
AsOfOption = typer.Option(None, "--as-of", help="按哪一天计算到期（默认今天），如 2026-12-31")


def _day(text: str | None, option: str = "--as-of") -> dt.date:
    if not text:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option} 的日期“{text}”无法识别，请写成 2026-12-31。", f"bad date {text!r}",
                       code="date_invalid") from None


def _notice_rule_change(actor: str) -> None:
    from pipeline.catalog.holds import retention_check
    change = retention_check(config=get_config(), actor=actor)
    if change and change["previous"] and change["rule_changes"]:
        err_console.print(f"[yellow]保管期限规则已变更[/]（{len(change['rule_changes'])} 类），"
                      f"已重新计算 {len(change['items'])} 件档案的到期日，并记入审计日志。")


# ---------------------------------------------------------------- retention

@retention_app.command("due")
def due(as_of: str = AsOfOption, as_json: bool = JsonOption) -> None:
    """到期清单：按保管期限类别和年度列出已到期、可销毁与被阻止的档案。"""
    from pipeline.catalog.listings import retention_due
    day, config = _day(as_of), get_config()
    _notice_rule_change("system")
    data = retention_due(config=config, as_of=day)

    def render(data: dict) -> None:
        table = Table("保管期限类别", "年度", "到期件数", title=f"截至 {day.isoformat()} 已到期的档案")
        for group in data["groups"]:
            label = config.retention[group["class"]].label if group["class"] in config.retention else group["class"]
            table.add_row(label, str(group["year"]), str(group["count"]))
        console.print(table)
        blocked = [r for r in data["items"] if r["blocked"]]
        if not data["items"]:
            console.print("没有已到期的档案。")
        elif not blocked:
            console.print(f"合计 {len(data['items'])} 件，均可提出销毁（station destruction propose）。")
        else:
            console.print(f"合计 {len(data['items'])} 件，其中 {len(blocked)} 件暂不能销毁：")
        for row in blocked:
            console.print(f"  · {'；'.join(row['blocked'])}")

    emit(data, as_json, render)


@retention_app.command("recompute")
def recompute(user: str = UserOption) -> None:
    """保管期限规则变更后：重新计算所有在库档案的到期日，并记入审计日志（谁、由何规则改为何规则）。"""
    from pipeline.catalog.holds import retention_recompute
    actor = acting_user(user)
    result = retention_recompute(config=get_config(), actor=actor.username)
    for change in result["rule_changes"]:
        console.print(f"  规则 {change['class']}：{'、'.join(change['fields']) or '新增'} 已变更")
    console.print(f"[green]已重新计算[/]：{len(result['items'])} 件档案的到期日发生变化。")


# ---------------------------------------------------------------- holds

@hold_app.command("add")
def hold_add(item: str = typer.Argument("", help="档号"), round_code: str = typer.Option("", "--round"),
             candidate: str = typer.Option("", "--candidate", help="考生身份证号"),
             reason: str = typer.Option(..., "--reason", help="保全原因"), user: str = UserOption) -> None:
    """保全（冻结）一件档案、一期鉴定或一名考生的全部档案：被保全的档案不得销毁。"""
    from pipeline.catalog.holds import hold_place
    hold = hold_place(actor=acting_user(user), item_code=item, round_code=round_code,
                      candidate_id_number=candidate, reason=reason)
    console.print(f"[green]已保全[/] #{hold.id}（{hold.get_scope_display()} {mask_personal(hold.value)}）："
                  f"{hold.reason}")


@hold_app.command("release")
def hold_release_(hold_id: int, user: str = UserOption) -> None:
    """解除保全。"""
    from pipeline.catalog.holds import hold_release
    hold = hold_release(actor=acting_user(user), hold_id=hold_id)
    console.print(f"[green]已解除保全[/] #{hold.id}（{hold.get_scope_display()} {mask_personal(hold.value)}）")


@hold_app.command("list")
def hold_list(as_json: bool = JsonOption) -> None:
    """列出保全记录（含已解除的）。"""
    from pipeline.catalog.listings import holds_list
    rows = holds_list()

    def render(data: list[dict]) -> None:
        table = Table("编号", "对象", "原因", "设置人", "状态", title="保全记录")
        for row in data:
            state = f"已由 {row['released_by']} 解除" if row["released_at"] else "生效中"
            table.add_row(str(row["id"]), f"{Hold.Scope(row['scope']).label} {row['value']}", row["reason"],
                          row["placed_by"], state)
        console.print(table)

    emit(rows, as_json, render)


# ---------------------------------------------------------------- loans

@loan_app.command("request")
def loan_request_(item: str, borrower: str = typer.Option(..., "--borrower", help="借阅人"),
                  purpose: str = typer.Option(..., "--purpose", help="借阅目的"),
                  copy: bool = typer.Option(False, "--copy", help="申请复印（须领导批准）"),
                  due_back: str = typer.Option(None, "--due-back", help="应还日期"), user: str = UserOption) -> None:
    """借阅登记。"""
    from pipeline.catalog.loans import loan_request
    loan = loan_request(actor=acting_user(user), item_code=item, borrower=borrower, purpose=purpose,
                        copy_requested=copy, due_back=_day(due_back, "--due-back") if due_back else None)
    console.print(f"[green]已登记借阅[/] #{loan.id}：{loan.item.archival_code}，借阅人 {loan.borrower}")


@loan_app.command("approve")
def loan_approve_(loan_id: int, refuse: bool = typer.Option(False, "--refuse", help="不批准"),
                  user: str = UserOption) -> None:
    """领导审批借阅（复印、限制利用档案必须经批准）。"""
    from pipeline.catalog.loans import loan_approve
    loan = loan_approve(actor=acting_user(user, two_person=True), loan_id=loan_id, approve=not refuse)
    console.print(f"借阅 #{loan.id}：[green]{loan.get_state_display()}[/]")


@loan_app.command("lend")
def loan_lend_(loan_id: int, user: str = UserOption) -> None:
    """办理借出。"""
    from pipeline.catalog.loans import loan_lend
    loan = loan_lend(actor=acting_user(user), loan_id=loan_id)
    console.print(f"[green]已借出[/] #{loan.id}：{loan.item.archival_code} → {loan.borrower}")


@loan_app.command("return")
def loan_return_(loan_id: int, user: str = UserOption) -> None:
    """办理归还（按期验收）。"""
    from pipeline.catalog.loans import loan_return
    loan = loan_return(actor=acting_user(user), loan_id=loan_id)
    console.print(f"[green]已归还[/] #{loan.id}：{loan.item.archival_code}")


@loan_app.command("list")
def loan_list(as_json: bool = JsonOption) -> None:
    """列出借阅记录。"""
    from pipeline.catalog.listings import loans_list
    rows = loans_list()

    def render(data: list[dict]) -> None:
        table = Table("编号", "档号", "借阅人", "目的", "复印", "状态", "批准人", title="借阅登记")
        for row in data:
            table.add_row(str(row["id"]), row["item"], row["borrower"], row["purpose"], "是" if row["copy"] else "否",
                          Loan.State(row["state"]).label, row["approved_by"] or "—")
        console.print(table)

    emit(rows, as_json, render)


@loan_app.command("register")
def loan_register(year: int = typer.Option(None, "--year", help="年度（默认今年）"),
                  out: Path = typer.Option(..., "--out", help="借阅登记表 PDF 的输出目录")) -> None:
    """生成某一年度的《借阅登记表》（PDF，每页带二维码，签字后扫描即自动归档）。"""
    from pipeline.forms.service import forms_generate
    year = year or timezone.localdate().year
    generated = forms_generate(form="lending-register", round_=None, subject=str(year), out=out,
                               workers=1).instances[0]
    from pipeline.catalog.listings import lending_register_count
    count = lending_register_count(instance_code=generated.code)
    console.print(f"[green]已生成[/] {year}年借阅登记表：{count} 次借阅，共 {generated.pages} 页")
    console.print(f"  {generated.pdf}")


# ---------------------------------------------------------------- destruction

@destruction_app.command("propose")
def propose(as_of: str = AsOfOption, user: str = UserOption,
            out: Path = typer.Option(..., "--out", help="销毁清册 PDF/DOCX 的输出目录")) -> None:
    """提出销毁清册（档案管理员）：列出到期且未被保全、未借出的档案，生成待签的《档案销毁清册》。"""
    from pipeline.catalog.destruction import destruction_propose
    from pipeline.forms.destruction import destruction_register_render
    actor = acting_user(user)
    batch = destruction_propose(actor=actor, config=get_config(), as_of=_day(as_of))
    files = destruction_register_render(batch_code=batch.code, out=out, actor=actor.username)
    console.print(f"[green]已提出销毁清册[/] {batch.code}：{batch.entries.count()} 件。")
    for path in files:
        console.print(f"  {path}")
    console.print(f"请打印后由站长审批：station destruction approve {batch.code} --user 站长用户名")


@destruction_app.command("approve")
def approve(batch: str, user: str = UserOption,
            strike: list[str] = typer.Option([], "--strike", help="划去（不销毁）的档号，可多次给出"),
            reason: list[str] = typer.Option([], "--reason", help="每个 --strike 的理由，顺序对应"),
            opinion: str = typer.Option("", "--opinion", help="鉴定意见")) -> None:
    """站长批准销毁清册（不得为提出人），可划去个别档案并写明理由。"""
    from pipeline.catalog.destruction import destruction_approve
    if len(strike) != len(reason):
        raise BadInput("每个 --strike 档号都须有一个对应的 --reason 理由。", "strike/reason count mismatch",
                       code="strike_reason")
    done = destruction_approve(actor=acting_user(user, two_person=True), batch_code=batch,
                               strikes=dict(zip(strike, reason, strict=True)), opinion=opinion)
    console.print(f"[green]已批准[/] 销毁清册 {done.code}（划去 {len(strike)} 件）。须两名监销人确认后方可执行。")


@destruction_app.command("witness")
def witness(batch: str, user: str = UserOption) -> None:
    """监销人确认（须两名不同的监销人，且不是提出人或批准人）。"""
    from pipeline.catalog.destruction import destruction_witness
    done = destruction_witness(actor=acting_user(user, two_person=True), batch_code=batch)
    count = done.witnesses.count()
    tail = "可以执行销毁。" if count >= 2 else "还需另一名监销人确认。"
    console.print(f"[green]监销人已确认[/] 销毁清册 {done.code}（{count}/2）。{tail}")


@destruction_app.command("execute")
def execute(batch: str, user: str = UserOption,
            out: Path = typer.Option(None, "--out", help="已执行的《档案销毁清册》输出目录"
                                                         "（默认 var/generated/destruction）")) -> None:
    """执行销毁：逐件复核（到期、未保全、未借出、校验值与到期日无误）后删除档案内容，保留销毁记录，
    并出具已执行的《档案销毁清册》（新的永久档案：打印签字后扫描即自动归档）。"""
    from pipeline.catalog.destruction import destruction_execute
    from pipeline.forms.destruction import destruction_register_final
    actor = acting_user(user, two_person=True)
    paths = data_paths()
    report = destruction_execute(actor=actor, batch_code=batch, config=get_config(), paths=paths)
    console.print(f"[green]销毁清册 {report.batch} 已执行[/]：销毁 {len(report.destroyed)} 件。")
    for code, reasons in report.kept.items():
        console.print(f"  [yellow]未销毁[/] {code}：{'；'.join(reasons)}")
    if report.index_warning:
        console.print(f"  [yellow]{report.index_warning}[/]")
    files = destruction_register_final(batch_code=report.batch, out=out or paths.generated / "destruction",
                                       actor=actor.username)
    console.print("已出具销毁后的《档案销毁清册》（永久保存；请打印，由执行人与监销人签字后扫描归档）：")
    for path in files:
        console.print(f"  {path}")


@destruction_app.command("list")
def list_batches(as_json: bool = JsonOption) -> None:
    """列出销毁清册。"""
    from pipeline.catalog.listings import batches_list
    rows = batches_list()

    def render(data: list[dict]) -> None:
        table = Table("清册编号", "状态", "提出人", "批准人", "监销人", "件数", "划去", title="档案销毁清册")
        for row in data:
            table.add_row(row["code"], DestructionBatch.State(row["state"]).label, row["proposed_by"],
                          row["approved_by"] or "—", "、".join(row["witnesses"]) or "—", str(row["entries"]),
                          str(row["struck"]))
        console.print(table)

    emit(rows, as_json, render)


@destruction_app.command("show")
def show(batch: str, as_json: bool = JsonOption) -> None:
    """显示一份销毁清册的全部条目。"""
    from pipeline.catalog.destruction import batch_get
    from pipeline.catalog.listings import batch_row
    from pipeline.forms.destruction import register_data
    found = batch_get(batch)
    data = {**batch_row(found), "rows": register_data(found).context["rows"]}

    def render(data: dict) -> None:
        console.print(f"[bold]档案销毁清册 {data['code']}[/]（{DestructionBatch.State(data['state']).label}）"
                      f" 提出人 {data['proposed_by']}  批准人 {data['approved_by'] or '—'}"
                      f"  监销人 {'、'.join(data['witnesses']) or '—'}")
        table = Table("序号", "档号", "题名", "年度", "应保管期限", "已保管期限", "页数", "鉴定意见", "备注")
        for r in data["rows"]:
            table.add_row(str(r["number"]), r["archival_code"], r["title"], str(r["year"]), r["retention"],
                          r["elapsed"], str(r["pages"]), r["opinion"], r["note"])
        console.print(table)

    emit(data, as_json, render)


def register(app: typer.Typer) -> None:
    """Add the retention, hold, loan and destruction groups to app."""
    app.add_typer(retention_app, name="retention")
    app.add_typer(hold_app, name="hold")
    app.add_typer(loan_app, name="loan")
    app.add_typer(destruction_app, name="destruction")
