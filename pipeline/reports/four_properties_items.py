"""四性检测, per item: what one archive item folder says about itself and its archival PDF.

Pure file work (no Django): metadata fields, metadata ↔ file (pages, dates, document hash), the PDF
opening and rendering in pdfium, pikepdf's PDF/A-2b check, embedded fonts, the text layer of an OCR'd
item, encryption of a secret item and the permissions of its files. Preflight runs later over the batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from pipeline.archive.keys import ArchiveKey, decrypt, is_encrypted
from pipeline.archive.store import DOCUMENT, METADATA
from pipeline.ingest.normalise import pdfa_findings

# DA/T 46 / DA/T 22 metadata the station keeps for every item (metadata.json keys)
REQUIRED_FIELDS = {
    "archival_code": "档号",
    "fonds": "全宗号",
    "year": "年度",
    "retention_code": "保管期限",
    "category": "类别",
    "item_number": "件号",
    "title": "题名",
    "responsible": "责任者",
    "doc_date": "日期",
    "pages": "页数",
    "retention_class": "保管期限类别",
}
RENDER_SCALE = 0.25  # 18 dpi: enough to prove every page decodes and draws, cheap on 2 cores


@dataclass
class ItemFinding:
    """One problem of one item: check key, English kind, where, Chinese message."""

    check: str
    kind: str
    where: str
    message_zh: str


@dataclass
class ItemResult:
    """What was checked on one item, and what was found."""

    code: str
    findings: list[ItemFinding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)  # check keys that applied to this item
    pdf_path: Path | None = None  # a readable PDF for Preflight (a temp copy if encrypted)
    skipped_zh: str = ""  # why the PDF checks did not run (no key)

    def add(self, check: str, kind: str, message_zh: str, where: str = "") -> None:
        self.findings.append(ItemFinding(check, kind, where or self.code, message_zh))


def metadata_fields_check(result: ItemResult, meta: dict) -> None:
    """Every required field present and not empty (完整性)."""
    result.checked.add("metadata_fields")
    for key, label in REQUIRED_FIELDS.items():
        if meta.get(key) in (None, "", []):
            result.add(
                "metadata_fields",
                "metadata_field_missing",
                f"{result.code}：元数据缺少必备项“{label}”（{key}）",
                f"{result.code}/{METADATA}#{key}",
            )


def _date(text: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        return None


def metadata_dates_check(result: ItemResult, meta: dict) -> None:
    """The 日期 is a real date in the item's 年度, and the due date does not come before it."""
    day, due = _date(meta.get("doc_date")), _date(meta.get("due_date")) if meta.get("due_date") else None
    if day is None:
        result.add("metadata_file", "date_invalid", f"{result.code}：元数据中的日期“{meta.get('doc_date')}”无效")
        return
    if str(meta.get("year")) != str(day.year):
        result.add(
            "metadata_file",
            "date_year_mismatch",
            f"{result.code}：元数据年度为 {meta.get('year')}，但文件日期为 {day.isoformat()}",
        )
    if due and due < day:
        result.add("metadata_file", "due_before_date", f"{result.code}：到期日 {due} 早于文件日期 {day}")


def _plain_pdf(folder: Path, meta: dict, result: ItemResult, key: ArchiveKey | None, scratch: Path) -> Path | None:
    """document.pdf, or for an encrypted item its plaintext in scratch (None without a key)."""
    path = folder / DOCUMENT
    if not path.is_file():
        return None  # fixity names the missing file
    blob = path.read_bytes()
    if not meta.get("encrypted"):
        return path
    if key is None:
        result.skipped_zh = "密文档案，未配置密钥，未作可用性检测"
        return None
    try:
        plain = decrypt([key], blob, DOCUMENT, where=f"{result.code}/{DOCUMENT}")
    except Exception as exc:  # noqa: BLE001 — any failure to decrypt is this item's finding
        result.add(
            "pdf_renders", "decrypt_failed", f"{result.code}：document.pdf 无法用当前密钥解密（{type(exc).__name__}）"
        )
        return None
    expected = (meta.get("files_sha256") or {}).get(DOCUMENT)
    if expected and hashlib.sha256(plain).hexdigest() != expected:
        result.add(
            "metadata_file",
            "document_hash_mismatch",
            f"{result.code}：document.pdf 解密后的哈希与元数据记录的不同",
            f"{result.code}/{DOCUMENT}",
        )
    target = scratch / f"{hashlib.sha256(result.code.encode()).hexdigest()[:16]}.pdf"
    target.write_bytes(plain)
    return target


def _render_pages(result: ItemResult, path: Path) -> int | None:
    """Open and render every page with pdfium; the page count, or None when it fails."""
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        result.add("pdf_renders", "pdf_unopenable", f"{result.code}：document.pdf 无法打开（{exc}）")
        return None
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                page.render(scale=RENDER_SCALE).to_pil()
            except pdfium.PdfiumError as exc:
                result.add("pdf_renders", "page_unrenderable", f"{result.code}：第 {index + 1} 页无法显示（{exc}）")
        return len(pdf)
    finally:
        pdf.close()


def _text_present(path: Path) -> bool:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return any(pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf)))
    finally:
        pdf.close()


def _fonts_not_embedded(path: Path) -> list[str]:
    """Names of fonts used on the pages (or in their forms) without an embedded font program."""
    missing: set[str] = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in _fonts_of(page.obj.get("/Resources"), depth=0):
                if font.get("/Subtype") == pikepdf.Name.Type3:
                    continue  # glyphs drawn by the font's own procedures: nothing to embed
                descendant = font.get("/DescendantFonts", [font])[0] if "/DescendantFonts" in font else font
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    return sorted(missing)


def _fonts_of(resources, depth: int):
    if not isinstance(resources, pikepdf.Dictionary) or depth > 4:
        return
    yield from (font for font in resources.get("/Font", {}).values() if isinstance(font, pikepdf.Dictionary))
    for xobject in resources.get("/XObject", {}).values():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form:
            yield from _fonts_of(xobject.get("/Resources"), depth + 1)


def ocr_ran(meta: dict) -> bool:
    """OCR gave the item's pages a text layer: said by metadata.json's "ocr", set at filing (unmarked documents,
    and the pages behind a filing or packet cover, secret papers too); for items filed before that key existed,
    an unmarked document or a filing cover whose metadata holds text."""
    if "ocr" in meta:
        return bool(meta["ocr"])
    return bool(str(meta.get("text") or "").strip()) and (not meta.get("form") or meta.get("form") == "filing-cover")


def pdf_checks(result: ItemResult, folder: Path, meta: dict, key: ArchiveKey | None, scratch: Path) -> None:
    """可用性 on one item, plus the page count of 真实性: opens, renders, PDF/A-2b, fonts, text layer."""
    path = _plain_pdf(folder, meta, result, key, scratch)
    if path is None:
        return
    result.checked.update({"pdf_renders", "pdfa_pikepdf", "fonts_embedded"})
    pages = _render_pages(result, path)
    if pages is None:
        return
    result.pdf_path = path
    if str(pages) != str(meta.get("pages")):
        result.add(
            "metadata_file",
            "page_count_mismatch",
            f"{result.code}：元数据记录 {meta.get('pages')} 页，document.pdf 实有 {pages} 页",
        )
    try:
        problems = pdfa_findings(path)
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        problems = [f"{type(exc).__name__}: {exc}"]
    for problem in problems:
        result.add(
            "pdfa_pikepdf", "pdfa_invalid", f"{result.code}：document.pdf 不是合格的 PDF/A-2b（{problem[:200]}）"
        )
    try:
        unembedded = _fonts_not_embedded(path)
    except (pikepdf.PdfError, OSError) as exc:
        unembedded = [f"?（{exc}）"]
    for name in unembedded:
        result.add("fonts_embedded", "font_not_embedded", f"{result.code}：字体 {name} 未嵌入")
    if ocr_ran(meta):                        # a secret item's plaintext too, when the key let it be read
        result.checked.add("text_layer")
        if not _text_present(path):
            result.add(
                "text_layer", "text_layer_missing", f"{result.code}：经 OCR 识别的档案，document.pdf 却没有文字层"
            )


def security_checks(result: ItemResult, folder: Path, meta: dict, secret: bool) -> None:
    """安全性 on one item: a secret item is ciphertext on disk; no file or folder is open to other users."""
    result.checked.add("permissions")
    open_to_all = [
        (path.relative_to(folder).as_posix() or ".", path.stat().st_mode & 0o777)
        for path in [folder, *sorted(folder.rglob("*"))]
        if path.stat().st_mode & (stat.S_IROTH | stat.S_IWOTH)
    ]
    if open_to_all:
        rel, mode = open_to_all[0]
        result.add(
            "permissions",
            "world_readable",
            f"{result.code}：{len(open_to_all)} 个文件或文件夹对本机所有用户可读（如 {rel}，权限 {oct(mode)}）",
            f"{result.code}/{rel}",
        )
    if not (secret or meta.get("secret")):
        return
    result.checked.add("secret_encrypted")
    document = folder / DOCUMENT
    head = document.read_bytes()[:64] if document.is_file() else b""
    if not meta.get("encrypted") or (head and not is_encrypted(head)):
        result.add("secret_encrypted", "secret_not_encrypted", f"{result.code}：保密档案的 document.pdf 未加密存放")


def item_inspect(folder: Path, *, code: str, key: ArchiveKey | None, scratch: Path, secret: bool = False) -> ItemResult:
    """Every per-item check of one folder (metadata.json unreadable: named, nothing else checked)."""
    result = ItemResult(code=code)
    try:
        meta = json.loads((folder / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result.add("metadata_fields", "metadata_unreadable", f"{code}：{METADATA} 缺失或无法读取")
        return result
    metadata_fields_check(result, meta)
    result.checked.add("metadata_file")
    metadata_dates_check(result, meta)
    pdf_checks(result, folder, meta, key, scratch)
    security_checks(result, folder, meta, secret)
    return result
