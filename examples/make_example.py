"""Write the example station's sheets and synthetic ID photos (deterministic: fixed seed).

    python examples/make_example.py [--out examples]

Writes candidates.xlsx (~120 candidates: 电工四级, 焊工五级, 育婴员四级), staff.xlsx (13 staff
with badges, a 回避关系 sheet), rooms.xlsx (2 theory rooms, 3 practical rooms) and photos/
(head-and-shoulders drawings; a few stored sideways with an EXIF orientation tag, as phones
save them). Every person is invented; ID numbers are valid in form only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.core.domain import id_check_digit  # noqa: E402

SEED = 2026
HEADERS = ["序号", "姓名", "性别", "身份证号", "出生日期", "联系电话", "工种/职业", "等级", "班级", "工作单位",
           "文化程度", "照片", "是否补考"]
AREAS = ["350203", "350205", "350206", "350211", "350212", "350213", "350102", "350104", "350502",
         "350582", "350583", "350603", "350681", "350802", "350322"]
SURNAMES = "陈林黄张李王吴刘蔡杨郑许洪谢曾郭苏庄叶周"
MALE = ("志伟", "俊杰", "建华", "明强", "海峰", "文斌", "国栋", "家豪", "宇航", "晓东", "子轩", "浩然", "振宇",
        "伟", "强", "杰", "斌", "磊", "鹏", "毅", "志明", "锦辉", "荣发", "添福", "金水", "少华")
FEMALE = ("秀英", "丽娟", "美玲", "雅婷", "晓燕", "佳怡", "思琪", "雨萱", "欣怡", "慧敏", "静", "雯", "婷",
          "丽华", "淑贞", "碧霞", "秋菊", "艳红", "梦瑶", "诗涵")
GROUPS = [("电工", "四级", 50, ["24电气1班", "24电气2班"]), ("焊工", "五级", 40, ["23焊接1班"]),
          ("育婴员", "四级", 30, ["24早教1班"])]
EMPLOYERS = ["厦门东海职业技术学院", "厦门海沧电力安装有限公司", "厦门集美重工机械有限公司", "厦门湖里宝贝家政服务中心",
             "同安区第二建筑工程公司", "厦门翔安建设集团"]
EDUCATION = ["中专", "高中", "大专", "初中", "中专", "大专"]
BACKGROUNDS = [(67, 142, 219), (220, 40, 40), (250, 250, 250), (90, 160, 230)]
CLOTHES = [(30, 30, 40), (40, 60, 120), (240, 240, 240), (120, 30, 40), (60, 90, 60)]
SKIN = [(241, 204, 171), (226, 185, 150), (200, 160, 120), (250, 220, 195)]
HAIR = [(20, 20, 20), (50, 35, 25), (70, 50, 30)]


def synthetic_id(rng: random.Random, birth: dt.date, male: bool, area: str | None = None) -> str:
    """A well-formed 18-digit ID number: area code, birth date, sequence with gender digit, check digit."""
    sequence = rng.randrange(0, 100) * 10 + rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    first17 = f"{area or rng.choice(AREAS)}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)


def synthetic_name(rng: random.Random, male: bool) -> str:
    """A common surname and a given name from the pool for the gender."""
    return rng.choice(SURNAMES) + rng.choice(MALE if male else FEMALE)


def synthetic_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10 ** 9):09d}"


def demo_candidates(seed: int = SEED) -> list[dict]:
    """~120 candidates across the three demo occupation × level groups."""
    rng = random.Random(seed)
    people, seq = [], 0
    for occupation, level, count, classes in GROUPS:
        for _ in range(count):
            seq += 1
            male = rng.random() < (0.2 if occupation == "育婴员" else 0.85)
            student = rng.random() < 0.6
            birth = dt.date(rng.randrange(2003, 2007) if student else rng.randrange(1980, 2003),
                            rng.randrange(1, 13), rng.randrange(1, 29))
            people.append({"序号": seq, "姓名": synthetic_name(rng, male), "性别": "男" if male else "女",
                           "身份证号": synthetic_id(rng, birth, male), "出生日期": birth,
                           "联系电话": synthetic_phone(rng), "工种/职业": occupation, "等级": level,
                           "班级": rng.choice(classes) if student else "",
                           "工作单位": EMPLOYERS[0] if student else rng.choice(EMPLOYERS[1:]),
                           "文化程度": rng.choice(EDUCATION), "照片": f"photos/{seq:03d}.jpg",
                           "是否补考": "是" if rng.random() < 0.05 else "否"})
    # Two people with the same full name (different IDs) and a minority name with ·.
    people[7]["姓名"] = people[61]["姓名"] = "陈志强"
    people[7]["性别"] = people[61]["性别"] = "男"
    for person in (people[7], people[61]):
        person["身份证号"] = synthetic_id(rng, person["出生日期"], True)
    people[100].update({"姓名": "阿依古丽·买买提", "性别": "女",
                        "身份证号": synthetic_id(rng, people[100]["出生日期"], False, "650102")})
    return people


def draw_photo(rng: random.Random, size: tuple[int, int] = (600, 800)) -> Image.Image:
    """A simple head-and-shoulders drawing on an ID-photo background colour."""
    width, height = size
    image = Image.new("RGB", size, rng.choice(BACKGROUNDS))
    draw = ImageDraw.Draw(image)
    cx = width // 2 + rng.randrange(-width // 20, width // 20 + 1)
    draw.ellipse((cx - width * 0.45, height * 0.68, cx + width * 0.45, height * 1.25), fill=rng.choice(CLOTHES))
    skin = rng.choice(SKIN)
    draw.rectangle((cx - width * 0.07, height * 0.5, cx + width * 0.07, height * 0.72), fill=skin)
    head = (cx - width * 0.2, height * 0.18, cx + width * 0.2, height * 0.6)
    draw.ellipse(head, fill=skin)
    draw.chord((head[0] - 6, head[1] - 12, head[2] + 6, head[3] - height * 0.12), 180, 360,
               fill=rng.choice(HAIR))
    for side in (-1, 1):
        draw.ellipse((cx + side * width * 0.08 - 8, height * 0.37 - 6, cx + side * width * 0.08 + 8,
                      height * 0.37 + 6), fill=(40, 30, 30))
    draw.arc((cx - width * 0.07, height * 0.44, cx + width * 0.07, height * 0.52), 20, 160, fill=(150, 60, 60),
             width=4)
    return image


def save_photo(image: Image.Image, path: Path, orientation: int | None = None, quality: int = 88) -> None:
    """Save as JPEG; with orientation 6 or 8 the pixels are stored sideways and tagged, like a phone does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if orientation is None:
        image.save(path, "JPEG", quality=quality)
        return
    stored = image.transpose({6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270,
                              3: Image.Transpose.ROTATE_180}[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(path, "JPEG", quality=quality, exif=exif)


def write_sheet(path: Path, headers: list[str], rows: list[dict], *, title: str = "",
                sheet: str = "Sheet1", extra: dict[str, tuple[list[str], list[dict]]] | None = None) -> None:
    """An .xlsx as a station keeps it: optional title row, header row, ID numbers stored as text."""
    book = Workbook()
    sheets = [(book.active, sheet, headers, rows, title)]
    for name, (extra_headers, extra_rows) in (extra or {}).items():
        sheets.append((book.create_sheet(), name, extra_headers, extra_rows, ""))
    for ws, name, cols, data, heading in sheets:
        ws.title = name
        if heading:
            ws.append([heading])
            ws["A1"].font = Font(bold=True, size=14)
        ws.append(cols)
        for row in data:
            ws.append([row.get(col, "") for col in cols])
        for cells in ws.iter_cols():
            for cell in cells:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str) and cell.value.isdigit():
                    cell.number_format = "@"     # text: keep leading zeros and all 18 digits
    path.parent.mkdir(parents=True, exist_ok=True)
    save_deterministic(book, path)


FIXED_TIME = dt.datetime(2026, 1, 1)


def save_deterministic(book: Workbook, path: Path) -> None:
    """Save the workbook so the same content gives the same bytes (no save-time stamps in the zip or docProps)."""
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":   # openpyxl stamps "modified" with the save time
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    path.write_bytes(out.getvalue())


def write_candidates(out: Path, people: list[dict], seed: int = SEED) -> None:
    """candidates.xlsx and one photo per candidate (every 15th stored sideways with an EXIF tag)."""
    rng = random.Random(seed + 1)
    for number, person in enumerate(people, 1):
        orientation = {0: 6, 5: 8}.get(number % 15)
        save_photo(draw_photo(rng), out / person["照片"], orientation)
    write_sheet(out / "candidates.xlsx", HEADERS, people, title="2026年12月职业技能鉴定报名花名册", sheet="报名花名册")


STAFF_HEADERS = ["序号", "姓名", "胸卡编号", "角色", "身份证号", "联系电话", "考评工种", "考评员证号",
                 "回避考生身份证号", "回避关系"]
RECUSAL_HEADERS = ["工作人员胸卡编号", "考生姓名", "考生身份证号", "关系"]
STAFF = [("王建国", "DH-001", "站长、监销人", "", ""), ("林秀英", "DH-002", "档案管理员", "", ""),
         ("陈美玲", "DH-003", "考务人员", "", ""), ("黄志明", "DH-004", "考务人员、汇总计分员", "", ""),
         ("张卫东", "DH-101", "考评组长、考评员", "电工", "KP-DG-2019-0312"),
         ("李海峰", "DH-102", "考评员", "电工", "KP-DG-2020-0457"),
         ("吴天明", "DH-107", "考评员", "电工", "KP-DG-2021-0611"),
         ("杨志刚", "DH-108", "考评员", "电工", "KP-DG-2023-0702"),
         ("郑国强", "DH-103", "考评组长、考评员", "焊工", "KP-HG-2018-0133"),
         ("蔡文斌", "DH-104", "考评员", "焊工", "KP-HG-2021-0520"),
         ("刘建华", "DH-109", "考评员", "焊工", "KP-HG-2020-0418"),
         ("谢金龙", "DH-110", "考评员", "焊工", "KP-HG-2022-0533"),
         ("许丽华", "DH-105", "考评组长、考评员", "育婴员", "KP-YY-2019-0088"),
         ("苏雅婷", "DH-106", "考评员", "育婴员", "KP-YY-2022-0171"),
         ("陈淑芬", "DH-111", "考评员", "育婴员", "KP-YY-2021-0209"),
         ("方丽娟", "DH-112", "考评员", "育婴员", "KP-YY-2023-0315"),
         ("洪振宇", "DH-201", "监考", "", ""), ("叶晓燕", "DH-202", "监考", "", ""),
         ("罗雪梅", "DH-203", "监考", "", ""), ("邱少华", "DH-204", "监考", "", ""),
         ("沈嘉怡", "DH-205", "监考", "", ""),
         ("庄家豪", "DH-301", "试卷保密人员", "", "")]


def demo_staff(people: list[dict], seed: int = SEED) -> tuple[list[dict], list[dict]]:
    """22 staff; two recusals written in the staff rows, two in the 回避关系 sheet."""
    rng = random.Random(seed + 2)
    rows = []
    for number, (name, badge, roles, occupations, certificate) in enumerate(STAFF, 1):
        male = name[1:] in MALE
        birth = dt.date(rng.randrange(1968, 1992), rng.randrange(1, 13), rng.randrange(1, 29))
        rows.append({"序号": number, "姓名": name, "胸卡编号": badge, "角色": roles,
                     "身份证号": synthetic_id(rng, birth, bool(male), "350211"), "联系电话": synthetic_phone(rng),
                     "考评工种": occupations, "考评员证号": certificate})
    rows[5].update({"回避考生身份证号": people[3]["身份证号"], "回避关系": "师生"})      # 李海峰 taught a student
    rows[4].update({"回避考生身份证号": people[20]["身份证号"], "回避关系": "亲属"})     # 张卫东's relative
    recusals = [{"工作人员胸卡编号": "DH-104", "考生姓名": people[55]["姓名"], "考生身份证号": people[55]["身份证号"],
                 "关系": "师徒"},
                {"工作人员胸卡编号": "DH-201", "考生姓名": people[95]["姓名"], "考生身份证号": people[95]["身份证号"],
                 "关系": "亲属"}]
    return rows, recusals


ROOM_HEADERS = ["考场编号", "考场名称", "类型", "容量", "地点", "适用工种", "工位"]
ROOMS = [{"考场编号": "LL01", "考场名称": "理论第一考场", "类型": "理论", "容量": 60, "地点": "实训楼 301"},
         {"考场编号": "LL02", "考场名称": "理论第二考场", "类型": "理论", "容量": 80, "地点": "实训楼 302"},
         {"考场编号": "SC01", "考场名称": "电工实训室", "类型": "实操", "容量": 20, "地点": "实训楼 101",
          "适用工种": "电工", "工位": "A01-A20"},
         {"考场编号": "SC02", "考场名称": "焊接实训室", "类型": "实操", "容量": 16, "地点": "机械楼 105",
          "适用工种": "焊工", "工位": "H01-H16"},
         {"考场编号": "SC03", "考场名称": "育婴实训室", "类型": "实操", "容量": 12, "地点": "综合楼 210",
          "适用工种": "育婴员", "工位": "12"}]


def main(argv: list[str] | None = None) -> int:
    """Write every example file into --out (default: this folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    out = parser.parse_args(argv).out
    people = demo_candidates()
    write_candidates(out, people)
    staff, recusals = demo_staff(people)
    write_sheet(out / "staff.xlsx", STAFF_HEADERS, staff, sheet="工作人员",
                extra={"回避关系": (RECUSAL_HEADERS, recusals)})
    write_sheet(out / "rooms.xlsx", ROOM_HEADERS, ROOMS, sheet="考场")
    print(f"wrote {len(people)} candidates, {len(staff)} staff, {len(ROOMS)} rooms and photos into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
