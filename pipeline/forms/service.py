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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

import pipeline.forms
from pipeline.archive.audit import audit_append
from pipeline.catalog.instances import form_instances_supersede_earlier
from pipeline.catalog.models import FormInstance, Round
from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import new_instance_code
from pipeline.core.errors import BadInput, Conflict, NotFound
from pipeline.forms.builders import BUILDERS, InstanceData
from pipeline.forms.registry import FORMS, FormSpec, tier1
from pipeline.render.docx import render_docx
from pipeline.render.html import ChunkJob, WrittenPdf, instance_retention, merge_pdf_files, render_chunk_files, warm_up
from pipeline.render.impose import impose

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
            print_dir: Path | None, reuse_layout: bool = True) -> Iterable[ChunkJob]:
    size = chunk_size(spec) if reuse_layout else CHUNK
    for number, start in enumerate(range(0, len(items), size)):
        print_path = print_dir / f"{spec.key}-{number:04d}.pdf" if print_dir else None
        yield ChunkJob(spec, items[start:start + size], targets[start:start + size], print_path, reuse_layout)


def start_pool(workers: int) -> cf.ProcessPoolExecutor | None:
    """Worker processes for rendering, started now so that they import WeasyPrint and load the fonts
    (~1 s each) while this process is still reading the round from the database; None for one."""
    if workers <= 1:
        return None
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(workers):
        pool.submit(warm_up)       # render_chunk_files' module has no Django: spawned workers start fast
    return pool


class Rendering:
    """Chunks rendered as they are planned: each goes to the pool's workers at once (so they start
    while later forms are still read from the database), or, without a pool, here at the end."""

    def __init__(self, config: StationConfig, pool: cf.ProcessPoolExecutor | None,
                 progress: Progress | None = None):
        self.config, self.pool, self.progress = config, pool, progress
        self.jobs: list[ChunkJob] = []
        self.futures: dict[cf.Future, ChunkJob] = {}

    def add(self, jobs: Iterable[ChunkJob]) -> None:
        for job in jobs:
            self.jobs.append(job)
            if self.pool is not None:
                self.futures[self.pool.submit(render_chunk_files, job, self.config)] = job

    def results(self) -> dict[str, WrittenPdf]:
        """code → written PDF of every chunk added, with progress as chunks finish."""
        total, done, written = sum(len(job.items) for job in self.jobs), 0, {}
        finished = ((job, render_chunk_files(job, self.config)) for job in self.jobs) if self.pool is None \
            else ((self.futures[f], f.result()) for f in cf.as_completed(self.futures))
        for job, result in finished:
            written.update((w.instance_code, w) for w in result)
            done += len(job.items)
            if self.progress:
                self.progress(done, total, job.spec.name_zh)
        return written


def planning_order(forms: list[str]) -> list[str]:
    """Forms in the order their chunks should start: the long per-round lists first (one chunk each,
    they cannot be split), then the room forms, then the per-person chunks, so that the last chunks
    to finish are short ones and neither worker waits long at the end."""
    rank = {"round": 0, "room-sitting": 1, "handover": 1, "candidate": 2, "staff": 3}
    return sorted(forms, key=lambda form: rank.get(FORMS[form].per, 4) if form in FORMS else 5)


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
          print_dir: Path | None, config: StationConfig, opts: dict, skipped: dict[str, str],
          reuse_layout: bool = True):
    """Per form, in planning order: (spec, [(code, data)], its render jobs). A form whose precondition
    is missing (e.g. no seating plan yet) is left out, with why, in skipped, unless it is the only one."""
    for form in planning_order(forms):
        try:
            instances = forms_build(form=form, round_=round_, subject=subject, **opts)
        except Conflict as exc:
            if len(forms) == 1:
                raise
            skipped[form] = exc.message_zh
            continue
        spec = spec_get(form)
        items = list(zip(allocate_codes(len(instances)), instances, strict=False))
        folder = out / spec.key
        folder.mkdir(parents=True, exist_ok=True)
        targets = [folder / f"{_stem(config, code, data)}.pdf" for code, data in items]
        yield spec, items, list(_chunks(spec, items, targets, print_dir, reuse_layout)) if "pdf" in formats else []


def forms_generate_many(*, forms: list[str], round_: Round | None, subject: str | None = None,
                        formats: tuple[str, ...] = ("pdf",), out: Path, workers: int | None = None,
                        progress: Progress | None = None, merged: bool = False, actor: str = "system",
                        reuse_layout: bool = True, **opts) -> Batch:
    """Generate several forms in one pool of workers; optionally one merged print PDF per form.
    reuse_layout=False lays every instance out in full (for comparison; the output looks the same)."""
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
    print_dir = out / PRINT_DIR if merged and "pdf" in formats else None
    if print_dir:
        print_dir.mkdir(parents=True, exist_ok=True)
    planned, skipped = [], {}
    rendering = Rendering(config, pool, progress)
    try:
        for spec, items, jobs in _plan(forms, round_, subject, formats, out, print_dir, config, opts, skipped,
                                       reuse_layout):
            planned.append((spec, items))
            rendering.add(jobs)
        written = rendering.results()
    except BaseException:
        # a form found bad after others went to the workers: nothing half-made stays in out/
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        _remove_outputs(rendering.jobs)
        if print_dir:
            shutil.rmtree(print_dir, ignore_errors=True)
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    batch, rows, jobs = Batch(skipped=skipped), [], rendering.jobs
    planned.sort(key=lambda plan: forms.index(plan[0].key))      # report them in the order asked for
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
        # a re-render for the same subject is a reprint: the earlier print is superseded, linked to it
        form_instances_supersede_earlier(codes=[row.code for row in rows], round_=round_, actor=actor)
        audit_append(actor=actor, action="forms.generate", target=round_.code if round_ else "",
                     detail={"forms": forms, "instances": len(batch.instances), "pages": batch.pages})
    return batch


def _remove_outputs(jobs: list[ChunkJob]) -> None:
    """Delete whatever these jobs wrote (their files carry fresh instance codes: nobody else's)."""
    for job in jobs:
        for path in [*job.targets, job.print_path]:
            if path is not None:
                path.unlink(missing_ok=True)


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
        sheet = FORMS[key].sheet
        if sheet:                 # tickets, badges: several per A4 sheet, each keeping its own QR
            single = path.with_name(f".{path.name}")
            path.replace(single)
            impose(single, path, *sheet)
            single.unlink()
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
                actor: str = "system", reuse_layout: bool = True, formats: tuple[str, ...] = ("pdf",)) -> Batch:
    """Every tier-1 form that has a builder, for a whole round, plus one merged print PDF per form;
    with "docx" in formats, also the DOCX of every form that has a Word template, beside its PDF."""
    forms = [spec.key for spec in tier1() if spec.key in load_builders()]
    if "pdf" not in formats:
        forms = [key for key in forms if FORMS[key].docx]
    return forms_generate_many(forms=forms, round_=round_, formats=formats, out=out, workers=workers,
                               progress=progress, merged=True, actor=actor, reuse_layout=reuse_layout)
