"""station report yearly: the 统计年报 (PDF, DOCX, xlsx)."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import JsonOption, console, emit

app = typer.Typer(help="报表：统计年报", no_args_is_help=True)


@app.command("yearly")
def yearly(
    year: int = typer.Option(None, "--year", help="统计年度（默认今年）"),
    out: Path = typer.Option(..., "--out", help="统计年报 PDF、DOCX 与 xlsx 的输出目录"),
    as_json: bool = JsonOption,
) -> None:
    """生成某一年度的《档案工作统计年报》：馆藏（年度×保管期限×类别，件、页）、本年接收与销毁、借阅利用、各批次表单生成与归档；PDF（带图表与二维码）、DOCX、xlsx。"""
    from pipeline.reports.yearly_files import (
        yearly_report_write,  # here: CLI start-up time (weasyprint)
    )

    report = yearly_report_write(year=year, out=out)
    data = {
        "year": report.year,
        "instance": report.instance,
        "pages": report.pages,
        "files": {"pdf": report.pdf, "docx": report.docx, "xlsx": report.xlsx},
        **{
            key: report.data[key]
            for key in ("opening", "received", "removed", "closing", "holdings", "flow", "loans", "forms")
        },
    }

    def render(d: dict) -> None:
        def line(c: dict) -> str:
            return f"{c['items']} 件 {c['pages']} 页"

        console.print(
            f"[green]已生成[/] {d['year']}年档案工作统计年报（{d['pages']} 页）：年初馆藏 {line(d['opening'])}，"
            f"本年接收 {line(d['received'])}，本年销毁 {line(d['removed'])}，年末馆藏 {line(d['closing'])}；"
            f"借阅 {d['loans']['visits']} 人次、{d['loans']['items']} 件次；"
            f"表单生成 {sum(r['generated'] for r in d['forms'])} 份、已归档 {sum(r['filed'] for r in d['forms'])} 份"
        )
        for path in d["files"].values():
            if path:
                console.print(f"  {path}")

    emit(data, as_json, render)
