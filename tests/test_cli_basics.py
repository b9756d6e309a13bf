"""CLI: rounds and users, exit codes and Chinese messages."""

import json

import pytest

from pipeline.cli.main import main
from pipeline.errors import ExitCode

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


def test_user_add_with_password_from_environment(capsys, monkeypatch):
    from django.contrib.auth.models import User

    monkeypatch.setenv("STATION_PASSWORD", "correct-horse-1")
    assert main(["users", "add", "li", "--role", "archivist", "--role", "监销人"]) == 0
    user = User.objects.get(username="li")
    assert user.password.startswith("argon2")
    assert user.check_password("correct-horse-1")
    capsys.readouterr()
    assert main(["users", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["roles"] == ["archivist", "witness"]


def test_user_add_unknown_role_and_weak_password(capsys, monkeypatch):
    monkeypatch.setenv("STATION_PASSWORD", "correct-horse-1")
    assert main(["users", "add", "x", "--role", "boss"]) == ExitCode.BAD_INPUT
    assert "站长" in capsys.readouterr().err
    monkeypatch.setenv("STATION_PASSWORD", "short")
    assert main(["users", "add", "y", "--role", "archivist"]) == ExitCode.BAD_INPUT
    assert "8" in capsys.readouterr().err


def test_audit_chain_records_round_and_user(monkeypatch):
    from pipeline.audit import audit_verify
    from pipeline.catalog.models import AuditEntry

    monkeypatch.setenv("STATION_PASSWORD", "correct-horse-1")
    main(["rounds", "add", "R9", "--name", "x"])
    main(["users", "add", "z", "--role", "archivist"])
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["round.add", "user.add"]
    assert audit_verify() == []
    AuditEntry.objects.filter(seq=1).update(target="R10")
    assert [f.problem for f in audit_verify()] == ["edited"]
