"""Every tier-1 form of FORMS.md (and the tier-2 lending register): what it is called, which article
asks for it, how it is filed, and which signatures its template prints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormSpec:
    """One kind of form (docs/dev/CONTRACTS.md §1)."""

    key: str
    name_zh: str
    article: str
    # candidate | round | room-sitting | handover | staff | document | batch | year-class | year | inspection
    per: str
    tier: int
    retention_class: str | None   # key in config/retention.toml; None = not filed
    category: str | None          # archive category code; None = chosen per instance (filing cover)
    template: str
    docx: str | None
    signatures: tuple[str, ...]   # what the template prints, in order; "（逐人）": one signature line per person/row
    sheet: tuple[int, int] | None = None   # printed columns × rows per A4 sheet with cut marks (render.impose)
    page_numbers: bool = False    # "第 i 页 共 n 页" at the foot: each instance is laid out as a document of its own

    @property
    def filed(self) -> bool:
        """True when signed copies come back to be filed (the form carries the 归档章)."""
        return self.retention_class is not None or self.key == "filing-cover"


def _spec(key: str, name_zh: str, article: str, per: str, retention: str | None, category: str | None,
          signatures: tuple[str, ...], docx: bool = False, tier: int = 1,
          sheet: tuple[int, int] | None = None, page_numbers: bool = False) -> FormSpec:
    return FormSpec(key=key, name_zh=name_zh, article=article, per=per, tier=tier, page_numbers=page_numbers,
                    retention_class=retention, category=category, template=f"{key}.html",
                    docx=f"{key}.docx" if docx else None, signatures=signatures, sheet=sheet)


_SPECS = (
    _spec("registration", "职业技能鉴定报名登记表", "第七条(三)、第十八条(三)、第二十条(一)、第四十六条",
          "candidate", "exam-affairs", "KW", ("考生本人", "资格审查人", "鉴定站（章）"), docx=True),
    _spec("admission-ticket", "职业技能鉴定准考证", "第十九条(五)、第二十条(一)、第二十四条",
          "candidate", None, None, (), sheet=(1, 2)),
    _spec("roster", "职业技能鉴定考生花名册", "第二十二条(一)2", "round", "exam-affairs", "KW",
          ("制表人", "审核人", "鉴定站（章）")),
    _spec("schedule", "职业技能鉴定实施安排表", "第十八条(三)", "round", "exam-affairs", "KW",
          ("制表人", "站长", "鉴定站（章）"), docx=True),
    _spec("seating-plan", "职业技能鉴定实操考场安排表", "第十八条(三)、第二十五条(四)", "room-sitting",
          "exam-affairs", "KW", ("编制人", "审核人", "考评组长"), docx=True),
    _spec("staff-assignment", "职业技能鉴定工作人员安排表", "第十八条(三)、第十条(四)、第十九条(七)",
          "round", "exam-affairs", "KW", ("制表人", "站长", "鉴定站（章）"), docx=True),
    _spec("room-record", "职业技能鉴定考场情况记录表", "第十八条(三)、第十九条(四)(六)(八)、第十五条(五)",
          "room-sitting", "exam-affairs", "KW", ("考场工作人员（逐人）", "考评组长／主监考", "考务人员"), docx=True),
    _spec("paper-receipt", "试卷领取单", "第二十八条(四)(八)、第二十一条(三)", "handover",
          "exam-affairs", "KW", ("交方（试卷保密人员）", "接方（监考）"), docx=True),
    _spec("packet-cover", "试卷袋封签（答卷封面）", "第十九条(九)、第二十一条(五)(八)", "room-sitting",
          "exam-papers", "SJ", ("监考人员", "考评组长", "封装人")),
    _spec("score-register", "职业技能鉴定成绩登记册", "第十七条(六)、第十九条(十)、第二十一条(八)",
          "round", "exam-affairs", "CJ", ("拆封人", "核分人", "登分人", "考评组长", "鉴定站（章）")),
    _spec("qualified-roster", "职业技能鉴定合格人员名册", "第十八条(三)", "round", "long-term", "CJ",
          ("制表人", "审核人", "鉴定站（章）")),
    _spec("statistics", "职业技能鉴定结果统计表", "第十八条(三)", "round", "long-term", "CJ",
          ("统计人", "审核人", "鉴定站（章）")),
    _spec("report", "职业技能鉴定报告", "第七条(九)、第十八条(三)、第二十条(五)", "round", "long-term", "CJ",
          ("报告人", "站长", "鉴定站（章）"), docx=True),
    _spec("badge", "工作人员胸卡", "第十条(一)(二)、第十九条(一)", "staff", None, None, ("鉴定站（章）",),
          sheet=(2, 4)),
    _spec("filing-cover", "归档封面", "第十四条、第十八条(一)", "document", None, None,
          ("移交人", "接收人（档案管理员）")),
    _spec("destruction-register", "档案销毁清册", "第十八条(一)3、第二十六条(十)", "batch",
          "archive-management", "DA", ("编制人", "批准人（站长）", "监销人", "监销人"), docx=True),
    _spec("archive-catalogue", "归档文件目录", "第十四条(二)、第二十六条(五)", "year-class",
          "archive-management", "DA", ("立卷人", "检查人"), page_numbers=True),
    # tier 2, asked for by the retention work: one register per year listing that year's loans
    _spec("lending-register", "借阅登记表", "第十八条(一)2、第二十六条(六)", "year", "service-records", "FW",
          ("借阅人（逐人）", "经办人（逐人）"), tier=2),
    # tier 2, asked for by an inspector: one report per inspection run (DA/T 70-2018), kept for ever
    _spec("four-properties-report", "电子档案四性检测报告", "DA/T 70-2018；第十四条(一)、第二十六条(八)", "inspection",
          "archive-management", "DA", ("检测人", "审核人"), docx=True, tier=2),
    # tier 2, issue 16: the year's statistics as stations report them (holdings, received, destroyed, loans, forms)
    _spec("yearly-statistics", "档案工作统计年报", "第二十六条(五)(六)", "year", "archive-management", "DA",
          ("统计人", "审核人", "站长"), docx=True, tier=2, page_numbers=True),
)

FORMS: dict[str, FormSpec] = {spec.key: spec for spec in _SPECS}


def tier1() -> list[FormSpec]:
    """The forms the first round needs, in FORMS.md order."""
    return [spec for spec in FORMS.values() if spec.tier == 1]
