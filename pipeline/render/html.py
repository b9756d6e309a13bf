"""HTML → PDF in batches: many instances in one WeasyPrint document (one layout, one font subset),
then QR-stamped and split into per-instance PDFs that each stay valid.

A single WeasyPrint call spends most of its time subsetting the CJK fonts; batching pays that once.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import jinja2
import pikepdf
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from pipeline.config import StationConfig, get_config
from pipeline.domain import QrPayload
from pipeline.errors import BadInput, StationError
from pipeline.forms.builders import InstanceData
from pipeline.forms.registry import FormSpec
from pipeline.paths import TEMPLATES_DIR
from pipeline.render.stamp import stamp_pages

FORMS_DIR = TEMPLATES_DIR / "forms"


@dataclass(frozen=True)
class RenderedPdf:
    """One instance's finished PDF."""

    instance_code: str
    pdf: bytes
    pages: int


class TemplateProblem(BadInput):
    """A form template is missing or has an error (staff may have edited it)."""

    code = "template_invalid"


@lru_cache(maxsize=4)
def _environment(config_json: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(FORMS_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["station"] = json.loads(config_json)
    return env


def environment(config: StationConfig) -> jinja2.Environment:
    """The Jinja2 environment of templates/forms with `station` as a global."""
    return _environment(config.station.model_dump_json())


def retention_text(config: StationConfig, retention_class: str | None) -> str:
    """保管期限 as printed in the 归档章: 永久 / 10年 / "" (not filed)."""
    klass = config.retention.get(retention_class or "")
    if klass is None:
        return ""
    return "永久" if klass.permanent else f"{klass.years}年"


def instance_retention(config: StationConfig, spec: FormSpec, data: InstanceData) -> str | None:
    """The retention class of one instance: the spec's, or (filing cover) its chosen category's."""
    if spec.retention_class:
        return spec.retention_class
    category = config.categories.get(str(data.context.get("category", "")))
    return category.retention if category else None


def render_fragment(config: StationConfig, spec: FormSpec, instance_code: str, data: InstanceData) -> str:
    """The HTML <section> of one instance."""
    env = environment(config)
    try:
        template = env.get_template(spec.template)
        return template.render(data=data.context, spec=spec, instance_code=instance_code,
                               retention=retention_text(config, instance_retention(config, spec, data)),
                               doc_date=data.doc_date)
    except jinja2.TemplateNotFound as exc:
        raise TemplateProblem(f"表单模板 templates/forms/{spec.template} 不存在，无法生成《{spec.name_zh}》。",
                              f"template not found: {exc}", code="template_missing") from exc
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(f"《{spec.name_zh}》模板引用了 {data.subject_label} 没有的数据项（{exc.message}）。"
                              "请检查模板或名单数据。", f"undefined in {spec.template}: {exc}") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"表单模板 {spec.template} 第 {exc.lineno} 行有语法错误：{exc.message}。",
                              f"template syntax: {exc}") from exc


def document_html(fragments: Iterable[str]) -> str:
    """One HTML document holding every fragment (each a section that starts a new page)."""
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>'
            + "".join(fragments) + "</body></html>")


@lru_cache(maxsize=1)
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    fonts = FontConfiguration()
    return CSS(filename=str(FORMS_DIR / "print.css"), font_config=fonts), fonts


def page_ranges(pages: Sequence, codes: Sequence[str]) -> list[tuple[int, int]]:
    """[start, end) page indexes of each instance, from the inst-CODE anchors WeasyPrint records."""
    first = {}
    for index, page in enumerate(pages):
        for anchor in page.anchors:
            if anchor.startswith("inst-"):
                first.setdefault(anchor[5:], index)
    starts = []
    for code in codes:
        if code not in first:
            raise StationError(f"排版后找不到表单实例 {code} 的起始页。", f"anchor inst-{code} missing",
                               code="render_anchor_missing")
        starts.append(first[code])
    ends = starts[1:] + [len(pages)]
    return list(zip(starts, ends))


def render_pdf_batch(spec: FormSpec, items: Sequence[tuple[str, InstanceData]], *,
                     config: StationConfig | None = None) -> list[RenderedPdf]:
    """Lay out every instance in one document, stamp each page's QR, split per instance."""
    return render_chunk(spec, items, config=config or get_config())[0]


def render_chunk(spec: FormSpec, items: Sequence[tuple[str, InstanceData]], *,
                 config: StationConfig) -> tuple[list[RenderedPdf], bytes]:
    """render_pdf_batch, plus the whole stamped chunk as one PDF (for printing)."""
    if not items:
        return [], b""
    html = document_html(render_fragment(config, spec, code, data) for code, data in items)
    css, fonts = _stylesheet()
    document = HTML(string=html, base_url=str(FORMS_DIR)).render(stylesheets=[css], font_config=fonts)
    ranges = page_ranges(document.pages, [code for code, _ in items])
    whole = pikepdf.open(io.BytesIO(document.write_pdf()))
    station = config.station.code
    payloads = []
    for (code, _), (start, end) in zip(items, ranges):
        payloads += [QrPayload(station, code, i + 1, end - start) for i in range(end - start)]
    stamp_pages(whole, payloads)
    parts = [RenderedPdf(code, _extract(whole, start, end), end - start)
             for (code, _), (start, end) in zip(items, ranges)]
    buffer = io.BytesIO()
    whole.save(buffer, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return parts, buffer.getvalue()


def _extract(whole: pikepdf.Pdf, start: int, end: int) -> bytes:
    part = pikepdf.new()
    part.pages.extend(whole.pages[start:end])
    part.docinfo = part.make_indirect(pikepdf.Dictionary(Producer="station forms (WeasyPrint, pikepdf)"))
    buffer = io.BytesIO()
    part.save(buffer, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def merge_pdfs(parts: Iterable[bytes]) -> bytes:
    """One PDF of all parts in order (for printing a whole form type at once)."""
    merged = pikepdf.new()
    sources = []
    for data in parts:
        source = pikepdf.open(io.BytesIO(data))
        sources.append(source)
        merged.pages.extend(source.pages)
    buffer = io.BytesIO()
    merged.save(buffer, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()
