"""Search fixtures: a small archive of metadata.json folders (CONTRACTS §3) with known answers.

The corpus is written here in code (each item names the case it serves); the ingest engineer's
store writes real items in the same layout.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from pipeline import search as search_api
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode, id_check_digit
from pipeline.core.paths import config_dir


def valid_id(first17: str) -> str:
    """A GB 11643 ID number with the right check digit."""
    return first17 + id_check_digit(first17)


ZHANG_WEI_A = valid_id("35020319900101123")
ZHANG_WEI_B = valid_id("35021119950718456")
ZHANG_WEIMING = valid_id("35020519881203789")
LI_NA = valid_id("35020619920304002")


def _item(code, title, text, doc_date, **extra) -> dict:
    parsed = ArchivalCode.parse(code)
    return {"archival_code": code, "fonds": parsed.fonds, "year": parsed.year,
            "retention_code": parsed.retention, "category": parsed.category, "item_number": parsed.item,
            "title": title, "responsible": "厦门东海职业技术学院职业技能鉴定站", "doc_date": doc_date,
            "pages": 1, "secrecy": "", "restricted": False, "form": extra.get("form", ""),
            "form_instance": extra.get("form_instance", ""), "round_code": extra.get("round_code", ""),
            "candidate_id_number": extra.get("candidate_id_number", ""),
            "candidate_name": extra.get("candidate_name", ""), "ticket_number": extra.get("ticket_number", ""),
            "occupation": extra.get("occupation", ""), "level": extra.get("level"),
            "retention_class": extra.get("retention_class", "exam-affairs"), "clock_start": doc_date,
            "due_date": None, "source_name": "scan.pdf", "source_sha256": "0" * 64, "source_pages": [1],
            "ingest_time": doc_date + "T10:00:00+08:00", "text": text, "schema": "station-item/1"}


CORPUS = [
    # a common name shared by two people, plus a longer name that contains it
    _item("J118-WS·2024-D10-KW-0001", "2024-05 电工四级 张伟 职业技能鉴定报名登记表",
          "职业技能鉴定报名登记表 姓名 张伟 性别 男 身份证号 " + ZHANG_WEI_A + " 报考职业 电工 等级 四级 "
          "工作单位 厦门电力安装公司 资格审查 符合条件", "2024-05-10",
          form="registration", form_instance="7K3M9QX2", round_code="2024-05", candidate_name="张伟",
          candidate_id_number=ZHANG_WEI_A, ticket_number="2024050101001", occupation="电工", level=4),
    _item("J118-WS·2024-D10-KW-0002", "2024-05 焊工五级 张伟明 职业技能鉴定报名登记表",
          "职业技能鉴定报名登记表 姓名 张伟明 身份证号 " + ZHANG_WEIMING + " 报考职业 焊工 等级 五级",
          "2024-05-11", form="registration", round_code="2024-05", candidate_name="张伟明",
          candidate_id_number=ZHANG_WEIMING, ticket_number="2024050102007", occupation="焊工", level=5),
    _item("J118-WS·2025-Y-XY-0001", "2025-11 育婴员三级 张伟 鉴定学员档案",
          "鉴定学员档案 张伟 育婴员 三级 培训记录 结业考核合格", "2025-11-20",
          form="trainee-approval", round_code="2025-11", candidate_name="张伟",
          candidate_id_number=ZHANG_WEI_B, ticket_number="2025110301012", occupation="育婴员", level=3,
          retention_class="trainee-files"),
    # OCR text: traditional characters, full-width digits, noise
    _item("J118-WS·2023-D10-KW-0004", "2023-12 育婴员 理论考场记录表 第1考场",
          "職業技能鑑定考場記錄表 考場 第１考場 應到 ３０ 人 實到 ２８ 人 缺考 李娜 王芳 "
          "監考人員簽名 當眾拆封 试卷袋完好 ~~ |l 1 。。", "2023-12-01",
          form="room-record", round_code="2023-12", occupation="育婴员"),
    _item("J118-WS·2023-D3-SJ-0002", "2023-12 中式烹调师 实操评分表 王芳",
          "中式烹调师实操考核评分表 王芳 刀工 得分 ８７．５ 火候 调味 ＡＢＣ－１２ 评分人 陈静 "
          "备注 工位O7 设备正常", "2023-12-02", form="practical-score", round_code="2023-12",
          candidate_name="王芳", occupation="中式烹调师", level=4, retention_class="exam-papers"),
    _item("J118-WS·2022-Y-CJ-0001", "2022 年度茶艺师职业技能鉴定报告",
          "职业技能鉴定报告 茶艺师 参加鉴定 42 人 合格 40 人 合格率 95% 考评小组工作认真", "2022-10-15",
          form="report", round_code="2022-10", occupation="茶艺师", retention_class="long-term"),
    _item("J118-WS·2024-D10-FW-0003", "关于做好2024年职业技能鉴定工作的通知",
          "厦门市职业技能鉴定指导中心 关于做好2024年职业技能鉴定工作的通知 各鉴定站 请按要求组织汽车维修工 "
          "计算机操作员 电子商务师 鉴定", "2024-03-01", retention_class="service-records"),
    _item("J118-WS·2025-D10-KW-0009", "2025-06 汽车维修工四级 赵磊 报名登记表",
          "汽車維修工 發動機故障排除 实操 赵磊 准考证号 2025060401003", "2025-06-03",
          form="registration", round_code="2025-06", candidate_name="赵磊", ticket_number="2025060401003",
          occupation="汽车维修工", level=4),
    _item("J118-WS·2021-D10-KW-0005", "2021-04 电工三级 李娜 职业技能鉴定报名登记表",
          "报名登记表 姓名 李娜 身份证号 " + LI_NA + " 电工 三级 理论考试 实操考核", "2021-04-08",
          form="registration", round_code="2021-04", candidate_name="李娜", candidate_id_number=LI_NA,
          ticket_number="2021040101002", occupation="电工", level=3),
]


def write_item(archive, meta: dict) -> None:
    """One archive item folder with its metadata.json, as the store lays it out."""
    folder = archive / ArchivalCode.parse(meta["archival_code"]).folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture(params=["whoosh", "tantivy"])
def backend(request, data_root, tmp_path, monkeypatch):
    """Run the test once per index engine, chosen through config/station.toml as staff would."""
    folder = tmp_path / "config"
    shutil.copytree(config_dir(), folder)
    station = folder / "station.toml"
    text = re.sub(r'(?m)^backend = "\w+"', f'backend = "{request.param}"', station.read_text(encoding="utf-8"))
    station.write_text(text, encoding="utf-8")
    monkeypatch.setenv("STATION_CONFIG", str(folder))
    get_config.cache_clear()
    yield request.param
    get_config.cache_clear()


@pytest.fixture
def indexed(backend, data_root):
    """The corpus filed item by item: the store writes the folder, then the item is indexed."""
    for meta in CORPUS:
        write_item(data_root.archive, meta)
        search_api.index_items([meta])
    return search_api


def codes(result) -> list[str]:
    """The 档号 of a result's hits, in rank order."""
    return [hit.archival_code for hit in result.hits]
