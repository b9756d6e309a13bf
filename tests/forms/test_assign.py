"""The seating and staffing solver (pipeline/exams/assign/planner.py): pure, no database."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.core.domain import id_check_digit
from pipeline.core.errors import BadInput, Conflict
from pipeline.exams.assign.planner import (
    CHIEF,
    EXAM_AFFAIRS,
    EXAMINER,
    INVIGILATOR,
    PRACTICAL,
    THEORY,
    CandidateIn,
    Plan,
    Problem,
    Ratio,
    RecusalIn,
    RoomIn,
    StaffIn,
    Timing,
    make_plan,
)

TIMING = Timing(dt.datetime(2026, 12, 5, 9), 90, dt.datetime(2026, 12, 6, 9), 120)


def id_number(n: int) -> str:
    first = f"35020019900101{n:03d}"
    return first + id_check_digit(first)


def candidates(n: int, occupations=("电工", "焊工"), classes=3) -> tuple[CandidateIn, ...]:
    return tuple(CandidateIn(id_number(i), f"考生{i:03d}", occupations[i % len(occupations)],
                             class_name=f"2024级{i % classes}班") for i in range(n))


def staff(examiners=6, invigilators=4, affairs=2, chiefs=(0, 3), occupations=("电工", "焊工")):
    people = []
    for i in range(examiners):
        roles = {"examiner"} | ({"chief_examiner"} if i in chiefs else set())
        people.append(StaffIn(f"E{i}", f"考评员{i}", frozenset(roles), occupations))
    people += [StaffIn(f"I{i}", f"监考{i}", frozenset({"invigilator"})) for i in range(invigilators)]
    people += [StaffIn(f"A{i}", f"考务{i}", frozenset({"exam_affairs"})) for i in range(affairs)]
    return tuple(people)


ROOMS = (RoomIn("T1", "理论一室", THEORY, 40), RoomIn("T2", "理论二室", THEORY, 40),
         RoomIn("P1", "实操一室", PRACTICAL, 10, ("电工",), tuple(f"A{n}" for n in range(1, 13))),
         RoomIn("P2", "实操二室", PRACTICAL, 12))
RATIOS = {"电工": Ratio(3, 2), "焊工": Ratio(3, 2)}


def problem(n=60, people=None, recusals=(), rooms=ROOMS, **kw) -> Problem:
    return Problem(candidates(n, **kw), rooms, people or staff(), tuple(recusals), RATIOS, TIMING)


def check_plan(p: Problem, plan: Plan) -> None:
    """Every rule a station would check by hand on the printed plan."""
    rooms = {r.code: r for r in p.rooms}
    by_kind = defaultdict(Counter)
    for seat in plan.seats:
        by_kind[seat.kind][seat.candidate_key] += 1
    for kind in (THEORY, PRACTICAL):
        assert by_kind[kind] == Counter({c.key: 1 for c in p.candidates}), f"{kind}: not seated exactly once"
    load = Counter((s.kind, s.room_code, s.sitting) for s in plan.seats)
    for (_kind, room, _sitting), n in load.items():
        assert n <= rooms[room].capacity
    places = Counter((s.room_code, s.sitting, s.place) for s in plan.seats)
    assert max(places.values()) == 1, "two candidates on one workstation"
    for seat in plan.seats:
        assert seat.place in rooms[seat.room_code].places()
    occupation = {c.key: c.occupation for c in p.candidates}
    sitting_of = {(s.kind, s.room_code, s.index): s for s in plan.sittings}
    for seat in plan.seats:
        if seat.kind == PRACTICAL:
            assert occupation[seat.candidate_key] == sitting_of[PRACTICAL, seat.room_code, seat.sitting].occupation
    people = {s.key: s for s in p.staff}
    in_room = defaultdict(set)
    for seat in plan.seats:
        in_room[seat.kind, seat.room_code, seat.sitting].add(seat.candidate_key)
    staffed = defaultdict(Counter)
    for duty in plan.duties:
        staffed[duty.kind, duty.room_code, duty.sitting][duty.duty] += 1
        sitting = sitting_of[duty.kind, duty.room_code, duty.sitting]
        if duty.duty in (EXAMINER, CHIEF):
            assert sitting.occupation in people[duty.staff_key].occupations
    for key, sitting in sitting_of.items():
        need = max(p.ratio(o).invigilators for o in occupation.values())
        if sitting.kind == THEORY:
            assert staffed[key][INVIGILATOR] == need
        else:
            assert staffed[key][EXAMINER] + staffed[key][CHIEF] == p.ratio(sitting.occupation).examiners
            assert staffed[key][CHIEF] <= 1
        assert staffed[key][EXAM_AFFAIRS] <= 1
    for r in p.recusals:
        for duty in plan.duties:
            if duty.staff_key == r.staff_key:
                assert r.candidate_key not in in_room[duty.kind, duty.room_code, duty.sitting], \
                    f"{r.staff_key} sits with recused candidate {r.candidate_key}"
    by_person = defaultdict(list)
    for duty in plan.duties:
        s = sitting_of[duty.kind, duty.room_code, duty.sitting]
        by_person[duty.staff_key].append((s.starts_at, s.ends_at))
    for spans in by_person.values():
        spans.sort()
        for (_a0, a1), (b0, _b1) in itertools.pairwise(spans):
            assert b0 >= a1, "one person in two rooms at the same time"


def test_every_candidate_seated_once_within_capacity_and_rooms_staffed():
    p = problem()
    plan = make_plan(p, seed=7)
    check_plan(p, plan)
    practical = [s for s in plan.sittings if s.kind == PRACTICAL]
    # 30 电工 fit only 实操一室 (10 places): three sittings; 30 焊工 in 实操二室 (12): three sittings
    assert max(s.index for s in practical) == 3
    assert practical[1].starts_at - practical[0].starts_at in (dt.timedelta(0), dt.timedelta(minutes=150))
    assert {s.starts_at for s in practical} == {dt.datetime(2026, 12, 6, 9) + k * dt.timedelta(minutes=150)
                                                 for k in range(3)}


def test_same_seed_same_plan_and_the_seed_is_kept():
    p = problem()
    first, again, other = make_plan(p, seed=20261205), make_plan(p, seed=20261205), make_plan(p, seed=3)
    assert first == again
    assert first.seed == 20261205
    assert first.seats != other.seats
    drawn = make_plan(p)
    assert make_plan(p, seed=drawn.seed) == drawn


def test_same_class_candidates_are_not_neighbours_and_are_spread():
    p = problem(36, occupations=("焊工",), classes=2)
    plan = make_plan(p, seed=1)
    cls = {c.key: c.class_name for c in p.candidates}
    room = next(r for r in p.rooms if r.code == "P2")
    order = {place: i for i, place in enumerate(room.places())}
    rows = defaultdict(list)
    for seat in plan.seats:
        if seat.kind == PRACTICAL:
            rows[seat.sitting].append((order[seat.place], cls[seat.candidate_key]))
    for row in rows.values():
        row.sort()
        assert all(a[1] != b[1] for a, b in itertools.pairwise(row) if b[0] - a[0] == 1)
        assert max(Counter(c for _pos, c in row).values()) <= 6   # 18 per class over three sittings
    assert not [w for w in plan.warnings if "相邻" in w]


def test_workstation_numbers_come_from_the_room_and_half_full_rooms_leave_gaps():
    p = problem(5, occupations=("电工",))
    plan = make_plan(p, seed=2)
    places = sorted((s.place for s in plan.seats if s.kind == PRACTICAL), key=lambda t: int(t[1:]))
    assert places == ["A1", "A3", "A5", "A7", "A9"]


def test_recusal_that_cannot_be_met_names_the_examiner_the_candidate_and_the_relation():
    people = (StaffIn("E1", "王强", frozenset({"examiner"}), ("电工",)),
              StaffIn("E2", "李明", frozenset({"examiner"}), ("电工",)),
              StaffIn("E3", "赵刚", frozenset({"chief_examiner"}), ("电工",))) + staff(0, 4, 1)
    p = Problem((CandidateIn(id_number(1), "张三", "电工"), CandidateIn(id_number(2), "李四", "电工")),
                ROOMS, people, (RecusalIn("E1", id_number(1), "apprentice"),), RATIOS, TIMING)
    with pytest.raises(Conflict) as caught:
        make_plan(p, seed=1)
    message = caught.value.message_zh
    for word in ("电工", "3 名考评员", "王强", "张三", "师徒", id_number(1)[:4]):
        assert word in message


def test_two_recusals_in_one_room_are_solved_by_another_sitting():
    people = tuple(StaffIn(f"E{i}", f"考评员{i}", frozenset({"examiner"}), ("电工",)) for i in range(4)) \
        + staff(0, 4, 1)
    cands = candidates(2, occupations=("电工",))
    recusals = (RecusalIn("E0", cands[0].key, "relative"), RecusalIn("E1", cands[1].key, "student"))
    p = Problem(cands, ROOMS, people, recusals, RATIOS, TIMING)
    plan = make_plan(p, seed=5)
    check_plan(p, plan)
    sittings = {s.candidate_key: s.sitting for s in plan.seats if s.kind == PRACTICAL}
    assert sittings[cands[0].key] != sittings[cands[1].key]


def test_solver_infeasibility_names_the_people_in_the_conflict():
    # two theory rooms × 2 invigilators = 4 people, exactly 4 invigilators; 监考0 recuses both candidates
    rooms = (RoomIn("T1", "理论一室", THEORY, 1), RoomIn("T2", "理论二室", THEORY, 1),
             RoomIn("P2", "实操二室", PRACTICAL, 12))
    cands = candidates(2, occupations=("电工",))
    recusals = (RecusalIn("I0", cands[0].key, "relative"), RecusalIn("I0", cands[1].key, "relative"))
    p = Problem(cands, rooms, staff(3, 4, 0), recusals, RATIOS, TIMING)
    with pytest.raises(Conflict) as caught:
        make_plan(p, seed=1)
    message = caught.value.message_zh
    assert "监考0" in message and "考生000" in message and "考生001" in message and "亲属" in message
    assert len(caught.value.problems) == 2


def test_too_few_certified_examiners_names_who_is_certified():
    people = staff(2, 4, 1)
    with pytest.raises(Conflict) as caught:
        make_plan(problem(4, people=people), seed=1)
    assert "考评员0" in caught.value.message_zh and "考评员1" in caught.value.message_zh
    assert "examiners_per_room" in caught.value.message_zh


def test_no_room_for_an_occupation_and_too_few_theory_seats_are_bad_input():
    with pytest.raises(BadInput, match="育婴员"):
        make_plan(problem(3, occupations=("育婴员",), people=staff(occupations=("育婴员",)), rooms=ROOMS[:3]),
                  seed=1)
    with pytest.raises(BadInput) as caught:
        make_plan(problem(90), seed=1)
    assert "90 名考生" in caught.value.message_zh and "80 个座位" in caught.value.message_zh


def test_no_two_practical_rooms_at_once_when_examiners_suffice_for_one():
    people = staff(3, 4, 1, occupations=("电工",))
    rooms = ROOMS + (RoomIn("P3", "实操三室", PRACTICAL, 10, ("电工",)),)
    p = problem(25, people=people, rooms=rooms, occupations=("电工",))
    plan = make_plan(p, seed=4)
    check_plan(p, plan)
    per_sitting = Counter(s.index for s in plan.sittings if s.kind == PRACTICAL)
    assert set(per_sitting.values()) == {1}


@st.composite
def small_problems(draw):
    n = draw(st.integers(1, 8))
    occs = draw(st.sampled_from([("电工",), ("电工", "焊工")]))
    cands = tuple(CandidateIn(id_number(i), f"考生{i}", occs[i % len(occs)],
                              class_name=draw(st.sampled_from(["", "一班", "二班"]))) for i in range(n))
    rooms = (RoomIn("T1", "理论一室", THEORY, draw(st.integers(4, 8))),
             RoomIn("T2", "理论二室", THEORY, draw(st.integers(1, 4))),
             RoomIn("P1", "实操一室", PRACTICAL, draw(st.integers(1, 4)), ("电工",)),
             RoomIn("P2", "实操二室", PRACTICAL, draw(st.integers(1, 4))))
    people = []
    for i in range(draw(st.integers(3, 8))):
        roles = frozenset(draw(st.sets(st.sampled_from(["examiner", "chief_examiner", "invigilator"]), min_size=1)))
        people.append(StaffIn(f"S{i}", f"人员{i}", roles, tuple(draw(st.sets(st.sampled_from(occs), min_size=1)))))
    pairs = draw(st.sets(st.tuples(st.integers(0, len(people) - 1), st.integers(0, n - 1)), max_size=4))
    recusals = tuple(RecusalIn(f"S{s}", id_number(c), "relative") for s, c in sorted(pairs))
    return Problem(cands, rooms, tuple(people), recusals, {o: Ratio(2, 1) for o in occs}, TIMING)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.integers(0, 1000))
def test_property_a_plan_never_breaks_a_recusal_and_a_refusal_names_someone(p, seed):
    try:
        plan = make_plan(p, seed=seed)
    except (Conflict, BadInput) as exc:
        event(f"refused: {exc.code}")
        if exc.code == "recusal_unsatisfiable":
            staff_named = [s.name for s in p.staff if s.name in exc.message_zh]
            cands_named = [c.name for c in p.candidates if c.name in exc.message_zh]
            assert staff_named and cands_named, exc.message_zh
        else:
            assert exc.code in SHORTAGES, exc.code
        return
    event(f"planned, recusals: {len(p.recusals)}")
    check_plan(p, plan)


SHORTAGES = {"examiners_short", "invigilators_short", "staff_short", "theory_capacity"}
