"""Guards of the filing flow: per-file page and time limits, short page lists, and what happens to an
item no PDF/A route could convert (kept as received, sent to review with the reason)."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.ingest.pages import sniff_format


def page_count(source: Path) -> int:
    """The number of pages, read cheaply (0 when the file cannot say: reading it will tell why)."""
    try:
        if sniff_format(source) == "pdf":
            import pikepdf
            with pikepdf.open(source) as pdf:
                return len(pdf.pages)
        from PIL import Image
        with Image.open(source) as image:
            return getattr(image, "n_frames", 1)
    except Exception:  # noqa: BLE001 — any failure here is reported by iter_pages with its reason
        return 0


def until_deadline(pages, deadline: float, work):
    """pages, until the time limit passes (then work.oversize says so)."""
    for page in pages:
        yield page
        if time.monotonic() > deadline and work.oversize is None:
            limit = work.config.ingest.max_seconds
            work.oversize = (f"读取超过每个文件 {limit:g} 秒的时间上限（station.toml [ingest] max_seconds）",
                             f"reading took longer than max_seconds {limit:g}")
            return


def page_runs(pages: list[int], most: int = 12) -> str:
    """Page numbers as runs ("1–9998" rather than 9,998 numbers); beyond `most` runs, a count."""
    runs, numbers = [], sorted(set(pages))
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    text = "、".join(f"{a}–{b}" if b > a + 1 else "、".join(map(str, range(a, b + 1))) for a, b in runs[:most])
    if len(runs) > most:
        return f"{text} 等（共 {len(numbers)} 页）"
    return text if len(numbers) < 10 else f"{text}（共 {len(numbers)} 页）"


def pdfa_review(work, entry: dict) -> dict:
    """An item no PDF/A route could convert: kept as received, and a person decides (review)."""
    findings = entry["metadata"]["pdfa"]["findings"]
    pages = "、".join(str(i + 1) for i in entry["source_pages_0"])
    message = (f"{work.job.source_name} 第 {pages} 页无法转换为长期保存格式 PDF/A（{_pdfa_reason_zh(findings)}），"
               "已按收到的原样保留。请确认内容后用 station review file 归档，或提供可转换的版本（如重新导出为 PDF/A、"
               "嵌入字体）后放入收件箱。")
    return {"kind": "pdfa_failed", "message": message, "detail": "; ".join(findings)[:2000],
            "instance_code": entry["instance_code"], "pdf": entry["pdf"], "source_pages_0": entry["source_pages_0"],
            "title": entry["title"], "text_pdf": entry.get("text_pdf", ""), "metadata": entry["metadata"]}


def _pdfa_reason_zh(findings: list[str]) -> str:
    """The first PDF/A finding in words staff understand."""
    text = " ".join(findings).lower()
    for needle, words in (("not embedded", "字体未嵌入"), (".notdef", "文字的字形缺失（字体未嵌入）"),
                          ("annotation", "含批注或表单域"), ("cmyk", "含印刷色（CMYK）"), ("type 3", "含 Type3 字体")):
        if needle in text:
            return words
    return "格式检查未通过"


def embedded_text(pdf_path: Path) -> str:
    """The text a born-digital PDF carries (pdfium), pages separated by form feeds."""
    import pypdfium2 as pdfium
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        return "\f".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
