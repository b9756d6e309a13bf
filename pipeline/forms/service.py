"""forms_generate: build instances, allocate instance codes, render (batched, both cores), write
files, record FormInstance rows. The only module of pipeline.forms that writes."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import importlib
import multiprocessing
import os
import pkgutil
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from django.db import transaction

import pipeline.forms
from pipeline.audit import audit_append
from pipeline.catalog.models import FormInstance, Round
from pipeline.config import StationConfig, get_config
from pipeline.domain import new_instance_code
from pipeline.errors import BadInput, Conflict, NotFound
from pipeline.forms.builders import BUILDERS, InstanceData
from pipeline.forms.registry import FORMS, FormSpec, tier1
from pipeline.render.docx import render_docx
from pipeline.render.html import (ChunkJob, WrittenPdf, instance_retention, merge_pdf_files,
                                  render_chunk_files, warm_up)

Progress = Callable[[int, int, str], None]   # (done instances, total instances, message)
CHUNK = 40            # instances per WeasyPrint document: one font subset each, bounded memory
REUSE_CHUNK = 125     # per-person one-page forms: one skeleton layout serves the chunk (render.reuse)
FORMATS = ("pdf", "docx")
PRINT_DIR = ".print-chunks"   # under out/: the workers' chunk PDFs until they are merged per form


@dataclass
class Generated:
    """What forms_generate made for one instance."""

    code: str
    form: str
    subject_label: str
    pages: int
    pdf: Path | None = None
    docx: Path | None = None


@dataclass
class Batch:
    """The result of one forms_generate / forms_round call."""

    instances: list[Generated] = field(default_factory=list)
    merged: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)   # form key → why (Chinese), e.g. no seating yet

    @property
    def pages(self) -> int:
        return sum(g.pages for g in self.instances)


def load_builders() -> dict:
    """Import every module of pipeline.forms so that each registers its builders; return BUILDERS."""
    for module in pkgutil.iter_modules(pipeline.forms.__path__):
        if module.name not in ("service",):
            importlib.import_module(f"pipeline.forms.{module.name}")
    return BUILDERS


def spec_get(form: str) -> FormSpec:
    """The FormSpec called form, or NotFound listing the known keys."""
    if form not in FORMS:
        raise NotFound(f"没有名为“{form}”的表单。可用表单：{'、'.join(FORMS)}（station forms list）。",
                       f"unknown form {form!r}", code="form_unknown")
    return FORMS[form]


def forms_build(*, form: str, round_: Round | None, subject: str | None = None, **opts) -> list[InstanceData]:
    """The instances of one form (no rendering)."""
    spec = spec_get(form)
    builder = load_builders().get(form)
    if builder is None:
        raise NotFound(f"《{spec.name_zh}》（{form}）尚未实现生成功能。", f"no builder for {form}",
                       code="form_no_builder")
    if round_ is None and spec.per in ("candidate", "round", "room-sitting", "handover"):
        raise BadInput(f"生成《{spec.name_zh}》需要指定鉴定批次（--round）。", f"{form} needs a round",
                       code="round_required")
    return builder(round_, subject, **opts)


def allocate_codes(count: int) -> list[str]:
    """count new instance codes, unique among themselves and in FormInstance."""
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {new_instance_code() for _ in range(count - len(codes))} - codes
        taken = set(FormInstance.objects.filter(code__in=fresh).values_list("code", flat=True))
        codes |= fresh - taken
    return sorted(codes)


def _safe(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_")[:60] or "form"


def chunk_size(spec: FormSpec) -> int:
    """Instances per worker task. Forms made per candidate or per staff member are look-alike one-page
    forms whose layout is reused, so a task costs ~25 ms a page and its fixed part (the skeleton,
    ~0.25 s) is worth spreading; anything laid out in full is cut into CHUNK-sized documents anyway."""
    return REUSE_CHUNK if spec.per in ("candidate", "staff") else CHUNK


def _chunks(spec: FormSpec, items: list[tuple[str, InstanceData]], targets: list[Path],
            print_dir: Path | None) -> Iterable[ChunkJob]:
    size = chunk_size(spec)
    for number, start in enumerate(range(0, len(items), size)):
        print_path = print_dir / f"{spec.key}-{number:04d}.pdf" if print_dir else None
        yield ChunkJob(spec, items[start:start + size], targets[start:start + size], print_path)


def start_pool(workers: int) -> cf.ProcessPoolExecutor | None:
    """Worker processes for rendering, started now so that they import WeasyPrint and load the fonts
    (~1 s each) while this process is still reading the round from the database; None for one."""
    if workers <= 1:
        return None
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(workers):
        pool.submit(warm_up)       # render_chunk_files' module has no Django: spawned workers start fast
    return pool


def render_all(jobs: list[ChunkJob], *, config: StationConfig, pool: cf.ProcessPoolExecutor | None,
               progress: Progress | None = None) -> dict[str, WrittenPdf]:
    """Render every chunk (in the pool's workers if there is one, biggest first); code → written PDF."""
    total = sum(len(job.items) for job in jobs)
    done, written = 0, {}
    if pool is None:
        for job in jobs:
            written.update((w.instance_code, w) for w in render_chunk_files(job, config))
            done += len(job.items)
            if progress:
                progress(done, total, job.spec.name_zh)
        return written
    order = sorted(jobs, key=lambda job: -_weight(job))
    futures = {pool.submit(render_chunk_files, job, config): job for job in order}
    for future in cf.as_completed(futures):
        job = futures[future]
        written.update((w.instance_code, w) for w in future.result())
        done += len(job.items)
        if progress:
            progress(done, total, job.spec.name_zh)
    return written


def _weight(job: ChunkJob) -> int:
    """Rough pages of a chunk: per-round lists (roster, registers) run to many pages each."""
    return len(job.items) * (30 if job.spec.per == "round" else 1)


def default_workers() -> int:
    """Worker processes: every core, at most 4 (layout is CPU-bound)."""
    return max(1, min(4, os.cpu_count() or 1))


def forms_generate(*, form: str, round_: Round | None, subject: str | None = None,
                   formats: tuple[str, ...] = ("pdf",), out: Path, workers: int | None = None,
                   progress: Progress | None = None, actor: str = "system", **opts) -> Batch:
    """Generate one form for a round (or one subject): files under out/, a FormInstance per instance."""
    return forms_generate_many(forms=[form], round_=round_, subject=subject, formats=formats, out=out,
                               workers=workers, progress=progress, actor=actor, **opts)


def _plan(forms: list[str], round_: Round | None, subject: str | None, formats: tuple[str, ...], out: Path,
          merged: bool, config: StationConfig, opts: dict):
    """(spec, [(code, data)]) per form, the render jobs, and the forms skipped with why."""
    planned, skipped = [], {}
    for form in forms:
        try:
            instances = forms_build(form=form, round_=round_, subject=subject, **opts)
        except Conflict as exc:   # a precondition (e.g. no seating plan yet): other forms go on
            if len(forms) == 1:
                raise
            skipped[form] = exc.message_zh
            continue
        planned.append((spec_get(form), instances))
    codes = iter(allocate_codes(sum(len(instances) for _, instances in planned)))
    planned = [(spec, [(next(codes), data) for data in instances]) for spec, instances in planned]
    jobs: list[ChunkJob] = []
    print_dir = out / PRINT_DIR if merged and "pdf" in formats else None
    if print_dir:
        print_dir.mkdir(parents=True, exist_ok=True)
    for spec, items in planned:
        folder = out / spec.key
        folder.mkdir(parents=True, exist_ok=True)
        targets = [folder / f"{_stem(config, code, data)}.pdf" for code, data in items]
        if "pdf" in formats:
            jobs += _chunks(spec, items, targets, print_dir)
    return planned, jobs, skipped


def forms_generate_many(*, forms: list[str], round_: Round | None, subject: str | None = None,
                        formats: tuple[str, ...] = ("pdf",), out: Path, workers: int | None = None,
                        progress: Progress | None = None, merged: bool = False, actor: str = "system",
                        **opts) -> Batch:
    """Generate several forms in one pool of workers; optionally one merged print PDF per form."""
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise BadInput(f"输出格式“{'、'.join(bad) or '（空）'}”无效，可选 pdf、docx。", f"bad formats {formats}",
                       code="format_invalid")
    config = get_config()
    workers = workers or default_workers()
    # many instances to come: start the workers now, they load WeasyPrint while the round is read
    many = subject is None and "pdf" in formats and (
        len(forms) > 1 or spec_get(forms[0]).per in ("candidate", "staff", "room-sitting"))
    pool = start_pool(workers) if many else None
    try:
        planned, jobs, skipped = _plan(forms, round_, subject, formats, out, merged, config, opts)
        if pool is None and len(jobs) > 1:
            pool = start_pool(min(workers, len(jobs)))
        written = render_all(jobs, config=config, pool=pool, progress=progress)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    batch, rows = Batch(skipped=skipped), []
    print_dir = out / PRINT_DIR if merged and "pdf" in formats else None
    for spec, items in planned:
        for code, data in items:
            generated, row = _write_instance(config, spec, code, data, written.get(code), out / spec.key,
                                             formats, round_)
            batch.instances.append(generated)
            rows.append(row)
    if print_dir:
        _write_merged(batch, jobs, out)
        shutil.rmtree(print_dir, ignore_errors=True)
    with transaction.atomic():
        FormInstance.objects.bulk_create(rows, batch_size=500)
        audit_append(actor=actor, action="forms.generate", target=round_.code if round_ else "",
                     detail={"forms": forms, "instances": len(batch.instances), "pages": batch.pages})
    return batch


def _write_merged(batch: Batch, jobs: list[ChunkJob], out: Path) -> None:
    by_form: dict[str, list[Path]] = {}
    for job in jobs:
        by_form.setdefault(job.spec.key, []).append(job.print_path)
    for key, parts in by_form.items():
        path = out / f"{key}-全部打印.pdf"
        if len(parts) == 1:
            shutil.move(parts[0], path)
        else:
            merge_pdf_files(parts, path)
        batch.merged[key] = path


def _stem(config: StationConfig, code: str, data: InstanceData) -> str:
    return f"{_safe(data.subject_label)}-{config.station.code}-{code}"


def stored_context(context: dict) -> dict:
    """The context kept in FormInstance.data: without *_uri values (e.g. the report's chart image)."""
    return {key: value for key, value in context.items() if not key.endswith("_uri")}


def _write_instance(config: StationConfig, spec: FormSpec, code: str, data: InstanceData,
                    pdf: WrittenPdf | None, folder: Path, formats: tuple[str, ...],
                    round_: Round | None) -> tuple[Generated, FormInstance]:
    generated = Generated(code=code, form=spec.key, subject_label=data.subject_label,
                          pages=pdf.pages if pdf else 0, pdf=pdf.path if pdf else None)
    docx_hash = ""
    if "docx" in formats and spec.docx:
        content = render_docx(spec, code, data, config=config)
        generated.docx = folder / f"{_stem(config, code, data)}.docx"
        generated.docx.write_bytes(content)
        docx_hash = hashlib.sha256(content).hexdigest()
    row = FormInstance(
        code=code, form=spec.key, round=round_, subject=data.subject[:100],
        subject_label=data.subject_label[:200], title=data.title[:300], pages=generated.pages,
        retention_class=instance_retention(config, spec, data) or "",
        category=spec.category or str(data.context.get("category", "")), doc_date=data.doc_date,
        pdf_sha256=pdf.sha256 if pdf else "", docx_sha256=docx_hash, data=stored_context(data.context))
    return generated, row


def forms_round(*, round_: Round, out: Path, workers: int | None = None, progress: Progress | None = None,
                actor: str = "system") -> Batch:
    """Every tier-1 form that has a builder, for a whole round, plus one merged print PDF per form."""
    forms = [spec.key for spec in tier1() if spec.key in load_builders()]
    return forms_generate_many(forms=forms, round_=round_, formats=("pdf",), out=out, workers=workers,
                               progress=progress, merged=True, actor=actor)
