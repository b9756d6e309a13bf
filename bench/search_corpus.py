"""A synthetic archive for the search benchmark: metadata.json dicts (CONTRACTS §3).

100,000 records across 10 years by default, the occupations of a real station, realistic
Chinese names (common surnames repeat a lot, as they do), form text and OCR-ish text with
noise (traditional characters, full-width digits, stray marks, dropped characters).
Deterministic for a seed: `python bench/search_corpus.py --count 5 --seed 1` prints samples.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass

from pipeline.core.domain import LEVEL_SHORT, id_check_digit

OCCUPATIONS = ["电工", "焊工", "育婴员", "保育员", "中式烹调师", "美容师", "计算机操作员", "电子商务师",
               "茶艺师", "钳工", "汽车维修工", "中式面点师", "西式面点师", "美发师", "保健按摩师",
               "物流师", "车工", "维修电工", "家政服务员", "养老护理员"]
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞辉建国文斌宇浩凯丹玲晨欣怡"
         "佳琪子涵雨轩思博俊峰婷雪琳慧颖晓东海波志刚林燕春梦瑶佩蓉嘉宏亮")
AREAS = ["350203", "350206", "350205", "350211", "350212", "350213", "350102", "350104", "350524", "110105",
         "440305", "360102", "430104", "510107", "330106"]
FORMS = {"registration": ("职业技能鉴定报名登记表", "KW", "exam-affairs", "D10"),
         "room-record": ("职业技能鉴定考场记录表", "KW", "exam-affairs", "D10"),
         "practical-score": ("实操考核评分表", "SJ", "exam-papers", "D3"),
         "score-register": ("鉴定成绩登记册", "KW", "exam-affairs", "D10"),
         "report": ("职业技能鉴定报告", "CJ", "long-term", "Y"),
         "trainee-approval": ("鉴定学员报名审批单", "XY", "trainee-files", "Y"),
         "filing-cover": ("上级来文", "FW", "service-records", "D10")}
FORM_WEIGHTS = [55, 8, 20, 4, 2, 8, 3]
TRAD = str.maketrans("职业技能鉴定场记录员签应实试卷评员现术师训练发动机维修调营养护",
                     "職業技能鑑定場記錄員簽應實試卷評員現術師訓練發動機維修調營養護")
NOISE = ["~", "|", "l", "1", "。", "·", "_", "丨", "口", " "]
PHRASES = ["理论知识考试", "操作技能考核", "当众拆封", "试卷袋密封完好", "考生按时入场", "无违纪情况",
           "设备运行正常", "监考人员签名", "考评员签名", "资格审查合格", "身份证复印件已核对",
           "学历证明", "工作年限满足要求", "培训课时 120 学时", "考评小组评议", "合格率",
           "工位安排", "安全操作规程", "应急预案", "发动机故障排除", "电气线路安装", "焊缝外观检查",
           "婴儿喂养", "膳食营养", "刀工火候", "茶汤品质", "网店运营", "文字录入速度"]


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    occupation: str
    level: int


def _name(rng: random.Random) -> str:
    surname = SURNAMES[min(int(rng.expovariate(1 / 12)), len(SURNAMES) - 1)]   # common surnames repeat
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _id_number(rng: random.Random, year: int) -> str:
    birth = f"{year - rng.randint(18, 50)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = rng.choice(AREAS) + birth + f"{rng.randint(0, 999):03d}"
    return first17 + id_check_digit(first17)


def _ocr(rng: random.Random, text: str) -> str:
    """Scanner text: some traditional characters, full-width digits, stray marks, lost characters."""
    out = []
    for char in text:
        roll = rng.random()
        if roll < 0.01:
            continue
        if roll < 0.03:
            out.append(rng.choice(NOISE))
        out.append(char)
    text = "".join(out)
    if rng.random() < 0.3:
        text = text.translate(TRAD)
    if rng.random() < 0.3:
        text = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    return text


CLAUSES = ["经核对，{name}的{occ}考核材料齐全", "第{n}考场{phrase}，{phrase}", "{year}年{m}月{d}日{phrase}",
           "考评员{name}、{name2}对{occ}实操工位{n}进行评分，得分{score}分", "本页共{n}行，{phrase}",
           "备注：{phrase}，由{name}负责", "依据《{occ}国家职业技能标准》（{year}年版），{phrase}",
           "监考人员{name}报告：{phrase}；{phrase}", "准考证号{ticket}的考生{name}{phrase}"]


def _page(rng: random.Random, text: str, chars: tuple[int, int], person: Person, year: int, ticket: str) -> str:
    """text grown to an OCR-length page: clauses of the station's paperwork until 1–3 k characters."""
    target = rng.randint(*chars)
    parts = [text]
    length = len(text)
    while length < target:
        clause = rng.choice(CLAUSES).format(
            name=_name(rng), name2=_name(rng), occ=rng.choice(OCCUPATIONS), phrase=rng.choice(PHRASES),
            n=rng.randint(1, 40), year=year, m=rng.randint(1, 12), d=rng.randint(1, 28),
            score=rng.randint(40, 99), ticket=ticket if rng.random() < 0.3 else f"{year}{rng.randint(0, 10**8):08d}")
        parts.append(clause + "。")
        length += len(clause) + 1
    return "".join(parts)[:target]


def _text(rng: random.Random, form: str, person: Person, year: int, ticket: str,
          page_chars: tuple[int, int] | None = None) -> str:
    level = LEVEL_SHORT[person.level]
    base = {
        "registration": f"{FORMS[form][0]} 姓名 {person.name} 身份证号 {person.id_number} 报考职业 "
                        f"{person.occupation} 等级 {level} 准考证号 {ticket} 工作单位 厦门{rng.choice('东西南北')}区"
                        f"{rng.choice(['机电', '餐饮', '家政', '汽修', '电子'])}有限公司",
        "room-record": f"{FORMS[form][0]} {person.occupation} 第{rng.randint(1, 12)}考场 应到 "
                       f"{rng.randint(25, 35)} 人 实到 {rng.randint(20, 30)} 人 缺考 {person.name}",
        "practical-score": f"{person.occupation}{FORMS[form][0]} 考生 {person.name} 准考证号 {ticket} "
                           f"工位{rng.randint(1, 40):02d} 得分 {rng.randint(40, 99)}.{rng.randint(0, 9)}",
        "score-register": f"{FORMS[form][0]} {person.occupation} {level} 拆封 核分 登分 {person.name} "
                          f"理论 {rng.randint(40, 99)} 实操 {rng.randint(40, 99)}",
        "report": f"{year}年度{person.occupation}{FORMS[form][0]} 参加鉴定 {rng.randint(20, 90)} 人 合格率 "
                  f"{rng.randint(60, 99)}%",
        "trainee-approval": f"{FORMS[form][0]} {person.name} {person.occupation} {level} 培训机构意见 同意",
        "filing-cover": f"厦门市职业技能鉴定指导中心 关于做好{year}年{person.occupation}职业技能鉴定工作的通知",
    }[form]
    extra = " ".join(rng.sample(PHRASES, 4))
    text = f"厦门东海职业技术学院职业技能鉴定站 {base} {extra}"
    if page_chars:
        text = _page(rng, text, page_chars, person, year, ticket)
    return _ocr(rng, text) if rng.random() < 0.6 else text


def generate(count: int = 100_000, *, seed: int = 20_261_205, first_year: int = 2016, years: int = 10,
             page_chars: tuple[int, int] | None = None):
    """count metadata dicts across years, deterministic for seed; page_chars=(1000, 3000) gives each
    record an OCR-length page of text (a scanned page's worth) instead of a form's few fields."""
    rng = random.Random(seed)
    people: list[Person] = []
    numbers: dict[tuple, int] = {}
    forms, weights = list(FORMS), FORM_WEIGHTS
    for serial in range(count):
        year = first_year + serial * years // count
        if not people or rng.random() < 0.45:
            people.append(Person(_name(rng), _id_number(rng, year), rng.choice(OCCUPATIONS), rng.randint(3, 5)))
        person = people[-1] if rng.random() < 0.6 else rng.choice(people[-2000:])
        form = rng.choices(forms, weights)[0]
        title_zh, category, retention_class, retention = FORMS[form]
        key = (year, retention, category)
        numbers[key] = numbers.get(key, 0) + 1
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        ticket = f"{year}{month:02d}{rng.randint(1, 20):02d}{rng.randint(1, 999):03d}"
        personal = form not in ("report", "filing-cover", "room-record")
        yield {
            "archival_code": f"J118-WS·{year}-{retention}-{category}-{numbers[key]:04d}",
            "year": year, "category": category, "retention_class": retention_class, "form": form,
            "title": f"{year}-{month:02d} {person.occupation}{LEVEL_SHORT[person.level]} "
                     + (f"{person.name} " if personal else "") + title_zh,
            "doc_date": f"{year}-{month:02d}-{day:02d}", "round_code": f"{year}-{month:02d}",
            "occupation": person.occupation, "level": person.level,
            "candidate_name": person.name if personal else "",
            "candidate_id_number": person.id_number if personal else "",
            "ticket_number": ticket if personal else "",
            "form_instance": "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(8)),
            "text": _text(rng, form, person, year, ticket, page_chars), "schema": "station-item/1",
        }


def catalog_item(meta: dict, config, *, files_sha256: dict[str, str] | None = None, text: bool = True,
                 due: bool = False):
    """The catalog row (unsaved ArchiveItem) of one generated record, for bench/web*.py: meta's restricted and
    secret flags (open if absent), no text if secret or text=False; due=True adds clock start and due date."""
    import datetime as dt

    from django.utils import timezone

    from pipeline.archive.retention import due_date
    from pipeline.catalog.models import ArchiveItem
    from pipeline.core.domain import ArchivalCode

    code = ArchivalCode.parse(meta["archival_code"])
    retention = config.retention[config.categories[meta["category"]].retention]
    doc_date = dt.date.fromisoformat(meta["doc_date"])
    start, due_on = due_date(retention, doc_date, doc_date) if due else (None, None)
    secret = meta.get("secret", False)
    return ArchiveItem(
        archival_code=meta["archival_code"],
        fonds=code.fonds,
        year=code.year,
        retention_code=code.retention,
        category=code.category,
        item_number=code.item,
        title=meta["title"],
        responsible=config.station.name,
        doc_date=doc_date,
        pages=1,
        restricted=meta.get("restricted", False),
        secret=secret,
        encrypted=False,
        files_sha256=files_sha256 or {},
        form=meta["form"],
        round_code=meta["round_code"],
        candidate_id_number=meta["candidate_id_number"],
        candidate_name=meta["candidate_name"],
        ticket_number=meta["ticket_number"],
        occupation=meta["occupation"],
        level=meta["level"],
        retention_class=retention.key,
        clock_start=start,
        due_date=due_on,
        source_sha256="0" * 64,
        source_name="scan.pdf",
        folder=code.folder,
        text=meta["text"] if text and not secret else "",
        filed_at=timezone.now(),
    )


def main() -> None:
    """Print a few generated records."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20_261_205)
    args = parser.parse_args()
    for meta in generate(args.count, seed=args.seed):
        print(json.dumps(meta, ensure_ascii=False))


if __name__ == "__main__":
    main()
