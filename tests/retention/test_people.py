"""People, not user names (issue 10, point 6): one person with a shell tries to destroy records alone —
extra accounts, a role inserted into the database, a superuser, a due date edited in the database —
and is refused, or named by verify, at each step. Passwords: each user's own."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from pipeline.archive.store import item_folder
from pipeline.archive.verify import verify_all
from pipeline.catalog.destruction import (
    destruction_approve,
    destruction_execute,
    destruction_propose,
    destruction_witness,
)
from pipeline.catalog.holds import retention_check
from pipeline.catalog.loans import loan_approve, loan_request
from pipeline.catalog.models import ArchiveItem, AuditEntry, DestructionBatch, Staff
from pipeline.catalog.people import head_create_first, require_station_head, user_add, user_grant
from pipeline.cli.main import main
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import ExitCode, Refused
from tests.people import PASSWORD, login_env, make_users, person_id
from tests.retention.conftest import USERS, make_item

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


def _second_account(users, name: str, of: str, roles: list[str]) -> User:
    """The head lawfully gives a person (`of`) a second account: same staff ID number, another name."""
    staff = Staff.objects.get(user=users[of])
    return user_add(actor=users["head"], username=name, password=PASSWORD, roles=roles, full_name=staff.name,
                    id_number=staff.id_number)


def _kinds(paths) -> set[tuple[str, str]]:
    return {(f.kind, f.where) for f in verify_all(paths).findings}


# ---------------------------------------------------------------- administration needs the head

def test_users_add_needs_the_station_heads_own_authentication(data_root, users, monkeypatch, capsys):
    login_env(monkeypatch, USERS)
    monkeypatch.setenv("STATION_PASSWORD_MALLORY", "mallory-pass-1")
    add = ["users", "add", "mallory", "--role", "station_head", "--full-name", "某人", "--id-number", person_id()]
    assert main([*add, "--user", "w1"]) == ExitCode.REFUSED            # a witness is not the head
    assert "不是站长" in capsys.readouterr().err
    monkeypatch.delenv("STATION_PASSWORD_HEAD")
    monkeypatch.setenv("STATION_USER", "head")
    monkeypatch.setenv("STATION_PASSWORD", PASSWORD)                      # the shared script variable
    assert main([*add, "--user", "head"]) == ExitCode.REFUSED
    assert "STATION_PASSWORD_HEAD" in capsys.readouterr().err.replace("\n", "")
    assert not User.objects.filter(username="mallory").exists()
    with pytest.raises(Refused):
        head_create_first(username="mallory", password="mallory-pass-1", full_name="某人", id_number=person_id())
    login_env(monkeypatch, ["head"])
    assert main([*add, "--user", "head"]) == 0
    entry = AuditEntry.objects.filter(action="user.add", target="mallory").get()
    assert entry.actor == "head" and entry.detail["roles"] == ["station_head"] and entry.detail["staff"] == "U-mallory"
    assert verify_all(data_root).ok


def test_init_makes_the_first_head_and_only_while_there_is_none(data_root, monkeypatch, capsys):
    monkeypatch.setenv("STATION_PASSWORD_CHIEF", "chief-password-1")
    assert main(["init"]) == 0
    assert "尚无站长账号" in capsys.readouterr().out
    assert main(["init", "--head", "chief", "--head-name", "王站长", "--head-id", person_id()]) == 0
    assert "已建立站长账号 chief（王站长）" in capsys.readouterr().out
    chief = User.objects.get(username="chief")
    require_station_head(chief)
    assert Staff.objects.get(user=chief).name == "王站长"
    assert AuditEntry.objects.get(action="user.add").actor == "init"
    monkeypatch.setenv("STATION_PASSWORD_OTHER", "other-password-1")
    assert main(["init", "--head", "other", "--head-name", "李", "--head-id", person_id()]) == 0
    assert "已有站长" in capsys.readouterr().out
    assert not User.objects.filter(username="other").exists()


def test_grant_revoke_disable_are_the_heads_and_audited(data_root, users, monkeypatch, capsys):
    login_env(monkeypatch, USERS)
    assert main(["users", "grant", "clerk", "--role", "监销人", "--user", "head"]) == 0
    assert main(["users", "revoke", "clerk", "--role", "witness", "--user", "head"]) == 0
    assert main(["users", "disable", "w3", "--user", "head"]) == 0
    assert main(["users", "grant", "clerk", "--role", "station_head", "--user", "arch"]) == ExitCode.REFUSED
    actions = list(AuditEntry.objects.filter(action__in=["user.grant", "user.revoke", "user.disable"])
                   .values_list("action", "target", "actor"))
    assert actions == [("user.grant", "clerk", "head"), ("user.revoke", "clerk", "head"),
                       ("user.disable", "w3", "head")]
    assert main(["destruction", "list"]) == 0 and verify_all(data_root).ok
    capsys.readouterr()
    assert main(["users", "list", "--json"]) == 0
    rows = {r["username"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["clerk"]["roles"] == ["exam_affairs"] and rows["w3"]["active"] is False


# ---------------------------------------------------------------- the one-person destruction, step by step

def test_one_person_cannot_destroy_records_alone(data_root, users, monkeypatch):
    not_due = make_item(data_root, category="KW", doc_date=dt.date(2022, 6, 1))     # due 2033
    due = make_item(data_root, doc_date=dt.date(2019, 6, 1))
    # 1. a role given by an INSERT into the database: refused when used, named by verify
    users["arch2"].groups.add(Group.objects.get(name="station_head"))
    assert ("role_unaccounted", "user:arch2") in _kinds(data_root)
    # 2. a due date edited in the database (after the rules were last seen): the register takes it, execute not
    retention_check(config=get_config(), actor="arch")
    ArchiveItem.objects.filter(id=not_due.id).update(due_date=dt.date(2020, 1, 1))
    batch = destruction_propose(actor=users["arch"], config=get_config(), as_of=TODAY)
    assert {e.item_id for e in batch.entries.all()} == {due.id, not_due.id}
    with pytest.raises(Refused) as refused:
        destruction_approve(actor=users["arch2"], batch_code=batch.code)
    assert refused.value.code == "account_unaccounted"
    # 3. the proposer's second account, lawfully made, holding the head role: still the proposer
    _second_account(users, "arch_head", of="arch", roles=["station_head"])
    with pytest.raises(Refused) as refused:
        destruction_approve(actor=User.objects.get(username="arch_head"), batch_code=batch.code)
    assert "同一人" in refused.value.message_zh
    destruction_approve(actor=users["head"], batch_code=batch.code)
    # 4. second accounts as witnesses: of the proposer, of the approver, of the first witness
    for name, of in (("arch_w", "arch"), ("head_w", "head"), ("w1_alt", "w1")):
        _second_account(users, name, of=of, roles=["witness"])
    with pytest.raises(Refused):
        destruction_witness(actor=User.objects.get(username="arch_w"), batch_code=batch.code)
    with pytest.raises(Refused):
        destruction_witness(actor=User.objects.get(username="head_w"), batch_code=batch.code)
    destruction_witness(actor=users["w1"], batch_code=batch.code)
    with pytest.raises(Refused) as refused:
        destruction_witness(actor=User.objects.get(username="w1_alt"), batch_code=batch.code)
    assert "同一人" in refused.value.message_zh
    destruction_witness(actor=users["w2"], batch_code=batch.code)
    report = destruction_execute(actor=users["arch"], batch_code=batch.code, config=get_config(), paths=data_root,
                                 today=TODAY)
    assert report.destroyed == [due.archival_code]
    reason = " ".join(report.kept[not_due.archival_code])
    assert "数据库中的到期日 2020-01-01" in reason and "2033-01-01" in reason
    assert item_folder(data_root, ArchivalCode.parse(not_due.archival_code)).is_dir()


def test_two_accounts_of_one_person_are_not_two_witnesses_even_if_recorded(data_root, users):
    make_item(data_root, doc_date=dt.date(2019, 6, 1))
    batch = destruction_propose(actor=users["arch"], config=get_config(), as_of=TODAY)
    destruction_approve(actor=users["head"], batch_code=batch.code)
    destruction_witness(actor=users["w1"], batch_code=batch.code)
    _second_account(users, "w1_alt", of="w1", roles=["witness"])
    # a second witness row written straight into the database: execute counts persons, not rows
    batch.witnesses.create(user="w1_alt", at=timezone.now())
    DestructionBatch.objects.filter(pk=batch.pk).update(state=DestructionBatch.State.WITNESSED)
    with pytest.raises(Refused) as refused:
        destruction_execute(actor=users["arch"], batch_code=batch.code, config=get_config(), paths=data_root,
                            today=TODAY)
    assert "两名不同的人" in refused.value.message_zh


def test_superuser_and_inserted_accounts_are_refused_and_named(data_root, users, monkeypatch, capsys):
    make_item(data_root, doc_date=dt.date(2019, 6, 1))
    User.objects.create_superuser("root", password="root-password-1")      # Django's createsuperuser
    forged = User.objects.create_user("ghost", password="ghost-password-1")
    forged.groups.add(Group.objects.get(name="station_head"))              # a head made by INSERT
    monkeypatch.setenv("STATION_PASSWORD_ROOT", "root-password-1")
    monkeypatch.setenv("STATION_PASSWORD_GHOST", "ghost-password-1")
    assert main(["rebuild-catalog", "--user", "root"]) == ExitCode.REFUSED
    assert "不是站长" in capsys.readouterr().err
    assert main(["rebuild-catalog", "--user", "ghost"]) == ExitCode.REFUSED
    assert "未经站长依法设置" in capsys.readouterr().err
    found = _kinds(data_root)
    assert {("user_unaccounted", "user:root"), ("user_superuser", "user:root"),
            ("user_unaccounted", "user:ghost")} <= found
    assert main(["verify"]) == ExitCode.INTEGRITY
    assert "来历不明的用户" in capsys.readouterr().out
    login_env(monkeypatch, ["head"])
    assert main(["rebuild-catalog", "--user", "head"]) == 0


def test_loan_approval_by_the_requesters_second_account_is_refused(data_root, users):
    item = make_item(data_root, doc_date=dt.date(2019, 6, 1), restricted=True)
    loan = loan_request(actor=users["head2"], item_code=item.archival_code, borrower="李四", purpose="复核",
                        copy_requested=True)
    second = _second_account(users, "head2_b", of="head2", roles=["station_head"])
    with pytest.raises(Refused) as refused:
        loan_approve(actor=second, loan_id=loan.id)
    assert "同一人" in refused.value.message_zh
    loan_approve(actor=users["head"], loan_id=loan.id)


# ---------------------------------------------------------------- passwords

def test_two_person_steps_take_only_the_users_own_password(data_root, users, monkeypatch, capsys, tmp_path):
    make_item(data_root, doc_date=dt.date(2019, 6, 1))
    monkeypatch.setenv("STATION_USER", "arch")
    monkeypatch.setenv("STATION_PASSWORD", PASSWORD)
    assert main(["destruction", "propose", "--as-of", "2026-06-01", "--user", "arch", "--out", str(tmp_path)]) == 0
    code = DestructionBatch.objects.get().code
    assert main(["destruction", "approve", code, "--user", "head"]) == ExitCode.REFUSED   # not head's variable
    assert "STATION_PASSWORD_HEAD" in capsys.readouterr().err.replace("\n", "")
    monkeypatch.setenv("STATION_USER", "head")
    assert main(["destruction", "approve", code, "--user", "head"]) == ExitCode.REFUSED   # a two-person step
    assert "两人规则" in capsys.readouterr().err.replace("\n", "")
    monkeypatch.setenv("STATION_PASSWORD_HEAD", "someone-elses-1")
    assert main(["destruction", "approve", code, "--user", "head"]) == ExitCode.REFUSED
    assert "密码错误" in capsys.readouterr().err
    monkeypatch.setenv("STATION_PASSWORD_HEAD", PASSWORD)
    assert main(["destruction", "approve", code, "--user", "head"]) == 0


def test_factory_people_are_distinct_persons_made_by_the_head():
    made = make_users({"a": ["archivist"], "b": (["witness"], "乙"), "b2": (["witness"], "乙", "b")})
    assert AuditEntry.objects.filter(action="user.add").values_list("actor", flat=True).distinct().count() == 2
    ids = {name: Staff.objects.get(user=user).id_number for name, user in made.items()}
    assert ids["b"] == ids["b2"] and len({ids["head"], ids["a"], ids["b"]}) == 3
    user_grant(actor=made["head"], username="a", roles=["witness"])
