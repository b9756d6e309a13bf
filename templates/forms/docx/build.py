"""Build the DOCX templates of the editable forms (python-docx), holding docxtpl Jinja tags.

Run: .venv/bin/python templates/forms/docx/build.py [form ...]  — writes <form>.docx beside this file.
Staff may then reword or re-lay-out the .docx in Word/WPS; only the {{ }} / {%tr %} tags listed in
PLACEHOLDERS.md must stay. The header holds {{ qr }} (the instance QR, page 0/0) and {{ code_label }}.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from pipeline.forms.registry import FORMS  # noqa: E402

HERE = Path(__file__).resolve().parent
BODY_FONT, HEAD_FONT = "宋体", "黑体"


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _para(container, text: str, *, size: float = 10.5, bold: bool = False, align=None, font: str = BODY_FONT):
    paragraph = container.add_paragraph()
    _font(paragraph.add_run(text), font, size, bold)
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(2)
    return paragraph


def _cell(cell, text: str, *, bold: bool = False, size: float = 10, center: bool = False) -> None:
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    _font(run, HEAD_FONT if bold else BODY_FONT, size, bold)
    if center:
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER


TITLE_SUFFIX = {"destruction-register": "{% if data.executed %}（已执行）{% endif %}"}  # the final register


def new_document(key: str, *, landscape: bool = False) -> Document:
    """A4 document with the binding margin, the QR header, the title and the 归档章."""
    spec = FORMS[key]
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_height, section.page_width = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(25), Mm(14)
    section.top_margin, section.bottom_margin = Mm(34), Mm(16)
    section.header_distance = Mm(6)
    header = section.header.add_table(1, 2, section.page_width - Mm(39))
    _cell(header.cell(0, 0), "{{ station.name }}　{{ spec.name_zh }}", size=8)
    right = header.cell(0, 1)
    right.paragraphs[0].add_run("{{ qr }}")
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    label = right.add_paragraph()
    _font(label.add_run("{{ code_label }}"), "DejaVu Sans Mono", 8)
    label.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    section.header.paragraphs[0].text = ""
    if spec.retention_class:
        stamp = doc.add_table(rows=4, cols=3)
        stamp.style, stamp.alignment = "Table Grid", WD_TABLE_ALIGNMENT.RIGHT
        for col, text in enumerate(("全宗号", "年度", "件号")):
            _cell(stamp.cell(0, col), text, size=7.5, center=True)
        for col, text in enumerate(("保管期限", "页数", "机构(问题)")):
            _cell(stamp.cell(2, col), text, size=7.5, center=True)
        _cell(stamp.cell(1, 0), "{{ station.fonds_code }}", size=8, center=True)
        _cell(stamp.cell(3, 0), "{{ retention }}", size=8, center=True)
        for row in stamp.rows:
            for cell in row.cells:
                cell.width = Mm(16)
    _para(doc, "{{ station.name }}", size=11, align=WD_ALIGN_PARAGRAPH.CENTER, font=HEAD_FONT)
    _para(
        doc,
        "{{ spec.name_zh }}" + TITLE_SUFFIX.get(key, ""),
        size=17,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        font=HEAD_FONT,
    )
    _para(doc, "编号：{{ code_label }}　　依据：{{ spec.article }}", size=9)
    return doc


def fields(doc: Document, rows: list[list[tuple[str, str]]]) -> None:
    """A bordered table of label / value pairs; each inner list is one table row."""
    width = max(len(row) for row in rows) * 2
    table = doc.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        col = 0
        for i, (label, value) in enumerate(row):
            _cell(table.cell(r, col), label, bold=True, size=9.5, center=True)
            end = width - 1 if i == len(row) - 1 else col + 1
            target = table.cell(r, col + 1).merge(table.cell(r, end)) if end > col + 1 else table.cell(r, col + 1)
            _cell(target, value)
            col = end + 1


def rows_table(doc: Document, headers: list[str], cells: list[str], loop: str) -> None:
    """A list table: header row (repeated on each page), one row per item of `loop` (docxtpl {%tr %})."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    for col, text in enumerate(headers):
        _cell(table.cell(0, col), text, bold=True, size=9.5, center=True)
    table.rows[0]._tr.get_or_add_trPr().append(_repeat_header())
    _cell(table.cell(1, 0), "{%tr for r in " + loop + " %}")
    for col, text in enumerate(cells):
        _cell(table.cell(2, col), text, size=9.5)
    _cell(table.cell(3, 0), "{%tr endfor %}")


def _repeat_header():
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    return element


# Date line under a signature box when it is not 年 月 日 (the handover slip records times).
DATE_LINES = {
    "交方（试卷保密人员）": "交出时间：　　月　　日　　时　　分",
    "接方（监考）": "接收时间：　　月　　日　　时　　分",
}
PER_PERSON = "（逐人）"  # a FormSpec role signed line by line in the body's table, not in a box


def signatures(doc: Document, key: str) -> None:
    """One box per signature of FormSpec.signatures (roles signed per person are in the body), with the date."""
    roles = [role for role in FORMS[key].signatures if not role.endswith(PER_PERSON)]
    if not roles:
        return
    table = doc.add_table(rows=1, cols=len(roles))
    table.style = "Table Grid"
    for col, role in enumerate(roles):
        cell = table.cell(0, col)
        seal = role.endswith("（章）")
        _cell(cell, f"{role}{'' if seal else '（签名）'}：", bold=True, size=9.5)
        _para(cell, "（盖章）" if seal else "", size=9, align=WD_ALIGN_PARAGRAPH.CENTER)
        _para(cell, "", size=9)
        _para(cell, DATE_LINES.get(role, "年　　月　　日"), size=9.5, align=WD_ALIGN_PARAGRAPH.RIGHT)


C = "data.candidate."


def registration(doc: Document) -> None:
    fields(
        doc,
        [
            [("照片", "{{ photo }}")],
            [("姓名", "{{ " + C + "name }}"), ("性别", "{{ " + C + "gender }}")],
            [("出生日期", "{{ " + C + "birth_date }}"), ("文化程度", "{{ " + C + "education }}")],
            [("身份证号", "{{ " + C + "id_number }}")],
            [("联系电话", "{{ " + C + "phone }}"), ("班级", "{{ " + C + "class_name }}")],
            [("工作单位", "{{ " + C + "employer }}")],
            [("通讯地址", "{{ " + C + "address }}")],
            [("申报工种", "{{ " + C + "occupation }}"), ("申报等级", "{{ " + C + "level }}")],
            [
                ("补考", "{% if " + C + "is_retake %}是{% else %}否{% endif %}"),
                ("准考证号", "{{ " + C + "ticket_number }}"),
            ],
            [("鉴定时间", "理论考试：{{ data.round.theory_at }}；实操考核：{{ data.round.practical_at }}")],
            [("本人承诺", "本人所填信息及提交的证明材料真实有效，如有虚假，自愿承担由此产生的一切后果。")],
        ],
    )
    _para(doc, "资格审查（第七条(三)、第四十六条）", size=12, bold=True, font=HEAD_FONT)
    fields(
        doc,
        [
            [("申报条件", "☐ 符合申报条件　☐ 证明材料已核验　☐ 身份证原件已核验　☐ 照片合格")],
            [("审查意见", "☐ 同意报考　　☐ 不同意报考，原因：")],
            [
                (
                    "鉴定指导中心审核意见",
                    "（第二十条(一)）☐ 审核通过　☐ 不通过，原因：　　　审核人：　　　（盖章）　　年　　月　　日",
                )
            ],
        ],
    )


def schedule(doc: Document) -> None:
    fields(
        doc,
        [
            [("鉴定批次", "{{ data.round.code }} {{ data.round.name }}")],
            [("理论考试", "{{ data.round.theory_at }}（{{ data.round.theory_minutes }} 分钟）")],
            [("实操考核", "{{ data.round.practical_at }}（{{ data.round.practical_minutes }} 分钟）")],
            [("考生总数", "{{ data.total }} 人")],
        ],
    )
    _para(doc, "一、工种与等级", size=12, bold=True, font=HEAD_FONT)
    rows_table(
        doc,
        ["工种", "等级", "人数", "其中补考"],
        ["{{ r.occupation }}", "{{ r.level }}", "{{ r.count }}", "{{ r.retakes }}"],
        "data.groups",
    )
    _para(doc, "二、考场与场次", size=12, bold=True, font=HEAD_FONT)
    rows_table(
        doc,
        ["考场", "类别", "场次", "时间", "工种", "等级", "人数"],
        [
            "{{ r.room }}",
            "{{ r.kind }}",
            "第{{ r.sitting }}场",
            "{{ r.starts }}–{{ r.ends }}",
            "{{ r.occupation }}",
            "{{ r.levels }}",
            "{{ r.count }}",
        ],
        "data.sittings",
    )


STAFF = "{% for s in data.staff %}{{ s.name }}（{{ s.duty }}）{% if not loop.last %}、{% endif %}{% endfor %}"


def seating_plan(doc: Document) -> None:
    fields(
        doc,
        [
            [("考场场次", "{{ data.label }}"), ("地点", "{{ data.location }}")],
            [("时间", "{{ data.starts }} — {{ data.ends }}"), ("应到人数", "{{ data.expected }}")],
            [("工种", "{{ data.occupation }}"), ("等级", "{{ data.levels }}")],
            [("工作人员", STAFF)],
            [("工位随机种子", "{{ data.seed }}")],
        ],
    )
    rows_table(
        doc,
        ["工位", "准考证号", "姓名", "身份证号", "等级", "班级/单位"],
        [
            "{{ r.workstation }}",
            "{{ r.ticket_number }}",
            "{{ r.name }}",
            "{{ r.id_number }}",
            "{{ r.level }}",
            "{{ r.group }}",
        ],
        "data.rows",
    )


def staff_assignment(doc: Document) -> None:
    _para(doc, "一、考场与人员", size=12, bold=True, font=HEAD_FONT)
    rows_table(
        doc,
        ["考场场次", "类别", "开始时间", "工种", "工作人员"],
        ["{{ r.label }}", "{{ r.kind }}", "{{ r.starts }}", "{{ r.occupation }}", "{{ r.staff }}"],
        "data.rows",
    )
    _para(
        doc,
        "二、回避声明（第十条(四)、第十九条(七)）："
        "本人与所负责考场的考生无亲属、师生、师徒关系；有者已如实申报并回避。",
        size=10,
    )
    rows_table(
        doc,
        ["姓名", "胸卡编号", "岗位", "已申报回避", "本人签名"],
        ["{{ r.name }}", "{{ r.badge }}", "{{ r.duties }}", "{{ r.recusals }}", ""],
        "data.people",
    )


def room_record(doc: Document) -> None:
    fields(
        doc,
        [
            [("考场场次", "{{ data.label }}"), ("类别", "{{ data.kind }}")],
            [("时间", "{{ data.starts }} — {{ data.ends }}"), ("地点", "{{ data.location }}")],
            [("应到人数", "{{ data.expected }}"), ("实到人数", "")],
            [("缺考人数", ""), ("缺考准考证号", "")],
            [("试卷当众拆封", "☐ 已当众拆封，密封完好　拆封人：")],
            [("违纪情况", "")],
            [("设备异常", "")],
            [("工作人员", STAFF)],
        ],
    )
    _para(doc, "考场工作人员签名（逐人）", size=12, bold=True, font=HEAD_FONT)
    rows_table(
        doc, ["职责", "姓名", "胸卡编号", "签名"], ["{{ r.duty }}", "{{ r.name }}", "{{ r.badge }}", ""], "data.staff"
    )


def paper_receipt(doc: Document) -> None:
    fields(
        doc,
        [
            [("考场场次", "{{ data.label }}"), ("考试时间", "{{ data.starts }}")],
            [("袋数", "　　袋"), ("份数", "{{ data.copies }} 份")],
            [("密封检查", "☐ 密封完好　☐ 有异常：")],
            [("领取时间", "　　年　　月　　日　　时　　分")],
            [("交方", "{{ data.custodians | join('、') }}"), ("接方", "{{ data.receivers | join('、') }}")],
        ],
    )


def report(doc: Document) -> None:
    fields(
        doc,
        [
            [("鉴定批次", "{{ data.round.code }} {{ data.round.name }}")],
            [("理论考试", "{{ data.round.theory_on }}"), ("实操考核", "{{ data.round.practical_on }}")],
            [("应考", "{{ data.total.expected }} 人"), ("实考", "{{ data.total.sat }} 人")],
            [("合格", "{{ data.total.passed }} 人"), ("合格率", "{{ data.total_rate }}")],
        ],
    )
    _para(doc, "{{ data.guidance_centre or '鉴定指导中心' }}：")
    _para(
        doc,
        "{{ station.name }}于{{ data.round.theory_on }}组织理论考试、{{ data.round.practical_on }}组织实操考核"
        "（{{ data.round.name }}），鉴定职业（工种）：{{ data.occupations | join('、') }}。"
        "本批次应考 {{ data.total.expected }} 人"
        "（其中补考 {{ data.retakes }} 人），实考 {{ data.total.sat }} 人，缺考 {{ data.total.absent }} 人；"
        "合格 {{ data.total.passed }} 人，"
        "不合格 {{ data.total.failed }} 人，总合格率 {{ data.total_rate }}。成绩于{{ data.round.recorded_on }}登录。",
    )
    _para(doc, "一、各工种等级鉴定结果", size=12, bold=True, font=HEAD_FONT)
    rows_table(
        doc,
        ["工种", "等级", "应考", "实考", "缺考", "合格", "不合格", "合格率"],
        [
            "{{ r.occupation }}",
            "{{ r.level_zh }}",
            "{{ r.expected }}",
            "{{ r.sat }}",
            "{{ r.absent }}",
            "{{ r.passed }}",
            "{{ r.failed }}",
            "{{ r.pass_rate_text }}",
        ],
        "data.groups",
    )
    _para(doc, "{{ chart }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "二、缺考人员", size=12, bold=True, font=HEAD_FONT)
    rows_table(
        doc,
        ["姓名", "准考证号", "工种", "等级", "缺考科目"],
        ["{{ r.name }}", "{{ r.ticket_number }}", "{{ r.occupation }}", "{{ r.level_zh }}", "{{ r.parts }}"],
        "data.absentees",
    )
    _para(doc, "三、考场情况", size=12, bold=True, font=HEAD_FONT)
    _para(doc, "{% for t in data.incidents %}{{ loop.index }}. {{ t }}　{% else %}无异常情况。{% endfor %}")
    _para(doc, "四、对考评小组的评价", size=12, bold=True, font=HEAD_FONT)
    _para(doc, "{{ data.evaluation }}")


def destruction_register(doc: Document) -> None:
    _para(
        doc,
        "销毁批次：{{ data.batch }}　截至 {{ data.as_of }}　共 {{ data.rows | length }} 件，"
        "{% if data.executed %}已销毁{% else %}拟销毁{% endif %} {{ data.count }} 件 {{ data.total_pages }} 页"
        "{% if data.struck %}（划去 {{ data.struck }} 件）{% endif %}",
        size=10,
    )
    rows_table(
        doc,
        ["序号", "档号", "题名", "年度", "应保管期限", "已保管期限", "页数", "鉴定意见", "备注"],
        [
            "{{ r.number }}",
            "{{ r.archival_code }}",
            "{{ r.title }}",
            "{{ r.year }}",
            "{{ r.retention }}",
            "{{ r.elapsed }}",
            "{{ r.pages }}",
            "{{ r.opinion }}",
            "{{ r.note }}",
        ],
        "data.rows",
    )
    fields(
        doc,
        [
            [("鉴定意见", "{{ data.opinion }}")],
            [("销毁方式", "☐ 粉碎　☐ 焚毁　☐ 电子文件彻底删除　　销毁地点：")],
            [
                (
                    "销毁时间",
                    "{% if data.executed %}{{ data.executed_at }}　执行人：{{ data.executed_by }}"
                    "　监销人：{{ data.witness_names }}{% else %}　　年　　月　　日{% endif %}",
                )
            ],
        ],
    )
    _para(doc, "签名（编制人、批准人、两名监销人）", size=12, bold=True, font=HEAD_FONT)
    rows_table(
        doc, ["签名项", "姓名", "签名", "日期"], ["{{ r.role }}", "{{ r.name }}", "", "{{ r.date }}"], "data.signers"
    )
    _para(
        doc,
        "{% if data.audit_line %}审计链锚点（出具时）：第 {{ data.audit_seq }} 条，哈希 {{ data.audit_short }}"
        "（{{ data.audit_line }}）{% endif %}",
        size=8,
    )


def four_properties_report(doc: Document) -> None:
    _para(
        doc,
        "检测范围：{{ data.scope }}　检测时间：{{ data.at }}　档案 {{ data.item_count }} 件，文件 {{ data.files }} 个"
        "（{{ data.megabytes }} MB），审计记录 {{ data.audit_entries }} 条",
        size=10,
    )
    rows_table(
        doc,
        ["序号", "性质", "检测项目", "对象", "结果", "说明"],
        ["{{ r.number }}", "{{ r.property }}", "{{ r.name }}", "{{ r.object }}", "{{ r.result }}", "{{ r.note }}"],
        "data.rows",
    )
    fields(
        doc,
        [
            [("检测结论", "{{ data.conclusion }}")],
            [("PDF/A 已证明", "{{ data.pdfa_proven }}")],
            [("PDF/A 未证明", "{{ data.pdfa_not_proven }}")],
        ],
    )
    _para(doc, "问题清单（共 {{ data.findings_total }} 处）", size=12, bold=True, font=HEAD_FONT)
    rows_table(
        doc,
        ["序号", "对象", "问题", "处理意见"],
        ["{{ r.number }}", "{{ r.where }}", "{{ r.message_zh }}", "{{ r.action_zh }}"],
        "data.findings",
    )
    _para(
        doc,
        "{% if data.audit_line %}审计链锚点（出具时）：第 {{ data.audit_seq }} 条，哈希 {{ data.audit_short }}"
        "（{{ data.audit_line }}）{% endif %}",
        size=8,
    )


def _heading(doc: Document, text: str) -> None:
    _para(doc, text, size=12, bold=True, font=HEAD_FONT)


def yearly_statistics(doc: Document) -> None:
    _para(doc, "统计年度：{{ data.year }}年1月1日至12月31日　单位：件、页", size=10)
    _heading(doc, "一、馆藏总量")
    fields(
        doc,
        [
            [
                ("年初馆藏", "{{ data.opening['items'] }} 件 {{ data.opening.pages }} 页"),
                ("本年接收", "{{ data.received['items'] }} 件 {{ data.received.pages }} 页"),
            ],
            [
                ("本年销毁", "{{ data.removed['items'] }} 件 {{ data.removed.pages }} 页"),
                ("年末馆藏", "{{ data.closing['items'] }} 件 {{ data.closing.pages }} 页"),
            ],
        ],
    )
    _heading(doc, "二、年末馆藏（按年度、保管期限、类别）")
    rows_table(
        doc,
        ["年度", "保管期限", "类别", "件数", "页数"],
        ["{{ r.year }}", "{{ r.retention_zh }}", "{{ r.category_zh }}", "{{ r['items'] }}", "{{ r.pages }}"],
        "data.holdings",
    )
    _para(doc, "合计 {{ data.closing['items'] }} 件 {{ data.closing.pages }} 页", size=10)
    _para(doc, "{{ chart_holdings }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _heading(doc, "三、本年接收与销毁（按类别、保管期限）")
    rows_table(
        doc,
        ["类别", "保管期限", "接收件数", "接收页数", "销毁件数", "销毁页数"],
        [
            "{{ r.category_zh }}",
            "{{ r.retention_zh }}",
            "{{ r.received_items }}",
            "{{ r.received_pages }}",
            "{{ r.removed_items }}",
            "{{ r.removed_pages }}",
        ],
        "data.flow",
    )
    _para(doc, "{{ chart_flow }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _heading(doc, "四、档案借阅利用")
    _para(
        doc,
        "本年借出 {{ data.loans.visits }} 人次、{{ data.loans['items'] }} 件次，其中复印 {{ data.loans.copies }} 件次；"
        "未获批准的申请 {{ data.loans.refused }} 次。",
    )
    rows_table(
        doc,
        ["利用目的", "人次", "件次"],
        ["{{ r.purpose }}", "{{ r.visits }}", "{{ r['items'] }}"],
        "data.loans.by_purpose",
    )
    _heading(doc, "五、各批次表单生成与归档")
    _para(
        doc,
        "本年 {{ data.rounds }} 个鉴定批次，须交回归档的表单生成 {{ data.forms_total.generated }} 份，已归档 "
        "{{ data.forms_total.filed }} 份，未交回 {{ data.forms_total.outstanding }} 份（重印作废 "
        "{{ data.forms_total.superseded }} 份不计）。",
    )
    rows_table(
        doc,
        ["鉴定批次", "表单", "生成", "已归档", "未交回", "重印作废"],
        [
            "{{ r.round }}",
            "{{ r.form_zh }}",
            "{{ r.generated }}",
            "{{ r.filed }}",
            "{{ r.outstanding }}",
            "{{ r.superseded }}",
        ],
        "data.forms",
    )
    _para(doc, "{{ chart_forms }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(
        doc,
        "口径：年末馆藏为次年1月1日零时前已归档且未销毁的档案；借阅按借出时间计，一人一日借出多件计 1 人次；"
        "表单只计须交回归档的表单。",
        size=9,
    )


SIGNED_IN_BODY = {"destruction-register"}  # prints its signers (with names when known) in the body

BODIES = {
    "registration": registration,
    "schedule": schedule,
    "seating-plan": seating_plan,
    "staff-assignment": staff_assignment,
    "room-record": room_record,
    "paper-receipt": paper_receipt,
    "report": report,
    "destruction-register": destruction_register,
    "four-properties-report": four_properties_report,
    "yearly-statistics": yearly_statistics,
}


def build(folder: Path = HERE, keys: list[str] | None = None) -> list[Path]:
    """Write every editable form's DOCX template (or those of keys) into folder."""
    written = []
    for key, body in BODIES.items():
        if keys and key not in keys:
            continue
        doc = new_document(key)
        body(doc)
        if key not in SIGNED_IN_BODY:
            signatures(doc, key)
        path = folder / FORMS[key].docx
        doc.save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for built in build(keys=sys.argv[1:] or None):  # build.py [form …]: only those
        print(built.name)
