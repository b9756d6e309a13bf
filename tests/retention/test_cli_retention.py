"""The destruction workflow through `station …`, with passwords, Chinese messages and exit codes;
then rebuild-catalog brings back items, tombstones and 件号 counters from archive/ alone."""

import datetime as dt
import json

import pytest
from pypdf import PdfReader

from pipeline.archive.numbering import item_number_allocate
from pipeline.catalog.models import ArchiveItem, DestructionBatch, Loan, NumberSeries, Tombstone
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode
from tests.people import login_env
from tests.retention.conftest import USERS, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def station(data_root, users, monkeypatch):
    login_env(monkeypatch, USERS)
    due = [make_item(data_root, doc_date=dt.date(2019, 6, 1)) for _ in range(2)]
    kept = make_item(data_root, category="CJ", doc_date=dt.date(2019, 6, 1))
    return data_root, due, kept


def test_wrong_password_refuses_the_step(station, monkeypatch, capsys):
    login_env(monkeypatch, ["arch"], password="wrong-password")
    assert main(["hold", "add", station[1][0].archival_code, "--reason", "争议", "--user", "arch"]) == ExitCode.REFUSED
    assert "密码错误" in capsys.readouterr().err


def test_full_workflow_on_the_command_line(station, tmp_path, capsys):
    paths, due, kept = station
    assert main(["retention", "due", "--as-of", "2026-06-01", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["groups"] == [{"class": "exam-papers", "year": 2019, "count": 2}]
    assert main(["destruction", "propose", "--as-of", "2026-06-01", "--user", "arch", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    code = DestructionBatch.objects.get().code
    assert code in out
    pdf = next(tmp_path.rglob("*.pdf"))
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert code in text and "共2件" in text and "测试档案0001" in text and "监销人" in text
    assert DestructionBatch.objects.get().form_instance is not None
    assert main(["destruction", "approve", code, "--user", "arch"]) == ExitCode.REFUSED
    assert "站长" in capsys.readouterr().err
    assert main(["destruction", "approve", code, "--user", "head", "--strike", due[1].archival_code,
                 "--reason", "仍有查考价值"]) == 0
    assert main(["destruction", "witness", code, "--user", "w1"]) == 0
    assert main(["destruction", "execute", code, "--user", "arch"]) == ExitCode.CONFLICT
    assert "已批准" in capsys.readouterr().err
    assert main(["destruction", "witness", code, "--user", "w2"]) == 0
    assert main(["destruction", "execute", code, "--user", "arch"]) == 0
    assert "销毁 1 件" in capsys.readouterr().out
    assert main(["destruction", "show", code, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [r["opinion"] for r in shown["rows"]] == ["已销毁", "不销毁"]
    assert shown["rows"][0]["elapsed"] == "7年" and shown["witnesses"] == ["w1", "w2"]
    assert main(["audit", "list", "--action", "destruction", "--json"]) == 0
    actions = [e["action"] for e in json.loads(capsys.readouterr().out)]
    assert {"destruction.propose", "destruction.approve", "destruction.witness", "destruction.destroy",
            "destruction.execute"} <= set(actions)
    assert main(["verify"]) == 0


def test_hold_and_loan_commands(station, capsys):
    _, due, _ = station
    assert main(["hold", "add", "--round", "nope", "--reason", "x", "--user", "arch"]) == ExitCode.NOT_FOUND
    assert main(["hold", "add", due[0].archival_code, "--reason", "劳动争议", "--user", "arch"]) == 0
    assert main(["retention", "due", "--as-of", "2026-06-01"]) == 0
    assert "劳动争议" in capsys.readouterr().out
    assert main(["loan", "request", due[1].archival_code, "--borrower", "王五", "--purpose", "复核", "--copy",
                 "--user", "clerk"]) == 0
    loan_id = str(Loan.objects.get().pk)       # ids are not reset between tests on PostgreSQL
    assert f"#{loan_id}" in capsys.readouterr().out
    assert main(["loan", "lend", loan_id, "--user", "arch"]) == ExitCode.REFUSED
    assert "批准" in capsys.readouterr().err
    assert main(["loan", "approve", loan_id, "--user", "head"]) == 0
    assert main(["loan", "lend", loan_id, "--user", "arch"]) == 0
    capsys.readouterr()
    assert main(["loan", "list", "--json"]) == 0
    [loan] = json.loads(capsys.readouterr().out)
    assert loan["state"] == "lent" and loan["approved_by"] == "head" and loan["copy"] is True


def test_rebuild_catalog_from_archive_alone(station, tmp_path, capsys):
    paths, due, kept = station
    main(["destruction", "propose", "--as-of", "2026-06-01", "--user", "arch", "--out", str(tmp_path)])
    code = DestructionBatch.objects.get().code
    for step in (["approve", code, "--user", "head"], ["witness", code, "--user", "w1"],
                 ["witness", code, "--user", "w2"], ["execute", code, "--user", "arch"]):
        assert main(["destruction", *step]) == 0
    Tombstone.objects.all().delete()   # the catalog is lost: only archive/ remains
    DestructionBatch.objects.all().delete()
    ArchiveItem.objects.all().delete()
    NumberSeries.objects.all().delete()
    capsys.readouterr()
    assert main(["rebuild-catalog", "--user", "head"]) == 0
    assert "在库档案 1 件，已销毁 2 件" in capsys.readouterr().out
    assert ArchiveItem.objects.get(archival_code=kept.archival_code).status == "filed"
    assert set(Tombstone.objects.values_list("archival_code", flat=True)) == {d.archival_code for d in due}
    rebuilt = DestructionBatch.objects.get(code=code)
    assert rebuilt.approved_by == "head" and sorted(rebuilt.witnesses.values_list("user", flat=True)) == ["w1", "w2"]
    assert str(item_number_allocate(fonds="J118", year=2019, retention="D3", category="SJ")).endswith("-0003")
    assert main(["verify"]) == 0


def test_execution_issues_the_final_register_as_a_new_permanent_record(station, tmp_path, capsys):
    from pipeline.catalog.models import FormInstance
    from tests.forms.scan import payloads, raster
    paths, due, kept = station
    assert main(["retention", "due", "--as-of", "2026-06-01"]) == 0
    out = capsys.readouterr().out
    assert "均可提出销毁" in out and "其中 0 件" not in out
    main(["destruction", "propose", "--as-of", "2026-06-01", "--user", "arch", "--out", str(tmp_path / "p")])
    batch = DestructionBatch.objects.get()
    for step in (["approve", batch.code, "--user", "head", "--strike", due[1].archival_code, "--reason", "仍有价值"],
                 ["witness", batch.code, "--user", "w1"], ["witness", batch.code, "--user", "w2"]):
        assert main(["destruction", *step]) == 0
    capsys.readouterr()
    assert main(["destruction", "execute", batch.code, "--user", "arch", "--out", str(tmp_path / "x")]) == 0
    assert "已出具销毁后的《档案销毁清册》" in capsys.readouterr().out
    final = FormInstance.objects.exclude(pk=batch.form_instance_id).get(form="destruction-register")
    assert final.subject == f"{batch.code}:executed" and final.retention_class == "archive-management"
    assert FormInstance.objects.get(pk=batch.form_instance_id).subject == batch.code   # the proposed one stays
    pdf = next((tmp_path / "x").rglob("*.pdf"))
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    executed_at = DestructionBatch.objects.get().executed_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert "档案销毁清册（已执行）" in text and "已销毁1件" in text and "拟销毁" not in text
    assert f"销毁时间{executed_at.year}年{executed_at.month}月{executed_at.day}日" in text
    assert "执行人arch" in text and "监销人：w1、w2" in text
    assert final.code in {p.instance for p in payloads(raster(pdf.read_bytes()))}
    from docx import Document
    document = Document(str(next((tmp_path / "x").rglob("*.docx"))))
    words = "".join(c.text for t in document.tables for r in t.rows for c in r.cells) + "".join(
        p.text for p in document.paragraphs)
    assert "（已执行）" in words and "已销毁 1 件" in words and "执行人：arch" in words
    assert f"{executed_at.year}年{executed_at.month}月{executed_at.day}日" in words and "审计链锚点" in words
    assert main(["retention", "due", "--as-of", "2026-06-01"]) == 0
    assert "其中 0 件" not in capsys.readouterr().out
