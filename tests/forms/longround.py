"""A round with the longest realistic values, for the layout test: 28-character names and employers,
4-line recusal notes, 300 candidates in one occupation, seated, staffed and scored; archive items for
the catalogue, a destruction batch and a year of loans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from pipeline.catalog.assignment import assignment_make
from pipeline.catalog.models import (
    ArchiveItem,
    Candidate,
    DestructionBatch,
    DestructionEntry,
    Loan,
    Recusal,
    Room,
    Round,
    Score,
    Staff,
    Tombstone,
    Witness,
    Workstation,
)
from pipeline.core.domain import ArchivalCode, id_check_digit
from tests.items import catalog_item

ZONE = ZoneInfo("Asia/Shanghai")
LONG_NAME = "阿卜杜热合曼·买买提依明·艾则孜·托合提尼亚孜·阿不都"[:28]
LONG_EMPLOYER = "新疆维吾尔自治区乌鲁木齐市高新技术产业开发区电力设备安装工程有限公司"[:28]
LONG_ADDRESS = "新疆维吾尔自治区乌鲁木齐市高新技术产业开发区（新市区）北京南路科技园区创新大厦十八层1806室"
LONG_RESPONSIBLE = "人力资源和社会保障部职业技能鉴定中心（新疆维吾尔自治区职业技能鉴定指导中心）"
NOTE = "该考生系本人配偶的胞弟之子，平时同住一院，往来密切；另曾于2024年在本人所在实训室跟岗实习三个月，存在师徒关系"


def id_number(n: int) -> str:
    first = f"6501021990{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first + id_check_digit(first)


def _photo(root) -> str:
    path = root.photos / "long.jpg"
    image = Image.new("RGB", (295, 413), (70, 130, 200))
    ImageDraw.Draw(image).ellipse((80, 60, 215, 230), fill=(240, 210, 180))
    image.save(path, "JPEG")
    return path.name


def _candidates(round_: Round, photo: str) -> list[Candidate]:
    rows = []
    for i in range(312):
        electrician = i < 300  # 300 in one occupation and level
        name = LONG_NAME if i % 7 == 0 else f"考生{i:03d}"
        rows.append(
            Candidate(
                round=round_,
                name=name,
                id_number=id_number(i) if i % 5 else id_number(i)[:17] + "X",
                gender="女" if i % 3 else "男",
                birth_date=dt.date(1990, 1, 1) + dt.timedelta(days=i),
                phone="13800138000",
                occupation="电工" if electrician else "育婴员",
                level=4 if electrician else 3,
                ticket_number=f"2026120{'1' if electrician else '2'}{i:05d}",
                class_name="",
                employer=LONG_EMPLOYER,
                education="大学本科（非全日制，函授）",
                address=LONG_ADDRESS,
                photo=photo,
                is_retake=i % 11 == 0,
                sheet_row=i + 2,
            )
        )
    return Candidate.objects.bulk_create(rows)


def _rooms() -> None:
    for n in range(1, 7):
        Room.objects.create(
            code=f"T{n}",
            name=f"第{n}理论考场（教学楼东区多媒体阶梯教室）",
            kind="theory",
            capacity=60,
            location=f"教学楼东区{n}0{n}多媒体阶梯教室（靠近北侧楼梯口）",
        )
    for n, occupation in ((1, "电工"), (2, "电工"), (3, "育婴员")):
        room = Room.objects.create(
            code=f"P{n}",
            name=f"第{n}实操考场（实训中心）",
            kind="practical",
            capacity=20,
            occupations=occupation,
            location=f"实训中心{n}号楼{n}01实训室（电气控制实训区）",
        )
        for w in range(1, 21):
            Workstation.objects.create(room=room, number=f"{'DG' if n < 3 else 'YY'}-{n}{w:02d}")


def _staff(photo: str) -> None:
    people = [
        (f"考评员{n:02d}" if n % 4 else LONG_NAME[:20] + f"{n:02d}", f"E{n:02d}", ["examiner"]) for n in range(1, 16)
    ]
    people += [(f"组长{n}", f"K{n}", ["chief_examiner"]) for n in range(1, 5)]
    people += [(f"监考{n:02d}", f"I{n:02d}", ["invigilator"]) for n in range(1, 17)]
    people += [("考务一", "A01", ["exam_affairs"]), ("保密员", "C01", ["paper_custodian"])]
    for name, badge, roles in people:
        Staff.objects.create(
            name=name,
            badge_number=badge,
            roles=roles,
            certificate="6512000000123456",
            occupations=["电工", "育婴员"],
            photo=photo if badge.endswith("1") else "",
        )


def _recusals(candidates: list[Candidate]) -> None:
    staff = Staff.objects.get(badge_number="E02")
    for c in candidates[1:5]:  # recorded by ID number only: the form must find the name
        Recusal.objects.create(staff=staff, candidate_id_number=c.id_number, relation="relative")
    other = Staff.objects.get(badge_number="I02")
    for c in candidates[6:8]:
        Recusal.objects.create(
            staff=other, candidate_id_number=c.id_number, candidate_name=c.name, relation="apprentice"
        )


def _scores(round_: Round, candidates: list[Candidate]) -> None:
    day = dt.date(2026, 12, 20)
    rows = []
    for i, c in enumerate(candidates):
        absent = i % 23 == 0
        theory = None if absent else Decimal(55 + i % 45)
        practical = None if absent else Decimal(58 + (i * 7) % 40)
        rows.append(
            Score(
                candidate=c,
                theory=theory,
                practical=practical,
                theory_absent=absent,
                practical_absent=absent,
                is_retake=c.is_retake,
                recorded_on=day,
                passed=bool(theory and practical and theory >= 60 and practical >= 60),
            )
        )
    Score.objects.bulk_create(rows)
    round_.scores_recorded_on = day
    round_.save(update_fields=["scores_recorded_on"])


LONG_TITLE = (
    "关于转发《人力资源社会保障部办公厅关于进一步加强职业技能等级认定和职业资格鉴定考务管理、试卷保密及档案"
    "归档工作的通知》并做好2026年度第四季度职业技能鉴定考务工作、考评人员培训和考场巡视检查工作的通知"
)
LONG_DOC_NUMBERS = ("新人社鉴字〔2026〕第128号", "人社厅函〔2026〕第1280号之二（补充通知）", "XJRSJD-2026-000128-BC-07")


def _archive(year: int) -> list[ArchiveItem]:
    """72 items of one category: 66 in the 10-year series, 6 permanent; long titles, 文号 and 责任者."""
    items = []
    for n in range(1, 73):
        retention, number = ("Y", n - 66) if n > 66 else ("D10", n)
        title = (
            LONG_TITLE
            if n % 5 == 0
            else f"{year}年12月职业技能鉴定（电工四级）考生报名登记表及资格审查材料 {LONG_NAME}"
        )
        items.append(
            catalog_item(
                code=ArchivalCode(fonds="J118", year=year, retention=retention, category="KW", item=number),
                category="KW",
                doc_date=dt.date(year, 12, 31),
                title=title,
                responsible=LONG_RESPONSIBLE,
                doc_number=LONG_DOC_NUMBERS[n % 3],
                pages=12,
                secrecy="秘密" if n % 9 == 0 else "",
                clock_start=dt.date(year, 12, 31),
                due_date=dt.date(year + 10, 12, 31),
                restricted=n % 7 == 0,
                filed_at=dt.datetime(year, 12, 31, 12, tzinfo=ZONE),
            )
        )
    return ArchiveItem.objects.bulk_create(items)


def _destroyed(items: list[ArchiveItem]) -> None:
    """Two items destroyed by an executed register: noted in the catalogue, counted in its 备考表."""
    batch = DestructionBatch.objects.create(
        code="XH-2026-009",
        proposed_by="archivist",
        state="executed",
        proposed_at=dt.datetime(2026, 12, 1, 9, tzinfo=ZONE),
        executed_at=dt.datetime(2026, 12, 20, 9, tzinfo=ZONE),
    )
    for item in items[44:46]:
        item.status = ArchiveItem.Status.DESTROYED
        item.save(update_fields=["status"])
        Tombstone.objects.create(
            archival_code=item.archival_code,
            title=item.title,
            doc_date=item.doc_date,
            retention_class=item.retention_class,
            retention_code=item.retention_code,
            due_date=item.due_date,
            pages=item.pages,
            source_sha256="0" * 64,
            manifest_sha256="0" * 64,
            batch=batch,
            destroyed_at=dt.datetime(2026, 12, 20, 10, tzinfo=ZONE),
            destroyed_by="archivist",
        )


def _destruction(items: list[ArchiveItem]) -> None:
    batch = DestructionBatch.objects.create(
        code="XH-2026-001",
        proposed_by="archivist",
        proposed_at=dt.datetime(2026, 12, 28, 9, tzinfo=ZONE),
        as_of=dt.date(2026, 12, 28),
    )
    for n, item in enumerate(items[:30]):
        reason = "涉及未结争议，站长批示暂缓销毁，待争议处理完毕后另行鉴定" if n % 10 == 3 else ""
        DestructionEntry.objects.create(batch=batch, item=item, struck=n % 10 == 3, struck_reason=reason)
    Witness.objects.create(batch=batch, user="witness1", at=dt.datetime(2026, 12, 29, 9, tzinfo=ZONE))


def _loans(items: list[ArchiveItem]) -> None:
    for n, item in enumerate(items[:25]):
        Loan.objects.create(
            item=item,
            borrower=LONG_EMPLOYER + LONG_NAME[:8],
            purpose=NOTE[:60],
            copy_requested=n % 2 == 0,
            state="returned",
            requested_by="archivist",
            requested_at=dt.datetime(2026, 3, 1 + n, 9, tzinfo=ZONE),
            approved_by="head",
            approved_at=dt.datetime(2026, 3, 1 + n, 10, tzinfo=ZONE),
            lent_at=dt.datetime(2026, 3, 1 + n, 11, tzinfo=ZONE),
            due_back=dt.date(2026, 4, 30),
            returned_at=dt.datetime(2026, 4, 1 + n % 20, 11, tzinfo=ZONE),
        )


def make_long_round(root) -> Round:
    """The round (code 2026-12), seated and scored, with the archive rows the other forms list."""
    round_ = Round.objects.create(
        code="2026-12",
        name="2026年12月电工、育婴员职业技能鉴定（含补考、社会人员专场）",
        theory_at=dt.datetime(2026, 12, 5, 9, tzinfo=ZONE),
        practical_at=dt.datetime(2026, 12, 6, 8, 30, tzinfo=ZONE),
    )
    photo = _photo(root)
    candidates = _candidates(round_, photo)
    _rooms()
    _staff(photo)
    _recusals(candidates)
    assignment_make(round_=round_, seed=20261205)
    _scores(round_, candidates)
    items = _archive(2026)
    _destruction(items)
    _destroyed(items)
    _loans(items)
    return round_
