"""The filing flow end to end, driven by the real inbox watcher on a real folder.

Inputs are made here: FormInstance rows created directly and their pages drawn with the
scan simulator (segno QR top-right, A4, 200 dpi JPEG wrapped in PDF by img2pdf), the way a
scanner delivers them. Broken inputs are real broken files (empty, cut short, encrypted, a
Word document).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import queue
import time
from pathlib import Path

import pikepdf
import pytest
from django.utils import timezone

from pipeline.archive.keys import key_configured
from pipeline.archive.sealed import item_plain
from pipeline.archive.store import item_verify, metadata_read
from pipeline.catalog.models import (
    ArchiveItem,
    AuditEntry,
    Candidate,
    FormInstance,
    IngestJob,
    NumberSeries,
    ReviewItem,
    Round,
)
from pipeline.cli.main import main
from pipeline.core.config import IngestSettings, get_config
from pipeline.core.domain import QrPayload, id_check_digit, new_instance_code
from pipeline.ingest.flow import ingest_once, ingest_path
from pipeline.ingest.scansim import jpeg_bytes, stack_pdf, synthetic_page
from pipeline.ingest.watch import InboxWatcher
from tests.ingest.clock import StepClock

DPI = 200


def fast_config(stable: float = 0.4):
    """The station config with a short stability wait, so tests do not sit idle."""
    config = get_config()
    return config.model_copy(update={"ingest": IngestSettings(stable_seconds=stable, rescan_seconds=2.0)})


def id_number(serial: int) -> str:
    """A valid ID number (GB 11643 check digit) for candidate number serial."""
    first17 = f"35020319900101{serial:03d}"
    return first17 + id_check_digit(first17)


def make_round(code: str = "2026-12") -> Round:
    """An appraisal round whose scores are not yet recorded."""
    return Round.objects.get_or_create(code=code, defaults={"name": f"{code} 鉴定"})[0]


def make_registration(round_: Round, serial: int, *, pages: int = 2) -> FormInstance:
    """A candidate and the registration form generated for them."""
    name = f"测试考生{serial}"
    candidate = Candidate.objects.create(round=round_, name=name, id_number=id_number(serial), gender="男",
                                         birth_date=dt.date(1990, 1, 1), phone="13800000000", occupation="电工",
                                         level=4, ticket_number=f"{round_.code}-{serial:04d}")
    return FormInstance.objects.create(
        code=new_instance_code(), form="registration", round=round_, subject=candidate.id_number,
        subject_label=name, title=f"{round_.code} 电工四级 {name} 职业技能鉴定报名登记表", pages=pages,
        retention_class="exam-affairs", category="KW", doc_date=dt.date(2026, 12, 5),
        data={"name": name, "occupation": "电工", "employer": "厦门某电气公司"})


def form_pages(instance: FormInstance, *, skip: tuple[int, ...] = ()) -> list[bytes]:
    """The scanned pages of a signed form (JPEG bytes), optionally with pages missing."""
    return [jpeg_bytes(synthetic_page(QrPayload("DHJD", instance.code, page, instance.pages),
                                      [instance.title, f"第 {page} 页"], dpi=DPI), DPI)
            for page in range(1, instance.pages + 1) if page not in skip]


def text_page(lines: list[str]) -> bytes:
    """A page without a QR code (a letter, a paper), as a JPEG."""
    return jpeg_bytes(synthetic_page(None, lines, dpi=DPI), DPI)


def blank_page() -> bytes:
    """The empty back side of a duplex scan."""
    return jpeg_bytes(synthetic_page(None, [], dpi=DPI, signature_label="").point(lambda _: 255), DPI)


def drop(path: Path, data: bytes) -> Path:
    """Put a file into the inbox the way a copy does: written elsewhere, renamed in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.rename(partial, path)
    return path


def _image_bytes(page: pikepdf.Page) -> list[bytes]:
    return [x.read_raw_bytes() for x in page.Resources.XObject.values() if x.get("/Subtype") == "/Image"]


def stack_bytes(pages: list[bytes], tmp: Path, name: str = "stack.pdf") -> bytes:
    """A PDF of JPEG pages, as the scanner's "scan to PDF" writes it."""
    return stack_pdf(pages, tmp / name).read_bytes()


class Watching:
    """The real watcher on the inbox; files it hands over are filed in this (the test's) thread."""

    def __init__(self, paths, config, poll: bool = False) -> None:
        self.paths, self.config = paths, config
        self.ready: queue.Queue[Path] = queue.Queue()
        self.handed: list[tuple[float, Path]] = []
        self.watcher = InboxWatcher(paths.inbox, config.ingest, self._hand, poll=poll, tick=0.1)

    def _hand(self, path: Path) -> None:
        self.handed.append((time.monotonic(), path))
        self.ready.put(path)

    def __enter__(self) -> Watching:
        self.watcher.start()
        return self

    def __exit__(self, *exc) -> None:
        self.watcher.stop()

    def file(self, count: int, timeout: float = 60.0) -> dict[str, str]:
        """File the next count files the watcher hands over; name → outcome."""
        outcomes, deadline = {}, time.monotonic() + timeout
        while len(outcomes) < count:
            path = self.ready.get(timeout=max(0.1, deadline - time.monotonic()))
            outcomes[path.name] = ingest_path(path=path, paths=self.paths, config=self.config)
        return outcomes


@pytest.mark.django_db
def test_watched_stack_is_split_numbered_and_filed_with_links(data_root, tmp_path):
    round_ = make_round()
    forms = [make_registration(round_, n) for n in range(1, 4)]
    pages = form_pages(forms[0]) + [blank_page()] + form_pages(forms[1])[::-1] + form_pages(forms[2])
    stack = stack_bytes(pages, tmp_path)
    with Watching(data_root, fast_config()) as watching:
        drop(data_root.inbox / "扫描_001.pdf", stack)
        outcomes = watching.file(1)
    assert outcomes == {"扫描_001.pdf": IngestJob.State.FILED}
    items = list(ArchiveItem.objects.order_by("item_number"))
    assert [i.archival_code for i in items] == [f"J118-WS·2026-D10-KW-{n:04d}" for n in (1, 2, 3)]
    assert [i.form_instance.code for i in items] == [f.code for f in forms]
    first = metadata_read(data_root.archive / items[1].folder)
    assert first["candidate_name"] == "测试考生2" and first["ticket_number"] == "2026-12-0002"
    assert first["source_pages"] == [5, 4] and first["pages"] == 2      # reversed pages put back in order
    assert first["retention_class"] == "exam-affairs" and first["due_date"] == "2037-01-01"
    assert first["clock_start"] == "2027-01-01" and first["year"] == 2026
    assert all(item_verify(data_root.archive / i.folder) == [] for i in items)
    assert set(FormInstance.objects.values_list("status", flat=True)) == {"filed"}
    # each item keeps only its own pages of the received stack, as scanned (same JPEG bytes), in the
    # item's order (the reversed form's pages 5, 4); the blank page 3 is in none
    received = pikepdf.open(io.BytesIO(stack))
    expected_originals = (["扫描_001.p1-2.pdf"], ["扫描_001.p5_4.pdf"], ["扫描_001.p6-7.pdf"])
    for item, expected in zip(items, expected_originals, strict=True):
        folder = data_root.archive / item.folder / "original"
        assert sorted(p.name for p in folder.iterdir()) == expected
        meta = metadata_read(data_root.archive / item.folder)
        assert meta["original"] == "pages"
        with pikepdf.open(folder / expected[0]) as own:
            assert len(own.pages) == 2
            assert [_image_bytes(page) for page in own.pages] == [
                _image_bytes(received.pages[n - 1]) for n in meta["source_pages"]]
    assert not list(data_root.inbox.iterdir()) and not list(data_root.work.iterdir())
    assert [p.name for p in data_root.processed.glob("*/*")] == ["扫描_001.pdf"]
    assert NumberSeries.objects.get(category="KW").last == 3
    assert AuditEntry.objects.filter(action="item.file").count() == 3


@pytest.mark.django_db
def test_pages_printed_from_word_0_of_0_are_filed_with_their_instance_in_scan_order(data_root, tmp_path):
    round_ = make_round()
    word, numbered = make_registration(round_, 41), make_registration(round_, 42)
    unnumbered = [jpeg_bytes(synthetic_page(QrPayload("DHJD", word.code, 0, 0), [word.title, line], dpi=DPI), DPI)
                  for line in ("第一张：基本情况", "第二张：资格审查")]
    second, first = form_pages(numbered)[::-1]
    drop(data_root.inbox / "word.pdf", stack_bytes([second, unnumbered[0], first, unnumbered[1]], tmp_path))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"filed": 1}
    by_form = {item.form_instance.code: item for item in ArchiveItem.objects.all()}
    assert set(by_form) == {word.code, numbered.code} and not ReviewItem.objects.exists()
    meta = metadata_read(data_root.archive / by_form[word.code].folder)
    assert meta["source_pages"] == [2, 4] and meta["pages"] == 2 and meta["candidate_name"] == "测试考生41"
    assert metadata_read(data_root.archive / by_form[numbered.code].folder)["source_pages"] == [3, 1]
    with pikepdf.open(data_root.archive / by_form[word.code].folder / "document.pdf") as pdf:
        assert len(pdf.pages) == 2


@pytest.mark.django_db
def test_every_broken_input_is_quarantined_with_a_reason_staff_can_act_on(data_root, tmp_path, capsys):
    good = make_registration(make_round(), 7)
    encrypted = tmp_path / "enc.pdf"
    with pikepdf.open(stack_pdf(form_pages(good), tmp_path / "plain.pdf")) as pdf:
        pdf.save(encrypted, encryption=pikepdf.Encryption(owner="o", user="secret"))
    whole = stack_bytes(form_pages(good), tmp_path)
    inputs = {"空文件.pdf": b"", "截断.pdf": whole[: len(whole) // 2], "加密.pdf": encrypted.read_bytes(),
              "报告.docx": b"PK\x03\x04" + b"\x00" * 200, "扫描.pdf": whole}
    with Watching(data_root, fast_config()) as watching:
        for name, data in inputs.items():
            drop(data_root.inbox / name, data)
        outcomes = watching.file(len(inputs))
    assert outcomes.pop("扫描.pdf") == "filed"
    assert set(outcomes.values()) == {"quarantined"}
    reasons = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in data_root.quarantine.glob("*.reason.json")}
    codes = {name.removesuffix(".reason.json"): r["code"] for name, r in reasons.items()}
    assert codes == {"空文件.pdf": "empty", "截断.pdf": "truncated", "加密.pdf": "encrypted",
                     "报告.docx": "unsupported_format"}
    assert all((data_root.quarantine / name).is_file() for name in codes)    # nothing deleted
    assert main(["quarantine", "list"]) == 0
    listing = capsys.readouterr().out
    assert "截断.pdf" in listing and "加密" in listing
    assert main(["quarantine", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(codes) and all(r["sha256"] and r["message"] for r in rows)
    assert ArchiveItem.objects.count() == 1


@pytest.mark.django_db
def test_quarantine_retry_puts_the_file_back_and_it_is_filed_once_fixed(data_root, tmp_path, capsys):
    form = make_registration(make_round(), 9)
    whole = stack_bytes(form_pages(form), tmp_path)
    drop(data_root.inbox / "半截.pdf", whole[:-300])
    config = fast_config(0)
    assert ingest_once(paths=data_root, config=config) == {"quarantined": 1}
    assert main(["quarantine", "retry", "不存在.pdf"]) == 5
    assert "隔离区中没有文件" in capsys.readouterr().err
    (data_root.quarantine / "半截.pdf").chmod(0o644)
    (data_root.quarantine / "半截.pdf").write_bytes(whole)     # staff replaced it with a good copy
    assert main(["quarantine", "retry", "半截.pdf"]) == 0
    assert "已放回收件箱" in capsys.readouterr().out
    assert (data_root.inbox / "半截.pdf").is_file() and not list(data_root.quarantine.iterdir())
    assert ingest_once(paths=data_root, config=config) == {"filed": 1}
    assert ArchiveItem.objects.get().form_instance == form


@pytest.mark.django_db
def test_duplicate_drops_are_filed_once_and_recorded_against_the_code(data_root, tmp_path, capsys):
    form = make_registration(make_round(), 11)
    data = stack_bytes(form_pages(form), tmp_path)
    with Watching(data_root, fast_config()) as watching:
        drop(data_root.inbox / "a.pdf", data)
        assert watching.file(1) == {"a.pdf": "filed"}
        drop(data_root.inbox / "a.pdf", data)
        drop(data_root.inbox / "a-again.pdf", data)
        assert watching.file(2) == {"a.pdf": "duplicate", "a-again.pdf": "duplicate"}
    assert ArchiveItem.objects.count() == 1
    assert sorted(p.name for p in (data_root.processed / "duplicates").iterdir()) == ["a-again.pdf", "a.pdf"]
    entry = AuditEntry.objects.filter(action="ingest.duplicate").first()
    assert entry.target == "J118-WS·2026-D10-KW-0001"
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["duplicates"] == 2 and status["filed_total"] == 1 and status["queued"] == 0


@pytest.mark.django_db
def test_a_file_still_being_written_is_not_taken_early(data_root, tmp_path):
    form = make_registration(make_round(), 12)
    data = stack_bytes(form_pages(form), tmp_path)
    target, config, clock, handed = data_root.inbox / "slow.pdf", fast_config(0.6), StepClock(), []
    watcher = InboxWatcher(data_root.inbox, config.ingest, handed.append, clock=clock)     # driven step by step

    def look() -> list[Path]:
        watcher.rescan()
        return watcher.step()

    chunk = len(data) // 8 + 1
    with open(target, "wb") as handle:               # a scanner writing in place, a chunk every 0.25 s
        for start in range(0, len(data), chunk):
            handle.write(data[start:start + chunk])
            handle.flush()
            clock.touch(target)
            assert look() == []                      # the whole write takes longer than stable_seconds
            clock.advance(0.25)
    clock.advance(0.3)
    assert look() == []                              # 0.55 s after the last chunk
    clock.advance(0.1)
    assert look() == [target] and handed == [target]   # 0.65 s
    assert look() == []                                 # handed over once
    assert ingest_path(path=target, paths=data_root, config=config, clock=clock) == "filed"
    assert ArchiveItem.objects.get().pages == 2


@pytest.mark.django_db
def test_ingest_once_waits_for_a_fresh_file_on_its_clock_not_in_real_time(data_root, tmp_path):
    form = make_registration(make_round(), 13)
    clock = StepClock()
    clock.touch(drop(data_root.inbox / "fresh.pdf", stack_bytes(form_pages(form), tmp_path)))
    started = time.monotonic()
    assert ingest_once(paths=data_root, config=fast_config(30.0), clock=clock) == {"filed": 1}
    assert 30.0 <= clock.monotonic() < 30.5          # it looked again every tick until the file was 30 s old
    assert time.monotonic() - started < 30.0         # without sitting out those 30 s


@pytest.mark.django_db
def test_subfolder_classifies_unmarked_scans_and_polling_observer_sees_them(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("STATION_KEY", "QUJD" * 10 + "QUI=")     # papers (SJ) are secret
    page = text_page(["第一题 答：电流的方向", "第二题 答：欧姆定律"])
    with Watching(data_root, fast_config(), poll=True) as watching:
        drop(data_root.inbox / "试卷" / "答卷01.jpg", page)
        assert watching.file(1) == {"答卷01.jpg": "filed"}
    item = ArchiveItem.objects.get()
    assert item.archival_code == f"J118-WS·{timezone.localdate().year}-D3-SJ-0001"
    assert item.category == "SJ" and item.retention_code == "D3" and item.restricted
    assert item.title.startswith("试卷与评分表")
    meta = metadata_read(data_root.archive / item.folder)
    assert meta["retention_class"] == "exam-papers" and meta["text"] == ""      # secret: OCR text sealed
    assert "电流的方向" in item_plain(data_root.archive / item.folder, [key_configured()])["text.txt"].decode()


@pytest.mark.django_db
def test_missing_page_and_unknown_document_wait_for_review_then_are_filed_by_hand(data_root, tmp_path, capsys):
    round_ = make_round()
    whole, short = make_registration(round_, 21), make_registration(round_, 22, pages=3)
    pages = form_pages(whole) + form_pages(short, skip=(2,)) + [text_page(["会议纪要", "出席人员：王五"])]
    drop(data_root.inbox / "混合.pdf", stack_bytes(pages, tmp_path))
    assert ingest_once(paths=data_root, config=fast_config(0)) == {"review": 1}
    assert ArchiveItem.objects.count() == 1                      # the complete form is filed at once
    assert main(["review", "list"]) == 0
    out = capsys.readouterr().out
    assert "缺少第 2 页" in out and "无法从文字判断类别" in out
    missing, unknown = ReviewItem.objects.order_by("id")
    assert missing.kind == "missing_page" and missing.source_pages == [3, 4]
    assert main(["review", "file", str(unknown.pk), "--category", "XX", "--title", "会议纪要"]) == 2
    assert "类别“XX”不存在" in capsys.readouterr().err
    assert main(["review", "file", str(unknown.pk), "--category", "FW", "--title", "2026年12月 会议纪要"]) == 0
    assert "FW-0001" in capsys.readouterr().out
    assert (data_root.work / IngestJob.objects.get().sha256).is_dir()   # one item still waits: scan kept
    assert main(["review", "file", str(missing.pk), "--category", "KW", "--title", "报名登记表（缺第2页）"]) == 0
    assert main(["review", "file", str(missing.pk), "--category", "KW", "--title", "x"]) == 4
    job = IngestJob.objects.get()
    assert job.state == "filed" and not (data_root.work / job.sha256).exists()
    assert [p.name for p in data_root.processed.glob("*/*")] == ["混合.pdf"]
    filed = ArchiveItem.objects.get(title="报名登记表（缺第2页）")
    assert filed.archival_code.endswith("KW-0002") and filed.form_instance == short and filed.pages == 2
    assert item_verify(data_root.archive / filed.folder) == []
    # three documents in one scan: each item, filed at once or by hand, keeps only its own pages
    own = {item.title: sorted(p.name for p in (data_root.archive / item.folder / "original").iterdir())
           for item in ArchiveItem.objects.all()}
    assert own == {whole.title: ["混合.p1-2.pdf"], "报名登记表（缺第2页）": ["混合.p3-4.pdf"],
                   "2026年12月 会议纪要": ["混合.p5.pdf"]}
    meeting = ArchiveItem.objects.get(title="2026年12月 会议纪要")
    assert metadata_read(data_root.archive / meeting.folder)["original"] == "pages"
    with pikepdf.open(data_root.archive / meeting.folder / "original" / "混合.p5.pdf") as pdf:
        assert len(pdf.pages) == 1


@pytest.mark.django_db
def test_station_ingest_once_and_status_speak_chinese(data_root, tmp_path, capsys):
    form = make_registration(make_round(), 31)
    path = drop(data_root.inbox / "one.pdf", stack_bytes(form_pages(form), tmp_path))
    drop(data_root.inbox / "~$临时.pdf", b"office lock file")
    old = time.time() - 60
    os.utime(path, (old, old))                      # long since written: no need to wait
    assert main(["ingest", "--once"]) == 0
    out = capsys.readouterr().out
    assert "收件箱处理完毕" in out and "已归档 1" in out
    assert (data_root.inbox / "~$临时.pdf").exists()    # editor leftovers are never taken
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "累计归档：1" in out and "待人工处理：0" in out


def test_search_text_leaves_out_photo_and_chart_references():
    from pipeline.ingest.plans import flatten

    text = flatten({"name": "张三", "photo": "file:///srv/station/var/photos/a.jpg",
                    "chart_uri": "data:image/png;base64,AAAA", "rows": [{"phone": "13912345678"}]})
    assert text.split("\n") == ["张三", "13912345678"]


def make_filing_cover(*, pages: int, title: str = "关于开展2026年职业技能鉴定工作的通知") -> FormInstance:
    """A filing cover (归档封面) for an unmarked document of the given page count."""
    return FormInstance.objects.create(
        code=new_instance_code(), form="filing-cover", title=title, pages=1, doc_date=dt.date(2026, 11, 20),
        data={"category": "FW", "title": title, "pages": pages, "responsible": "厦门市职业技能鉴定指导中心"})


@pytest.mark.django_db
def test_document_under_a_filing_cover_is_filed_in_its_category_or_waits_when_pages_are_short(
        data_root, tmp_path, capsys):
    whole = make_filing_cover(pages=2)
    short = make_filing_cover(pages=3, title="考评任务书")
    letter = [text_page(["厦门市职业技能鉴定指导中心", "关于开展鉴定工作的通知"]), text_page(["第二页 附件名单"])]
    drop(data_root.inbox / "来文.pdf", stack_bytes(form_pages(whole) + letter, tmp_path, "a.pdf"))
    drop(data_root.inbox / "任务书.pdf", stack_bytes(form_pages(short) + letter, tmp_path, "b.pdf"))
    ingest_once(paths=data_root, config=fast_config(0))
    (item,) = ArchiveItem.objects.all()
    assert (item.category, item.retention_code, item.title) == ("FW", "D10", whole.title)
    assert item.pages == 3 and item.form_instance == whole           # the cover and the two pages after it
    assert main(["review", "list", "--json"]) == 0
    (waiting,) = json.loads(capsys.readouterr().out)
    assert "注明 3 页，但封面后扫描到 2 页" in waiting["message"] and "考评任务书" in waiting["message"]
