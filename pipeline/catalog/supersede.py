"""Which printed forms a correction makes wrong, and marking them superseded (void, to reprint).

A form instance is affected when its subject is the corrected record, or when the values printed on
it (FormInstance.data) name the record (ticket, ID or badge number, room code). Instances still out
(generated, scanned) become SUPERSEDED with the reason; filed ones stay filed and are listed to be
reprinted and filed as a corrected copy. `superseded_by` stays empty: the reprint links itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.utils import timezone

from pipeline.catalog.models import Candidate, FormInstance, Round
from pipeline.core.domain import mask_id
from pipeline.forms.registry import FORMS

OPEN = (FormInstance.Status.GENERATED, FormInstance.Status.SCANNED)
ROUND_FORMS = frozenset(key for key, spec in FORMS.items() if spec.per == "round")


@dataclass(frozen=True)
class Reprint:
    """One printed form a change affects (no ID number in clear: shown and sent as --json)."""

    code: str
    form: str
    form_zh: str
    label: str
    status: str            # superseded | filed (kept; reprint and file the corrected copy) | void (no reprint)
    command: str

    def as_dict(self) -> dict:
        return asdict(self)


def _text(instance: FormInstance) -> str:
    return json.dumps(instance.data, ensure_ascii=False, default=str)


def forms_affected(*, round_: Round | None, subjects: Iterable[str] = (), needles: Iterable[str] = (),
                   forms: Iterable[str] = (), only_subject: bool = False, among: Iterable[str] | None = None,
                   open_only: bool = False) -> list[FormInstance]:
    """Instances not yet superseded (of the forms among, if given; not filed, if open_only) whose subject is
    one of subjects, whose printed values contain a needle (unless only_subject), or whose form is in forms."""
    subjects, needles, forms = set(subjects), [n for n in needles if n], set(forms)
    rows = FormInstance.objects.filter(status__in=OPEN) if open_only else FormInstance.objects.exclude(
        status=FormInstance.Status.SUPERSEDED)
    rows = rows.filter(round=round_) if round_ is not None else rows
    rows = rows.filter(form__in=list(among)) if among is not None else rows
    found = []
    for instance in rows.order_by("form", "subject_label", "code"):
        if (instance.subject in subjects or instance.form in forms
                or (not only_subject and any(n in _text(instance) for n in needles))):
            found.append(instance)
    return found


def _command(instance: FormInstance, *, removed: set[str]) -> tuple[str, str]:
    """(status word for a reprint, the command that prints it again)."""
    spec = FORMS.get(instance.form)
    per = spec.per if spec else "round"
    round_part = f" --round {instance.round.code}" if instance.round_id else ""
    if instance.subject in removed and per in ("candidate", "staff"):
        return "void", ""
    if per == "candidate":
        ticket = Candidate.objects.filter(round_id=instance.round_id, id_number=instance.subject).values_list(
            "ticket_number", flat=True).first() or ""
        return "", f"station forms render {instance.form}{round_part} --subject {ticket}"
    if per in ("staff", "room-sitting", "handover"):
        return "", f"station forms render {instance.form}{round_part} --subject {instance.subject}"
    return "", f"station forms render {instance.form}{round_part}"


def forms_supersede(*, instances: list[FormInstance], reason: str, removed: Iterable[str] = ()) -> list[Reprint]:
    """Mark the open instances SUPERSEDED (reason, time); the list of what to reprint, filed ones included."""
    removed, now, out = set(removed), timezone.now(), []
    for instance in instances:
        status, command = _command(instance, removed=removed)
        if instance.status in OPEN:
            instance.status = FormInstance.Status.SUPERSEDED
            instance.superseded_at, instance.supersede_reason = now, reason[:300]
            instance.save(update_fields=["status", "superseded_at", "supersede_reason"])
            status = status or "superseded"
        else:
            status = status or "filed"
        label = instance.subject_label
        spec = FORMS.get(instance.form)
        out.append(Reprint(instance.code, instance.form, spec.name_zh if spec else instance.form,
                           mask_id(label) if label.isdigit() and len(label) == 18 else label, status, command))
    return out
