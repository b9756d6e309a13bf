"""Exam papers (category SJ, access = "secret"): filed through ingest from real scans, encrypted at
rest, opened only by the paper custodian and the station head, released after the exam into
restricted records whose words only permitted users find (audited)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import pytest
from django.utils import timezone

from pipeline.archive.keys import MAGIC, KeyMissing, key_load
from pipeline.archive.sealed import TEXT, item_plain
from pipeline.archive.store import DOCUMENT, item_verify, metadata_read
from pipeline.archive.verify import verify_all
from pipeline.catalog.models import ArchiveItem, AuditEntry, FormInstance, IngestJob, Round
from pipeline.cli.main import main
from pipeline.core.config import get_config
from pipeline.core.domain import new_instance_code
from pipeline.core.errors import ExitCode
from pipeline.core.paths import config_dir
from pipeline.ingest.flow import ingest_once
from tests.ingest.test_flow import drop, fast_config, form_pages, stack_bytes
from tests.people import login_env, make_users

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-1"
PHRASE = "三相异步电动机正反转控制线路"


@pytest.fixture
def people(monkeypatch):
    made = make_users(
        {
            "head": ["station_head"],
            "clerk": ["exam_affairs"],
            "archivist": ["archivist"],
            "keeper": ["paper_custodian"],
            "examiner": ["examiner"],
        },
        password=PASSWORD,
    )
    login_env(monkeypatch, made, password=PASSWORD)


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """A key made by `station keys new` outside the data root, named by STATION_KEY_FILE."""
    path = tmp_path / "keys" / "archive.key"
    assert main(["keys", "new", "--out", str(path)]) == 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("STATION_KEY_FILE", str(path))
    return path


def make_round(code: str = "2026-06") -> Round:
    """A round whose exam is over (release is allowed)."""
    return Round.objects.create(code=code, name=f"{code} 鉴定", theory_at=timezone.now() - dt.timedelta(days=2))


def make_paper(round_: Round, serial: int) -> FormInstance:
    """A practical-task answer sheet (category SJ) generated for one candidate, with its task words."""
    return FormInstance.objects.create(
        code=new_instance_code(),
        form="practical-score",
        round=round_,
        subject=f"T{serial:03d}",
        title=f"{round_.code} 电工四级 实操答卷 第{serial}号",
        pages=1,
        retention_class="exam-papers",
        category="SJ",
        doc_date=dt.date(2026, 6, 6),
        data={"task": f"{PHRASE}安装与调试", "workstation": f"工位{serial:02d}"},
    )


def file_papers(data_root, tmp_path, count: int = 2) -> list[ArchiveItem]:
    """Scanned, signed answer sheets dropped into the inbox and filed by ingest."""
    round_ = make_round()
    pages = [page for serial in range(1, count + 1) for page in form_pages(make_paper(round_, serial))]
    drop(data_root.inbox / "答卷.pdf", stack_bytes(pages, tmp_path))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    return list(ArchiveItem.objects.order_by("archival_code"))


def search_json(*args: str, capsys) -> dict:
    assert main(["search", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_secret_paper_is_ciphertext_on_disk_decrypts_only_with_its_key_and_verifies_without_it(
    data_root, tmp_path, key_file, people, monkeypatch
):
    items = file_papers(data_root, tmp_path)
    assert [i.category for i in items] == ["SJ", "SJ"] and all(i.secret and i.encrypted for i in items)
    for item in items:
        folder = data_root.archive / item.folder
        meta = metadata_read(folder)
        assert meta["secret"] and meta["encrypted"] and meta["text"] == "" and item.text == ""
        for rel in [DOCUMENT, *(f"original/{p.name}" for p in (folder / "original").iterdir()), TEXT]:
            raw = (folder / rel).read_bytes()
            assert raw.startswith(MAGIC) and b"%PDF" not in raw[:64]
            assert PHRASE.encode("utf-8") not in raw
        plain = item_plain(folder, [key_load(key_file)])
        assert plain[DOCUMENT].startswith(b"%PDF") and PHRASE in plain[TEXT].decode("utf-8")
        assert item.files_sha256 == meta["files_sha256"] and set(item.files_sha256) == set(plain)
        other = tmp_path / "other.key"
        assert main(["keys", "new", "--out", str(other)]) == 0
        with pytest.raises(KeyMissing):
            item_plain(folder, [key_load(other)])
        other.unlink()
    job = IngestJob.objects.get()
    assert PHRASE not in json.dumps(job.plan, ensure_ascii=False)  # not in clear in the database either
    kept = data_root.root / job.released_path
    assert kept.name.endswith(".enc") and kept.read_bytes().startswith(MAGIC)  # nor in processed/
    monkeypatch.delenv("STATION_KEY_FILE")
    assert verify_all(data_root).ok  # verify needs no key
    assert main(["verify"]) == 0


def test_only_custodian_and_head_open_a_secret_paper_and_every_opening_is_audited(
    data_root, tmp_path, key_file, people, capsys
):
    code = file_papers(data_root, tmp_path, count=1)[0].archival_code
    out = tmp_path / "opened"
    for user in (None, "clerk", "archivist", "examiner"):
        who = ["--user", user] if user else []
        assert main(["show", code, *who]) == ExitCode.REFUSED
        assert "仅试卷保密人员和站长可以" in capsys.readouterr().err.replace("\n", "")
        if user:
            assert main(["extract", code, "--out", str(out), "--user", user]) == ExitCode.REFUSED
    assert not out.exists()
    for user in ("keeper", "head"):
        assert main(["show", code, "--user", user, "--json"]) == 0
        card = json.loads(capsys.readouterr().out)
        assert card["secret"] and card["document"] == ""  # no path to ciphertext handed out
        assert main(["extract", code, "--out", str(out / user), "--user", user]) == 0
        assert (out / user / f"{code}.pdf").read_bytes().startswith(b"%PDF")
        capsys.readouterr()
    assert main(["extract", code, "--out", str(data_root.root / "tmp"), "--user", "keeper"]) == ExitCode.BAD_INPUT
    actions = [(e.actor, e.action) for e in AuditEntry.objects.filter(target=code).order_by("seq")]
    refused = [("(anonymous)", "item.view_refused")] + [
        (u, "item.view_refused") for u in ("clerk", "archivist", "examiner") for _ in ("show", "extract")
    ]
    assert sorted(actions[1:8]) == sorted(refused)  # every refusal is in the audit log too
    assert actions[8:] == [
        ("keeper", "item.view_secret"),
        ("keeper", "item.view_secret"),
        ("keeper", "item.extract"),
        ("head", "item.view_secret"),
        ("head", "item.view_secret"),
        ("head", "item.extract"),
        ("keeper", "item.view_secret"),
    ]  # the refused extract into the data root


def test_release_makes_papers_restricted_records_whose_words_only_permitted_users_find(
    data_root, tmp_path, key_file, people, capsys
):
    items = file_papers(data_root, tmp_path)
    codes = sorted(i.archival_code for i in items)
    # secret: no text indexed at all, for anyone
    assert search_json(PHRASE, capsys=capsys)["hits"] == []
    assert search_json(PHRASE, "--user", "keeper", capsys=capsys)["hits"] == []
    assert main(["release", "2026-06", "--user", "archivist"]) == ExitCode.REFUSED
    assert main(["release", "2026-06", "--user", "keeper", "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["released"]) == codes
    for item in ArchiveItem.objects.all():
        folder = data_root.archive / item.folder
        assert not item.secret and not item.encrypted and item.restricted
        assert (folder / DOCUMENT).read_bytes().startswith(b"%PDF") and not (folder / TEXT).exists()
        assert item_verify(folder) == [] and PHRASE in metadata_read(folder)["text"]
    assert [e.target for e in AuditEntry.objects.filter(action="item.release")] == codes
    # an ordinary user (or nobody): no content, no snippet — the phrase finds nothing
    for who in ([], ["--user", "clerk"], ["--user", "examiner"]):
        assert search_json(PHRASE, *who, capsys=capsys)["hits"] == []
    # the title still finds it, as 档号 and title only
    hits = search_json("实操答卷", "--user", "clerk", capsys=capsys)["hits"]
    assert sorted(h["archival_code"] for h in hits) == codes
    assert all(h["withheld"] and h["snippet"] == "" and h["occupation"] == "" for h in hits)
    assert main(["search", "实操答卷"]) == 0
    assert "仅显示档号与题名" in capsys.readouterr().out.replace("\n", "")
    # the custodian finds it by its words, and that search is audited
    hits = search_json(PHRASE, "--user", "keeper", capsys=capsys)["hits"]
    assert sorted(h["archival_code"] for h in hits) == codes and all(PHRASE[:4] in h["snippet"] for h in hits)
    (entry,) = AuditEntry.objects.filter(action="search.restricted")
    assert entry.actor == "keeper" and sorted(entry.detail["items"]) == codes
    assert main(["verify"]) == 0


def test_hidden_mode_leaves_restricted_items_out_of_an_ordinary_search(
    data_root, tmp_path, key_file, people, capsys, monkeypatch
):
    file_papers(data_root, tmp_path, count=1)
    assert main(["release", "2026-06", "--user", "head"]) == 0
    capsys.readouterr()
    folder = tmp_path / "config"
    shutil.copytree(config_dir(), folder)
    station = folder / "station.toml"
    station.write_text(
        station.read_text(encoding="utf-8").replace("[search]\n", '[search]\nrestricted_hits = "hidden"\n'),
        encoding="utf-8",
    )
    monkeypatch.setenv("STATION_CONFIG", str(folder))
    get_config.cache_clear()
    try:
        assert search_json("实操答卷", "--user", "clerk", capsys=capsys)["hits"] == []
        assert len(search_json("实操答卷", "--user", "head", capsys=capsys)["hits"]) == 1
    finally:
        get_config.cache_clear()


def test_a_secret_paper_without_a_key_is_quarantined_with_the_reason_and_kept(data_root, tmp_path, monkeypatch):
    monkeypatch.delenv("STATION_KEY_FILE", raising=False)
    monkeypatch.delenv("STATION_KEY", raising=False)
    round_ = make_round()
    drop(data_root.inbox / "答卷.pdf", stack_bytes(form_pages(make_paper(round_, 1)), tmp_path))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"quarantined": 1}
    assert ArchiveItem.objects.count() == 0
    assert (data_root.quarantine / "答卷.pdf").read_bytes().startswith(b"%PDF")
    reason = json.loads((data_root.quarantine / "答卷.pdf.reason.json").read_text(encoding="utf-8"))
    assert reason["code"] == "key_missing"
    assert "档案密钥" in reason["message"] and "STATION_KEY_FILE" in reason["message"]


def test_a_key_file_readable_by_others_or_inside_the_data_root_stops_every_command(
    data_root, tmp_path, key_file, capsys, monkeypatch
):
    os.chmod(key_file, 0o644)
    assert main(["status"]) == ExitCode.CONFIG
    err = capsys.readouterr().err.replace("\n", "")
    assert "权限过宽" in err and "chmod 600" in err
    os.chmod(key_file, 0o600)
    assert main(["status"]) == 0
    inside = data_root.var / "archive.key"
    inside.write_bytes(key_file.read_bytes())
    inside.chmod(0o600)
    monkeypatch.setenv("STATION_KEY_FILE", str(inside))
    assert main(["status"]) == ExitCode.CONFIG
    assert "数据目录之外" in capsys.readouterr().err.replace("\n", "")
