"""DOCX of the editable forms with docxtpl: staff may reword or re-lay-out the .docx templates in
Word/WPS; generation only needs the Jinja tags (templates/forms/docx/PLACEHOLDERS.md) to survive."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlparse
from urllib.request import url2pathname

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import QrPayload
from pipeline.core.errors import BadInput
from pipeline.core.paths import TEMPLATES_DIR
from pipeline.forms.builders import InstanceData
from pipeline.forms.registry import FormSpec
from pipeline.render.html import instance_retention, retention_text
from pipeline.render.qr import qr_png
from pipeline.render.svgpng import svg_png

DOCX_DIR = TEMPLATES_DIR / "forms" / "docx"
QR_WIDTH = Mm(22)


class DocxTemplateProblem(BadInput):
    """A DOCX template is missing or its tags were broken while editing it."""

    code = "docx_template_invalid"


PHOTO_WIDTH = Mm(25)
CHART_WIDTH = Mm(150)


def _images(template: DocxTemplate, context: dict) -> dict:
    """`photo` (the candidate's, from its file URI), `chart` (the report's, from its data URI) and
    `chart_<name>` (each SVG of `charts_uri`, rasterised) as inline images; empty text where the instance has none."""
    images = {"photo": "", "chart": ""}
    uri = (context.get("candidate") or {}).get("photo") if isinstance(context.get("candidate"), dict) else ""
    if uri:
        images["photo"] = InlineImage(template, url2pathname(urlparse(uri).path), width=PHOTO_WIDTH)
    chart = context.get("chart_uri") or ""
    if chart.startswith("data:image/png;base64,"):
        images["chart"] = InlineImage(template, io.BytesIO(base64.b64decode(chart.split(",", 1)[1])), width=CHART_WIDTH)
    for name, uri in (context.get("charts_uri") or {}).items():     # SVG charts (统计年报): as PNG, chart_<name>
        images[f"chart_{name}"] = InlineImage(template, io.BytesIO(svg_png(uri)), width=CHART_WIDTH)
    return images


def render_docx(spec: FormSpec, instance_code: str, data: InstanceData, *,
                config: StationConfig | None = None) -> bytes:
    """The filled DOCX of one instance, with the instance QR (page 0/0) in the header."""
    config = config or get_config()
    if not spec.docx:
        raise DocxTemplateProblem(f"《{spec.name_zh}》没有 Word 版本（只生成 PDF）。", f"{spec.key} has no docx",
                                  code="docx_not_available")
    path = DOCX_DIR / spec.docx
    if not path.is_file():
        raise DocxTemplateProblem(f"Word 模板 {path} 不存在。请运行 templates/forms/docx/build.py 重新生成。",
                                  f"missing {path}", code="docx_template_missing")
    template = DocxTemplate(str(path))
    payload = QrPayload(config.station.code, instance_code, 0, 0)
    context = {"data": data.context, "station": config.station.model_dump(), "instance_code": instance_code,
               "code_label": f"{config.station.code}-{instance_code}", "title": data.title,
               "spec": {"name_zh": spec.name_zh, "article": spec.article, "signatures": list(spec.signatures)},
               "retention": retention_text(config, instance_retention(config, spec, data)),
               "qr": InlineImage(template, io.BytesIO(qr_png(payload)), width=QR_WIDTH),
               **_images(template, data.context)}
    try:
        template.render(context, jinja_env=jinja2.Environment(undefined=jinja2.ChainableUndefined),
                        autoescape=True)
    except jinja2.TemplateSyntaxError as exc:
        raise DocxTemplateProblem(f"Word 模板 {spec.docx} 中的占位符被改坏了（{exc.message}）。请对照 "
                                  "PLACEHOLDERS.md 修正 {{ }} / {% %} 标记。", f"docx template syntax: {exc}") from exc
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()
