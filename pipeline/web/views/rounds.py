"""鉴定批次: rounds, sheet uploads with every row error as a table, corrections with a preview, photos,
edit/remove, assign and forms generation in the background, forms not yet returned with a reprint.

Every step calls the service the CLI calls (catalog/importing.py, corrections*.py, assignment.py,
forms/service.py, forms/reprint.py, catalog/selectors.py); a view only saves the upload and shows results.
The services refuse whoever is not 考务人员 or 站长 (catalog/round_access.py); the refusal is shown on this
page in Chinese. Uploaded photo folders keep their sub-folders (web/uploads.py).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from pipeline.catalog.models import Round
from pipeline.catalog.round_access import round_actor_require
from pipeline.catalog.selectors import outstanding_by_round, round_outstanding, round_summary
from pipeline.catalog.services import round_add, round_get
from pipeline.core.errors import BadInput, NotFound, StationError
from pipeline.core.paths import data_paths, safe_join
from pipeline.exams.sheets import ImportRejected
from pipeline.web.actions import act, attachment
from pipeline.web.jobs import job_start
from pipeline.web.middleware import error_status
from pipeline.web.uploads import upload_folder_new, upload_save, uploads_folder, uploads_save

UPLOAD_KINDS = {"candidates": "考生名单", "staff": "工作人员名单", "rooms": "考场名单"}


PHOTO_FIELDS = ("photos", "photo_folder")     # photos picked one by one (flat); a chosen folder (sub-folders kept)


def _save_upload(request, field: str, extra: tuple[str, ...] = ()) -> Path:
    """The uploaded sheet saved under work/web-uploads/<token>/ with the photos of extra beside it, a chosen
    folder with its sub-folders (so that 照片/2026/张三.jpg in the sheet is found, as by the CLI); its path."""
    sheet = request.FILES.get(field)
    if sheet is None:
        raise BadInput("请选择要上传的表格文件（.xlsx 或 .csv）。", "no file uploaded", code="upload_missing")
    folder = upload_folder_new()
    path = upload_save(folder, sheet, Path(sheet.name).name)
    for name in extra:
        uploads_save(request, folder, name)
    return path


def _failed(request, round_: Round, error: StationError):
    """The round page with the service's refusal or problem on top (403 for a refusal, 400 for bad input)."""
    return render(request, "web/rounds/round.html", _context(request, round_, failed=_problems(error)),
                  status=error_status(error))


def _problems(error: StationError) -> dict:
    return {"message": _web_words(error.message_zh), "problems": error.problems}


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
    per_subject: dict[str, dict] = {}       # keyed by subject (an ID number: never put on the page)
    for form in outstanding["forms"]:
        for left in form["outstanding"]:
            row = per_subject.setdefault(left["subject"], {"who": left["subject_label"], "forms": []})
            row["forms"].append({"name": form["name"], "code": left["instance"]})
    return {
        "round": round_,
        "summary": round_summary(round_),
        "kinds": UPLOAD_KINDS,
        "outstanding": outstanding,
        "per_candidate": sorted(per_subject.values(), key=lambda row: row["who"]),
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
        path = _save_upload(request, "sheet", extra=PHOTO_FIELDS if kind == "candidates" else ())
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
        return _failed(request, round_, error)
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
        path = _save_upload(request, "sheet", extra=PHOTO_FIELDS)
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
    except StationError as error:
        return _failed(request, round_, error)
    token = path.parent.name
    request.session[f"update-{code}"] = [token, path.name]
    return render(request, "web/rounds/round.html", _context(request, round_, preview=report, token=token))


@require_POST
def round_update_apply(request, code: str):
    """Apply the previewed corrections (the same uploaded sheet); show which forms to reprint."""
    from pipeline.catalog.corrections import candidates_update

    round_, token = round_get(code), request.POST.get("token", "")
    previewed = request.session.get(f"update-{code}") or ["", ""]
    if not token or previewed[0] != token:
        return HttpResponseBadRequest("预览已过期，请重新上传更正后的名单。")
    sheet = safe_join(uploads_folder() / token, previewed[1], file_name=True)
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
        return _failed(request, round_, error)
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
    """Photos uploaded as a folder, sub-folders kept (named by ID or ticket number): all checked first, one bad
    and none taken."""
    from pipeline.catalog.corrections import candidates_photos

    def call():
        folder = upload_folder_new()
        uploads_save(request, folder, "photos")
        return candidates_photos(round_code=code, folder=folder, actor=request.user.username)

    return _correction(request, round_get(code), call, "照片")


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


def _start(request, round_: Round, kind: str, title: str, work, action_zh: str):
    """Start work in the background unless the service would refuse this user: the refusal is shown here, at once
    (the service checks again when it runs)."""

    def start() -> None:
        round_actor_require(actor=request.user.username, action_zh=action_zh)
        request.session[f"round-job-{round_.code}"] = job_start(kind=kind, title=title, user=request.user, work=work)

    return act(request, reverse("web:round", args=[round_.code]) + "#work", start)


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

    return _start(request, round_, "assign", f"编排 {code}", work, "编排考场与工作人员")


@require_POST
def round_forms(request, code: str):
    """Generate the round's forms in the background, or reprint the outstanding ones (all, or those ticked:
    whole form kinds and single forms); then a zip and the merged print PDFs."""
    from pipeline.forms.registry import FORMS
    from pipeline.forms.reprint import forms_reprint_outstanding
    from pipeline.forms.service import forms_round

    round_, user, post = round_get(code), request.user, request.POST
    only_outstanding, picked = post.get("outstanding") == "1", post.get("pick") == "selected"
    kinds, codes = (post.getlist("form"), post.getlist("instance")) if picked else (None, None)
    out = _out(code) / ("reprint" if only_outstanding else "all")
    stem = f"{code}-{('补打所选' if picked else '补打') if only_outstanding else '全部表单'}"

    def work(progress):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        if only_outstanding:
            batch = forms_reprint_outstanding(round_=round_, out=out, progress=progress, actor=user.username,
                                              forms=kinds, instances=codes)
        else:
            batch = forms_round(round_=round_, out=out, progress=progress, actor=user.username)
        return {
            "lines": [
                f"共 {len(batch.instances)} 份表单，{batch.pages} 页。",
                *(f"未生成《{FORMS[f].name_zh if f in FORMS else f}》：{why}" for f, why in batch.skipped.items()),
            ],
            "links": _package(code, out, batch, stem),
        }

    if only_outstanding and picked and not (kinds or codes):
        return act(request, reverse("web:round", args=[code]) + "#outstanding", _nothing_picked)
    if not only_outstanding:
        return _start(request, round_, "forms", f"生成 {code} 全部表单", work, "生成批次表单")
    title = f"补打 {code} 所选的未交回表单" if picked else f"补打 {code} 尚未交回的表单"
    return _start(request, round_, "forms", title, work, "补打未交回的表单")


def _nothing_picked() -> None:
    raise BadInput("请先勾选要补打的表单（按表单或按考生），再点“补打所选表单”。", "reprint without a selection",
                   code="reprint_nothing")


def _package(code: str, out: Path, batch, stem: str) -> list[dict]:
    """A zip of everything made, and each form's merged print PDF under print/: links for the job card."""
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
