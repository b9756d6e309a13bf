"""鉴定销毁: the due list with blockers, propose, the approval queue, the frozen register, sign, execute.

Views parse and call services (pipeline/catalog/register.py, signing.py, destruction.py); every
rule — who may sign, the version, the reset after a change — is there, not here. The page offers each
user only the buttons that are theirs (signing.batch_actions); a forged POST is refused by the service.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pipeline.catalog.models import DestructionBatch, Role
from pipeline.catalog.register import due_list, register_read
from pipeline.catalog.services import user_roles
from pipeline.catalog.signing import (
    batch_actions,
    destruction_approve_signed,
    destruction_entry_strike,
    destruction_execute_ready,
    destruction_execute_signed,
    destruction_queue,
    destruction_witness_signed,
)
from pipeline.core.config import get_config
from pipeline.core.errors import NotFound
from pipeline.core.paths import data_paths
from pipeline.web.actions import act, attachment, day_field, int_field, redirect_to
from pipeline.web.jobs import job_start

ROWS_PER_PAGE = 100


def ITEM_URL_PREFIX() -> str:  # noqa: N802 — a constant once the URLconf is loaded
    """The record page's address without its 档号 (reversed once, not once per row)."""
    return reverse("web:item", args=["X"]).removesuffix("X/")


SHOW = {"all": "全部到期", "free": "可销毁", "blocked": "被阻止（保全、借阅）"}


def _register_url(code: str) -> str:
    """The register page of one batch (where its forms post back to)."""
    return reverse("web:destruction_register", args=[code])


def _register_dir(code: str, kind: str) -> Path:
    """var/generated/web/destruction/<清册>/<proposed|executed>/: the register files the page offers."""
    return data_paths().generated / "web" / "destruction" / code / kind


@require_GET
def destruction_home(request):
    """What waits for me, every register with its state, and (archivist) drawing up a new one."""
    config = get_config()
    batches = (
        DestructionBatch.objects.annotate(
            entry_count=Count("entries"), struck_count=Count("entries", filter=Q(entries__struck=True))
        )
        .prefetch_related("witnesses")
        .order_by("-id")[:100]
    )
    return render(
        request,
        "web/destruction/home.html",
        {
            "queue": destruction_queue(user=request.user, config=config),
            "batches": batches,
            "can_propose": Role.ARCHIVIST in user_roles(request.user),
            "today": timezone.localdate(),
        },
    )


@require_GET
def due_page(request):
    """The items due by a day, a page at a time, each with what blocks it (holds, loans)."""
    as_of = day_field(request.GET.get("as_of"), "截至日期")
    show = request.GET.get("show") if request.GET.get("show") in SHOW else "all"
    due = due_list(config=get_config(), as_of=as_of, show=show, page=int_field(request.GET.get("page"), "页"))
    return render(
        request, "web/destruction/due.html", {"due": due, "show": show, "shows": SHOW, "item_url": ITEM_URL_PREFIX()}
    )


@require_POST
def propose(request):
    """Draw up the register of everything due and unblocked (archivist); its PDF is made in the background."""
    from pipeline.catalog.destruction import destruction_propose

    made = {}

    def call():
        as_of = day_field(request.POST.get("as_of"), "截至日期")
        batch = destruction_propose(actor=request.user, config=get_config(), as_of=as_of)
        made["code"] = batch.code
        _render_job(request, batch.code, "proposed")
        return f"已提出销毁清册 {batch.code}：{batch.entries.count()} 件，等待站长批准。"

    response = act(request, reverse("web:destruction"), call)
    if "code" in made:
        return redirect_to(_register_url(made["code"]))
    return response


def _render_job(request, code: str, kind: str) -> str:
    from pipeline.forms.destruction import destruction_register_final, destruction_register_render

    render_fn = destruction_register_final if kind == "executed" else destruction_register_render
    out = _register_dir(code, kind)

    def work(progress):
        progress(0, 1, "正在排版销毁清册")
        files = render_fn(batch_code=code, out=out, actor=request.user.username)
        progress(1, 1, "已完成")
        return {"files": [Path(f).name for f in files]}

    job = job_start(kind="destruction-register", title=f"生成销毁清册 {code}", user=request.user, work=work)
    request.session[f"register-job-{code}"] = job
    return job


@require_GET
def register_page(request, code: str):
    """The frozen register: version, rows with evidence, who signed, and the buttons that are this user's."""
    config = get_config()
    register = register_read(batch_code=code, config=config, actor=request.user.username)
    rows = Paginator(register.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/destruction/register.html",
        {
            "register": register,
            "batch": register.batch,
            "rows": rows,
            "actions": batch_actions(batch=register.batch, user=request.user),
            "item_url": ITEM_URL_PREFIX(),
            "witnesses": list(register.batch.witnesses.order_by("at")),
            "files": {kind: _files(code, kind) for kind in ("proposed", "executed")},
            "job": request.session.get(f"register-job-{code}", ""),
            "execute_job": request.session.get(f"execute-job-{code}", ""),
        },
    )


def _files(code: str, kind: str) -> list[str]:
    folder = _register_dir(code, kind)
    return sorted(p.name for p in folder.rglob("*") if p.suffix in (".pdf", ".docx")) if folder.is_dir() else []


def _sign(request, code: str, sign: Callable[..., DestructionBatch], done: Callable[[DestructionBatch], str],
          **fields: str):
    """Sign the register version shown, with the password typed again (approve, witness); back to the register."""

    def call():
        batch = sign(
            actor=request.user,
            batch_code=code,
            version=request.POST.get("version", ""),
            password=request.POST.get("password", ""),
            config=get_config(),
            **fields,
        )
        return done(batch)

    return act(request, _register_url(code), call)


@require_POST
def approve(request, code: str):
    """The station head approves the version shown, with an opinion and the password typed again."""

    def done(batch: DestructionBatch) -> str:
        return f"已批准销毁清册 {code}（版本 {batch.approved_version[:12]}）。须两名监销人确认后方可执行。"

    return _sign(request, code, destruction_approve_signed, done, opinion=request.POST.get("opinion", ""))


@require_POST
def witness(request, code: str):
    """A 监销人 confirms the approved version, under their own sign-in and password."""

    def done(batch: DestructionBatch) -> str:
        count = batch.witnesses.count()
        return f"监销人已确认销毁清册 {code}（{count}/2）。" + (
            "可以执行销毁。" if count >= 2 else "还需另一名监销人确认。"
        )

    return _sign(request, code, destruction_witness_signed, done)


@require_POST
def strike(request, code: str):
    """Strike one row (with a reason); a register already signed loses its approval."""

    def call():
        item = request.POST.get("item", "")
        changes = destruction_entry_strike(
            actor=request.user,
            batch_code=code,
            item_code=item,
            reason=request.POST.get("reason", ""),
            config=get_config(),
        )
        tail = "清册已变更，原批准与监销确认已作废，须站长重新批准。" if changes else ""
        return f"已从销毁清册 {code} 中划去 {item.strip()}。{tail}"

    return act(request, _register_url(code), call)


@require_POST
def execute(request, code: str):
    """Execute a witnessed register in the background (password typed again); the final register follows."""
    from pipeline.forms.destruction import destruction_register_final

    config, paths, user = get_config(), data_paths(), request.user
    password = request.POST.get("password", "")

    def call():
        destruction_execute_ready(actor=user, batch_code=code, password=password, config=config)

        def work(progress):
            report = destruction_execute_signed(
                actor=user, batch_code=code, password=password, config=config, paths=paths, progress=progress
            )
            destruction_register_final(batch_code=code, out=_register_dir(code, "executed"), actor=user.username)
            return {"destroyed": len(report.destroyed), "kept": report.kept, "index_warning": report.index_warning}

        request.session[f"execute-job-{code}"] = job_start(
            kind="destruction-execute", title=f"执行销毁 {code}", user=user, work=work
        )
        return f"正在执行销毁清册 {code}：逐件复核后删除，完成后出具已执行的清册。"

    return act(request, _register_url(code), call)


@require_POST
def render_register(request, code: str):
    """Make the register's PDF and DOCX again from its current rows (background)."""
    from pipeline.catalog.destruction import batch_get

    batch = batch_get(code)
    kind = "executed" if batch.state == DestructionBatch.State.EXECUTED else "proposed"
    _render_job(request, code, kind)
    return redirect_to(_register_url(code))


@require_GET
def register_file(request, code: str, kind: str, name: str):
    """Download one register file (PDF or DOCX) made for this batch."""
    if kind not in ("proposed", "executed") or name not in _files(code, kind):
        raise NotFound(
            f"销毁清册 {code} 没有文件“{name}”。请在清册页面重新生成。",
            f"no file {name} for {code}",
            code="register_file_missing",
        )
    path = next(p for p in _register_dir(code, kind).rglob(name))
    return attachment(path, name)
