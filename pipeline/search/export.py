"""Search results as an Excel sheet, exactly as staff saw them (ID numbers masked unless shown in full)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from pipeline.core.domain import LEVEL_SHORT
from pipeline.core.errors import BadInput

_MARK = re.compile(r"</?b>")
COLUMNS = [("序号", None), ("档号", "archival_code"), ("题名", "title"), ("日期", "doc_date"), ("类别", "category"),
           ("表单", "form"), ("工种", "occupation"), ("等级", "level"), ("考生", "candidate_name"),
           ("身份证号", "id_number"), ("摘要", "snippet")]


def _cell(hit: dict, key: str) -> str:
    value = str(hit.get(key) or "")
    if key == "level":
        return LEVEL_SHORT.get(int(value), value) if value.isdigit() else value
    if key == "snippet":
        return html.unescape(_MARK.sub("", value))
    return value


def results_export_xlsx(*, result: dict, path: Path) -> Path:
    """Write the hits of a search result (SearchResult.as_dict()) to an .xlsx file; return its path."""
    if path.suffix.lower() != ".xlsx":
        raise BadInput(f"导出文件“{path}”须以 .xlsx 结尾。", f"export path {path} is not .xlsx", code="export_suffix")
    if not path.parent.is_dir():
        raise BadInput(f"导出文件夹“{path.parent}”不存在，请先建立或换一个位置。",
                       f"export folder {path.parent} missing", code="export_folder_missing")
    book = Workbook()
    sheet = book.active
    sheet.title = "检索结果"
    sheet.append([f"检索：{result.get('query') or '（仅按筛选条件）'}　共 {len(result['hits'])} 条"])
    sheet["A1"].font = Font(bold=True)
    sheet.append([label for label, _ in COLUMNS])
    for number, hit in enumerate(result["hits"], 1):
        sheet.append([number, *(_cell(hit, key) for _, key in COLUMNS[1:])])
    for column, width in zip("ABCDEFGHIJK", (6, 28, 40, 12, 8, 18, 12, 8, 12, 22, 60), strict=False):
        sheet.column_dimensions[column].width = width
    try:
        book.save(path)
    except OSError as exc:
        raise BadInput(f"无法写入导出文件“{path}”：{exc.strerror}。", f"cannot write {path}: {exc}",
                       code="export_write_failed") from exc
    return path
