"""Names from outside (sheet cells, file names, command-line arguments) never lead outside their folder."""

from __future__ import annotations

import json
import os
import re

import pytest

from pipeline.core.errors import BadInput, ExitCode
from pipeline.core.paths import UnsafePath, is_plain_folder_name, safe_join


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def folder(tmp_path):
    base = tmp_path / "sheet"
    (base / "photos").mkdir(parents=True)
    (base / "photos" / "a.jpg").write_bytes(b"x")
    (tmp_path / "secret.txt").write_text("outside")
    return base


def test_plain_relative_names_stay_inside(folder):
    assert safe_join(folder, "photos/a.jpg") == (folder / "photos" / "a.jpg").resolve()
    assert safe_join(folder, "photos\\a.jpg") == (folder / "photos" / "a.jpg").resolve()   # made on Windows
    assert safe_join(folder, "./photos/a.jpg") == (folder / "photos" / "a.jpg").resolve()
    assert safe_join(folder, "photos/新.jpg") == (folder / "photos" / "新.jpg").resolve()   # need not exist yet


@pytest.mark.parametrize("name,why", [
    ("/etc/passwd", "是绝对路径"), ("//server/share/a.jpg", "是绝对路径"), ("\\\\server\\share\\a.jpg", "是绝对路径"),
    ("C:\\photos\\a.jpg", "是绝对路径"), ("c:a.jpg", "是绝对路径"),
    ("../secret.txt", "含有上级目录"), ("photos/../../secret.txt", "含有上级目录"), ("..\\secret.txt", "含有上级目录"),
    ("photos/a.jpg\0.png", "含有空字符"), ("", "为空"), ("  ", "为空"), (".", "没有指明"),
])
def test_escaping_names_are_refused_with_a_reason(folder, name, why):
    with pytest.raises(UnsafePath) as caught:
        safe_join(folder, name)
    assert why in caught.value.message_zh and "不能含“..”" in caught.value.message_zh
    assert isinstance(caught.value, BadInput) and caught.value.exit_code == ExitCode.BAD_INPUT


def test_a_single_file_name_may_hold_backslashes_but_no_slash(folder):
    assert safe_join(folder, "C:\\x\\..\\a.pdf", file_name=True) == folder.resolve() / "C:\\x\\..\\a.pdf"
    for name in ("photos/a.jpg", "../a.pdf", "/etc/passwd", "..", ".", "a\0b", ""):
        with pytest.raises(UnsafePath):
            safe_join(folder, name, file_name=True)


def test_symlink_pointing_out_is_refused_and_one_pointing_in_is_followed(folder, tmp_path):
    (folder / "photos" / "out.jpg").symlink_to(tmp_path / "secret.txt")
    (folder / "linked").symlink_to(tmp_path)                       # a folder link out
    (folder / "photos" / "in.jpg").symlink_to(folder / "photos" / "a.jpg")
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    for name in ("photos/out.jpg", "linked/secret.txt"):
        with pytest.raises(UnsafePath) as caught:
            safe_join(folder, name)
        assert "符号链接" in caught.value.message_zh
    assert safe_join(folder, "photos/in.jpg") == (folder / "photos" / "a.jpg").resolve()
    with pytest.raises(UnsafePath):
        safe_join(folder, "loop.jpg")


def test_a_base_reached_through_a_symlink_still_works(folder, tmp_path):
    (tmp_path / "via").symlink_to(folder)
    assert safe_join(tmp_path / "via", "photos/a.jpg") == (folder / "photos" / "a.jpg").resolve()


@pytest.mark.parametrize("name,ok", [("考务", True), ("试卷 2026", True), ("..", False), (".", False), ("a/b", False),
                                     ("a\\b", False), ("/etc", False), ("C:", False), ("x\0", False), ("", False)])
def test_plain_folder_names(name, ok):
    assert is_plain_folder_name(name) is ok


# ---------------------------------------------------------------- through the real CLI


@pytest.mark.django_db
def test_sheet_with_escaping_photo_paths_is_refused_row_by_row(tmp_path, data_root, capsys):
    from pipeline.catalog.models import Candidate
    from pipeline.catalog.services import round_add
    from pipeline.cli.main import main
    from tests.roster.conftest import HEADERS, jpeg_bytes, person, write_xlsx

    round_add(code="2026-12", name="2026年12月鉴定")
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(jpeg_bytes())
    sheet = tmp_path / "sheet"
    (sheet / "photos").mkdir(parents=True)
    (sheet / "photos" / "ok.jpg").write_bytes(jpeg_bytes())
    (sheet / "photos" / "link.jpg").symlink_to(outside)
    rows = [person(1, 照片="photos/ok.jpg"), person(2, 照片="../outside.jpg"), person(3, 照片=str(outside)),
            person(4, 照片="photos/link.jpg"), person(5, 照片="photos/ok.jpg")]
    path = write_xlsx(sheet / "candidates.xlsx", rows, headers=HEADERS)

    assert main(["import", "candidates", str(path), "--round", "2026-12"]) == ExitCode.BAD_INPUT
    err = _flat(capsys.readouterr().err)
    assert "有3处问题（涉及3行），未导入任何考生" in err
    assert "第4行【照片】：照片文件名“../outside.jpg”含有上级目录“..”" in err
    assert f"第5行【照片】：照片文件名“{outside}”是绝对路径" in err
    assert "第6行【照片】：照片文件名“photos/link.jpg”经符号链接指向了文件夹之外" in err
    assert "请改为表格所在文件夹下的相对路径（如photos/张三.jpg）" in err
    assert Candidate.objects.count() == 0

    assert main(["import", "candidates", str(path), "--round", "2026-12", "--skip-invalid", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["imported"] == 2 and [s["row"] for s in report["skipped"]] == [4, 5, 6]
    assert {c.sheet_row for c in Candidate.objects.all()} == {3, 7}
    assert all(c.photo.startswith("2026-12/") for c in Candidate.objects.all())
    assert not list(data_root.photos.rglob("*outside*"))


@pytest.mark.django_db
def test_stored_photo_path_outside_var_photos_never_goes_into_a_form(tmp_path, data_root):
    from pipeline.forms.builders import FormDataError, photo_file

    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 20)
    (data_root.photos / "ok.jpg").write_bytes(outside.read_bytes())
    assert photo_file("registration", "考生甲", "ok.jpg").endswith("/var/photos/ok.jpg")
    for stored in (str(outside), "../../elsewhere.jpg"):
        with pytest.raises(FormDataError) as caught:
            photo_file("registration", "考生甲", stored)
        assert "照片" in caught.value.message_zh and "考生甲" in caught.value.message_zh


@pytest.mark.django_db
def test_quarantine_retry_refuses_names_that_leave_the_quarantine(tmp_path, data_root, capsys):
    from pipeline.cli.main import main

    victim = tmp_path / "victim.pdf"
    victim.write_bytes(b"%PDF-1.4 not ours")
    (tmp_path / "victim.pdf.reason.json").write_text(json.dumps({"original_name": "../../../x.pdf"}))
    relative = os.path.relpath(victim, data_root.quarantine)
    for name in (relative, str(victim)):
        assert main(["quarantine", "retry", name]) == ExitCode.BAD_INPUT
        assert "隔离区" not in capsys.readouterr().out
    assert victim.read_bytes() == b"%PDF-1.4 not ours"


@pytest.mark.django_db
def test_quarantine_retry_puts_a_file_back_only_inside_the_inbox(tmp_path, data_root, capsys):
    from pipeline.cli.main import main

    (data_root.quarantine / "scan.pdf").write_bytes(b"%PDF-1.4")
    (data_root.quarantine / "scan.pdf.reason.json").write_text(json.dumps(
        {"name": "scan.pdf", "original_name": "../../../../escaped.pdf", "message": "", "time": "2026-01-01"}),
        encoding="utf-8")
    assert main(["quarantine", "retry", "scan.pdf"]) == 0
    assert (data_root.inbox / "escaped.pdf").read_bytes() == b"%PDF-1.4"
    assert not list(tmp_path.rglob("escaped.pdf"))[1:]


@pytest.mark.parametrize("payload", ["SJD1:DHJD:../../x:1/1", "SJD1:DHJD:ABCDEFGH/..:1/1", "SJD1:DHJD:ABC\0EFGH:1/1",
                                     "SJD1:/etc:ABCDEFGH:1/1", "SJD1:DHJD:ABCDEFGH:1/1\n/../x"])
def test_qr_payloads_that_carry_a_path_are_not_ours(payload):
    from pipeline.core.domain import QrPayload

    assert QrPayload.decode(payload) is None


@pytest.mark.django_db
def test_inbox_file_names_that_look_like_paths_stay_inside_the_data_root(tmp_path, data_root, capsys):
    from pipeline.cli.main import main

    names = ["x\\..\\..\\evil.pdf", "p..pdf", "C:\\evil.pdf", "-rf.pdf"]
    old = 1_000_000_000
    for name in names + ["..\\..\\dot.pdf"]:
        path = data_root.inbox / name
        path.write_bytes(b"not a pdf at all")
        os.utime(path, (old, old))
    before = set(tmp_path.iterdir())
    assert main(["ingest", "--once"]) == 8                    # files were quarantined: a cron job is told
    capsys.readouterr()
    assert set(tmp_path.iterdir()) == before                   # nothing written beside the data root
    assert sorted(p.name for p in data_root.quarantine.iterdir() if not p.name.endswith(".reason.json")) == sorted(names)
    assert (data_root.inbox / "..\\..\\dot.pdf").is_file()           # a dot-file is a leftover: never taken
    assert main(["quarantine", "retry", "x\\..\\..\\evil.pdf"]) == 0
    assert (data_root.inbox / "x\\..\\..\\evil.pdf").is_file()
