"""The destruction workflow: propose → approve → two witnesses → execute, with real item folders."""

import datetime as dt
import json

import pytest

from pipeline.archive.audit import audit_verify
from pipeline.archive.store import item_folder
from pipeline.catalog.destruction import (
    destruction_approve,
    destruction_execute,
    destruction_propose,
    destruction_witness,
    tombstone_path,
)
from pipeline.catalog.holds import hold_place, hold_release, retention_recompute
from pipeline.catalog.loans import loan_approve, loan_lend, loan_request, loan_return
from pipeline.catalog.models import ArchiveItem, AuditEntry, DestructionBatch, Tombstone
from pipeline.catalog.people import user_grant
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import Conflict, Refused
from tests.retention.conftest import make_item

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


def _through_witnesses(users, *, strikes=None):
    config = get_config()
    batch = destruction_propose(actor=users["arch"], config=config, as_of=TODAY)
    destruction_approve(actor=users["head"], batch_code=batch.code, strikes=strikes)
    destruction_witness(actor=users["w1"], batch_code=batch.code)
    destruction_witness(actor=users["w2"], batch_code=batch.code)
    return batch


def test_due_items_are_destroyed_and_leave_a_tombstone_in_db_and_archive(data_root, users):
    due = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    permanent = make_item(data_root, category="CJ", doc_date=dt.date(2010, 6, 1))
    not_due = make_item(data_root, category="KW", doc_date=dt.date(2019, 6, 1))
    batch = _through_witnesses(users)
    assert [e.item.archival_code for e in batch.entries.all()] == [due.archival_code]
    report = destruction_execute(actor=users["arch"], batch_code=batch.code, config=get_config(), paths=data_root,
                                 today=TODAY)
    assert report.destroyed == [due.archival_code] and not report.kept
    assert not item_folder(data_root, ArchivalCode.parse(due.archival_code)).exists()
    for kept in (permanent, not_due):
        assert item_folder(data_root, ArchivalCode.parse(kept.archival_code)).is_dir()
    record = json.loads(tombstone_path(data_root, due.archival_code).read_text(encoding="utf-8"))
    assert record["batch"]["approved_by"] == "head"
    assert sorted(w["user"] for w in record["batch"]["witnesses"]) == ["w1", "w2"]
    stone = Tombstone.objects.get(archival_code=due.archival_code)
    assert stone.batch.code == batch.code and len(stone.manifest_sha256) == 64
    assert ArchiveItem.objects.get(id=due.id).status == "destroyed"
    assert DestructionBatch.objects.get(code=batch.code).state == "executed"
    assert audit_verify() == []
    assert "destruction.destroy" in set(AuditEntry.objects.values_list("action", flat=True))


def test_proposer_cannot_approve_and_witnesses_must_be_two_distinct_others(data_root, users):
    make_item(data_root, doc_date=dt.date(2019, 6, 1))
    user_grant(actor=users["head"], username="arch", roles=["station_head"])  # one person holding both roles
    batch = destruction_propose(actor=users["arch"], config=get_config(), as_of=TODAY)
    with pytest.raises(Refused) as refused:
        destruction_approve(actor=users["arch"], batch_code=batch.code)
    assert "职责分离" in refused.value.message_zh
    with pytest.raises(Refused):
        destruction_approve(actor=users["w1"], batch_code=batch.code)  # not a station head
    destruction_approve(actor=users["head"], batch_code=batch.code)
    user_grant(actor=users["head"], username="head", roles=["witness"])
    with pytest.raises(Refused):
        destruction_witness(actor=users["head"], batch_code=batch.code)  # the approver
    destruction_witness(actor=users["w1"], batch_code=batch.code)
    with pytest.raises(Conflict):
        destruction_witness(actor=users["w1"], batch_code=batch.code)
    with pytest.raises(Conflict) as early:
        destruction_execute(actor=users["arch"], batch_code=batch.code, config=get_config(), paths=data_root,
                            today=TODAY)
    assert "已批准" in early.value.message_zh


def test_execute_rechecks_hold_loan_and_a_changed_file_at_that_moment(data_root, users):
    held = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    lent = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    tampered = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    fine = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    batch = _through_witnesses(users)
    hold_place(actor=users["head"], item_code=held.archival_code, reason="劳动争议待查")
    loan = loan_request(actor=users["clerk"], item_code=lent.archival_code, borrower="王五", purpose="复核成绩")
    loan_lend(actor=users["arch"], loan_id=loan.id)
    folder = item_folder(data_root, ArchivalCode.parse(tampered.archival_code))
    (folder / "document.pdf").chmod(0o644)
    data = bytearray((folder / "document.pdf").read_bytes())
    data[100] ^= 0xFF
    (folder / "document.pdf").write_bytes(bytes(data))
    report = destruction_execute(actor=users["arch"], batch_code=batch.code, config=get_config(), paths=data_root,
                                 today=TODAY)
    assert report.destroyed == [fine.archival_code]
    assert "劳动争议待查" in " ".join(report.kept[held.archival_code])
    assert "王五" in " ".join(report.kept[lent.archival_code])
    assert "document.pdf" in " ".join(report.kept[tampered.archival_code])
    for item in (held, lent, tampered):
        assert item_folder(data_root, ArchivalCode.parse(item.archival_code)).is_dir()
        assert batch.entries.get(item=item).struck


def test_round_hold_blocks_items_filed_later_until_released(data_root, users):
    make_item(data_root, doc_date=dt.date(2019, 6, 1), round_code="2019-06")
    hold = hold_place(actor=users["arch"], round_code="2019-06", reason="上级检查")
    later = make_item(data_root, doc_date=dt.date(2019, 6, 2), round_code="2019-06")
    with pytest.raises(Conflict) as nothing:
        destruction_propose(actor=users["arch"], config=get_config(), as_of=TODAY)
    assert "没有到期" in nothing.value.message_zh
    hold_release(actor=users["head"], hold_id=hold.id)
    batch = destruction_propose(actor=users["arch"], config=get_config(), as_of=TODAY)
    assert later.archival_code in [e.item.archival_code for e in batch.entries.all()]


def test_approver_may_strike_items_which_are_then_kept(data_root, users):
    keep = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    go = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    batch = _through_witnesses(users, strikes={keep.archival_code: "仍有查考价值"})
    report = destruction_execute(actor=users["arch"], batch_code=batch.code, config=get_config(), paths=data_root,
                                 today=TODAY)
    assert report.destroyed == [go.archival_code]
    assert batch.entries.get(item=keep).struck_reason == "仍有查考价值"


def test_copy_of_a_restricted_item_needs_an_approval_record(data_root, users):
    item = make_item(data_root, doc_date=dt.date(2019, 6, 1), restricted=True)
    loan = loan_request(actor=users["arch"], item_code=item.archival_code, borrower="李四", purpose="复印",
                        copy_requested=True)
    with pytest.raises(Refused) as refused:
        loan_lend(actor=users["arch"], loan_id=loan.id)
    assert "批准" in refused.value.message_zh
    loan_approve(actor=users["head"], loan_id=loan.id)
    loan_lend(actor=users["arch"], loan_id=loan.id)
    loan_return(actor=users["arch"], loan_id=loan.id)
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions[-4:] == ["loan.request", "loan.approve", "loan.lend", "loan.return"]


def test_rule_change_recomputes_due_dates_and_audits_who_and_what(data_root, users):
    item = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    config = get_config()
    retention_recompute(config=config, actor="arch")
    longer = {**config.retention, "exam-papers": config.retention["exam-papers"].model_copy(
        update={"years": 5, "code": "D5"})}
    result = retention_recompute(config=config.model_copy(update={"retention": longer}), actor="head")
    assert result["rule_changes"][0]["class"] == "exam-papers"
    item.refresh_from_db()
    assert item.due_date == dt.date(2024, 6, 1)
    entry = AuditEntry.objects.filter(action="retention.recompute").last()
    assert entry.actor == "head" and entry.detail["rule_changes"][0]["old"]["years"] == 3
    assert entry.detail["items"][0]["new_due"] == "2024-06-01"
