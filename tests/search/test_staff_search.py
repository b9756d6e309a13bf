"""Searching as staff do: filters without words, room and round records under every occupation they
cover, a 档号 typed with "-" / "." / full width, and an Excel export masked like the screen."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook

from pipeline.catalog.models import ArchiveItem, Candidate, FormInstance, Room, SeatAssignment
from pipeline.cli.main import main
from pipeline.core.domain import new_instance_code
from pipeline.ingest.flow import ingest_once
from tests.ingest.test_flow import drop, fast_config, form_pages, id_number, make_round, stack_bytes

pytestmark = pytest.mark.django_db


def _candidate(round_, serial: int, occupation: str, level: int) -> Candidate:
    return Candidate.objects.create(round=round_, name=f"考生{serial}", id_number=id_number(serial), gender="男",
                                    birth_date=dt.date(1990, 1, 1), phone="13800000000", occupation=occupation,
                                    level=level, ticket_number=f"T{serial:04d}")


def _instance(round_, form: str, subject: str, title: str, *, category: str, candidate: Candidate | None = None):
    return FormInstance.objects.create(
        code=new_instance_code(), form=form, round=round_, subject=subject, subject_label=title, title=title,
        pages=1, retention_class="exam-affairs" if category == "KW" else "long-term", category=category,
        doc_date=dt.date(2026, 12, 5), data={"title": title, **({"name": candidate.name} if candidate else {})})


@pytest.fixture
def filed_round(data_root, tmp_path):
    """A theory room shared by 电工四级 and 焊工五级 candidates; its room record, the round's report and one
    candidate's registration form scanned and filed."""
    round_ = make_round()
    room = Room.objects.create(code="T1", name="理论一室", kind="theory", capacity=30)
    people = [_candidate(round_, 1, "电工", 4), _candidate(round_, 2, "焊工", 5), _candidate(round_, 3, "焊工", 5)]
    for number, person in enumerate(people, 1):
        SeatAssignment.objects.create(round=round_, candidate=person, room=room, sitting=1, workstation=f"{number:02d}")
    forms = [_instance(round_, "room-record", "T1@theory-1", "2026-12 理论一室 第1场 考场情况记录表", category="KW"),
             _instance(round_, "report", round_.code, "2026-12 职业技能鉴定报告", category="CJ"),
             _instance(round_, "registration", people[1].id_number, "2026-12 焊工五级 考生2 报名登记表",
                       category="KW", candidate=people[1])]
    for number, instance in enumerate(forms):
        drop(data_root.inbox / f"scan{number}.pdf", stack_bytes(form_pages(instance), tmp_path, f"s{number}.pdf"))
    ingest_once(paths=data_root, config=fast_config(0))
    assert ArchiveItem.objects.count() == 3
    return {instance.form: ArchiveItem.objects.get(form_instance=instance) for instance in forms}


def _hits(capsys, *args) -> list[dict]:
    assert main(["search", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["hits"]


def test_filters_alone_find_room_and_round_records_under_each_occupation_they_cover(filed_round, capsys):
    electric = {h["archival_code"] for h in _hits(capsys, "--occupation", "电工", "--year", "2026")}
    assert electric == {filed_round["room-record"].archival_code, filed_round["report"].archival_code}
    welding = {h["archival_code"] for h in _hits(capsys, "--occupation", "焊工", "--level", "五级")}
    assert welding == {item.archival_code for item in filed_round.values()}
    assert _hits(capsys, "--occupation", "育婴员") == []
    assert main(["search", "--occupation", "电工", "--year", "2026"]) == 0   # on the terminal too, no "Missing argument"
    out = capsys.readouterr().out
    assert "找到 2 条" in out and filed_round["room-record"].archival_code in out


@pytest.mark.parametrize("typed", ["{fonds}-WS-{rest}", "{fonds}-WS.{rest}", "{fonds}-ws·{rest}", "FULLWIDTH"])
def test_archival_code_typed_loosely_is_found_by_search_and_show(filed_round, capsys, typed):
    code = filed_round["room-record"].archival_code      # an open record: `show` needs no user
    fonds, _, rest = code.partition("-WS·")
    text = typed.format(fonds=fonds, rest=rest.lower() if "ws" in typed else rest)
    if typed == "FULLWIDTH":
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in code.replace("·", "."))
    assert [h["archival_code"] for h in _hits(capsys, text)][:1] == [code]
    assert main(["show", text, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["archival_code"] == code


def test_results_export_to_excel_with_id_numbers_masked_as_on_screen(filed_round, capsys, tmp_path):
    target = tmp_path / "结果.xlsx"
    assert main(["search", "--occupation", "焊工", "--xlsx", str(target)]) == 0
    assert "已导出 3 条" in capsys.readouterr().out
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    header, body = rows[1], rows[2:]
    assert header[:3] == ("序号", "档号", "题名") and len(body) == 3
    cells = " ".join(str(c) for row in body for c in row if c)
    assert filed_round["registration"].archival_code in cells
    assert id_number(2) not in cells and id_number(2)[:6] + "********" in cells


def test_both_engines_match_every_occupation_and_level_of_a_room_record(backend, data_root):
    from pipeline import search as search_api
    from pipeline.search import SearchFilters
    from tests.search.conftest import _item, write_item
    meta = _item("J118-WS·2026-D10-KW-0003", "2026-12 理论一室 第1场 考场情况记录表", "考场情况记录表 理论一室",
                 "2026-12-05", form="room-record", round_code="2026-12")
    meta.update(occupations=["电工", "焊工"], levels=[4, 5])
    write_item(data_root.archive, meta)
    search_api.index_items([meta])
    for occupation, level in (("电工", 4), ("焊工", 5), ("电工", None)):
        result = search_api.search("", SearchFilters(occupation=occupation, level=level, year=2026))
        assert [h.archival_code for h in result.hits] == ["J118-WS·2026-D10-KW-0003"], (backend, occupation)
    assert search_api.search("", SearchFilters(occupation="育婴员")).hits == []
