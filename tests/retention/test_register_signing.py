"""The frozen destruction register (issue 15 point 3): a version, approval with opinion and password,
any change after approval voids it, the proposer never approves, each witness once, each under their own
password; the due list with blockers per row; the approval queue shows each user only what waits for them."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.catalog.destruction import destruction_propose
from pipeline.catalog.holds import hold_place
from pipeline.catalog.loans import loan_request
from pipeline.catalog.models import AuditEntry, DestructionBatch
from pipeline.catalog.people import user_grant
from pipeline.catalog.register import due_list, register_read
from pipeline.catalog.signing import (
    destruction_approve_signed,
    destruction_entry_strike,
    destruction_execute_signed,
    destruction_queue,
    destruction_witness_signed,
)
from pipeline.core.config import get_config
from pipeline.core.errors import BadInput, Conflict, Refused
from tests.people import PASSWORD
from tests.retention.conftest import make_item

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)
OPINION = "已到保管期限，经鉴定无继续保存价值，同意销毁"


def _proposed(data_root, users, count=3):
    items = [make_item(data_root, doc_date=dt.date(2019, 6, 1)) for _ in range(count)]
    batch = destruction_propose(actor=users["arch"], config=get_config(), as_of=TODAY)
    return items, batch


def _approve(users, batch, *, who="head", version=None, opinion=OPINION, password=PASSWORD, strikes=None):
    version = version or register_read(batch_code=batch.code, config=get_config()).version
    return destruction_approve_signed(
        actor=users[who],
        batch_code=batch.code,
        version=version,
        opinion=opinion,
        password=password,
        config=get_config(),
        strikes=strikes,
    )


def _witness(users, batch, who, password=PASSWORD):
    version = register_read(batch_code=batch.code, config=get_config()).version
    return destruction_witness_signed(
        actor=users[who], batch_code=batch.code, version=version, password=password, config=get_config()
    )


def test_the_register_version_is_stable_and_changes_with_its_rows(data_root, users):
    items, batch = _proposed(data_root, users)
    first = register_read(batch_code=batch.code, config=get_config())
    assert first.version == register_read(batch_code=batch.code, config=get_config()).version
    assert len(first.version) == 64 and [r["archival_code"] for r in first.rows] == sorted(
        i.archival_code for i in items
    )
    row = first.rows[0]
    assert (row["doc_date"], row["clock_start"], row["due_date"]) == ("2019-06-01", "2019-06-01", "2022-06-01")
    assert row["files_sha256"] and row["article"] == "第二十一条(八)" and not row["blockers"]
    destruction_entry_strike(
        actor=users["arch"],
        batch_code=batch.code,
        item_code=items[0].archival_code,
        reason="仍有查考价值",
        config=get_config(),
    )
    assert register_read(batch_code=batch.code, config=get_config()).version != first.version


def test_approval_needs_the_version_seen_an_opinion_and_the_password_again(data_root, users):
    items, batch = _proposed(data_root, users)
    seen = register_read(batch_code=batch.code, config=get_config()).version
    with pytest.raises(Refused) as wrong:
        _approve(users, batch, version=seen, password="not-my-password")
    assert wrong.value.code == "password_wrong" and "密码" in wrong.value.message_zh
    with pytest.raises(BadInput) as no_opinion:
        _approve(users, batch, version=seen, opinion="  ")
    assert no_opinion.value.code == "opinion_missing"
    destruction_entry_strike(
        actor=users["arch"],
        batch_code=batch.code,
        item_code=items[1].archival_code,
        reason="另案需要",
        config=get_config(),
    )
    with pytest.raises(Conflict) as stale:  # the register changed while it was open
        _approve(users, batch, version=seen)
    assert stale.value.code == "register_changed"
    assert DestructionBatch.objects.get(id=batch.id).state == "proposed"
    done = _approve(users, batch)
    assert (
        done.state == "approved"
        and done.approved_version == register_read(batch_code=batch.code, config=get_config()).version
    )
    assert AuditEntry.objects.filter(action="destruction.approve_version", target=batch.code).count() == 1


def test_the_proposer_is_refused_even_holding_the_head_role(data_root, users):
    _, batch = _proposed(data_root, users)
    user_grant(actor=users["head"], username="arch", roles=["station_head"])
    assert destruction_queue(user=users["arch"], config=get_config()) == []
    with pytest.raises(Refused) as refused:
        _approve(users, batch, who="arch")
    assert refused.value.code == "separation_of_duties" and "同一人" in refused.value.message_zh
    assert [w["action"] for w in destruction_queue(user=users["head"], config=get_config())] == ["approve"]


def test_a_change_after_approval_voids_approval_and_witnesses_and_is_audited(data_root, users):
    items, batch = _proposed(data_root, users)
    _approve(users, batch)
    _witness(users, batch, "w1")
    destruction_entry_strike(
        actor=users["arch"],
        batch_code=batch.code,
        item_code=items[2].archival_code,
        reason="上级要求暂缓",
        config=get_config(),
    )
    again = DestructionBatch.objects.get(id=batch.id)
    assert again.state == "proposed" and not again.approved_by and again.witnesses.count() == 0
    reset = AuditEntry.objects.get(action="destruction.approval_reset", target=batch.code)
    assert reset.detail["witnesses_voided"] == ["w1"] and items[2].archival_code in " ".join(reset.detail["changes"])
    with pytest.raises(Conflict):  # not approved any more: w2 cannot confirm
        _witness(users, batch, "w2")
    _approve(users, batch)
    _witness(users, batch, "w1")
    _witness(users, batch, "w2")
    report = destruction_execute_signed(
        actor=users["arch"], batch_code=batch.code, password=PASSWORD, config=get_config(), paths=data_root, today=TODAY
    )
    assert sorted(report.destroyed) == sorted(i.archival_code for i in items[:2])


def test_a_due_date_recomputed_after_witnessing_stops_execution(data_root, users):
    items, batch = _proposed(data_root, users, count=2)
    _approve(users, batch)
    _witness(users, batch, "w1")
    _witness(users, batch, "w2")
    items[0].due_date = dt.date(2020, 1, 2)
    items[0].save(update_fields=["due_date"])
    with pytest.raises(Conflict) as void:
        destruction_execute_signed(
            actor=users["arch"],
            batch_code=batch.code,
            password=PASSWORD,
            config=get_config(),
            paths=data_root,
            today=TODAY,
        )
    assert void.value.code == "approval_void" and items[0].archival_code in void.value.message_zh
    assert DestructionBatch.objects.get(id=batch.id).state == "proposed"


def test_witnesses_each_once_under_their_own_password_and_the_queue_follows(data_root, users):
    _, batch = _proposed(data_root, users)
    assert destruction_queue(user=users["w1"], config=get_config()) == []  # nothing approved yet
    _approve(users, batch)
    for name in ("w1", "w2"):
        assert [w["action"] for w in destruction_queue(user=users[name], config=get_config())] == ["witness"]
    assert destruction_queue(user=users["head"], config=get_config()) == []
    with pytest.raises(Refused):
        _witness(users, batch, "w1", password=PASSWORD + "x")
    _witness(users, batch, "w1")
    assert destruction_queue(user=users["w1"], config=get_config()) == []
    with pytest.raises(Conflict) as twice:
        _witness(users, batch, "w1")
    assert twice.value.code == "witness_twice"
    _witness(users, batch, "w2")
    assert [w["action"] for w in destruction_queue(user=users["arch"], config=get_config())] == ["execute"]
    assert DestructionBatch.objects.get(id=batch.id).witnesses.exclude(version="").count() == 2


def test_a_blocked_row_must_be_struck_before_approval(data_root, users):
    items, batch = _proposed(data_root, users, count=2)
    hold_place(actor=users["head"], item_code=items[0].archival_code, reason="劳动争议待查")
    register = register_read(batch_code=batch.code, config=get_config())
    assert "劳动争议待查" in " ".join(register.rows[0]["blockers"] + register.rows[1]["blockers"])
    with pytest.raises(BadInput) as blocked:
        _approve(users, batch, version=register.version)
    assert items[0].archival_code in blocked.value.message_zh
    done = _approve(users, batch, version=register.version, strikes={items[0].archival_code: "已被保全"})
    assert done.entries.get(item=items[0]).struck


def test_due_list_pages_with_blockers_per_row(data_root, users):
    free = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    held = make_item(data_root, doc_date=dt.date(2019, 6, 1), round_code="2019-06")
    lent = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    make_item(data_root, category="CJ", doc_date=dt.date(2010, 6, 1))  # permanent: never due
    hold_place(actor=users["arch"], round_code="2019-06", reason="上级检查")
    loan_request(actor=users["clerk"], item_code=lent.archival_code, borrower="王五", purpose="复核")
    due = due_list(config=get_config(), as_of=TODAY)
    assert (due.total, due.blocked) == (3, 2)
    by_code = {r["archival_code"]: r["blockers"] for r in due.rows}
    assert by_code[free.archival_code] == [] and "上级检查" in by_code[held.archival_code][0]
    assert "王五" in by_code[lent.archival_code][0]
    assert [r["archival_code"] for r in due_list(config=get_config(), as_of=TODAY, show="free").rows] == [
        free.archival_code
    ]
    two = due_list(config=get_config(), as_of=TODAY, per_page=2, page=2)
    assert (two.pages, len(two.rows)) == (2, 1)
