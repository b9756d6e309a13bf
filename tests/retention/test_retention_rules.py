"""Pure retention rules: the three clocks, due dates, blockers (no database)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from pipeline.archive.retention import ItemState, add_years, blockers, due_date, elapsed_zh, rules_changes, rules_digest
from pipeline.core.config import get_config

CLASSES = get_config().retention
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))


def test_next_year_clock_starts_on_1_january_after_the_document_year():
    assert due_date(CLASSES["service-records"], dt.date(2026, 12, 31)) == (dt.date(2027, 1, 1), dt.date(2037, 1, 1))
    assert due_date(CLASSES["service-records"], dt.date(2026, 1, 1)) == (dt.date(2027, 1, 1), dt.date(2037, 1, 1))


def test_exam_papers_count_three_years_from_scores_recorded_and_wait_until_then():
    papers = CLASSES["exam-papers"]
    assert due_date(papers, dt.date(2026, 12, 5), dt.date(2026, 12, 20)) == (dt.date(2026, 12, 20),
                                                                            dt.date(2029, 12, 20))
    assert due_date(papers, dt.date(2026, 12, 5), None) == (None, None)


def test_permanent_classes_have_no_due_date():
    assert due_date(CLASSES["long-term"], dt.date(2020, 3, 1)) == (dt.date(2020, 3, 1), None)


@given(dates, dates)
def test_due_is_whole_years_after_the_clock_start_never_earlier(doc, recorded):
    for cls in CLASSES.values():
        start, due = due_date(cls, doc, recorded)
        if cls.permanent:
            assert due is None
            continue
        assert start == {"document-date": doc, "next-year": dt.date(doc.year + 1, 1, 1),
                         "scores-recorded": recorded}[cls.clock.value]
        assert due.year == start.year + cls.years and due > start
        assert due.month == start.month and due.day in (start.day, 28)


@given(dates)
def test_add_years_handles_29_february(day):
    later = add_years(day, 3)
    assert later.year == day.year + 3 and (later.month, later.day) in ((day.month, day.day), (2, 28))


@given(due=st.one_of(st.none(), dates), as_of=dates, permanent=st.booleans(), held=st.booleans(),
       lent=st.booleans())
def test_an_item_is_destroyable_only_when_due_unheld_unlent_and_not_permanent(due, as_of, permanent, held, lent):
    item = ItemState("J118-WS·2020-D3-SJ-0001", permanent, due, ("#1 争议",) if held else (),
                     ("#2 张三（借出）",) if lent else ())
    codes = {b.code for b in blockers(item, as_of)}
    destroyable = not permanent and due is not None and due <= as_of and not held and not lent
    assert (not codes) == destroyable
    assert ("held" in codes) == held and ("on_loan" in codes) == lent


def test_blocker_messages_name_the_item_and_the_reason():
    item = ItemState("J118-WS·2020-D3-SJ-0001", False, dt.date(2030, 1, 1), ("#3 劳动争议",))
    text = " ".join(b.message_zh for b in blockers(item, dt.date(2026, 1, 1)))
    assert "J118-WS·2020-D3-SJ-0001" in text and "2030-01-01" in text and "劳动争议" in text


def test_elapsed_period_in_years_and_months():
    assert elapsed_zh(dt.date(2020, 1, 1), dt.date(2030, 1, 1)) == "10年"
    assert elapsed_zh(dt.date(2020, 1, 15), dt.date(2023, 3, 14)) == "3年1个月"


def test_rule_change_is_seen_with_old_and_new_values():
    digest, content = rules_digest(CLASSES)
    changed = {**CLASSES, "exam-papers": CLASSES["exam-papers"].model_copy(update={"years": 5, "code": "D5"})}
    digest2, content2 = rules_digest(changed)
    assert digest != digest2
    [change] = rules_changes(content, content2)
    assert change["class"] == "exam-papers" and change["fields"] == ["code", "years"]
    assert change["old"]["years"] == 3 and change["new"]["years"] == 5
