"""A mixed stack of returned forms: each form group is decided on its own.

Pages are real rasterised scans (scan simulator: A4 page with the QR, tilted, paper tone, noise,
dust, JPEG inside a PDF as a scanner writes it), one form of every kind `station forms list`
knows, shuffled, plus a form of another station and a blank back side.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from pipeline.catalog.models import ArchiveItem, AuditEntry, FormInstance, IngestJob, ReviewItem
from pipeline.cli.main import main
from pipeline.core.config import get_config
from pipeline.core.domain import QrPayload, new_instance_code
from pipeline.forms.registry import FORMS
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.scansim import degrade, jpeg_bytes, synthetic_page
from tests.ingest.test_flow import DPI, blank_page, drop, fast_config, make_round, stack_bytes


def make_instance(form: str, round_, *, pages: int = 1, retention_class: str | None = None) -> FormInstance:
    """The FormInstance generation would record for one form of this kind (as forms_generate fills it)."""
    spec = FORMS[form]
    category = spec.category or ("FW" if form == "filing-cover" else "")
    if retention_class is None:
        retention_class = spec.retention_class or (get_config().categories["FW"].retention
                                                   if form == "filing-cover" else "")
    data = {"category": category, "title": "关于开展鉴定工作的通知"} if form == "filing-cover" else {"form": form}
    return FormInstance.objects.create(
        code=new_instance_code(), form=form, round=round_, subject=f"{form}-subject", subject_label=spec.name_zh,
        title=f"{round_.code} {spec.name_zh}", pages=pages, retention_class=retention_class, category=category,
        doc_date=dt.date(2026, 12, 5), data=data)


def scanned(instance: FormInstance, rng: random.Random, station: str = "DHJD") -> list[bytes]:
    """Every page of a signed form, through the scanner (tilt, tone, noise, dust, JPEG)."""
    return [jpeg_bytes(degrade(synthetic_page(QrPayload(station, instance.code, page, instance.pages),
                                              [instance.title, f"第 {page} 页"], dpi=DPI), rng), DPI)
            for page in range(1, instance.pages + 1)]


@pytest.mark.django_db
def test_a_stack_of_every_form_kind_files_each_group_on_its_own(data_root, tmp_path, capsys):
    round_ = make_round()
    rng = random.Random(11)
    forms = {key: make_instance(key, round_, pages=2 if key in ("registration", "report") else 1) for key in FORMS}
    foreign = make_instance("registration", round_)
    pages = [page for instance in forms.values() for page in scanned(instance, rng)]
    pages += scanned(foreign, rng, station="XMJD") + [blank_page()]
    rng.shuffle(pages)
    data = stack_bytes(pages, tmp_path)
    drop(data_root.inbox / "混合一叠.pdf", data)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"review": 1}

    kept = {key for key, spec in FORMS.items() if spec.filed}
    filed = {item.form_instance.form for item in ArchiveItem.objects.select_related("form_instance")}
    assert filed == kept and ArchiveItem.objects.count() == len(kept)
    reviews = {r.instance_code: r for r in ReviewItem.objects.all()}
    assert set(reviews) == {forms["admission-ticket"].code, forms["badge"].code, foreign.code}
    ticket = reviews[forms["admission-ticket"].code]
    assert ticket.kind == "not_archived" and ticket.message.startswith("此表不归档（准考证由考生本人保存）")
    assert reviews[forms["badge"].code].message.startswith("此表不归档（胸卡")
    assert reviews[foreign.code].kind == "foreign_station"
    assert not any(data_root.quarantine.glob("*.reason.json"))
    # the same scan dropped again is known as a duplicate, not a new stack
    drop(data_root.inbox / "混合一叠-再次.pdf", data)
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"duplicate": 1}
    assert ArchiveItem.objects.count() == len(kept)


@pytest.mark.django_db
def test_an_unexpected_error_in_one_group_quarantines_only_its_pages(data_root, tmp_path, capsys):
    round_ = make_round()
    rng = random.Random(5)
    good = [make_instance("registration", round_, pages=2), make_instance("roster", round_)]
    # a class removed from config/retention.toml after the form was printed: the plan cannot be made
    broken = make_instance("schedule", round_, pages=2, retention_class="retired-class")
    pages = scanned(good[0], rng) + scanned(broken, rng) + scanned(good[1], rng)
    drop(data_root.inbox / "三份.pdf", stack_bytes(pages, tmp_path))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}

    assert {item.form_instance for item in ArchiveItem.objects.all()} == set(good)
    reasons = list(data_root.quarantine.glob("*.reason.json"))
    assert [p.name for p in reasons] == ["三份.p3-4.pdf.reason.json"]
    reason = json.loads(reasons[0].read_text(encoding="utf-8"))
    assert reason["code"] == "internal_error" and "第 3–4 页" in reason["message"] and "其余页面" in reason["message"]
    import pikepdf
    with pikepdf.open(data_root.quarantine / "三份.p3-4.pdf") as pdf:
        assert len(pdf.pages) == 2
    assert AuditEntry.objects.filter(action="ingest.set_aside").count() == 1
    assert IngestJob.objects.get().state == "filed"
    assert main(["quarantine", "list"]) == 0
    assert "三份.p3-4.pdf" in capsys.readouterr().out
