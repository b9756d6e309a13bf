"""Plans (plain data): what each group of a received file is filed as — its metadata.json less the 档号 —
or why it waits for review; and the OCR text of unmarked pages. Built by the classify stage of the flow."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from pipeline.archive.retention import due_date
from pipeline.catalog.models import Candidate, FormInstance
from pipeline.catalog.selectors import instance_coverage
from pipeline.ingest import docmeta
from pipeline.ingest.archiving import entry_seal
from pipeline.ingest.guards import embedded_text, page_runs
from pipeline.ingest.identify import Group, Problem
from pipeline.ingest.lane import OcrDeferred
from pipeline.ingest.normalise import plain_pdf
from pipeline.ingest.ocr import OcrFailed, ocr_pdf
from pipeline.ingest.work import Work

log = logging.getLogger("pipeline.ingest.flow")


def pages_label(grp: Group) -> str:
    numbers = [i + 1 for i in grp.page_indices]
    if numbers and numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
        return f"{numbers[0]}–{numbers[-1]}"
    return "、".join(map(str, numbers))


_PROBLEM_ZH = {
    "missing_page": "缺少第 {pages} 页",
    "duplicate_page": "第 {pages} 页重复扫描",
    "foreign_station": "二维码属于其他鉴定站",
    "mixed_totals": "各页标注的总页数不一致",
}


def problem_zh(problems: list[Problem], instance: FormInstance | None, grp: Group) -> str:
    what = "；".join(_PROBLEM_ZH.get(p.kind, p.kind).format(pages=page_runs(p.pages)) for p in problems)
    name = instance.title if instance else f"表单 {grp.instance_code}"
    return (f"{name}：{what}（扫描文件第 {pages_label(grp)} 页）。请补扫缺页后放入收件箱，"
            "或确认无误后用 station review file 归档。")


def _base_meta(work: Work, grp: Group, doc_date: dt.date, retention_class: str, text: str) -> dict:
    return {"responsible": work.config.station.name, "doc_number": "", "doc_date": doc_date.isoformat(),
            "pages": len(grp.page_indices), "secrecy": "", "restricted": False, "form": "",
            "form_instance": "", "round_code": "", "candidate_id_number": "", "candidate_name": "",
            "ticket_number": "", "occupation": "", "level": None, "retention_class": retention_class,
            "source_name": work.job.source_name, "source_sha256": work.job.sha256,
            "source_pages": [i + 1 for i in grp.page_indices],
            "ingest_time": work.job.ingest_time.isoformat(), "text": text}


def _entry(work: Work, number: int, grp: Group, *, category: str, retention_class: str, title: str,
           meta: dict, scores_on: dt.date | None) -> dict:
    """One plan entry: what to write and its metadata.json (less the 档号 fields)."""
    cls = work.config.retention[retention_class]
    doc_date = dt.date.fromisoformat(meta["doc_date"])
    start, due = due_date(cls, doc_date, scores_on)
    year = doc_date.year
    meta.update(title=title, category=category, fonds=work.config.station.fonds_code, year=year,
                retention_code=cls.code, clock_start=start.isoformat() if start else None,
                due_date=due.isoformat() if due else None, restricted=work.config.categories[category].restricted,
                secret=work.config.categories[category].secret)
    text_pdf = f"ocr-{number:03d}.pdf" if grp.kind != "form" and (work.out / f"ocr-{number:03d}.pdf").exists() else ""
    if text_pdf:
        meta["ocr"] = True          # its pages carry OCR's text layer (四性检测 checks it is still there)
    return entry_seal({"kind": grp.kind, "number": number, "source_pages_0": list(grp.page_indices),
            "pdf": f"item-{number:03d}.pdf", "turns": page_turns(work, grp), "text_pdf": text_pdf,
            "title": title, "category": category, "year": year, "retention_code": cls.code,
            "instance_code": grp.instance_code or "", "metadata": meta,
            "subject": meta["form"], "keywords": " ".join(filter(None, [meta["candidate_name"], meta["round_code"]]))})


def form_plan(work: Work, number: int, grp: Group, instance: FormInstance) -> dict:
    """A form or cover packet that names itself: everything comes from its FormInstance."""
    round_ = instance.round
    category = instance.category or instance.data.get("category", "")
    retention_class = instance.retention_class or work.config.categories[category].retention
    text = flatten(instance.data)
    if grp.kind == "cover":
        text = "\n".join(filter(None, [text, ocr_text(work, number, grp)]))
    meta = _base_meta(work, grp, instance.doc_date, retention_class, text)
    meta.update(form=instance.form, form_instance=instance.code, round_code=round_.code if round_ else "")
    if instance.form == "filing-cover":     # an incoming document: its own issuer and 文号, as the cover names them
        meta.update(responsible=instance.data.get("responsible") or meta["responsible"],
                    doc_number=instance.data.get("doc_number") or "")
    candidate = (Candidate.objects.filter(round=round_, id_number=instance.subject).first()
                 if round_ and instance.subject else None)
    if candidate:
        meta.update(candidate_id_number=candidate.id_number, candidate_name=candidate.name,
                    ticket_number=candidate.ticket_number, occupation=candidate.occupation, level=candidate.level)
    meta["occupations"], meta["levels"] = instance_coverage(instance=instance)   # room/round records: several
    title = instance.data.get("document_title") or instance.title
    scores_on = round_.scores_recorded_on if round_ else ingest_date(work)
    return _entry(work, number, grp, category=category, retention_class=retention_class, title=title,
                  meta=meta, scores_on=scores_on)


def plain_plan(work: Work, number: int, grp: Group, category: str, title: str, text: str) -> dict:
    """An unmarked document classified by folder or rule: titled by its heading and dated by its 成文日期
    when the OCR text shows them (marked as guessed), else by the file name and the filing day."""
    retention_class = work.config.categories[category].retention
    found_title, found_date = docmeta.heading(text), docmeta.issue_date(text)
    if found_date and found_date > ingest_date(work):
        found_date = None                   # a misread: a document is not issued after it arrived
    meta = _base_meta(work, grp, found_date or ingest_date(work), retention_class, text)
    guessed = [name for name, value in (("title", found_title), ("doc_date", found_date)) if value]
    if guessed:
        meta["guessed"] = guessed
    return _entry(work, number, grp, category=category, retention_class=retention_class,
                  title=found_title or title, meta=meta, scores_on=ingest_date(work))


def review_plan(work: Work, number: int, grp: Group, kind: str, message: str, detail: str, text: str = "") -> dict:
    meta = _base_meta(work, grp, ingest_date(work), "", text)
    return {"kind": kind, "message": message, "detail": detail[:2000], "instance_code": grp.instance_code or "",
            "pdf": f"review-{number:03d}.pdf", "source_pages_0": list(grp.page_indices), "title": work.job.source_name,
            "number": number, "turns": page_turns(work, grp), "page_numbers": _page_numbers(work, grp),
            "text_pdf": f"ocr-{number:03d}.pdf" if (work.out / f"ocr-{number:03d}.pdf").exists() else "",
            "metadata": meta}


def page_turns(work: Work, grp: Group) -> list[int]:
    """Per page of the group, the clockwise turn that shows it upright (from its QR or Tesseract's check)."""
    turn = {info.index: info.turn for info in work.infos}
    return [turn.get(index, 0) for index in grp.page_indices]


def _page_numbers(work: Work, grp: Group) -> list[int]:
    """Per page of a form group, its page number i of i/n from the QR (0 when unknown); [] for other groups."""
    if not grp.instance_code:
        return []
    numbers = {info.index: next((p.page for p in info.payloads if p.instance == grp.instance_code), 0)
               for info in work.infos}
    return [numbers.get(index, 0) for index in grp.page_indices]


def ingest_date(work: Work) -> dt.date:
    return timezone.localtime(work.job.ingest_time).date()


def ocr_text(work: Work, number: int, grp: Group) -> str:
    """OCR the group's pages once (cached in the work folder) and return the text."""
    text_file = work.out / f"ocr-{number:03d}.txt"
    if text_file.exists():
        return text_file.read_text(encoding="utf-8")
    if work.may_ocr is not None and not work.may_ocr():
        raise OcrDeferred(len(grp.page_indices))          # other files wait: this one goes to the OCR lane
    work.out.mkdir(parents=True, exist_ok=True)
    plain = work.out / f"plain-{number:03d}.pdf"
    plain_pdf(work.source, list(grp.page_indices), plain, turns=page_turns(work, grp))
    if work.progress:
        work.progress("ocr", work.job.source_name, len(grp.page_indices))
    try:
        # the pages are upright already (identify settled each one's turn: QR, else Tesseract's check)
        text = ocr_pdf(plain, work.out / f"ocr-{number:03d}.pdf", engine=work.config.ocr.engine,
                       language=work.config.ocr.tesseract_language, rotate_pages=False)
    except OcrFailed as exc:
        if exc.code == "ocr_missing_dependency":
            raise
        # OCRmyPDF could not write its output (e.g. a born-digital page it cannot make PDF/A):
        # the words such a page carries are read directly, and no text layer is added
        log.warning("OCR failed on %s (%s); using the text the PDF carries", work.job.source_name, exc.detail)
        (work.out / f"ocr-{number:03d}.pdf").unlink(missing_ok=True)
        text = embedded_text(plain)
    text_file.write_text(text, encoding="utf-8")
    return text


def flatten(data: object) -> str:
    """The values of a form's data, one per line, for full-text search."""
    if isinstance(data, dict):
        return "\n".join(filter(None, (flatten(value) for value in data.values())))
    if isinstance(data, (list, tuple)):
        return "\n".join(filter(None, (flatten(value) for value in data)))
    if data is None or isinstance(data, bool):
        return ""
    if isinstance(data, str) and data.startswith(("file:", "data:")):
        return ""        # a photo or chart reference, not words anyone searches for
    return str(data)
