"""Photo folders uploaded on the round page (web/uploads.py): the sub-folder paths the page sends beside the files
are used only when they match the files, and never to write outside the upload's folder — a path with `..`, an
absolute path or a drive letter is refused with a Chinese message and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pipeline.catalog.importing import candidates_import
from pipeline.catalog.models import AuditEntry, Candidate
from pipeline.catalog.services import round_add
from tests.people import make_users
from tests.roster.conftest import jpeg_bytes, person, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client, data_root, settings, tmp_path):
    """A signed-in 考务人员 and the round 2026-12 with two candidates."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = make_users({"clerk": ["exam_affairs"]})
    round_add(code="2026-12", name="2026年12月鉴定", actor="clerk")
    candidates_import(path=write_xlsx(tmp_path / "名单.xlsx", [person(1), person(2)]), round_code="2026-12",
                      actor="clerk")
    client.force_login(users["clerk"])
    return client


def _post_photos(client, names: list[str], paths: list[str]):
    files = [SimpleUploadedFile(name, jpeg_bytes((600, 800)), content_type="image/jpeg") for name in names]
    return client.post(reverse("web:round_photos", args=["2026-12"]), {"photos": files,
                                                                       "photos_paths": json.dumps(paths)})


@pytest.mark.parametrize("claimed", ["../../p.jpg", "照片/../../p.jpg", "/etc/p.jpg", "C:/照片/p.jpg",
                                     "\\\\server\\share\\p.jpg"])
def test_a_path_leaving_the_folder_is_refused_in_chinese_and_nothing_is_written(clerk_client, data_root, claimed):
    response = _post_photos(clerk_client, ["p.jpg"], [claimed])
    assert response.status_code == 400
    text = response.content.decode()
    assert "上传的文件路径不能使用" in text and "不能含“..”" in text
    assert [p for p in data_root.root.rglob("p.jpg")] == []
    assert not AuditEntry.objects.filter(action="candidates.photos").exists()


def test_sub_folder_paths_are_kept_and_paths_not_matching_the_files_are_not_used(clerk_client, data_root):
    first, second = Candidate.objects.order_by("sheet_row")
    names = [f"{first.ticket_number}.jpg", f"{second.ticket_number}.jpg"]
    response = _post_photos(clerk_client, names, [f"照片/2026/{names[0]}", f"照片/2026/二班/{names[1]}"])
    assert response.status_code == 200 and "照片已保存" in response.content.decode()
    kept = sorted(p.relative_to(data_root.work / "web-uploads").as_posix().split("/", 1)[1]
                  for p in (data_root.work / "web-uploads").rglob("*.jpg"))
    assert kept == [f"照片/2026/{names[0]}", f"照片/2026/二班/{names[1]}"]
    assert all(c.photo for c in Candidate.objects.all())
    # a list that does not name these files (another order, a forged name): the files are saved flat, as sent
    response = _post_photos(clerk_client, names, [f"a/{names[1]}", f"b/{names[0]}"])
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="candidates.photos").count() == 2


def test_a_photo_folder_of_more_than_a_hundred_files_is_taken_in_one_upload(clerk_client):
    first = Candidate.objects.order_by("sheet_row").first()
    names = [f"{first.ticket_number}.jpg", *(f"旧照片{n:03d}.jpg" for n in range(150))]
    response = _post_photos(clerk_client, names, [f"照片/{name}" for name in names])
    assert response.status_code == 200, response.content.decode()[:300]
    assert "照片已保存" in response.content.decode()
    entry = AuditEntry.objects.get(action="candidates.photos")
    assert entry.detail["updated"] == 1 and len(entry.detail["unmatched"]) == 150
