"""The generic forms rendered for real: PDFs read back, QR decoded from degraded scans, DOCX read back."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from zoneinfo import ZoneInfo

import docx
import pikepdf
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from pipeline.catalog.models import Candidate, FormInstance, Room, Round, Staff
from pipeline.core.domain import QrPayload, id_check_digit
from pipeline.core.errors import Conflict
from pipeline.forms.builders import FormDataError
from pipeline.forms.registry import FORMS
from pipeline.forms.service import forms_generate, forms_generate_many
from tests.forms.scan import degrade, payloads, raster

TZ = ZoneInfo("Asia/Shanghai")
NAMES = ["张伟", "王秀英", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴芳", "徐丽", "孙涛"]


def _id(n: int) -> str:
    first17 = f"3502001998{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def round_(data_root):
    """A round with candidates (JPEG photos made with Pillow), rooms and staff."""
    Image.new("RGB", (295, 413), (180, 200, 230)).save(data_root.photos / "photo.jpg", quality=85)
    round_ = Round.objects.create(code="2026-12", name="2026年12月电工鉴定",
                                  theory_at=dt.datetime(2026, 12, 5, 9, 0, tzinfo=TZ),
                                  practical_at=dt.datetime(2026, 12, 6, 8, 30, tzinfo=TZ))
    for n, name in enumerate(NAMES[:3]):
        _candidate(round_, n, name)
    Room.objects.create(code="T1", name="理论一室", kind="theory", capacity=40, location="实训楼301")
    Room.objects.create(code="P1", name="实操一室", kind="practical", capacity=20, location="电工实训室")
    Staff.objects.create(name="林考评", badge_number="DH-001", roles=["examiner", "chief_examiner"], photo="photo.jpg")
    return round_


def _candidate(round_, n, name, **extra):
    values = dict(round=round_, name=name, id_number=_id(n), gender="男" if n % 2 else "女",
                  birth_date=dt.date(1998, 1, 1), phone="13800000000", occupation="电工", level=4,
                  ticket_number=f"202612{n:04d}", class_name="电气2301班", photo="photo.jpg", sheet_row=n + 2)
    values.update(extra)
    return Candidate.objects.create(**values)


def _text(pdf_path) -> str:
    return "".join(page.extract_text() for page in PdfReader(str(pdf_path)).pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _resources(resources):
    """resources and those of every Form XObject it shows (a reused layout is one, see render.reuse)."""
    yield resources
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            yield from _resources(xobject.Resources)


def _fonts_embedded(pdf_path) -> list[str]:
    """Names of every font in the PDF; fails if one has no embedded font file."""
    names = []
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for resources in _resources(page.Resources):
                for font in (resources.get("/Font") or {}).values():
                    leaf = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                    descriptor = leaf.FontDescriptor
                    assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), \
                        font.BaseFont
                    names.append(str(font.BaseFont))
    return names


@pytest.mark.django_db
def test_registration_pdfs_carry_each_candidates_values_and_are_recorded(round_, tmp_path):
    batch = forms_generate(form="registration", round_=round_, out=tmp_path, workers=1)
    assert len(batch.instances) == 3
    for generated, candidate in zip(batch.instances, Candidate.objects.order_by("ticket_number")):
        text = _flat(_text(generated.pdf))
        assert candidate.name in text and candidate.id_number in text and "资格审查" in text
        assert f"DHJD-{generated.code}1/{generated.pages}" in text      # the stamped label
        fonts = _fonts_embedded(generated.pdf)
        assert any("Noto-Serif-CJK-SC" in f for f in fonts) and any("Noto-Sans-CJK-SC" in f for f in fonts)
        row = FormInstance.objects.get(code=generated.code)
        assert (row.form, row.status, row.retention_class, row.category) == (
            "registration", "generated", "exam-affairs", "KW")
        assert row.pages == generated.pages == len(PdfReader(str(generated.pdf)).pages)
        assert row.pdf_sha256 == hashlib.sha256(generated.pdf.read_bytes()).hexdigest()
        assert row.data["candidate"]["name"] == candidate.name and row.round == round_


@pytest.mark.django_db
@pytest.mark.parametrize("rotate,skew,jpeg", [(0, 0, None), (90, 0, None), (180, 3, 50), (270, -5, 50), (0, 4, 50)])
def test_every_page_qr_reads_back_from_a_degraded_150dpi_scan(round_, tmp_path, rotate, skew, jpeg):
    for n, name in enumerate(NAMES[3:] * 4, start=3):   # 39 candidates: the roster runs over several pages
        _candidate(round_, n, name + str(n))
    batch = forms_generate(form="roster", round_=round_, out=tmp_path, workers=1)
    generated = batch.instances[0]
    assert generated.pages >= 2
    data = generated.pdf.read_bytes()
    for page in range(generated.pages):
        found = payloads(degrade(raster(data, page), rotate=rotate, skew=skew, jpeg=jpeg))
        assert found == [QrPayload("DHJD", generated.code, page + 1, generated.pages)]


@pytest.mark.django_db
def test_roster_repeats_its_table_header_on_every_page_and_lists_everyone(round_, tmp_path):
    for n in range(3, 60):
        _candidate(round_, n, f"考生{n}")
    generated = forms_generate(form="roster", round_=round_, out=tmp_path, workers=1).instances[0]
    pages = PdfReader(str(generated.pdf)).pages
    assert len(pages) >= 2
    for page in pages:
        assert "准考证号" in page.extract_text() and "身份证号" in page.extract_text()
    text = _flat(_text(generated.pdf))
    assert all(f"考生{n}" in text for n in range(3, 60))


@pytest.mark.django_db
def test_a_batch_in_two_worker_processes_gives_the_same_forms(round_, tmp_path):
    for n in range(3, 90):
        _candidate(round_, n, f"并行{n}")
    batch = forms_generate(form="admission-ticket", round_=round_, out=tmp_path, workers=2)
    assert len(batch.instances) == 90
    sample = batch.instances[57]
    text = _flat(_text(sample.pdf))
    assert "理论考试考场须知" in text and "开考30分钟后方可交卷退场" in text
    assert payloads(raster(sample.pdf.read_bytes())) == [QrPayload("DHJD", sample.code, 1, sample.pages)]
    assert FormInstance.objects.filter(form="admission-ticket", retention_class="").count() == 90


@pytest.mark.django_db
def test_long_text_wraps_and_is_never_cut(round_, tmp_path):
    employer = "厦门市集美区" + "某某机电设备安装工程有限责任公司第三分公司" * 6
    candidate = _candidate(round_, 40, "欧阳长名字", employer=employer)
    generated = forms_generate(form="registration", round_=round_, subject=candidate.id_number,
                               out=tmp_path, workers=1).instances[0]
    assert _flat(employer) in _flat(_text(generated.pdf))


@pytest.mark.django_db
@pytest.mark.parametrize("field,value,words", [
    ("name", "张" * 40, ["姓名", "40", "报名登记表"]),
    ("gender", "", ["性别", "为空"]),
    ("photo", "not-a-photo.jpg", ["照片", "不是 JPEG 或 PNG"]),
])
def test_bad_data_names_the_form_the_record_and_the_field(round_, data_root, tmp_path, field, value, words):
    (data_root.photos / "not-a-photo.jpg").write_text("这不是照片", encoding="utf-8")
    values = {"name": "坏数据", field: value}
    _candidate(round_, 50, values.pop("name"), **values)
    with pytest.raises(FormDataError) as caught:
        forms_generate(form="registration", round_=round_, out=tmp_path, workers=1)
    message = caught.value.message_zh
    assert "职业技能鉴定报名登记表" in message and "名单第 52 行" in message
    assert all(word in message for word in words)
    assert not FormInstance.objects.exists()


@pytest.mark.django_db
def test_a_form_found_bad_after_others_went_to_the_workers_leaves_no_files_behind(round_, tmp_path):
    """Registration chunks start rendering while the badges are still read; a bad staff name then stops
    the run, and the registration PDFs already written must not stay behind without a catalog row."""
    Staff.objects.create(name="王" * 40, badge_number="DH-404", roles=["invigilator"], photo="photo.jpg")
    with pytest.raises(FormDataError) as caught:
        forms_generate_many(forms=["registration", "badge"], round_=round_, out=tmp_path, workers=2)
    assert "工作人员胸卡" in caught.value.message_zh and "姓名" in caught.value.message_zh
    assert not list(tmp_path.rglob("*.pdf")) and not FormInstance.objects.exists()


@pytest.mark.django_db
def test_docx_of_the_registration_form_holds_the_values_and_a_0_of_0_qr(round_, tmp_path):
    batch = forms_generate(form="registration", round_=round_, formats=("pdf", "docx"), out=tmp_path, workers=1)
    generated = batch.instances[0]
    document = docx.Document(str(generated.docx))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    candidate = Candidate.objects.get(id_number=FormInstance.objects.get(code=generated.code).subject)
    assert candidate.name in cells and candidate.id_number in cells
    assert "J118" in cells and "10年" in cells          # 归档章: 全宗号 and 保管期限 pre-filled
    header = document.sections[0].header
    image = next(rel.target_part.blob for rel in header.part.rels.values() if "image" in rel.reltype)
    decoded = [QrPayload.decode(r.text) for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))]
    assert decoded == [QrPayload("DHJD", generated.code, 0, 0)]
    row = FormInstance.objects.get(code=generated.code)
    assert row.docx_sha256 == hashlib.sha256(generated.docx.read_bytes()).hexdigest()


@pytest.mark.django_db
def test_badge_and_packet_cover_and_catalogue(round_, tmp_path):
    badge = forms_generate(form="badge", round_=round_, out=tmp_path, workers=1).instances[0]
    text = _flat(_text(badge.pdf))
    assert "林考评" in text and "DH-001" in text and "考评员、考评组长" in text
    with pytest.raises(Conflict) as caught:     # packet covers follow the stored seating plan
        forms_generate(form="packet-cover", round_=round_, out=tmp_path, workers=1)
    assert "station assign" in caught.value.message_zh
    catalogue = forms_generate(form="archive-catalogue", round_=round_, subject="2026-KW", out=tmp_path, workers=1)
    assert "归档文件目录" in _text(catalogue.instances[0].pdf)


def test_registry_has_the_17_tier1_forms_with_their_articles():
    assert len([s for s in FORMS.values() if s.tier == 1]) == 17
    assert FORMS["destruction-register"].signatures.count("监销人") == 2
    assert FORMS["packet-cover"].category == "SJ" and FORMS["admission-ticket"].retention_class is None


@pytest.mark.django_db
def test_each_registration_pdf_is_small_and_holds_only_its_own_photo(round_, tmp_path, data_root):
    """Split files carry their own font subset and photo, not their whole batch's (archive size)."""
    for n, name in enumerate(NAMES[3:9], start=3):
        Image.new("RGB", (295, 413), (20 * n, 90, 160)).save(data_root.photos / f"p{n}.jpg", quality=85)
        _candidate(round_, n, name, photo=f"p{n}.jpg")
    result = forms_generate(form="registration", round_=round_, out=tmp_path, workers=1)
    assert len(result.instances) == 9
    for instance in result.instances:
        assert instance.pdf.stat().st_size < 150_000, instance.pdf
        with pikepdf.open(instance.pdf) as pdf:
            images = [name for page in pdf.pages for name in page.get_images()]
        assert len(images) == 1, (instance.pdf, images)
