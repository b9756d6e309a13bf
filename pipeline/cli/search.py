"""station search QUERY … and station reindex."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pipeline.cli.common import JsonOption, acting_user, console, emit, err_console
from pipeline.core.domain import LEVEL_SHORT, parse_level
from pipeline.core.errors import BadInput
from pipeline.core.privacy import mask_personal, mask_personal_all

_MARK = re.compile(r"<b>(.*?)</b>")


def _date(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option} 的日期“{text}”无法识别，请写成 2024-05-01。",
                       f"bad date {text!r} for {option}", code="date_invalid") from None


def _level(text: str | None) -> int | None:
    if not text:
        return None
    level = parse_level(text)
    if level is None:
        raise BadInput(f"--level “{text}”无法识别，请写一级至五级或 1–5。", f"bad level {text!r}",
                       code="level_invalid")
    return level


def _plain(snippet: str) -> str:
    """<b>x</b> → 【x】, entities decoded (for --json)."""
    return html.unescape(_MARK.sub(r"【\1】", snippet))


def _rich(snippet: str) -> str:
    """<b>x</b> → bold red in the terminal; everything else shown literally."""
    parts = _MARK.split(snippet)
    return "".join(f"[bold red]{escape(html.unescape(p))}[/]" if i % 2 else escape(html.unescape(p))
                   for i, p in enumerate(parts))


def _render(data: dict) -> None:
    for notice in data["notices"]:
        console.print(f"[yellow]注意[/]：{escape(notice)}", soft_wrap=True)
    if not data["hits"]:
        console.print("没有找到匹配的档案。可减少检索词、去掉筛选条件，或检查错别字。")
        return
    console.print(f"找到 {len(data['hits'])} 条（{data['elapsed_ms']:.0f} 毫秒）：")
    for number, hit in enumerate(data["hits"], 1):
        level = LEVEL_SHORT.get(int(hit["level"]), "") if str(hit["level"]).isdigit() else ""
        exact = "  [green]精确匹配[/]" if hit["matched"] == "exact" else ""
        console.print(f"{number}. [bold]{escape(hit['archival_code'])}[/]  {hit['doc_date']}  "
                      f"{hit['category']}  {escape(hit['occupation'])}{level}  "
                      f"得分 {hit['score']:.2f}{exact}", soft_wrap=True)
        console.print(f"   {escape(hit['title'])}", soft_wrap=True)
        if hit.get("withheld"):
            console.print("   [yellow]限制利用档案[/]：仅显示档号与题名；内容须由站长、档案管理员或试卷保密人员用 --user 检索或查看。",
                          soft_wrap=True)
            continue
        if hit["id_number"]:
            console.print(f"   身份证号：{hit['id_number']}", soft_wrap=True)
        console.print(f"   {_rich(hit['snippet'])}", soft_wrap=True)


def search_command(
        query: str = typer.Argument("", show_default=False,
                                    help="检索词：空格=并且，OR=或者，-词=排除，\"短语\"，字段:值（只用筛选条件时可省略）"),
        category: str = typer.Option(None, "--category", help="类别代码或名称，如 KW 或 考务"),
        form: str = typer.Option(None, "--form", help="表单，如 registration"),
        occupation: str = typer.Option(None, "--occupation", help="工种，如 电工"),
        level: str = typer.Option(None, "--level", help="等级，如 四级 或 4"),
        year: int = typer.Option(None, "--year", help="年度，如 2024"),
        date_from: str = typer.Option(None, "--from", help="文件日期起 2024-01-01"),
        date_to: str = typer.Option(None, "--to", help="文件日期止 2024-12-31"),
        limit: int = typer.Option(20, "--limit", min=1, max=500, help="最多显示条数"),
        show_id: bool = typer.Option(False, "--show-id", help="显示完整身份证号（须 --user，且有权限，将记入审计日志）"),
        user: str = typer.Option(None, "--user", help="检索人（验证密码）：站长、档案管理员、试卷保密人员可看到限制利用档案的内容，记入审计日志"),
        xlsx: Path = typer.Option(None, "--xlsx", help="另把结果导出为 Excel 文件（身份证号与屏幕上一样打码）"),
        as_json: bool = JsonOption) -> None:
    """检索档案：姓名、身份证号、准考证号、档号、工种或正文中的任何词语。"""
    # here, not at module level: CLI start-up time (jieba, tantivy)
    from pipeline.search import SearchFilters, ensure_index
    from pipeline.search.access import catalog_words, search_for
    filters = SearchFilters(category=category, form=form, occupation=occupation, level=_level(level),
                            year=year, date_from=_date(date_from, "--from"), date_to=_date(date_to, "--to"))
    if show_id and not user:
        raise BadInput("--show-id 需要同时用 --user 指明查看人（将验证密码并记入审计日志）。",
                       "--show-id without --user", code="show_id_user")
    acting = acting_user(user) if user else None
    message = ensure_index(extra_words=catalog_words())
    if message:
        err_console.print(f"[yellow]{message}[/]")
    result = search_for(user=acting, query=query, filters=filters, limit=limit, show_id=show_id)
    data = result.as_dict()
    if acting is None:           # a query by ID or phone number is not echoed in clear
        data["query"], data["notices"] = mask_personal(data["query"]), mask_personal_all(data["notices"])
    if as_json:
        for hit in data["hits"]:
            hit["snippet"] = _plain(hit["snippet"])
    if xlsx is not None:
        from pipeline.search.export import results_export_xlsx
        results_export_xlsx(result=data, path=xlsx)
    emit(data, as_json, _render)
    if xlsx is not None and not as_json:
        console.print(f"[green]已导出[/] {len(data['hits'])} 条到 {xlsx}")


def reindex_command(as_json: bool = JsonOption) -> None:
    """从档案库 archive/ 重建全文检索索引（索引缺失或损坏时使用）。"""
    from pipeline.search import reindex  # here, not at module level: CLI start-up time (jieba, tantivy)
    from pipeline.search.access import catalog_words
    columns = (TextColumn("分词与建索引"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("reindex", total=None)
        count = reindex(lambda done, total: bar.update(task, completed=done, total=total),
                        extra_words=catalog_words())
    emit({"documents": count}, as_json,
         lambda data: console.print(f"[green]已重建检索索引[/]：共 {data['documents']} 条档案。"))


def register(app: typer.Typer) -> None:
    """Add `search` and `reindex` to the top-level command."""
    app.command("search")(search_command)
    app.command("reindex")(reindex_command)
