"""The 首页's selectors: what waits for each user — approvals, witness signatures, overdue loans, items
falling due, forms not returned, the inbox and the last verify — and the CLI reads that moved into selectors."""

import datetime as dt

import pytest
from PIL import Image

from pipeline.archive.store import item_folder, make_writable
from pipeline.catalog.dashboard import (
    approvals_waiting,
    forms_not_returned,
    home_summary,
    inbox_activity,
    inbox_summary,
    items_falling_due,
    loans_overdue,
    verify_last,
    witness_waiting,
)
from pipeline.catalog.destruction import destruction_approve, destruction_propose, destruction_witness
from pipeline.catalog.holds import hold_place, hold_release
from pipeline.catalog.listings import loans_list, retention_due
from pipeline.catalog.loans import loan_approve, loan_lend, loan_request
from pipeline.cli.main import main
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import Refused
from pipeline.ingest.inbox import inbox_upload
from tests.retention.conftest import make_item

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


def test_a_register_waits_for_each_head_but_its_proposer_then_for_each_witness_until_they_sign(data_root, users):
    make_item(data_root, doc_date=dt.date(2019, 6, 1))
    batch = destruction_propose(actor=users["arch"], config=get_config(), as_of=TODAY)
    waiting = {name: [w["target"] for w in approvals_waiting(user=users[name])] for name in users}
    assert waiting["head"] == waiting["head2"] == waiting["boss"] == [batch.code]
    assert waiting["arch"] == waiting["w1"] == waiting["clerk"] == []
    assert witness_waiting(user=users["w1"]) == []                      # not approved yet
    destruction_approve(actor=users["head"], batch_code=batch.code)
    assert approvals_waiting(user=users["head2"]) == []
    assert [w["code"] for w in witness_waiting(user=users["w1"])] == [batch.code]
    assert witness_waiting(user=users["head"]) == []                   # no witness role
    destruction_witness(actor=users["w1"], batch_code=batch.code)
    assert witness_waiting(user=users["w1"]) == []                      # signed already
    assert [(w["code"], w["signed"]) for w in witness_waiting(user=users["w2"])] == [(batch.code, 1)]
    destruction_witness(actor=users["w2"], batch_code=batch.code)
    assert witness_waiting(user=users["w3"]) == []                      # two signed: nothing left to sign


def test_a_loan_waits_for_a_leader_other_than_its_requester_and_shows_overdue_once_past_due_back(data_root, users):
    item = make_item(data_root, doc_date=dt.date(2024, 6, 1))
    loan = loan_request(actor=users["head2"], item_code=item.archival_code, borrower="李老师", purpose="核对成绩",
                        copy_requested=True, due_back=TODAY - dt.timedelta(days=3))
    assert [w["id"] for w in approvals_waiting(user=users["head"])] == [loan.id]
    assert approvals_waiting(user=users["head2"]) == []                 # the requester cannot approve it
    assert approvals_waiting(user=users["arch"]) == []
    loan_approve(actor=users["head"], loan_id=loan.id)
    assert approvals_waiting(user=users["head"]) == []
    assert loans_overdue(today=TODAY) == []                             # approved, not lent
    loan_lend(actor=users["arch"], loan_id=loan.id)
    overdue = loans_overdue(today=TODAY)
    assert [(o["item"], o["borrower"], o["days"]) for o in overdue] == [(item.archival_code, "李老师", 3)]
    assert loans_overdue(today=TODAY - dt.timedelta(days=3)) == []
    assert loans_list()[0]["due_back"] == TODAY - dt.timedelta(days=3)


def test_items_falling_due_counts_due_and_soon_and_the_due_list_names_what_blocks(data_root, users):
    soon = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    later = make_item(data_root, category="KW", doc_date=dt.date(2019, 6, 1))
    assert soon.due_date < later.due_date
    before = soon.due_date - dt.timedelta(days=10)
    report = items_falling_due(today=before)
    assert (report["due"], [r["archival_code"] for r in report["next"]]) == (0, [soon.archival_code])
    assert items_falling_due(today=soon.due_date)["due"] == 1
    hold_place(actor=users["arch"], item_code=soon.archival_code, reason="诉讼")
    assert (items_falling_due(today=soon.due_date)["due"], items_falling_due(today=soon.due_date)["held"]) == (0, 1)
    due = retention_due(config=get_config(), as_of=soon.due_date)
    assert [r["archival_code"] for r in due["items"]] == [soon.archival_code]
    assert "诉讼" in "；".join(due["items"][0]["blocked"])


def test_a_held_item_does_not_fall_due_on_the_home_page_whether_held_by_item_round_or_candidate(data_root, users):
    person = "350203199001011234"
    by_round = make_item(data_root, doc_date=dt.date(2019, 6, 1), round_code="2019-05")
    by_candidate = make_item(data_root, doc_date=dt.date(2019, 6, 1), candidate=person)
    by_item = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    free = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    day = free.due_date
    before = day - dt.timedelta(days=10)
    assert (items_falling_due(today=day)["due"], items_falling_due(today=before)["soon"]) == (4, 4)
    holds = [hold_place(actor=users["arch"], round_code="2019-05", reason="成绩复核"),
             hold_place(actor=users["arch"], candidate_id_number=person, reason="劳动争议待查"),
             hold_place(actor=users["head"], item_code=by_item.archival_code, reason="诉讼")]
    due, soon = items_falling_due(today=day), items_falling_due(today=before)
    assert (due["due"], due["held"], soon["soon"], soon["held"]) == (1, 3, 1, 3)
    assert [r["archival_code"] for r in soon["next"]] == [free.archival_code]
    home = home_summary(user=users["arch"], paths=data_root, today=day)["due"]
    assert (home["due"], home["held"]) == (1, 3)
    hold_release(actor=users["arch"], hold_id=holds[0].id)              # released: the round's item falls due again
    assert sorted(r["archival_code"] for r in items_falling_due(today=before)["next"]) == sorted(
        [free.archival_code, by_round.archival_code])
    assert by_candidate.archival_code not in [r["archival_code"] for r in items_falling_due(today=before)["next"]]


def test_verify_records_its_outcome_for_the_home_page(data_root, users):
    item = make_item(data_root, doc_date=dt.date(2020, 5, 1))
    assert verify_last(paths=data_root) is None
    assert main(["verify"]) == 0
    last = verify_last(paths=data_root)
    assert last["ok"] and last["items"] == 1 and last["problems"] == 0
    folder = item_folder(data_root, ArchivalCode.parse(item.archival_code))
    make_writable(folder)
    (folder / "document.pdf").write_bytes(b"%PDF-1.7 changed")
    assert main(["verify"]) != 0
    last = verify_last(paths=data_root)
    assert not last["ok"] and last["problems"] >= 1 and "document.pdf" in " ".join(last["first"])
    assert home_summary(user=users["arch"], paths=data_root)["verify"]["problems"] == last["problems"]


def test_an_upload_lands_whole_in_the_inbox_under_its_name_and_is_counted_as_queued(data_root, users, tmp_path):
    scan = tmp_path / "扫描 001.jpg"
    Image.new("RGB", (200, 280), (250, 250, 250)).save(scan, "JPEG")
    data = scan.read_bytes()
    first = inbox_upload(user=users["arch"], paths=data_root, config=get_config(), name=r"C:\扫描\扫描 001.jpg",
                         chunks=[data[:100], data[100:]])
    second = inbox_upload(user=users["clerk"], paths=data_root, config=get_config(), name="扫描 001.jpg",
                          chunks=[data])
    assert first == data_root.inbox / "扫描 001.jpg" and first.read_bytes() == data
    assert second.name == "扫描 001（2）.jpg" and second.read_bytes() == data   # never overwrites
    assert sorted(p.name for p in data_root.inbox.iterdir()) == ["扫描 001.jpg", "扫描 001（2）.jpg"]
    assert inbox_summary(paths=data_root)["queued"] == 2
    with pytest.raises(Refused) as refused:
        inbox_upload(user=users["w1"], paths=data_root, config=get_config(), name="x.jpg", chunks=[data])
    assert refused.value.code == "role_required"
    assert sorted(p.name for p in data_root.inbox.iterdir()) == ["扫描 001.jpg", "扫描 001（2）.jpg"]


def test_forms_not_returned_are_counted_per_round(data_root, tmp_path):
    from pipeline.catalog.models import Candidate
    from pipeline.forms.service import forms_generate_many
    from tests.forms.test_room_forms import make_round
    round_ = make_round(2)
    Image.new("RGB", (295, 413), (180, 200, 230)).save(data_root.photos / "photo.jpg", quality=85)
    Candidate.objects.filter(round=round_).update(photo="photo.jpg")
    forms_generate_many(forms=["registration"], round_=round_, out=tmp_path / "printed", workers=1)
    assert forms_not_returned() == [{"round": round_.code, "name": round_.name, "outstanding": 2}]


def test_filed_today_counts_by_the_station_day_not_yesterday(data_root):
    from django.utils import timezone

    from pipeline.catalog.models import ArchiveItem
    today, yesterday = make_item(data_root), make_item(data_root)
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    ArchiveItem.objects.filter(id=today.id).update(filed_at=midnight + dt.timedelta(seconds=1))
    ArchiveItem.objects.filter(id=yesterday.id).update(filed_at=midnight - dt.timedelta(seconds=1))
    summary = inbox_summary(paths=data_root)
    assert (summary["filed_today"], summary["filed_total"]) == (1, 2)
    # filed lately: newest filing first, whatever order the rows were made in
    assert [row["archival_code"] for row in inbox_activity(paths=data_root)["filed"]] == [today.archival_code,
                                                                                          yesterday.archival_code]
