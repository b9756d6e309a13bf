"""Forms that never came back: listed per form and per candidate or room, counted in status, and
printed again under their own instance codes (same QR) so the reprint files itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from pipeline.catalog.assignment import assignment_make
from pipeline.catalog.models import ArchiveItem, AuditEntry, Candidate, FormInstance
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from pipeline.forms.service import forms_generate_many
from pipeline.ingest.flow import ingest_once
from pipeline.ingest.scansim import ScanOptions, simulate
from tests.forms.scan import payloads, raster
from tests.forms.test_room_forms import make_round
from tests.ingest.test_flow import fast_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def printed(data_root, tmp_path):
    """Six candidates: registration forms and room records generated; two registrations signed, scanned, filed."""
    round_ = make_round(6)
    Image.new("RGB", (295, 413), (180, 200, 230)).save(data_root.photos / "photo.jpg", quality=85)
    Candidate.objects.filter(round=round_).update(photo="photo.jpg")
    assignment_make(round_=round_, seed=1)
    batch = forms_generate_many(forms=["registration", "room-record", "admission-ticket"], round_=round_,
                                out=tmp_path / "printed", workers=1)
    registrations = sorted((g for g in batch.instances if g.form == "registration"), key=lambda g: g.code)
    returned = registrations[:2]
    simulate([g.pdf for g in returned], data_root.inbox, ScanOptions(seed=3, stack=True))
    ingest_once(paths=data_root, config=fast_config(0))
    assert ArchiveItem.objects.count() == 2
    return round_, batch, {g.code for g in returned}


def test_outstanding_lists_what_was_generated_and_not_filed(printed, capsys):
    round_, batch, returned = printed
    assert main(["rounds", "outstanding", round_.code, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    forms = {f["form"]: f for f in report["forms"]}
    assert "admission-ticket" not in forms                   # kept by the candidate, never filed
    assert (forms["registration"]["generated"], forms["registration"]["filed"]) == (6, 2)
    missing = {row["instance"] for row in forms["registration"]["outstanding"]}
    assert missing == {g.code for g in batch.instances if g.form == "registration"} - returned
    rooms = forms["room-record"]["outstanding"]
    assert rooms and all("第" in row["subject_label"] for row in rooms)   # each room × sitting named
    assert report["outstanding"] == 4 + len(rooms)
    assert main(["rounds", "outstanding", round_.code]) == 0
    out = capsys.readouterr().out
    assert "未交回" in out and "职业技能鉴定报名登记表" in out
    assert main(["status"]) == 0
    assert f"批次 {round_.code}：未交回归档的表单 {report['outstanding']} 份" in capsys.readouterr().out


def test_superseded_copies_are_not_outstanding(printed, capsys):
    round_, batch, returned = printed
    old = FormInstance.objects.filter(form="registration").exclude(code__in=returned).first()
    FormInstance.objects.filter(pk=old.pk).update(status=FormInstance.Status.SUPERSEDED)
    assert main(["rounds", "outstanding", round_.code, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    registration = next(f for f in report["forms"] if f["form"] == "registration")
    assert old.code not in {row["instance"] for row in registration["outstanding"]}
    assert registration["generated"] == 5


def test_reprint_outstanding_prints_the_same_instances_and_the_scan_files_itself(printed, tmp_path, capsys,
                                                                                data_root):
    round_, batch, returned = printed
    before = FormInstance.objects.count()
    out = tmp_path / "reprint"
    assert main(["forms", "round", round_.code, "--outstanding", "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert FormInstance.objects.count() == before                              # no new instances
    reprinted = {row["code"] for row in data["instances"]}
    expected = {i.code for i in FormInstance.objects.filter(round=round_, form__in=["registration", "room-record"])
                .exclude(code__in=returned)}
    assert reprinted == expected
    assert (out / "registration-全部打印.pdf").exists()
    one = next(row for row in data["instances"] if row["form"] == "registration")
    pdf = Path(one["pdf"]).read_bytes()
    assert [p.instance for p in payloads(raster(pdf, dpi=150))] == [one["code"]]   # the very same QR
    simulate([Path(one["pdf"])], data_root.inbox, ScanOptions(seed=5))
    ingest_once(paths=data_root, config=fast_config(0))
    assert FormInstance.objects.get(code=one["code"]).status == FormInstance.Status.FILED
    assert main(["rounds", "outstanding", round_.code, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outstanding"] == len(expected) - 1


def test_reprint_only_the_forms_ticked_by_kind_and_by_code(printed, tmp_path, capsys):
    round_, batch, returned = printed
    waiting = sorted(FormInstance.objects.filter(round=round_, form="registration").exclude(code__in=returned)
                     .values_list("code", flat=True))
    one, came_back = waiting[0], sorted(returned)[0]
    rooms = set(FormInstance.objects.filter(round=round_, form="room-record").values_list("code", flat=True))
    out = tmp_path / "some"
    assert main(["forms", "round", round_.code, "--outstanding", "--form", "room-record", "--instance", one,
                 "--instance", came_back, "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {row["code"] for row in data["instances"]} == rooms | {one}       # one registration, not the other 3
    assert came_back in data["skipped"]["registration"]                       # filed meanwhile: said, not printed
    assert [p.name for p in (out / "registration").iterdir()] == [Path(next(
        row["pdf"] for row in data["instances"] if row["code"] == one)).name]
    entry = AuditEntry.objects.filter(action="forms.reprint").order_by("seq").last()
    assert entry.detail["selected"] == {"forms": ["room-record"], "instances": sorted([one, came_back])}
    assert main(["forms", "round", round_.code, "--outstanding", "--instance", "KW-NOPE-1", "--out",
                 str(tmp_path / "x")]) == ExitCode.BAD_INPUT
    assert "没有编号为KW-NOPE-1的表单" in "".join(capsys.readouterr().err.split())
    assert main(["forms", "round", round_.code, "--form", "registration", "--out", str(tmp_path / "y")]) \
        == ExitCode.BAD_INPUT
