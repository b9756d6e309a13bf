"""鉴定批次: rounds, sheet uploads with every row error as a table, corrections with a preview, photos,
edit/remove, assign and forms generation in the background, forms not yet returned with a reprint.

Every step calls the service the CLI calls (catalog/importing.py, corrections*.py, assignment.py,
forms/service.py, forms/reprint.py, catalog/selectors.py); a view only saves the upload and shows results.
"""

from __future__ import annotations

import shutil
import uuid
import zipfile
from pathlib import Path

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from pipeline.catalog.models import Round
from pipeline.catalog.selectors import outstanding_by_round, round_outstanding, round_summary
from pipeline.catalog.services import round_add, round_get
from pipeline.core.errors import BadInput, NotFound, StationError
from pipeline.core.paths import data_paths, safe_join
from pipeline.exams.sheets import ImportRejected
from pipeline.web.actions import act, attachment, redirect_to
from pipeline.web.jobs import job_start

UPLOAD_KINDS = {"candidates": "考生名单", "staff": "工作人员名单", "rooms": "考场名单"}


def _uploads() -> Path:
    return data_paths().work / "web-uploads"


def _save_upload(request, field: str, extra: str = "") -> Path:
    """The uploaded sheet (and any photos beside it) saved under work/web-uploads/<token>/; its path."""
    sheet = request.FILES.get(field)
    if sheet is None:
        raise BadInput("请选择要上传的表格文件（.xlsx 或 .csv）。", "no file uploaded", code="upload_missing")
    folder = _uploads() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    for upload in [sheet, *(request.FILES.getlist(extra) if extra else [])]:
        target = safe_join(folder, Path(upload.name).name, file_name=True)
        with target.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    return folder / Path(sheet.name).name


def split_advice(message: str) -> tuple[str, str]:
    """A row problem as (what is wrong, what to do): the advice starts at its last “请…”."""
    for mark in ("；请", "，请", "。请", "：请"):
        if mark in message:
            what, _, todo = message.rpartition(mark)
            return what.rstrip("，；：。 ") + "。", "请" + todo
    return message, "按本列的要求改正这一格后重新上传。"


def _web_words(message: str) -> str:
    """The service's advice in the page's words (the CLI option is a checkbox here)."""
    return message.replace("加 --skip-invalid", "勾选“跳过有问题的行”")


def _rows_table(error: ImportRejected) -> list[dict]:
    return [
        {**row, "what": split_advice(row["message"])[0], "todo": split_advice(row["message"])[1]} for row in error.rows
    ]


@require_GET
def rounds_page(request):
    """Every round with its candidates and forms not yet returned; a form to add one."""
    outstanding = outstanding_by_round()
    rounds = [
        {"round": r, "candidates": r.candidates.count(), "outstanding": outstanding.get(r.code, 0)}
        for r in Round.objects.order_by("-created_at")[:200]
    ]
    return render(request, "web/rounds/list.html", {"rounds": rounds})


@require_POST
def round_create(request):
    """Add a round (code, name, exam times)."""

    def call():
        post = request.POST
        theory, practical = (
            _when(post.get(k), label) for k, label in (("theory", "理论考试"), ("practical", "实操考核"))
        )
        round_ = round_add(
            code=post.get("code", ""),
            name=post.get("name", ""),
            theory_at=theory,
            practical_at=practical,
            actor=request.user.username,
        )
        return f"已建立批次 {round_.code}。"

    return act(request, reverse("web:rounds"), call)


def _when(text: str | None, label: str):
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None:
        raise BadInput(
            f"“{label}”的时间“{text}”无法识别，请选择日期和时间。", f"bad datetime {text!r}", code="date_invalid"
        )
    from django.utils import timezone

    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _context(request, round_: Round, **extra) -> dict:
    outstanding = round_outstanding(round_=round_)
    per_subject: dict[str, list[str]] = {}
    for form in outstanding["forms"]:
        for left in form["outstanding"]:
            per_subject.setdefault(left["subject_label"], []).append(form["name"])
    return {
        "round": round_,
        "summary": round_summary(round_),
        "kinds": UPLOAD_KINDS,
        "outstanding": outstanding,
        "per_candidate": sorted(per_subject.items()),
        "job": request.session.get(f"round-job-{round_.code}", ""),
        "files": _generated(round_.code),
        **extra,
    }


@require_GET
def round_page(request, code: str):
    """One round: its groups, uploads, corrections, assignment, forms and what has not come back."""
    return render(request, "web/rounds/round.html", _context(request, round_get(code)))


@require_POST
def round_upload(request, code: str, kind: str):
    """Import a sheet; a sheet with bad rows is shown back as a table (row, column, what, what to do)."""
    from pipeline.catalog.importing import candidates_import, rooms_import, staff_import

    round_ = round_get(code)
    if kind not in UPLOAD_KINDS:
        raise NotFound("没有这种名单。", f"no upload kind {kind}", code="upload_kind")
    try:
        path = _save_upload(request, "sheet", extra="photos" if kind == "candidates" else "")
        actor = request.user.username
        report = {
            "candidates": lambda: candidates_import(
                path=path, round_code=round_.code, actor=actor, skip_invalid=request.POST.get("skip_invalid") == "on"
            ),
            "staff": lambda: staff_import(path=path, actor=actor),
            "rooms": lambda: rooms_import(path=path, actor=actor),
        }[kind]()
    except ImportRejected as error:
        return render(
            request,
            "web/rounds/round.html",
            _context(
                request,
                round_,
                rejected={
                    "kind": UPLOAD_KINDS[kind],
                    "message": _web_words(error.message_zh),
                    "rows": _rows_table(error),
                },
            ),
            status=400,
        )
    except StationError as error:
        return render(
            request,
            "web/rounds/round.html",
            _context(request, round_, failed={"message": error.message_zh, "problems": error.problems}),
            status=400,
        )
    return render(
        request,
        "web/rounds/round.html",
        _context(request, round_, imported=report.as_dict(), imported_kind=UPLOAD_KINDS[kind]),
    )


@require_POST
def round_update_preview(request, code: str):
    """A corrected candidate sheet: every change it would make, before anything is written."""
    from pipeline.catalog.corrections import candidates_update

    round_ = round_get(code)
    try:
        path = _save_upload(request, "sheet", extra="photos")
        report = candidates_update(path=path, round_code=round_.code, dry_run=True, actor=request.user.username)
    except ImportRejected as error:
        return render(
            request,
            "web/rounds/round.html",
            _context(
                request,
                round_,
                rejected={"kind": "更正后的考生名单", "message": error.message_zh, "rows": _rows_table(error)},
            ),
            status=400,
        )
    token = path.parent.name
    request.session[f"update-{code}"] = token
    return render(request, "web/rounds/round.html", _context(request, round_, preview=report, token=token))


@require_POST
def round_update_apply(request, code: str):
    """Apply the previewed corrections (the same uploaded sheet); show which forms to reprint."""
    from pipeline.catalog.corrections import candidates_update

    round_, token = round_get(code), request.POST.get("token", "")
    if not token or request.session.get(f"update-{code}") != token:
        return HttpResponseBadRequest("预览已过期，请重新上传更正后的名单。")
    sheet = next((p for p in (_uploads() / token).iterdir() if p.suffix.lower() in (".xlsx", ".csv")), None)
    return _correction(
        request,
        round_,
        lambda: candidates_update(path=sheet, round_code=round_.code, actor=request.user.username),
        "名单更正",
    )


def _correction(request, round_: Round, call, what: str):
    try:
        report = call()
    except StationError as error:
        return render(
            request,
            "web/rounds/round.html",
            _context(request, round_, failed={"message": error.message_zh, "problems": error.problems}),
            status=400,
        )
    return render(request, "web/rounds/round.html", _context(request, round_, corrected=report, corrected_what=what))


@require_POST
def round_candidate_edit(request, code: str):
    """Change fields of one candidate (checked as a sheet row would be); the forms to reprint are listed."""
    from pipeline.catalog.corrections import EDITABLE, candidate_edit

    values = {k: v for k, v in ((f, request.POST.get(f, "").strip()) for f in EDITABLE) if v}
    return _correction(
        request,
        round_get(code),
        lambda: candidate_edit(
            ref=request.POST.get("ref", ""), values=values, round_code=code, actor=request.user.username
        ),
        "考生信息修改",
    )


@require_POST
def round_candidate_remove(request, code: str):
    """Remove a candidate who has no scores and nothing filed (reason required)."""
    from pipeline.catalog.corrections import candidate_remove

    return _correction(
        request,
        round_get(code),
        lambda: candidate_remove(
            ref=request.POST.get("ref", ""),
            reason=request.POST.get("reason", ""),
            round_code=code,
            actor=request.user.username,
        ),
        "删除考生",
    )


@require_POST
def round_photos(request, code: str):
    """Photos uploaded as a folder (named by ID or ticket number): all checked first, one bad and none taken."""
    from pipeline.catalog.corrections import candidates_photos

    files = request.FILES.getlist("photos")
    folder = _uploads() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    for upload in files:
        with safe_join(folder, Path(upload.name).name, file_name=True).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    return _correction(
        request,
        round_get(code),
        lambda: candidates_photos(round_code=code, folder=folder, actor=request.user.username),
        "照片",
    )


def _out(code: str) -> Path:
    return data_paths().generated / "web" / "rounds" / code


def _generated(code: str) -> list[str]:
    folder = _out(code)
    return (
        sorted(p.relative_to(folder).as_posix() for p in folder.glob("*.zip"))
        + sorted(p.relative_to(folder).as_posix() for p in (folder / "print").glob("*.pdf"))
        if folder.is_dir()
        else []
    )


def _start(request, round_: Round, kind: str, title: str, work) -> None:
    request.session[f"round-job-{round_.code}"] = job_start(kind=kind, title=title, user=request.user, work=work)


@require_POST
def round_assign(request, code: str):
    """Plan seats and staff in the background; planning errors are shown as the planner words them."""
    from pipeline.catalog.assignment import assignment_make

    round_, user = round_get(code), request.user
    replan, reason = request.POST.get("replan") == "on", request.POST.get("reason", "")

    def work(progress):
        progress(0, 1, "正在编排考场与工作人员")
        result = assignment_make(round_=round_, actor=user.username, replan=replan, reason=reason)
        return {
            "lines": [
                f"已安排 {result.candidates} 名考生：{len(result.plan.sittings)} 个场次，"
                f"{len(result.plan.seats)} 个座位，{len(result.plan.duties)} 项工作人员安排。",
                *result.plan.warnings,
                *(f"须重新打印：{r['form_zh'] + ' ' + r['label']}" for r in result.reprints),
            ]
        }

    _start(request, round_, "assign", f"编排 {code}", work)
    return redirect_to(reverse("web:round", args=[code]) + "#work")


@require_POST
def round_forms(request, code: str):
    """Generate the round's forms in the background: then a zip of all and the merged print PDFs."""
    from pipeline.forms.reprint import forms_reprint_outstanding
    from pipeline.forms.service import forms_round

    round_, user, only_outstanding = round_get(code), request.user, request.POST.get("outstanding") == "1"
    out = _out(code) / ("reprint" if only_outstanding else "all")

    def work(progress):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        maker = forms_reprint_outstanding if only_outstanding else forms_round
        batch = maker(round_=round_, out=out, progress=progress, actor=user.username)
        return {
            "lines": [
                f"共 {len(batch.instances)} 份表单，{batch.pages} 页。",
                *(f"未生成 {form}：{why}" for form, why in batch.skipped.items()),
            ],
            "links": _package(code, out, batch, only_outstanding),
        }

    title = f"补打 {code} 尚未交回的表单" if only_outstanding else f"生成 {code} 全部表单"
    _start(request, round_, "forms", title, work)
    return redirect_to(reverse("web:round", args=[code]) + "#work")


def _package(code: str, out: Path, batch, only_outstanding: bool) -> list[dict]:
    """A zip of everything made, and each form's merged print PDF under print/: links for the job card."""
    stem = f"{code}-{'补打' if only_outstanding else '全部表单'}"
    zip_path = _out(code) / f"{stem}.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in out.rglob("*") if p.is_file() and ".print-chunks" not in p.parts):
            archive.write(path, path.relative_to(out).as_posix())
    prints = _out(code) / "print"
    prints.mkdir(exist_ok=True)
    links = [{"label": f"下载 {zip_path.name}", "url": reverse("web:round_file", args=[code, zip_path.name])}]
    for _form, merged in sorted(batch.merged.items()):
        target = prints / f"{stem}-{Path(merged).name}"
        shutil.copyfile(merged, target)
        links.append(
            {"label": f"打印用 {target.name}", "url": reverse("web:round_file", args=[code, f"print/{target.name}"])}
        )
    return links


@require_GET
def round_file(request, code: str, name: str):
    """Download a zip or merged print PDF made for this round."""
    if name not in _generated(code):
        raise NotFound(f"批次 {code} 没有文件“{name}”，请重新生成。", f"no file {name}", code="round_file_missing")
    return attachment(_out(code) / name, Path(name).name)
