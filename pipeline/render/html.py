"""HTML → PDF in batches: many instances in one WeasyPrint document (one layout, one font subset),
then QR-stamped and split into per-instance PDFs that each stay valid and carry only their glyphs.

A single WeasyPrint call pays a fixed cost (stylesheet, fonts, subsetting the CJK fonts, PDF writing)
of ~0.2–0.3 s; batching pays it once per chunk. Worker processes write the files themselves
(render_chunk_files) and send back only paths, hashes and page counts.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
import pikepdf
import tinycss2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import QrPayload
from pipeline.core.errors import BadInput, StationError
from pipeline.core.paths import TEMPLATES_DIR
from pipeline.forms.builders import InstanceData
from pipeline.forms.registry import FormSpec
from pipeline.render import fast
from pipeline.render.fonts import FontCache, compact_fonts, retag_duplicates
from pipeline.render.stamp import stamp_pages

log = logging.getLogger(__name__)
FORMS_DIR = TEMPLATES_DIR / "forms"
FULL_BATCH = 40       # instances per WeasyPrint document laid out in full (the layout tree is the bulk of memory)
UA_CSS = Path(__file__).with_name("forms_ua.css")
# The layout-reuse modules lean on WeasyPrint internals: imported only through pipeline.render.fast
# (guarded, version-gated) when a chunk may reuse layouts; None until then, or for good when off.
reuse = retext = None


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
def _environment(config_json: str, marked: bool = False) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(FORMS_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=_use_fast_paths()[0].mark if marked else None)
    env.globals["station"] = json.loads(config_json)
    return env


def environment(config: StationConfig, marked: bool = False) -> jinja2.Environment:
    """The Jinja2 environment of templates/forms with `station` as a global (marked: every printed
    value wrapped in reuse markers, see pipeline.render.reuse)."""
    return _environment(config.station.model_dump_json(), marked)


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


def render_fragment(config: StationConfig, spec: FormSpec, instance_code: str, data: InstanceData,
                    marked: bool = False) -> str:
    """The HTML <section> of one instance (marked: with its printed values between reuse markers)."""
    env = environment(config, marked)
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


class FormHTML(HTML):
    """WeasyPrint's HTML with a small user-agent stylesheet covering only what form templates use.

    The stock one has ~250 rules that every element is matched against; forms need ~20. A template
    that uses another element gets its display from print.css or falls back to inline.
    """

    def _ua_stylesheets(self, forms=False):   # WeasyPrint hook (see weasyprint.HTML)
        return [_stylesheets()[1]]


@lru_cache(maxsize=1)
def _stylesheets() -> tuple[CSS, CSS, FontConfiguration]:
    """(print.css, the user-agent sheet, their font configuration), parsed once per process."""
    fonts = FontConfiguration()
    return (CSS(filename=str(FORMS_DIR / "print.css"), font_config=fonts),
            CSS(filename=str(UA_CSS), font_config=fonts), fonts)


def warm_up() -> None:
    """Parse the stylesheets and load the CJK fonts once (a worker does this while it waits for work)."""
    _stylesheets()
    _values_sheet()
    _render(document_html(['<section class="form-instance"><h1>鉴定</h1><p>鉴定 0123</p></section>'])).write_pdf()


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
    return list(zip(starts, ends, strict=False))


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused for one chunk, then run once. WeasyPrint makes
    millions of small objects per document and the collector walks them again and again: a quarter
    to a third of the layout time. Memory stays bounded: a chunk's garbage is freed when it ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect(0)      # everything made during the chunk is still in the youngest generation


def layout_chunk(spec: FormSpec, items: Sequence[tuple[str, InstanceData]], *, config: StationConfig,
                 reuse_layout: bool = True,
                 cache: FontCache | None = None) -> tuple[pikepdf.Pdf, list[tuple[int, int]]]:
    """Lay out every instance (reusing one layout for look-alike one-page instances unless
    reuse_layout is False), then stamp each page's QR and label, then compact the fonts once for the chunk
    (checked: see compact_safely). Pass the FontCache the chunk's instance_pdf calls will use: it learns
    whether the chunk's compaction was kept."""
    codes = [code for code, _ in items]
    with collector_paused():
        reused = None
        if reuse_layout and len(items) > 1 and not spec.page_numbers and _use_fast_paths() is not None:
            try:
                reused = _layout_reusing(spec, items, config)
            except StationError:
                raise                   # bad data or a broken template: the full layout would say the same
            except Exception as exc:    # layout reuse leans on WeasyPrint's layout tree: never fail a round on it
                log.warning("layout_reuse_failed form=%s instances=%d: %r; laid out in full", spec.key,
                            len(items), exc)
        if reused is not None:
            whole, ranges = reused
        else:
            whole, ranges = _layout_full_batched([render_fragment(config, spec, code, data)
                                                  for code, data in items], codes,
                                                 batch=1 if spec.page_numbers else FULL_BATCH)
    station = config.station.code
    payloads = []
    for code, (start, end) in zip(codes, ranges, strict=False):
        payloads += [QrPayload(station, code, i + 1, end - start) for i in range(end - start)]
    stamp_pages(whole, payloads)
    whole = compact_safely(whole, cache)   # once for all pages: the parts then copy small fonts, not ~650 KB each
    return whole, ranges


def _use_fast_paths():
    """(reuse, retext or None) when layout reuse may run (pipeline.render.fast decides), else None."""
    global reuse, retext
    modules = fast.layout_modules()
    if modules is not None:
        reuse, retext = modules
    return modules


def compact_safely(pdf: pikepdf.Pdf, cache: FontCache | None = None) -> pikepdf.Pdf:
    """pdf with its fonts compacted, or as it was when compaction is off, fails, or changes what a page says
    (logged once). Compaction changes nothing until it has planned every font and stream, so a failure leaves pdf
    whole; and every page's text is read back with pdfium before and after, so a wrong glyph mapping is never
    kept (the render check found one: an archive catalogue whose values printed as other characters). When the
    compaction is dropped, cache (the chunk's) is told, and the chunk's instances keep their fonts as embedded."""
    if not fast.compaction_enabled() or (cache is not None and not cache.compact):
        return pdf
    before = _snapshot(pdf)
    try:
        compact_fonts(pdf)
    except Exception as exc:     # fonts.py rewrites PDF internals: never fail a round on it
        fast.warn_once("font_compaction_failed", "%r; fonts kept as embedded", exc)
        return _dropped(before, cache)
    if _page_texts(_snapshot(pdf)) != _page_texts(before):
        fast.warn_once("font_compaction_mismatch", "a page's text changed; fonts kept as embedded")
        return _dropped(before, cache)
    return pdf


def _dropped(before: bytes, cache: FontCache | None) -> pikepdf.Pdf:
    if cache is not None:
        cache.compact = False
    return pikepdf.open(io.BytesIO(before))


def _snapshot(pdf: pikepdf.Pdf) -> bytes:
    """pdf as bytes for reading back, streams copied as they are (no recompression)."""
    buffer = io.BytesIO()
    pdf.save(buffer, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none,
             object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return buffer.getvalue()


def _page_texts(data: bytes) -> list[str]:
    """What each page says, as pdfium reads it (glyphs mapped back to characters)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def _render(html: str, stylesheets: Sequence[CSS] | None = None):
    """WeasyPrint's layout of html with print.css (or the stylesheets given) and the shared fonts."""
    css, _, fonts = _stylesheets()
    return FormHTML(string=html, base_url=str(FORMS_DIR)).render(stylesheets=stylesheets or [css],
                                                                 font_config=fonts)


@lru_cache(maxsize=1)
def _values_sheet() -> CSS:
    """print.css with each @page rule cut down to its size (the values pages have no margins and no
    margin boxes: the skeleton draws those), then reuse.VALUES_CSS."""
    rules = tinycss2.parse_stylesheet((FORMS_DIR / "print.css").read_text(encoding="utf-8"),
                                      skip_comments=True, skip_whitespace=True)
    kept = []
    for rule in rules:
        if rule.type == "at-rule" and rule.lower_at_keyword == "page":
            sizes = [d for d in tinycss2.parse_blocks_contents(rule.content or [], skip_comments=True,
                                                               skip_whitespace=True)
                     if d.type == "declaration" and d.lower_name == "size"]
            kept.append(f"@page {tinycss2.serialize(rule.prelude)} {{ margin: 0; "
                        + "".join(f"size: {tinycss2.serialize(d.value)}; " for d in sizes) + "}")
        else:
            kept.append(rule.serialize())
    return CSS(string="\n".join(kept) + "\n" + reuse.VALUES_CSS, font_config=_stylesheets()[2])


def _layout_full(fragments: Sequence[str], codes: Sequence[str]) -> tuple[pikepdf.Pdf, list[tuple[int, int]]]:
    """One WeasyPrint document of the fragments; the PDF and each instance's [start, end) pages."""
    document = _render(document_html(fragments))
    ranges = page_ranges(document.pages, codes)
    return _open(document.write_pdf()), ranges


def _layout_full_batched(fragments: Sequence[str], codes: Sequence[str],
                         batch: int = FULL_BATCH) -> tuple[pikepdf.Pdf, list[tuple[int, int]]]:
    """_layout_full in documents of `batch` instances (bounded memory; 1: page counters per instance),
    pages combined in order."""
    if not codes:
        return pikepdf.new(), []
    if len(codes) <= batch:
        return _layout_full(fragments, codes)
    whole, ranges = pikepdf.new(), []
    for start in range(0, len(codes), batch):
        pdf, part = _layout_full(fragments[start:start + batch], codes[start:start + batch])
        for first, last in part:
            at = len(whole.pages)
            whole.pages.extend(pdf.pages[first:last])
            ranges.append((at, len(whole.pages)))
    retag_duplicates(whole)              # each document embedded its own subset of a font under one name
    return whole, ranges


def _open(data: bytes) -> pikepdf.Pdf:
    """A WeasyPrint PDF, each page left with only the resources it uses: WeasyPrint gives every page
    one shared /Resources with every image of the document, so each instance file would otherwise
    carry the whole chunk's photos. (Done before pages are combined: on a page that shows a Form
    XObject QPDF walks the XObject again for every page.)"""
    pdf = pikepdf.open(io.BytesIO(data))
    pdf.remove_unreferenced_resources()
    return pdf


def _layout_reusing(spec: FormSpec, items: Sequence[tuple[str, InstanceData]],
                    config: StationConfig) -> tuple[pikepdf.Pdf, list[tuple[int, int]]]:
    """Look-alike one-page instances: one skeleton layout per group, and per instance its values drawn
    directly (pipeline.render.retext) or from a small values document (pipeline.render.reuse); every
    other instance, and any the checks refuse, laid out in full. Pages in the order of items."""
    codes = [code for code, _ in items]
    marked = [render_fragment(config, spec, code, data, marked=True) for code, data in items]
    fast, skeleton_pdf = _reused_pages(marked, codes)
    rest = [i for i in range(len(items)) if i not in fast]
    full_pdf, full_ranges = _layout_full_batched(
        [_plain(marked[i]) or render_fragment(config, spec, *items[i]) for i in rest], [codes[i] for i in rest])
    full_at = dict(zip(rest, full_ranges, strict=False))
    whole, ranges, underlays = pikepdf.new(), [], {}
    for index in range(len(items)):
        start = len(whole.pages)
        if index in fast:
            skeleton_page, values_pdf, values_page = fast[index]
            if skeleton_page not in underlays:
                underlays[skeleton_page] = reuse.as_xobject(whole, _own_fonts(skeleton_pdf, skeleton_page), 0)
            reuse.compose(whole, values_pdf.pages[values_page], underlays[skeleton_page])
        else:
            whole.pages.extend(full_pdf.pages[slice(*full_at[index])])
        ranges.append((start, len(whole.pages)))
    retag_duplicates(whole)              # skeleton, values and full pages came from several documents
    return whole, ranges


def _reused_pages(marked: Sequence[str], codes: Sequence[str]) -> tuple[dict, pikepdf.Pdf | None]:
    """(item → (skeleton page, values PDF, its page), the skeletons' PDF) for every item whose page the
    checks let be reused; the others are not in the map."""
    groups, slots = reuse.plan_groups(marked)
    if not groups:
        return {}, None
    skeleton = _render(document_html(g.skeleton_html for g in groups))
    starts = page_ranges(skeleton.pages, [codes[g.members[0]] for g in groups])
    measured = [reuse.measure_hosts(skeleton.pages[start]._page_box, len(g.hosts)) if end - start == 1
                else None for g, (start, end) in zip(groups, starts, strict=False)]
    contents = {member: [reuse.host_html(g, marked[member], slots[member], h) for h in g.hosts]
                for g, hosts in zip(groups, measured, strict=False) if hosts for member in g.members}
    page_size = (skeleton.pages[0].width, skeleton.pages[0].height)
    direct_pdf, direct = _redraw_directly(groups, measured, contents, skeleton, page_size)
    values_pdf, values = _values_document(groups, measured, contents, codes, skip=direct)
    if not direct and not values:
        return {}, None
    skeleton_pdf = _open(skeleton.write_pdf())
    fast = {}
    for pdf, where in ((direct_pdf, direct), (values_pdf, values)):
        if where and list(pdf.pages[0].mediabox) != list(skeleton_pdf.pages[0].mediabox):
            continue             # a page size the values pages did not copy: those members in full
        for g, (start, _) in zip(groups, starts, strict=False):
            fast.update((m, (start, pdf, where[m])) for m in g.members if m in where and m not in fast)
    return fast, skeleton_pdf


def _redraw_directly(groups: Sequence[reuse.Group], measured: Sequence, contents: dict[int, list[str]],
                     skeleton, page_size: tuple[float, float]) -> tuple[pikepdf.Pdf | None, dict[int, int]]:
    """(PDF of directly redrawn value pages, member → its page) for the groups whose every host is
    simple (pipeline.render.retext) and whose first member comes out exactly like the skeleton."""
    if retext is None:           # the direct redraw did not import: every group uses the values document
        return None, {}
    pages, where, images = [], {}, retext.image_loader(skeleton.url_fetcher)
    for g, hosts in zip(groups, measured, strict=False):
        plans = [retext.plan_host(h.left, h.width, h.children) for h in hosts or ()]
        if not plans or any(plan is None for plan in plans):
            continue
        first = _drawn(plans, contents[g.members[0]], images)
        if first is None or not all(reuse.same_positions(retext.positions(drawn), host.texts)
                                    for drawn, host in zip(first, hosts, strict=False)):
            continue
        for member in g.members:
            drawn = first if member == g.members[0] else _drawn(plans, contents[member], images)
            if drawn is not None:
                where[member] = len(pages)
                pages.append(retext.DirectPage(*page_size, [box for host in drawn for box in host]))
    if not pages:
        return None, {}
    return _open(retext.direct_pdf(skeleton, pages, _stylesheets()[2])), where


def _drawn(plans: Sequence[retext.Plan], contents: Sequence[str], images) -> list[list] | None:
    """Each host's redrawn boxes for one member, or None when one host does not fit."""
    drawn = []
    for plan, content in zip(plans, contents, strict=True):
        boxes = retext.redraw(plan, content, images)
        if boxes is None:
            return None
        drawn.append(boxes)
    return drawn


def _values_document(groups: Sequence[reuse.Group], measured: Sequence, contents: dict[int, list[str]],
                     codes: Sequence[str], skip: dict[int, int]) -> tuple[pikepdf.Pdf | None, dict[int, int]]:
    """(values document PDF, member → its page) for the members not in skip. A group's first member is
    always laid out too: its page must match the skeleton exactly, or the group is refused."""
    order = []
    for number, (g, hosts) in enumerate(zip(groups, measured, strict=False)):
        wanted = [m for m in g.members if m not in skip] if hosts else []
        if wanted:
            order += [(number, g, hosts, m) for m in dict.fromkeys([g.members[0], *wanted])]
    if not order:
        return None, {}
    sections = [reuse.values_section(codes[m], number, hosts, contents[m]) for number, _, hosts, m in order]
    css = reuse.values_css([(n, hosts) for n, hosts in enumerate(measured) if hosts])
    # print.css without its margins and running header (the skeleton has them), then the hosts' places
    values = _render(document_html(sections), [_values_sheet(), CSS(string=css, font_config=_stylesheets()[2])])
    if len(values.pages) != len(sections):
        return None, {}
    where, refused = {}, set()
    for page_number, (page, (number, g, hosts, member)) in enumerate(zip(values.pages, order, strict=False)):
        exact = member == g.members[0]            # first of its group: proves the style copy
        if number in refused:
            continue
        if reuse.check_values_page(page._page_box, hosts, exact):
            if member not in skip:
                where[member] = page_number
        elif exact:
            refused.add(number)                   # laid out in full, every member
    return (_open(values.write_pdf()) if where else None), where


def _own_fonts(pdf: pikepdf.Pdf, index: int) -> pikepdf.Pdf:
    """Page index of pdf alone, its fonts cut to its glyphs: each skeleton then has fonts of its own
    that every page showing it uses in full, so splitting the chunk need not subset them again."""
    if len(pdf.pages) == 1:
        return pdf
    return pikepdf.open(io.BytesIO(instance_pdf(pdf, index, index + 1)))


def _plain(marked: str) -> str | None:
    """A marked fragment without its markers, or None when a value itself holds a marker character."""
    return marked.replace(reuse.OPEN, "").replace(reuse.CLOSE, "") if reuse.slots_of(marked) is not None else None


def render_pdf_batch(spec: FormSpec, items: Sequence[tuple[str, InstanceData]], *,
                     config: StationConfig | None = None) -> list[RenderedPdf]:
    """Lay out every instance in one document, stamp each page's QR, split per instance (bytes)."""
    if not items:
        return []
    cache = FontCache()
    whole, ranges = layout_chunk(spec, items, config=config or get_config(), cache=cache)
    return [RenderedPdf(code, instance_pdf(whole, start, end, cache), end - start)
            for (code, _), (start, end) in zip(items, ranges, strict=False)]


@dataclass(frozen=True)
class ChunkJob:
    """One worker task: lay out items, write instance k to targets[k] and the chunk to print_path."""

    spec: FormSpec
    items: list[tuple[str, InstanceData]]
    targets: list[Path]
    print_path: Path | None = None
    reuse_layout: bool = True        # False: every instance laid out in full (bench/forms.py --compare-full)


@dataclass(frozen=True)
class WrittenPdf:
    """What a worker wrote for one instance (no PDF bytes travel back to the main process)."""

    instance_code: str
    path: Path
    sha256: str
    pages: int


def render_chunk_files(job: ChunkJob, config: StationConfig) -> list[WrittenPdf]:
    """Render one chunk and write every instance PDF (and the chunk print PDF) to disk."""
    if not job.items:
        return []
    written, cache = [], FontCache()
    whole, ranges = layout_chunk(job.spec, job.items, config=config, reuse_layout=job.reuse_layout, cache=cache)
    for (code, _), (start, end), target in zip(job.items, ranges, job.targets, strict=True):
        data = instance_pdf(whole, start, end, cache) if len(ranges) > 1 else _save(whole)
        target.write_bytes(data)
        written.append(WrittenPdf(code, target, hashlib.sha256(data).hexdigest(), end - start))
    if job.print_path is not None:
        whole.save(job.print_path, **_SAVE)
    return written


_SAVE = dict(compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def instance_pdf(whole: pikepdf.Pdf, start: int, end: int, cache: FontCache | None = None) -> bytes:
    """Pages [start, end) of whole as a PDF of their own, fonts cut down to the glyphs they show.

    With the chunk's cache (passed to layout_chunk too) the part is compacted without reading its text back:
    the chunk's compaction was checked page by page, and the part's is the same walk of the same streams over
    fonts whose facts the cache keys by name and program (tests/forms/test_fast_paths.py compares pixels). If
    the chunk's compaction was dropped, so is the part's. Without a cache, compact_safely checks the part."""
    part = pikepdf.new()
    part.pages.extend(whole.pages[start:end])
    if cache is None:
        return _save(compact_safely(part))
    if cache.compact and fast.compaction_enabled():
        try:
            compact_fonts(part, cache)
        except Exception as exc:     # never fail a round on it: the part as cut from the checked chunk
            fast.warn_once("font_compaction_failed", "%r; fonts kept as embedded", exc)
            part = pikepdf.new()
            part.pages.extend(whole.pages[start:end])
    return _save(part)


def _save(pdf: pikepdf.Pdf) -> bytes:
    pdf.docinfo = pdf.make_indirect(pikepdf.Dictionary(Producer="station forms (WeasyPrint, pikepdf)"))
    buffer = io.BytesIO()
    pdf.save(buffer, **_SAVE)
    return buffer.getvalue()


def merge_pdf_files(paths: Iterable[Path], target: Path) -> None:
    """One PDF of the files' pages in order (a whole form type for printing)."""
    with pikepdf.new() as merged:
        sources = [pikepdf.open(path) for path in paths]
        try:
            for source in sources:
                merged.pages.extend(source.pages)
            merged.save(target, **_SAVE)
        finally:
            for source in sources:
                source.close()
