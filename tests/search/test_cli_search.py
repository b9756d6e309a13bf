"""station search / station reindex: exit codes, Chinese output, masking and its audit."""

import json

import pytest

from pipeline.catalog.models import AuditEntry
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from tests.people import login_env, make_users
from tests.search.conftest import CORPUS, ZHANG_WEI_A, write_item

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-1"


@pytest.fixture
def filed(data_root, monkeypatch):
    """The corpus in archive/ and no index yet: the first search builds it."""
    for meta in CORPUS:
        write_item(data_root.archive, meta)
    login_env(monkeypatch, ["kp", "da"], password=PASSWORD)
    return data_root


def test_first_search_builds_the_index_and_prints_hits(filed, capsys):
    assert main(["search", "张伟", "--occupation", "电工"]) == 0
    out, err = capsys.readouterr()
    assert "检索索引不存在" in err and "重建" in err
    assert "J118-WS·2024-D10-KW-0001" in out and "找到 1 条" in out
    assert "350203********" in out and ZHANG_WEI_A not in out


def test_json_output_marks_matches_with_brackets(filed, capsys):
    assert main(["search", "资格审查", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hits"][0]["archival_code"] == "J118-WS·2024-D10-KW-0001"
    assert "【资格审查】" in data["hits"][0]["snippet"]


def test_no_hits_says_so(filed, capsys):
    assert main(["search", "不存在的词语组合"]) == 0
    assert "没有找到匹配的档案" in capsys.readouterr().out


def test_wrong_check_digit_is_explained(filed, capsys):
    wrong = ZHANG_WEI_A[:17] + ("0" if ZHANG_WEI_A[17] != "0" else "1")
    assert main(["search", wrong]) == 0
    out = capsys.readouterr().out
    assert "校验位不符" in out and "J118-WS·2024-D10-KW-0001" in out


def test_show_id_refused_without_the_role(filed, capsys):
    make_users({"kp": ["examiner"]}, password=PASSWORD)
    assert main(["search", ZHANG_WEI_A, "--show-id", "--user", "kp"]) == ExitCode.REFUSED
    out, err = capsys.readouterr()
    assert "无权查看完整身份证号" in err and ZHANG_WEI_A not in out
    assert not AuditEntry.objects.filter(action="search.show_id").exists()


def test_show_id_needs_a_user(filed, capsys):
    assert main(["search", "张伟", "--show-id"]) == ExitCode.BAD_INPUT
    assert "--user" in capsys.readouterr().err


def test_show_id_for_an_archivist_is_shown_and_audited(filed, capsys):
    make_users({"da": ["archivist"]}, password=PASSWORD)
    assert main(["search", ZHANG_WEI_A, "--show-id", "--user", "da", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hits"][0]["id_number"] == ZHANG_WEI_A
    entry = AuditEntry.objects.get(action="search.show_id")
    assert entry.actor == "da" and entry.detail["items"][0] == "J118-WS·2024-D10-KW-0001"


def test_wrong_password_is_refused(filed, capsys, monkeypatch):
    make_users({"da": ["archivist"]}, password=PASSWORD)
    login_env(monkeypatch, ["da"], password="not-the-password")
    assert main(["search", "张伟", "--show-id", "--user", "da"]) == ExitCode.REFUSED
    assert "密码错误" in capsys.readouterr().err


def test_bad_option_values_are_bad_input(filed, capsys):
    assert main(["search", "张伟", "--from", "五月"]) == ExitCode.BAD_INPUT
    assert "2024-05-01" in capsys.readouterr().err
    assert main(["search", "张伟", "--level", "特级"]) == ExitCode.BAD_INPUT


def test_reindex_command(filed, capsys):
    assert main(["reindex", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"documents": len(CORPUS)}
    assert main(["reindex"]) == 0
    assert f"共 {len(CORPUS)} 条" in capsys.readouterr().out
