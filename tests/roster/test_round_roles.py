"""Who may work a round (catalog/round_access.py): 考务人员 and 站长 create it, import, correct, plan and print;
an account holding only 档案管理员 is refused by every service with a Chinese message and nothing changes; the
CLI without --user is the shell's system operator, with --user the person is checked like on the web."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from pipeline.catalog.assignment import assignment_make
from pipeline.catalog.corrections import candidate_edit, candidate_remove, candidates_photos, candidates_update
from pipeline.catalog.corrections_sheets import rooms_update, staff_update
from pipeline.catalog.corrections_staff import room_edit, room_remove, staff_edit, staff_remove
from pipeline.catalog.importing import candidates_import, rooms_import, staff_import
from pipeline.catalog.models import AuditEntry, Candidate, Room, Round, Staff
from pipeline.catalog.round_remove import round_remove
from pipeline.catalog.services import SYSTEM_ACTOR, round_add
from pipeline.cli.common import password_variable
from pipeline.cli.main import main
from pipeline.core.errors import ExitCode, Refused
from pipeline.core.paths import REPO_ROOT
from pipeline.forms.reprint import forms_reprint_outstanding
from pipeline.forms.service import forms_round
from tests.people import PASSWORD, make_users
from tests.roster.conftest import jpeg_bytes, person, write_xlsx

pytestmark = pytest.mark.django_db
REFUSED = re.compile(r"用户“arch”无权(.+)：需要考务人员或站长角色。")


@pytest.fixture
def people(db, settings):
    """An archivist (档案管理员 only), a 考务人员 and the head, each their own person."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_users({"head": ["station_head"], "arch": ["archivist"], "clerk": ["exam_affairs"]})


def _refused(call) -> str:
    """The Chinese message of the refusal (what was refused)."""
    with pytest.raises(Refused) as caught:
        call()
    assert caught.value.code == "role_required"
    match = REFUSED.fullmatch(caught.value.message_zh)
    assert match, caught.value.message_zh
    return match.group(1)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _audit() -> list[tuple[str, str]]:
    return list(AuditEntry.objects.exclude(action__startswith="user.").values_list("actor", "action"))


def test_an_archivist_is_refused_every_round_service_and_nothing_changes(people, data_root, tmp_path):
    assert _refused(lambda: round_add(code="2026-12", name="2026年12月鉴定", actor="arch")) == "建立鉴定批次"
    assert not Round.objects.exists()
    round_add(code="2026-12", name="2026年12月鉴定", actor="clerk")
    sheet = write_xlsx(tmp_path / "名单.xlsx", [person(1), person(2), person(3)])
    assert _refused(lambda: candidates_import(path=sheet, round_code="2026-12", actor="arch")) == "导入考生名单"
    assert not Candidate.objects.exists()
    candidates_import(path=sheet, round_code="2026-12", actor="clerk")
    first = Candidate.objects.order_by("sheet_row").first()
    before = _audit()
    refusals = {
        "预览考生名单更正": lambda: candidates_update(path=sheet, round_code="2026-12", dry_run=True, actor="arch"),
        "更正考生名单": lambda: candidates_update(path=sheet, round_code="2026-12", actor="arch"),
        "修改考生信息": lambda: candidate_edit(ref=first.ticket_number, values={"name": "林更正"}, actor="arch"),
        "删除考生": lambda: candidate_remove(ref=first.ticket_number, reason="重复报名", actor="arch"),
        "更新考生照片": lambda: candidates_photos(round_code="2026-12", folder=tmp_path, actor="arch"),
        "导入工作人员名单": lambda: staff_import(path=REPO_ROOT / "examples" / "staff.xlsx", actor="arch"),
        "导入或更正工作人员名单": lambda: staff_update(path=REPO_ROOT / "examples" / "staff.xlsx", actor="arch"),
        "导入考场名单": lambda: rooms_import(path=REPO_ROOT / "examples" / "rooms.xlsx", actor="arch"),
        "导入或更正考场名单": lambda: rooms_update(path=REPO_ROOT / "examples" / "rooms.xlsx", dry_run=True,
                                              actor="arch"),
        "编排考场与工作人员": lambda: assignment_make(round_=Round.objects.get(), seed=1, actor="arch"),
        "生成批次表单": lambda: forms_round(round_=Round.objects.get(), out=tmp_path / "out", actor="arch"),
        "补打未交回的表单": lambda: forms_reprint_outstanding(round_=Round.objects.get(), out=tmp_path / "re",
                                                      actor="arch"),
        "修改工作人员信息": lambda: staff_edit(badge="KP001", values={"name": "王更正"}, actor="arch"),
        "删除工作人员": lambda: staff_remove(badge="KP001", reason="离职", actor="arch"),
        "修改考场": lambda: room_edit(code="R101", values={"capacity": "10"}, actor="arch"),
        "删除考场": lambda: room_remove(code="R101", reason="装修", actor="arch"),
        "删除鉴定批次": lambda: round_remove(code="2026-12", reason="误建", actor="arch"),
    }
    for action, call in refusals.items():
        assert _refused(call) == action
    assert Candidate.objects.get(pk=first.pk).name == first.name and Candidate.objects.count() == 3
    assert Round.objects.filter(code="2026-12").exists()
    assert not Staff.objects.filter(user__isnull=True).exists() and not Room.objects.exists()
    assert _audit() == before and not (tmp_path / "out").exists()


def test_a_clerk_and_the_head_may_and_a_name_that_is_no_account_may_not(people, data_root, tmp_path):
    round_add(code="2026-12", name="2026年12月鉴定", actor="clerk")
    sheet = write_xlsx(tmp_path / "名单.xlsx", [person(1), person(2)])
    candidates_import(path=sheet, round_code="2026-12", actor="clerk")
    first = Candidate.objects.order_by("sheet_row").first()
    candidate_edit(ref=first.ticket_number, values={"name": "林更正"}, actor="head")
    staff_import(path=REPO_ROOT / "examples" / "staff.xlsx", actor="clerk")
    rooms_import(path=REPO_ROOT / "examples" / "rooms.xlsx", actor="head")
    assert Candidate.objects.get(pk=first.pk).name == "林更正" and Staff.objects.count() > 3 and Room.objects.exists()
    assert ("clerk", "candidates.import") in _audit() and ("head", "candidate.edit") in _audit()
    with pytest.raises(Refused) as caught:
        candidate_edit(ref=first.ticket_number, values={"name": "林某"}, actor="mallory")
    assert caught.value.code == "actor_unknown" and "“mallory”不是本站的用户" in caught.value.message_zh
    candidate_edit(ref=first.ticket_number, values={"name": "林晓梅"}, actor=SYSTEM_ACTOR)   # the shell's operator
    assert AuditEntry.objects.filter(actor=SYSTEM_ACTOR, action="candidate.edit").count() == 1


def test_the_cli_checks_the_person_named_with_user_and_without_it_acts_as_the_system(people, data_root, tmp_path,
                                                                                   capsys, monkeypatch):
    for name in ("arch", "clerk"):
        monkeypatch.setenv(password_variable(name), PASSWORD)
    assert main(["rounds", "add", "2026-12", "--name", "批次", "--user", "arch"]) == ExitCode.REFUSED
    assert "无权建立鉴定批次" in _flat(capsys.readouterr().err) and not Round.objects.exists()
    assert main(["rounds", "add", "2026-12", "--name", "批次", "--user", "clerk"]) == 0
    sheet = write_xlsx(tmp_path / "名单.xlsx", [person(1), person(2)])
    assert main(["import", "candidates", str(sheet), "--round", "2026-12", "--user", "arch"]) == ExitCode.REFUSED
    assert "需要考务人员或站长角色" in _flat(capsys.readouterr().err) and not Candidate.objects.exists()
    assert main(["import", "candidates", str(sheet), "--round", "2026-12"]) == 0          # the shell's operator
    ticket = Candidate.objects.order_by("sheet_row").first().ticket_number
    assert main(["candidates", "edit", ticket, "--name", "林更正", "--user", "arch"]) == ExitCode.REFUSED
    assert main(["import", "staff", str(REPO_ROOT / "examples" / "staff.xlsx"), "--user", "arch"]) == ExitCode.REFUSED
    assert main(["forms", "round", "2026-12", "--out", str(tmp_path / "out"), "--user", "arch"]) == ExitCode.REFUSED
    assert main(["assign", "2026-12", "--user", "arch"]) == ExitCode.REFUSED
    assert not Staff.objects.filter(user__isnull=True).exists() and not (tmp_path / "out").exists()
    assert main(["candidates", "edit", ticket, "--name", "林更正", "--user", "clerk"]) == 0
    actors = dict(AuditEntry.objects.filter(action__in=["round.add", "candidates.import", "candidate.edit"])
                  .values_list("action", "actor"))
    assert actors == {"round.add": "clerk", "candidates.import": SYSTEM_ACTOR, "candidate.edit": "clerk"}


def test_photos_in_sub_folders_are_found_as_staff_keep_them(people, data_root, tmp_path, capsys):
    round_add(code="2026-12", name="2026年12月鉴定", actor="clerk")
    candidates_import(path=write_xlsx(tmp_path / "名单.xlsx", [person(1), person(2)]), round_code="2026-12",
                      actor="clerk")
    first, second = Candidate.objects.order_by("sheet_row")
    folder = tmp_path / "照片"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026" / "补拍").mkdir()
    (folder / ".thumbs").mkdir()
    (folder / "2026" / f"{first.ticket_number}.jpg").write_bytes(jpeg_bytes((600, 800)))
    Image.new("RGB", (480, 640), (90, 160, 40)).save(folder / "2026" / "补拍" / f"{second.id_number}.png")
    (folder / ".thumbs" / f"{first.ticket_number}.jpg").write_bytes(b"not a photo")     # hidden: left alone
    assert main(["candidates", "photos", "2026-12", str(folder)]) == 0
    assert "已更新 2 名考生的照片" in capsys.readouterr().out
    assert all(c.photo for c in Candidate.objects.all())
