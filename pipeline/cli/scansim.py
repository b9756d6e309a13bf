"""station scansim: turn generated form PDFs into what the scanner produces (for demos and tests)."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import JsonOption, console, emit
from pipeline.core.errors import BadInput


def _check_sources(sources: list[Path]) -> None:
    """Every source must be an existing PDF."""
    from pipeline.ingest.pages import UnreadableFile, sniff_format  # here: CLI start-up time (pikepdf, pdfium)
    for source in sources:
        if not source.is_file():
            raise BadInput(f"找不到文件 {source}。请检查路径。", f"no such file {source}", code="file_missing")
        try:
            kind = sniff_format(source)
        except UnreadableFile:
            kind = ""
        if kind != "pdf":
            raise BadInput(f"{source.name} 不是 PDF 文件：scansim 只接受系统生成的表单 PDF。",
                           f"{source} is not a PDF", code="not_pdf")


def scansim(sources: list[Path] = typer.Argument(..., help="系统生成的表单 PDF（可多个）"),
            out: Path = typer.Option(..., "--out", help="输出文件夹（例如收件箱 inbox/）"),
            dpi: int = typer.Option(200, "--dpi", min=100, max=600, help="扫描分辨率"),
            seed: int = typer.Option(0, "--seed", help="随机种子（相同种子结果相同）"),
            shuffle: bool = typer.Option(False, "--shuffle", help="打乱页序"),
            drop_page: list[int] = typer.Option([], "--drop-page", help="漏扫第 N 页（按输入顺序全局编号，可多次）"),
            upside_down: list[int] = typer.Option([], "--upside-down", help="第 N 页倒放（旋转 180°，可多次）"),
            stack: bool = typer.Option(False, "--stack", help="所有输入合成一叠，输出一个文件"),
            duplex: bool = typer.Option(False, "--duplex", help="双面扫描：每页后有一张空白背面"),
            no_sign: bool = typer.Option(False, "--no-sign", help="不在签名栏画签名"),
            fmt: str = typer.Option("pdf", "--format", help="输出格式：pdf | jpeg | png | tiff"),
            as_json: bool = JsonOption) -> None:
    """模拟扫描仪：把生成的表单 PDF 变成扫描件（JPEG 页的 PDF、倾斜、噪点、签名、乱序、漏页）。"""
    # here, not at module level: CLI start-up time (numpy, pdfium, pikepdf)
    from pipeline.ingest.scansim import IMAGE_FORMATS, ScanOptions, simulate
    _check_sources(sources)
    if fmt not in IMAGE_FORMATS:
        raise BadInput(f"--format 只能是 {' | '.join(IMAGE_FORMATS)}，而不是“{fmt}”。",
                       f"bad --format {fmt!r}", code="format_invalid")
    options = ScanOptions(dpi=dpi, seed=seed, shuffle=shuffle, drop_pages=tuple(drop_page),
                          upside_down=tuple(upside_down), stack=stack, duplex_blank=duplex,
                          sign=not no_sign, fmt=fmt)
    written = simulate(sources, out, options)
    emit({"written": [str(p) for p in written], "dropped_pages": sorted(drop_page)}, as_json, _render)


def _render(data: dict) -> None:
    console.print(f"[green]已生成扫描件[/] {len(data['written'])} 个文件：")
    for path in data["written"]:
        console.print(f"  {path}")
    if data["dropped_pages"]:
        console.print(f"（模拟漏扫：第 {', '.join(map(str, data['dropped_pages']))} 页）")
