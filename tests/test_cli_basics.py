"""CLI: rounds and users, exit codes and Chinese messages."""

import json

import pytest

from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from tests.people import first_head, login_env, person_id

pytestmark = pytest.mark.django_db


def test_round_add_list_show(capsys):
    assert main(["rounds", "add", "2026-12", "--name", "2026年12月鉴定", "--theory", "2026-12-05T09:00",
                 "--practical", "2026-12-06T08:30"]) == 0
    capsys.readouterr()
    assert main(["rounds", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["code"] == "2026-12" and rows[0]["theory_at"].startswith("2026-12-05T01:00")
    assert main(["rounds", "show", "2026-12"]) == 0
    assert "2026年12月鉴定" in capsys.readouterr().out


def test_duplicate_round_is_a_conflict(capsys):
    main(["rounds", "add", "R1", "--name", "一"])
    assert main(["rounds", "add", "R1", "--name", "二"]) == ExitCode.CONFLICT
    assert "已存在" in capsys.readouterr().err


def test_bad_datetime_is_bad_input(capsys):
    assert main(["rounds", "add", "R2", "--name", "x", "--theory", "12月5日"]) == ExitCode.BAD_INPUT
    assert "2026-12-05T09:00" in capsys.readouterr().err


def test_unknown_round(capsys):
    assert main(["rounds", "show", "nope"]) == ExitCode.NOT_FOUND
    assert "nope" in capsys.readouterr().err


def test_user_add_needs_the_heads_own_password(capsys, monkeypatch, settings):
    from django.contrib.auth.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    first_head()
    login_env(monkeypatch, ["head"])
    monkeypatch.setenv("STATION_PASSWORD_LI", "li-own-password-1")
    assert main(["users", "add", "li", "--role", "archivist", "--role", "监销人", "--full-name", "李老师",
                 "--id-number", person_id(), "--user", "head"]) == 0
    user = User.objects.get(username="li")
    assert user.password.startswith("argon2")
    assert user.check_password("li-own-password-1")
    capsys.readouterr()
    assert main(["users", "list", "--json"]) == 0
    rows = {row["username"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["li"]["roles"] == ["archivist", "witness"] and rows["li"]["staff"] == "U-li"


def test_user_add_unknown_role_and_weak_password(capsys, monkeypatch):
    first_head()
    login_env(monkeypatch, ["head"])
    assert main(["users", "add", "x", "--role", "boss", "--user", "head"]) == ExitCode.BAD_INPUT
    assert "站长" in capsys.readouterr().err
    monkeypatch.setenv("STATION_PASSWORD_Y", "short")
    assert main(["users", "add", "y", "--role", "archivist", "--full-name", "杨", "--id-number", person_id(),
                 "--user", "head"]) == ExitCode.BAD_INPUT
    assert "8" in capsys.readouterr().err


def test_audit_chain_records_round_and_user(monkeypatch):
    from pipeline.archive.audit import audit_verify
    from pipeline.catalog.models import AuditEntry

    first_head()
    login_env(monkeypatch, ["head", "z"])
    main(["rounds", "add", "R9", "--name", "x"])
    main(["users", "add", "z", "--role", "archivist", "--full-name", "赵", "--id-number", person_id(), "--user", "head"])
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["user.add", "round.add", "user.add"]
    assert audit_verify() == []
    AuditEntry.objects.filter(seq=2).update(target="R10")
    assert [f.problem for f in audit_verify()] == ["edited"]
