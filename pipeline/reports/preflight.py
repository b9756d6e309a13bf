"""A second, independent PDF/A check: Apache PDFBox Preflight from Debian (libpdfbox2-java).

Preflight validates PDF/A-1b only; our archival files are PDF/A-2b. The rules of part 1 that part 2
dropped are set aside by name (PART1_ONLY); every other Preflight error is a finding. What this proves
and what it does not is said in PROVEN_ZH / NOT_PROVEN_ZH, printed on the 四性检测 report.

One JVM checks a whole batch (Preflight's "xml group" mode, ~75 ms a file once started).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

JAVA_DIR = Path("/usr/share/java")
# preflight needs pdfbox, fontbox, xmpbox, commons-logging, and on Java ≥ 11 javax.activation (libactivation-java)
# and JAXB's DatatypeConverter (libjaxb-api-java), both gone from the JDK
JARS = (
    "preflight.jar",
    "pdfbox2.jar",
    "fontbox2.jar",
    "xmpbox.jar",
    "commons-logging.jar",
    "javax.activation.jar",
    "jaxb-api.jar",
)
MAIN = "org.apache.pdfbox.preflight.Validator_A1b"
TIMEOUT_PER_FILE = 20  # seconds; a whole batch gets this times its size, plus start-up

# Rules of PDF/A-1 (ISO 19005-1) that PDF/A-2 (ISO 19005-2) no longer has: Preflight's code, a match
# on its message (None: every message of that code), and the name given in the report.
PART1_ONLY: tuple[tuple[str, str | None, str, str], ...] = (
    ("1.4", "/XRef", "xref_streams", "交叉引用流与对象流（PDF/A-1 限于 PDF 1.4 语法；PDF/A-2 允许）"),
    ("7.11.2", None, "pdfaid_part", "XMP 中 pdfaid:part 必须为 1（本库文件声明为 2）"),
    ("2.2", None, "transparency", "透明（PDF/A-1 禁止；PDF/A-2 允许）"),
    ("4", None, "transparency", "透明（PDF/A-1 禁止；PDF/A-2 允许）"),
    ("1.2.7", "JPX", "jpeg2000", "JPEG 2000 图像（PDF/A-1 禁止；PDF/A-2 允许）"),
    ("1.4.8", None, "optional_content", "可选内容（图层，PDF/A-1 禁止；PDF/A-2 允许）"),
    # ISO 19005-1 6.3.5 requires a CIDSet for every subset CID font; ISO 19005-2 6.2.11.4.2 only checks one if present
    ("3.1.11", "CIDSet entry is missing", "cidset", "子集 CID 字体缺 CIDSet（PDF/A-1 必须有；PDF/A-2 不要求）"),
)
# What Preflight 2.0 itself cannot read, named: not a PDF/A rule but the limit of its parser. OCRmyPDF draws the
# invisible text layer in its glyphless font Occulta (a TrueType with a format-13 cmap); pikepdf/qpdf and pdfium
# read it, PDFBox 2.0.27 reports "Font damaged ... The FontFile can't be read". Only that font is set aside.
PARSER_LIMITS: tuple[tuple[str, str | None, str, str], ...] = (
    ("3.2.3", "+Occulta:", "ocr_text_font",
     "OCR 文字层的无字形字体 Occulta（PDFBox 2.0 无法解析该字体文件；由 pikepdf 检查）"),
)
RULES_SET_ASIDE_ZH = (
    "交叉引用流与对象流",
    "pdfaid:part=1",
    "透明",
    "JPEG 2000",
    "可选内容（图层）",
    "CID 字体的 CIDSet",
    "OCR 文字层字体 Occulta 的解析（PDFBox 2.0 的局限）",
)

PROVEN_ZH = (
    "由两个互相独立的实现分别检查：pikepdf（qpdf）按 PDF/A-2b 检查文件结构、XMP 元数据与标识、输出意图（ICC）、"
    "加密与文件标识；Apache PDFBox Preflight 2.0 按 PDF/A-1b 的全部规则检查语法、字体嵌入、颜色空间、"
    "元数据一致性、注释与动作，只把 PDF/A-2 已取消的 PDF/A-1 专有规则（及其无法解析的 OCR 文字层字体）按名称排除。"
)
NOT_PROVEN_ZH = (
    "未证明：PDF/A-2 新增或放宽部分的规则（透明混合颜色空间、JPEG 2000 编码限制、可选内容配置、嵌入文件须为 PDF/A、"
    "XMP 扩展模式的完整校验）未经任何验证器检查；"
    "OCR 文字层所用的无字形字体 Occulta 只经 pikepdf 检查，PDFBox 2.0 无法解析它；"
    "两者都不是经认证的 PDF/A 验证器（veraPDF 无法从软件源安装）。"
    "因此结论是“经两个独立工具检查未发现不符合 PDF/A-2b 之处”，不是符合性认证。"
)


@dataclass
class PreflightResult:
    """Preflight's verdict on one file once the part-1-only rules are set aside."""

    errors: list[tuple[str, str]] = field(default_factory=list)  # (code, details) that count
    set_aside: list[str] = field(default_factory=list)  # names of part-1-only rules met

    @property
    def ok(self) -> bool:
        return not self.errors


def classpath() -> str | None:
    """The Java class path of Preflight and its dependencies, or None when java or a jar is missing."""
    if not shutil.which("java"):
        return None
    jars = [JAVA_DIR / name for name in JARS]
    return ":".join(str(j) for j in jars) if all(j.is_file() for j in jars) else None


def _set_aside(code: str, details: str) -> str | None:
    """The name of the part-1-only rule (or named parser limit) this error belongs to, or None when it counts."""
    for prefix, needle, name, _ in (*PART1_ONLY, *PARSER_LIMITS):
        if (code == prefix or code.startswith(prefix + ".")) and (needle is None or needle in details):
            return name
    return None


def parse_results(xml_text: str) -> list[PreflightResult]:
    """Preflight's XML report of a group, one result per file in the order given."""
    results = []
    for node in ET.fromstring(xml_text).iter("preflight"):
        result = PreflightResult()
        for error in node.iter("error"):
            code, details = error.findtext("code", "").strip(), error.findtext("details", "").strip()
            name = _set_aside(code, details)
            if name:
                if name not in result.set_aside:
                    result.set_aside.append(name)
            else:
                result.errors.append((code, details))
        if node.find("exceptionThrown") is not None:
            result.errors.append(("exception", (node.findtext("exceptionThrown/message") or "").strip()[:300]))
        results.append(result)
    return results


def preflight_check(files: list[Path]) -> list[PreflightResult] | None:
    """Preflight's verdict on each file (None: Preflight is not installed). Files are passed through
    numbered links, so that its report (which names files by their base name) maps back by position."""
    cp = classpath()
    if cp is None:
        return None
    if not files:
        return []
    with tempfile.TemporaryDirectory(prefix="preflight-") as scratch:
        folder = Path(scratch)
        links = []
        for number, path in enumerate(files):
            link = folder / f"{number:06d}.pdf"
            link.symlink_to(Path(path).resolve())
            links.append(link)
        listing = folder / "files.txt"
        listing.write_text("\n".join(str(link) for link in links) + "\n", encoding="utf-8")
        subprocess.run(
            ["java", "-Djava.awt.headless=true", "-cp", cp, MAIN, "xml", "group", str(listing)],
            capture_output=True,
            timeout=30 + TIMEOUT_PER_FILE * len(files),
            check=False,
        )
        report = folder / "files.txt.preflight.xml"
        results = parse_results(report.read_text(encoding="utf-8")) if report.is_file() else []
    if len(results) != len(files):
        return [PreflightResult(errors=[("no_report", "Preflight gave no verdict for this batch")]) for _ in files]
    return results
