"""station show: restricted items need a role, and every view of one is in the audit log."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from pipeline.catalog.models import ArchiveItem, AuditEntry
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from tests.people import login_env, make_users

pytestmark = pytest.mark.django_db


def _item(code, **extra):
    return ArchiveItem.objects.create(
        archival_code=code, fonds="J118", year=2026, retention_code=code.split("-")[2], category=code.split("-")[3],
        item_number=int(code[-4:]), title="理论试卷 答卷", responsible="鉴定站", doc_date=dt.date(2026, 12, 5),
        pages=3, retention_class="exam-papers", source_sha256="0" * 64, source_name="scan.pdf",
        folder=f"J118/2026/D3/SJ/{code}", filed_at=timezone.now(), candidate_id_number="11010519491231002X",
        **extra)


@pytest.fixture
def people(monkeypatch):
    login_env(monkeypatch, ["clerk", "keeper"])
    make_users({"clerk": ["exam_affairs"], "keeper": ["paper_custodian"]})


def test_restricted_item_refused_without_a_role_and_audited_with_one(people, capsys):
    code = "J118-WS·2026-D3-SJ-0001"
    _item(code, restricted=True)
    assert main(["show", code]) == ExitCode.REFUSED
    assert main(["show", code, "--user", "clerk"]) == ExitCode.REFUSED
    assert "限制利用" in capsys.readouterr().err
    assert main(["show", code, "--user", "keeper", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["title"] == "理论试卷 答卷" and card["candidate_id_number"] == "110105********002X"
    views = AuditEntry.objects.filter(action="item.view_restricted")
    assert [(v.actor, v.target) for v in views] == [("keeper", code)]


def test_open_item_shows_without_a_user_with_the_id_masked(people, capsys):
    _item("J118-WS·2026-D10-KW-0002")          # an open category (SJ is restricted by config)
    assert main(["show", "J118-WS·2026-D10-KW-0002", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["candidate_id_number"] == "110105********002X"
    assert main(["show", "J118-WS·2026-D10-KW-0002", "--user", "clerk", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["candidate_id_number"] == "11010519491231002X"
    assert main(["show", "J118-WS·2026-D3-SJ-0099"]) == ExitCode.NOT_FOUND


def test_an_item_filed_open_is_restricted_once_config_restricts_its_category(people, capsys):
    code = "J118-WS·2026-D3-SJ-0003"
    _item(code, restricted=False)             # filed before SJ was restricted in classification.toml
    assert main(["show", code, "--user", "clerk"]) == ExitCode.REFUSED
    assert main(["show", code, "--user", "keeper", "--json"]) == 0
