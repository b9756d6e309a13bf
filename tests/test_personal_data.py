"""ID numbers and phone numbers never leave in clear, except in the views permitted to roles that need them.

A realistic round through the real CLI — import (with bad rows), assign, results, forms, ingest
of scans with a bad file and an unmarked page bearing personal numbers, search, show, status,
quarantine, review, verify, audit — capturing every output; then every output and every log
file is searched for the fixtures' numbers in clear. The permitted views (search, show and
results show with --show-id/--user by an archivist) are exercised too and DO show them.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import pytest

from pipeline.catalog.models import ArchiveItem, AuditEntry, Candidate
from pipeline.cli.main import main
from pipeline.core.domain import id_check_digit, mask_id
from pipeline.core.privacy import MaskingFormatter, mask_personal, mask_phone
from tests.ingest.test_flow import drop, stack_bytes, text_page
from tests.people import login_env, make_users
from tests.roster.conftest import HEADERS, example_dir, jpeg_bytes, make_example, person, write_xlsx  # noqa: F401 (fixture)

PASSWORD = "correct horse battery"


class Session:
    """Runs `station …` and keeps what each command printed, marked permitted or not."""

    def __init__(self, capsys) -> None:
        self.capsys, self.outputs = capsys, []

    def run(self, *args: str, code: int = 0, permitted: bool = False) -> str:
        assert main(list(args)) == code, args
        captured = self.capsys.readouterr()
        self.outputs.append((args, captured.out + captured.err, permitted))
        return captured.out


def _candidate_sheet(folder: Path) -> tuple[Path, list[dict]]:
    """Six good candidates with photos and three bad rows (phone, ID check digit, photo path)."""
    (folder / "photos").mkdir(parents=True)
    rows = [person(seed) for seed in range(1, 7)]
    rows.append(person(7, 联系电话="1391234567890"))                         # 13 digits
    wrong = person(8)
    wrong["身份证号"] = wrong["身份证号"][:17] + ("0" if wrong["身份证号"][17] != "0" else "1")
    rows.append(wrong)
    rows.append(person(9, 照片="../../etc/photo.jpg"))
    for number, row in enumerate(rows, 1):
        if "照片" not in row:
            row["照片"] = f"photos/{number:03d}.jpg"
            (folder / row["照片"]).write_bytes(jpeg_bytes((480, 640), (30 * number % 255, 90, 160)))
    return write_xlsx(folder / "candidates.xlsx", rows, headers=HEADERS), rows


def _score_sheet(folder: Path, tickets: dict[str, str], people: list[dict]) -> Path:
    """Scores for the imported candidates, one row for a ticket not in the round, one with another's ID."""
    rows = [{"准考证号": tickets[p["身份证号"]], "姓名": p["姓名"], "身份证号": p["身份证号"],
             "理论成绩": 70 + n, "实操成绩": 65 + n} for n, p in enumerate(people)]
    rows[1]["身份证号"] = people[2]["身份证号"]
    rows.append({"准考证号": "202612DG49999", "姓名": "查无此人", "身份证号": people[0]["身份证号"],
                 "理论成绩": 80, "实操成绩": 80})
    path = folder / "scores.xlsx"
    make_example.write_sheet(path, ["准考证号", "姓名", "身份证号", "理论成绩", "实操成绩"], rows, title="成绩登记")
    return path


def _log_files(data_root) -> list[Path]:
    """Every log file under the data root and every file the pipeline's loggers write to."""
    files = set(data_root.root.rglob("*.log"))
    for handler in logging.getLogger("pipeline").handlers:
        if getattr(handler, "baseFilename", None):
            assert isinstance(handler.formatter, MaskingFormatter)      # settings.LOGGING masks every line
            handler.flush()
            files.add(Path(handler.baseFilename))
    return sorted(f for f in files if f.is_file())


@pytest.mark.django_db
def test_no_id_or_phone_number_in_clear_outside_permitted_views(tmp_path, data_root, capsys, monkeypatch,
                                                                 example_dir):  # noqa: F811
    made = make_users({"da": ["archivist"], "kp": ["examiner"]}, password=PASSWORD)
    login_env(monkeypatch, made, password=PASSWORD)
    station = Session(capsys)
    sheet, rows = _candidate_sheet(tmp_path / "sheet")
    staff_rows, recusals = make_example.demo_staff(make_example.demo_candidates())
    secrets = ({r["身份证号"] for r in rows} | {r["联系电话"] for r in rows}
               | {r["身份证号"] for r in staff_rows} | {r["联系电话"] for r in staff_rows}
               | {r["考生身份证号"] for r in recusals})
    stray_id = "35020319850101" + "123"
    stray_id += id_check_digit(stray_id)                  # valid, in nobody's record
    stray_phone = "13712345678"
    secrets |= {stray_id, stray_phone}

    station.run("rounds", "add", "2026-12", "--name", "2026年12月鉴定", "--theory", "2026-12-05T09:00",
                "--practical", "2026-12-06T08:30")
    station.run("import", "rooms", str(example_dir / "rooms.xlsx"))
    station.run("import", "staff", str(example_dir / "staff.xlsx"), "--json")
    station.run("import", "candidates", str(sheet), "--round", "2026-12", code=2)
    station.run("import", "candidates", str(sheet), "--round", "2026-12", "--json", code=2)
    report = json.loads(station.run("import", "candidates", str(sheet), "--round", "2026-12", "--skip-invalid",
                                    "--json"))
    assert report["imported"] == 6 and len(report["skipped"]) == 3
    station.run("rounds", "show", "2026-12", "--json")
    station.run("assign", "2026-12", "--seed", "3", "--json")

    tickets = dict(Candidate.objects.values_list("id_number", "ticket_number"))
    scores = _score_sheet(tmp_path, tickets, rows[:6])
    station.run("results", "import", str(scores), "--round", "2026-12", code=2)
    station.run("results", "import", str(scores), "--round", "2026-12", "--skip-invalid", "--json")
    shown = json.loads(station.run("results", "show", "2026-12", "--json"))
    assert {c["id_number"] for c in shown["candidates"]} == {mask_id(r["身份证号"]) for r in rows[:6]}
    station.run("results", "show", "2026-12", "--candidates")
    station.run("results", "show", "2026-12", "--json", "--show-id", code=2)
    station.run("results", "show", "2026-12", "--json", "--show-id", "--user", "kp", code=6)
    full = json.loads(station.run("results", "show", "2026-12", "--json", "--show-id", "--user", "da",
                                  permitted=True))
    assert {c["id_number"] for c in full["candidates"]} == {r["身份证号"] for r in rows[:6]}   # the permitted view
    assert AuditEntry.objects.filter(action="results.show_id", actor="da", target="2026-12").count() == 1

    forms = tmp_path / "forms"
    station.run("forms", "round", "2026-12", "--out", str(forms), "--json")
    station.run("forms", "render", "registration", "--round", "2026-12", "--subject", stray_id,
                "--out", str(tmp_path / "one"), code=5)

    registration = sorted((forms / "registration").glob("*.pdf"))[0]
    station.run("scansim", str(registration), "--out", str(tmp_path / "scans"), "--seed", "2")
    [scan] = (tmp_path / "scans").glob("*.pdf")
    drop(data_root.inbox / "报名表.pdf", scan.read_bytes())
    drop(data_root.inbox / "坏文件.pdf", f"不是PDF 身份证号{stray_id} 电话{stray_phone}".encode())
    drop(data_root.inbox / "来信.pdf", stack_bytes([text_page(["情况说明", f"身份证号 {stray_id}",
                                                              f"联系电话 {stray_phone}"])], tmp_path))
    old = time.time() - 60
    for path in data_root.inbox.iterdir():
        os.utime(path, (old, old))
    station.run("ingest", "--once", code=8)                # the bad file is quarantined: exit 8
    item = ArchiveItem.objects.get(form="registration")
    candidate = Candidate.objects.get(id_number=item.candidate_id_number)

    station.run("status", "--json")
    station.run("status")
    quarantined = json.loads(station.run("quarantine", "list", "--json"))
    assert [q["original_name"] for q in quarantined] == ["坏文件.pdf"]
    station.run("quarantine", "list")
    waiting = json.loads(station.run("review", "list", "--json"))
    assert waiting and waiting[0]["source_name"] == "来信.pdf"
    station.run("review", "list")
    for query in (candidate.name, candidate.ticket_number, candidate.id_number, candidate.phone):
        station.run("search", query, "--json")
        station.run("search", query)
    hits = json.loads(station.run("search", candidate.name, "--json", "--show-id", "--user", "da", permitted=True))
    assert candidate.id_number in {hit["id_number"] for hit in hits["hits"]}            # the permitted view
    station.run("search", candidate.name, "--json", "--show-id", "--user", "kp", code=6)
    hits = json.loads(station.run("search", candidate.id_number, "--json", "--show-id", "--user", "da",
                                  permitted=True))
    assert hits["query"] == candidate.id_number
    station.run("hold", "add", "--candidate", candidate.id_number, "--reason", "复核成绩", "--user", "da")
    station.run("hold", "list", "--json")
    station.run("hold", "list")
    station.run("show", item.archival_code, "--json")
    card = json.loads(station.run("show", item.archival_code, "--json", "--user", "da", permitted=True))
    assert card["candidate_id_number"] == candidate.id_number                           # the permitted view
    station.run("verify", "--json")
    station.run("audit", "list", "--json", "--limit", "500")
    station.run("retention", "due", "--as-of", "2099-01-01", "--json")

    logs = _log_files(data_root)
    assert logs and any(mask_id(stray_id) in f.read_text(encoding="utf-8") for f in logs)    # logged, masked
    reasons = list(data_root.quarantine.glob("*.reason.json"))
    assert reasons
    leaks = []
    for args, text, permitted in station.outputs:
        if not permitted:
            leaks += [(" ".join(args), secret) for secret in secrets if secret in text]
    for path in logs + reasons:
        text = path.read_text(encoding="utf-8")
        leaks += [(str(path), secret) for secret in secrets if secret in text]
    assert not leaks


def test_log_lines_and_tracebacks_are_masked(tmp_path):
    stream = tmp_path / "x.log"
    handler = logging.FileHandler(stream, encoding="utf-8")
    handler.setFormatter(MaskingFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("pipeline.test_privacy")
    log.addHandler(handler)
    try:
        log.warning("candidate %s phone %s", "350203199001011234", "13812345678")
        try:
            raise ValueError("duplicate key (id_number)=(35020319900101123X)")
        except ValueError:
            log.exception("insert failed")
    finally:
        log.removeHandler(handler)
        handler.close()
    text = stream.read_text(encoding="utf-8")
    assert "350203********1234" in text and "138****5678" in text and "350203********123X" in text
    assert "350203199001011234" not in text and "13812345678" not in text and "35020319900101123X" not in text


@pytest.mark.parametrize("text,masked", [
    ("身份证号350203199001011234。", "身份证号350203********1234。"),
    ("电话 138-1234-5678 或 +86 13912345678", "电话 138****5678 或 139****5678"),
    ("sha256 9f13812345678a and 0592-1234567", "sha256 9f13812345678a and 0592-1234567"),   # hex, landline kept
    ("准考证号 202612DG40001", "准考证号 202612DG40001"),
])
def test_mask_personal(text, masked):
    assert mask_personal(text) == masked


def test_mask_phone_keeps_little_of_a_wrong_number():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("1391234567890") == "139********90"
    assert mask_phone("12345") == "*****"
