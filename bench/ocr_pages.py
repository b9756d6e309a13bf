"""A realistic set of unmarked scanned pages with their ground truth, for the OCR bench and tests.

Kinds (cycled): a red-header notice from the guidance centre (红头文件, seal over the date), a dense
page of the station's regulation, a score table with ID numbers (fake, checksum-valid), a letter
with a seal stamped over its signature block, a hand-filled-looking form (values in a jittered
"pen" over printed labels and boxes); every sixth page is fed upside down. Each page is drawn at
200 dpi and scanned as the station's scanner does (pipeline.ingest.scansim.degrade: paper tone,
tilt up to 1.2°, noise, dust), then JPEG q60 inside a one-page PDF (img2pdf).

The ground truth is the page's text in reading order (a table row is one line, its cells separated
by spaces); `phrases` are three distinctive phrases per page a user would search for.
Everything is deterministic for a seed.

Run: python bench/ocr_pages.py --out /tmp/ocr-pages [--pages 20] [--seed 16]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import img2pdf
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pipeline.core.domain import id_check_digit
from pipeline.ingest.scansim import FONT_PATH, degrade, jpeg_bytes, mm_to_px

DPI = 200
WIDTH, HEIGHT = mm_to_px(210, DPI), mm_to_px(297, DPI)
MARGIN = mm_to_px(25, DPI)
RED = (215, 40, 40)
INK = (35, 50, 120)  # a blue ballpoint
KINDS = ("notice", "dense", "table", "sealed", "form")
UPSIDE_DOWN_EVERY = 6  # pages 6, 12, 18 … go through the scanner upside down
JPEG_QUALITY = 60

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌宇浩然欣怡晨阳思远雨婷俊杰子豪佳琪"
OCCUPATIONS = ("电工", "焊工", "车工", "钳工", "中式烹调师", "美容师", "育婴员", "汽车维修工", "电子商务师", "茶艺师")
LEVELS = ("五级/初级工", "四级/中级工", "三级/高级工")
EMPLOYERS = (
    "厦门东海职业技术学院",
    "厦门市海沧区新阳街道社区服务中心",
    "厦门象屿物流有限公司",
    "集美区后溪镇人民政府",
    "厦门金龙汽车车身有限公司",
    "思明区鼓浪屿管理委员会",
)
AREAS = ("350203", "350205", "350206", "350211", "350212", "350102", "350582")

# Paragraphs of the station's regulation (厦门东海职业技术学院职业技能鉴定站管理规定), as printed.
REGULATION = (
    "第十条 考评人员和考务人员守则",
    "（一）考评员在执行鉴定任务时，必须持考评员资格证书，佩戴考评员胸卡上岗，由考评组长在开考前向鉴定站出示由“中心”签发的考评任务书；",
    "（二）鉴定站管理人员、考务人员、汇总计分员也应佩戴由鉴定站印制的胸卡，并有统一编号，加盖公章；",
    "（三）考评员及考务人员必须有高度的事业心和责任感，对工作认真负责；考评人员在执行考务任务时必须公正，对考生提出的疑问必须大声当众解答，不应解答之处要婉言谢绝；",
    "（四）考评员及考务人员在执行考评过程中，要态度和蔼可亲，不恫吓考生；考评人员在执行任务时，必须执行亲属、师生、师徒等回避制度；",
    "（五）考评员及考务人员在执行考试中，要公正廉明，对考生负责，不徇私舞弊。如发现弄虚作假违反考评员守则者，应视其情节轻重，给予批评并把情况报市中心。",
    "第十一条 鉴定工作人员职责",
    "（一）主动承担站长交给的各项工作；",
    "（二）认真贯彻党的方针、政策，执行上级部门的各项指示，科学、合理、公正、公平完成好鉴定任务；",
    "第二十七条 档案管理",
    "（一）公文管理",
    "1.收到文件后，立即进行登记，传递中做到及时、鉴定。对紧急文件及时办理，防止漏办和延误。阅办后，按内容、性质归档，不得随意乱放；",
    "2.做好借阅文件的登记手续，按期验收。不经领导同意，不得随意复印；",
    "3.需销毁的档案资料，经造册审批后由两人以上共同监销。",
    "（二）试卷管理",
    "在规定时间内提取职业技能鉴定试卷并存放于专用保险柜内，切实做好保密、保管、存档工作。对鉴定后的理论试卷及实际操作评分表，分类进行存档保管。",
    "（三）资料管理",
    "《职业技能鉴定报名登记表》《职业技能鉴定实施安排表》《职业技能鉴定实操考场安排表》《职业技能鉴定工作人员安排表》《职业技能鉴定考场记录表》按要求保管三表。",
    "（一）受理职业技能鉴定的申请，对申报者进行资格审查，经鉴定指导中心核准后，签发准考证；",
    "（四）汇总鉴定成绩，并报送鉴定指导中心；",
    "（五）向鉴定指导中心提供鉴定报告，对考评小组的工作提出评价意见；",
    "（六）协助鉴定指导中心办理证书手续，并负责向鉴定合格者发放职业资格证书；",
    "（四）试卷在开考前，任何人不得以任何理由拆阅、拆装试卷。如出现特殊情况要复印试卷者，必须报指导中心批准，并在开考前10分钟由中心巡视员陪同方可复印，否则复印卷无效；",
    "（八）试卷批阅后，经核查无误，填写好资格鉴定成绩汇总表加盖公章后送指导中心一份并存入档案，并有专人保管。经评阅并已成绩登录的试卷由鉴定站按严格要求妥善存放三年备查。",
    "第三十条 机构设二级质保体系，即厦门市职业技能鉴定指导中心一级质保体系，日常事务工作设在厦门市职业技能鉴定指导中心。厦门东海学院职业技能鉴定站为二级质保体系，鉴定服务质量工作由厦门东海学院职业技能鉴定站办公室负责。",  # noqa: E501 (the regulation's own sentence)
    "第三十四条 本鉴定站承接的职业技能鉴定质量管理项目，必须是厦门市职业技能鉴定指导中心允许资格范围内的项目和内容，对超出范围的鉴定项目不能承接。",  # noqa: E501 (the regulation's own sentence)
)


@dataclass
class Page:
    """One page of the set: its clean drawing (RGB, 200 dpi), ground truth and phrases."""

    name: str
    kind: str
    image: Image.Image
    lines: list[str]
    phrases: list[str]
    upside_down: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def font(mm: float) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK at a size given in millimetres (at 200 dpi)."""
    return ImageFont.truetype(FONT_PATH, mm_to_px(mm, DPI))


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int, indent: int = 0) -> list[str]:
    """Break text into lines no wider than width (first line indented by `indent` characters)."""
    lines, line, limit = [], "", width - indent * face.size
    for char in text:
        if face.getlength(line + char) > limit and line:
            lines.append(line)
            line, limit = "", width
        line += char
    return lines + [line] if line else lines


def paragraphs(
    draw: ImageDraw.ImageDraw,
    y: int,
    texts,
    face,
    out: list[str],
    *,
    spacing: float = 1.7,
    indent: int = 2,
    fill=(0, 0, 0),
    bottom: int = HEIGHT - MARGIN,
) -> int:
    """Draw indented paragraphs from y; append each drawn line to out; return the next y."""
    step = int(face.size * spacing)
    for text in texts:
        for number, line in enumerate(wrap(text, face, WIDTH - 2 * MARGIN, indent)):
            if y + step > bottom:
                return y
            x = MARGIN + (indent * face.size if number == 0 else 0)
            draw.text((x, y), line, fill=fill, font=face)
            out.append(line)
            y += step
    return y


def centred(draw: ImageDraw.ImageDraw, y: int, text: str, face, fill=(0, 0, 0)) -> None:
    draw.text(((WIDTH - face.getlength(text)) / 2, y), text, fill=fill, font=face)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def id_number(rng: random.Random) -> str:
    """A fake resident ID number with a valid check digit (GB 11643)."""
    born = f"{rng.randint(1975, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first = rng.choice(AREAS) + born + f"{rng.randint(0, 999):03d}"
    return first + id_check_digit(first)


def seal(size: int, text: str, rng: random.Random) -> Image.Image:
    """A round red seal (ring, star, text along the upper arc) as an RGBA image, slightly uneven."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    colour = (*RED, 205)
    draw.ellipse((4, 4, size - 4, size - 4), outline=colour, width=max(3, size // 45))
    centre, radius = size / 2, size * 0.16
    star = [
        (
            centre + radius * (1 if k % 2 == 0 else 0.4) * math.sin(k * math.pi / 5),
            centre - radius * (1 if k % 2 == 0 else 0.4) * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=colour)
    face = ImageFont.truetype(FONT_PATH, int(size * 0.11))
    sweep = min(250.0, 22.0 * len(text))
    for number, char in enumerate(text):
        angle = -sweep / 2 + sweep * (number + 0.5) / len(text)
        glyph = Image.new("RGBA", (face.size * 2, face.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((face.size / 2, face.size / 2), char, fill=colour, font=face)
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        r = size / 2 - face.size * 1.25
        x = centre + r * math.sin(math.radians(angle)) - glyph.width / 2
        y = centre - r * math.cos(math.radians(angle)) - glyph.height / 2
        layer.alpha_composite(glyph, (int(x), int(y)))
    mask = np.asarray(layer)[:, :, 3].astype(np.float32)
    speckle = np.random.default_rng(rng.randrange(2**32)).uniform(0.55, 1.0, mask.shape)  # uneven ink
    layer.putalpha(Image.fromarray((mask * speckle).astype(np.uint8)))
    return layer


def stamp(page: Image.Image, centre: tuple[int, int], text: str, rng: random.Random) -> None:
    """Press a seal (multiplied, as ink over print) centred at `centre`, in place."""
    size = mm_to_px(40, DPI)
    mark = seal(size, text, rng).rotate(rng.uniform(-15, 15), resample=Image.Resampling.BICUBIC)
    box = (centre[0] - size // 2, centre[1] - size // 2)
    region = page.crop((*box, box[0] + size, box[1] + size))
    alpha = np.asarray(mark)[:, :, 3:4].astype(np.float32) / 255
    tint = np.asarray(mark)[:, :, :3].astype(np.float32) / 255
    base = np.asarray(region).astype(np.float32)
    mixed = base * (1 - alpha) + base * tint * alpha
    page.paste(Image.fromarray(mixed.clip(0, 255).astype(np.uint8)), box)


def handwrite(page: Image.Image, at: tuple[int, int], text: str, rng: random.Random, *, mm: float = 5.0) -> int:
    """Write text as a person fills a form: each character tilted, sized and placed a little off; return x after."""
    x, y = at
    face = font(mm)
    for char in text:
        size = face.size * 2
        glyph = Image.new("L", (size, size), 0)
        ImageDraw.Draw(glyph).text((size // 4, size // 4), char, fill=255, font=face)
        glyph = glyph.filter(ImageFilter.MaxFilter(3))  # a ballpoint's stroke, not a typeface's
        glyph = glyph.rotate(rng.uniform(-7, 7), resample=Image.Resampling.BICUBIC)
        scale = rng.uniform(0.88, 1.12)
        glyph = glyph.resize((int(size * scale), int(size * scale)), Image.Resampling.BICUBIC)
        grown = (glyph.width - size) / 2  # scaled about the glyph's centre
        page.paste(
            Image.new("RGB", glyph.size, INK),
            (int(x - size / 4 - grown), int(y - size / 4 - grown + rng.uniform(-4, 4))),
            glyph,
        )
        advance = face.getlength(char) * scale
        x += advance * rng.uniform(0.95, 1.12)
    return int(x)


def blank() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    page = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    return page, ImageDraw.Draw(page)


# ---------------------------------------------------------------- the kinds


def notice(rng: random.Random, number: int) -> Page:
    """A red-header notice from the guidance centre (红头文件): issuer, 文号, red rule, heading, body, seal."""
    page, draw = blank()
    lines: list[str] = []
    issuer, year, serial = "厦门市职业技能鉴定指导中心", 2026, rng.randint(3, 88)
    centred(draw, mm_to_px(30, DPI), f"{issuer}文件", font(11.5), fill=RED)
    lines.append(f"{issuer}文件")
    doc_number = f"厦鉴指〔{year}〕{serial}号"
    centred(draw, mm_to_px(55, DPI), doc_number, font(5))
    lines.append(doc_number)
    draw.line((MARGIN, mm_to_px(64, DPI), WIDTH - MARGIN, mm_to_px(64, DPI)), fill=RED, width=5)
    occupation = rng.choice(OCCUPATIONS)
    heading = f"关于做好{year}年第{rng.choice('一二三四')}期{occupation}职业技能鉴定工作的通知"
    y = mm_to_px(74, DPI)
    for line in wrap(heading, font(6.5), WIDTH - 2 * MARGIN - mm_to_px(20, DPI)):
        centred(draw, y, line, font(6.5))
        lines.append(line)
        y += mm_to_px(11, DPI)
    body = font(4.6)
    draw.text((MARGIN, y + 10), "各职业技能鉴定站：", fill=(0, 0, 0), font=body)
    lines.append("各职业技能鉴定站：")
    exam_day = f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
    texts = [
        f"为做好{occupation}职业技能鉴定工作，根据上级有关规定，现将有关事项通知如下：",
        f"一、鉴定时间定于{exam_day}，理论知识考试与操作技能考核同日进行，请各站提前做好考场布置和设备调试。",
        "二、各站须在考前五个工作日将考生花名册、考场安排表报送我中心审核，逾期不予受理。",
        "三、考评人员须持证上岗，严格执行回避制度；考务人员须按规定领取、保管和交回试卷。",
        f"联系人：{person(rng)}，联系电话：0592-{rng.randint(5000000, 5999999)}。",
    ]
    y = paragraphs(draw, y + 10 + int(body.size * 1.8), texts, body, lines, bottom=HEIGHT - mm_to_px(80, DPI))
    signed = f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
    sx = WIDTH - MARGIN - int(body.getlength(issuer)) - mm_to_px(5, DPI)
    draw.text((sx, y + mm_to_px(20, DPI)), issuer, fill=(0, 0, 0), font=body)
    draw.text((sx + mm_to_px(10, DPI), y + mm_to_px(30, DPI)), signed, fill=(0, 0, 0), font=body)
    lines += [issuer, signed]
    stamp(page, (sx + mm_to_px(30, DPI), y + mm_to_px(28, DPI)), issuer, rng)
    return Page(
        f"p{number:02d}-notice",
        "notice",
        page,
        lines,
        [doc_number, heading[2:14], f"鉴定时间定于{exam_day}"],
        meta={"heading": heading},
    )


def dense(rng: random.Random, number: int) -> Page:
    """A page of the regulation, small print, full width, as photocopied for a file."""
    page, draw = blank()
    lines: list[str] = []
    start = rng.randrange(len(REGULATION))
    texts = [REGULATION[(start + k) % len(REGULATION)] for k in range(len(REGULATION))]
    paragraphs(draw, MARGIN, texts, font(3.9), lines, spacing=1.55)
    picks = [line for line in lines if len(line) >= 14]
    phrases = [rng.choice(picks)[2:12] for _ in range(3)]
    return Page(f"p{number:02d}-dense", "dense", page, lines, phrases)


def table(rng: random.Random, number: int) -> Page:
    """A score register: title, header row and 22 rows with names, ID numbers, ticket numbers, scores."""
    page, draw = blank()
    occupation, level = rng.choice(OCCUPATIONS), rng.choice(LEVELS)
    title = f"2026年第{rng.randint(1, 6)}期职业技能鉴定成绩登记表"
    centred(draw, MARGIN, title, font(6))
    sub = f"工种：{occupation}  等级：{level}"
    draw.text((MARGIN, MARGIN + mm_to_px(12, DPI)), sub, fill=(0, 0, 0), font=font(4))
    lines = [title, sub]
    header = ("序号", "姓名", "身份证号", "准考证号", "理论", "实操", "结论")
    widths = (12, 22, 55, 40, 14, 14, 15)  # mm, 172 in all
    face, row_height = font(3.6), mm_to_px(8.5, DPI)
    top = MARGIN + mm_to_px(22, DPI)
    rows = [header]
    for serial in range(1, 23):
        theory, practical = rng.randint(42, 98), rng.randint(45, 97)
        rows.append(
            (
                str(serial),
                person(rng),
                id_number(rng),
                f"2026{rng.randint(10, 99)}{serial:04d}",
                str(theory),
                str(practical),
                "合格" if min(theory, practical) >= 60 else "不合格",
            )
        )
    left = MARGIN - mm_to_px(6, DPI)
    for index, row in enumerate(rows):
        y = top + index * row_height
        x = left
        for cell, width in zip(row, widths, strict=False):
            w = mm_to_px(width, DPI)
            draw.rectangle((x, y, x + w, y + row_height), outline=(0, 0, 0), width=2)
            draw.text(
                (x + (w - face.getlength(cell)) / 2, y + (row_height - face.size) / 2 - 3),
                cell,
                fill=(0, 0, 0),
                font=face,
            )
            x += w
        lines.append(" ".join(row))
    picked = rows[rng.randint(1, 22)]
    phrases = [picked[1], picked[2], rows[rng.randint(1, 22)][3]]
    return Page(f"p{number:02d}-table", "table", page, lines, phrases)


def sealed(rng: random.Random, number: int) -> Page:
    """A station's letter (情况说明) whose seal is pressed over the signature block and the date."""
    page, draw = blank()
    lines: list[str] = []
    title = "关于考场设备临时调整的情况说明"
    centred(draw, MARGIN + mm_to_px(10, DPI), title, font(6.5))
    lines.append(title)
    body = font(4.6)
    room = f"实操{rng.choice('一二三四五')}室"
    texts = [
        (
            f"{rng.randint(2025, 2026)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日上午，{room}一台设备在开考前调试时出现故障，"  # noqa: E501
            "考评组长当即启用备用工位，考生于原定时间开考，未影响考核秩序。"
        ),
        "故障设备已由设备管理员登记并送修，修复后经考评员验收方可再次使用。本次调整经站长同意，相关记录附后。",
        "特此说明。",
    ]
    y = paragraphs(draw, MARGIN + mm_to_px(30, DPI), texts, body, lines)
    chief, head = person(rng), person(rng)
    block = [
        f"考评组长（签名）：{chief}",
        f"站长（签名）：{head}",
        "厦门东海职业技术学院职业技能鉴定站",
        f"{rng.randint(2025, 2026)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
    ]
    y += mm_to_px(25, DPI)
    x = WIDTH - MARGIN - int(body.getlength(block[2]))
    for line in block:
        draw.text((x, y), line, fill=(0, 0, 0), font=body)
        lines.append(line)
        y += int(body.size * 1.9)
    stamp(
        page,
        (x + int(body.getlength(block[2])) // 2, y - int(body.size * 3.2)),
        "厦门东海职业技术学院职业技能鉴定站",
        rng,
    )
    return Page(f"p{number:02d}-sealed", "sealed", page, lines, [room + "一台设备", chief, "启用备用工位"])


def form(rng: random.Random, number: int) -> Page:
    """A registration form filled in by hand: printed labels in boxes, values in a jittered pen."""
    page, draw = blank()
    title = "职业技能鉴定申报登记表"
    centred(draw, MARGIN, title, font(7))
    lines = [title]
    label_face = font(4.2)
    name, employer = person(rng), rng.choice(EMPLOYERS)
    occupation, level = rng.choice(OCCUPATIONS), rng.choice(LEVELS)
    phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
    fields = [
        ("姓名", name),
        ("性别", rng.choice("男女")),
        ("身份证号", id_number(rng)),
        ("工作单位", employer),
        ("申报工种", occupation),
        ("申报等级", level),
        ("联系电话", phone),
    ]
    y, label_width, row_height = MARGIN + mm_to_px(20, DPI), mm_to_px(34, DPI), mm_to_px(14, DPI)
    for label, value in fields:
        draw.rectangle((MARGIN, y, WIDTH - MARGIN, y + row_height), outline=(0, 0, 0), width=2)
        draw.line((MARGIN + label_width, y, MARGIN + label_width, y + row_height), fill=(0, 0, 0), width=2)
        draw.text((MARGIN + mm_to_px(3, DPI), y + mm_to_px(4, DPI)), label, fill=(0, 0, 0), font=label_face)
        handwrite(page, (MARGIN + label_width + mm_to_px(4, DPI), y + mm_to_px(3.5, DPI)), value, rng)
        lines.append(f"{label} {value}")
        y += row_height
    draw.rectangle((MARGIN, y, WIDTH - MARGIN, y + mm_to_px(70, DPI)), outline=(0, 0, 0), width=2)
    draw.text((MARGIN + mm_to_px(3, DPI), y + mm_to_px(3, DPI)), "个人工作简历", fill=(0, 0, 0), font=label_face)
    lines.append("个人工作简历")
    history = [
        f"{rng.randint(2010, 2016)}年至{rng.randint(2017, 2020)}年在{rng.choice(EMPLOYERS)}从事{occupation}工作",
        f"{rng.randint(2021, 2023)}年至今在{employer}工作",
    ]
    hy = y + mm_to_px(14, DPI)
    for entry in history:
        for line in wrap(entry, font(5.3), WIDTH - 2 * MARGIN - mm_to_px(10, DPI)):
            handwrite(page, (MARGIN + mm_to_px(5, DPI), hy), line, rng)
            lines.append(line)
            hy += mm_to_px(11, DPI)
    y += mm_to_px(78, DPI)
    draw.text((MARGIN, y), "本人承诺以上信息真实有效。", fill=(0, 0, 0), font=label_face)
    lines.append("本人承诺以上信息真实有效。")
    y += mm_to_px(12, DPI)
    draw.text((MARGIN + mm_to_px(80, DPI), y), "申报人签名：", fill=(0, 0, 0), font=label_face)
    handwrite(page, (MARGIN + mm_to_px(80, DPI) + int(label_face.getlength("申报人签名：")), y - 4), name, rng)
    lines.append(f"申报人签名：{name}")
    return Page(f"p{number:02d}-form", "form", page, lines, [name, employer, history[0][10:20]])


BUILDERS = {"notice": notice, "dense": dense, "table": table, "sealed": sealed, "form": form}


def page_set(count: int = 20, seed: int = 16) -> list[Page]:
    """count pages cycling through KINDS; every UPSIDE_DOWN_EVERY-th is fed upside down."""
    rng = random.Random(seed)
    pages = []
    for number in range(1, count + 1):
        page = BUILDERS[KINDS[(number - 1) % len(KINDS)]](rng, number)
        page.upside_down = number % UPSIDE_DOWN_EVERY == 0
        if page.upside_down:
            page.name += "-upside-down"
        pages.append(page)
    return pages


def scanned(page: Page, seed: int) -> bytes:
    """The page as the scanner delivers it: degraded, maybe upside down, JPEG q60 at 200 dpi."""
    image = degrade(page.image, random.Random(seed), tilt=1.2, noise=6.0, quarter_turns=2 if page.upside_down else 0)
    return jpeg_bytes(image, DPI, JPEG_QUALITY)


def text_scan(texts: list[str], seed: int = 0, *, title: str = "") -> bytes:
    """Typed paragraphs (e.g. a page of the regulation) printed and scanned like the set: JPEG q60 at 200 dpi."""
    image, draw = blank()
    lines: list[str] = []
    y = MARGIN
    if title:
        centred(draw, y, title, font(6))
        y += mm_to_px(14, DPI)
    paragraphs(draw, y, texts, font(4.2), lines)
    return jpeg_bytes(degrade(image, random.Random(seed), tilt=1.0, noise=6.0), DPI, JPEG_QUALITY)


def write_page_set(out: Path, count: int = 20, seed: int = 16) -> list[dict]:
    """Write page-NN.pdf, page-NN.txt (ground truth) and manifest.json into out; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for number, page in enumerate(page_set(count, seed), start=1):
        pdf = out / f"{page.name}.pdf"
        pdf.write_bytes(img2pdf.convert([scanned(page, seed * 1000 + number)]))
        (out / f"{page.name}.txt").write_text(page.text + "\n", encoding="utf-8")
        manifest.append(
            {
                "name": page.name,
                "kind": page.kind,
                "upside_down": page.upside_down,
                "pdf": pdf.name,
                "truth": f"{page.name}.txt",
                "phrases": page.phrases,
            }
        )
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--png", action="store_true", help="also write each clean page as PNG (to look at)")
    args = parser.parse_args()
    manifest = write_page_set(args.out, args.pages, args.seed)
    if args.png:
        for page in page_set(args.pages, args.seed):
            page.image.save(args.out / f"{page.name}.png")
    print(f"{len(manifest)} pages, {sum(len(m['phrases']) for m in manifest)} phrases → {args.out}")


if __name__ == "__main__":
    main()
