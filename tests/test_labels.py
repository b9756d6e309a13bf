"""Staff see Chinese labels and local times; codes stay in --json."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from pipeline.cli.main import main
from pipeline.core.labels import local_time, role_key
from pipeline.ingest.quarantine import quarantine_file

pytestmark = pytest.mark.django_db


def test_quarantine_list_shows_local_time_and_no_code(data_root, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    source = tmp_path / "坏文件.pdf"
    source.write_bytes(b"")
    quarantine_file(paths=data_root, source=source, sha256="0" * 64,
                    error={"code": "empty", "message": "文件是空的（0 字节）", "detail": "empty file"})
    assert main(["quarantine", "list", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["code"] == "empty"                                   # the code stays for scripts
    assert main(["quarantine", "list"]) == 0
    out = capsys.readouterr().out
    assert local_time(row["time"]) in out and "+00:00" not in out
    assert not re.search(r"\bempty\b", out)
    shown = dt.datetime.strptime(local_time(row["time"], "Asia/Shanghai"), "%Y-%m-%d %H:%M")
    utc = dt.datetime.fromisoformat(row["time"]).replace(tzinfo=None)
    assert abs((shown - utc).total_seconds() - 8 * 3600) < 61


def test_role_names_accepted_in_chinese_or_by_key():
    assert role_key("档案管理员") == role_key("archivist") == "archivist"
    assert role_key("boss") is None


def test_every_ingest_stage_has_a_chinese_label_for_the_stuck_job_line():
    from pipeline.core.labels import STAGE_ZH, stage_label
    from pipeline.ingest.flow import STAGES
    assert {name for name, _ in STAGES} == set(STAGE_ZH)
    assert stage_label("classify") == "分类"
