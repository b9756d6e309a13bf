"""Benchmark pipeline.exams.assign.planner.make_plan (layout + CP-SAT) against a greedy pass over the same layout.

The baseline seats candidates round-robin into the layout's groups and takes the first eligible staff,
with no recusal, spread or overlap reasoning: it is what a solver-free pass would cost. Also counts
same-class neighbours in both. Run: .venv/bin/python bench/assign_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.core.domain import id_check_digit  # noqa: E402
from pipeline.exams.assign import planner as assign  # noqa: E402

OCCUPATIONS = ("电工", "焊工", "育婴员")


def problem(n: int) -> assign.Problem:
    """n candidates over three occupations and 8 classes; rooms and staff sized like a busy station."""
    cands = []
    for i in range(n):
        first = f"3502001990{i // 28 % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}"
        cands.append(assign.CandidateIn(first + id_check_digit(first), f"考生{i}", OCCUPATIONS[i % 3],
                                        class_name=f"班{i // 90}", employer=f"单位{i % 5}" if i % 4 == 0 else ""))
    theory_rooms = max(2, -(-n // 40))
    rooms = [assign.RoomIn(f"T{k}", f"理论{k}室", assign.THEORY, 40) for k in range(theory_rooms)]
    rooms += [assign.RoomIn(f"P{k}", f"实操{k}室", assign.PRACTICAL, 16, (OCCUPATIONS[k % 3],),
                            tuple(f"{k}-{w:02d}" for w in range(1, 17))) for k in range(6)]
    staff = [assign.StaffIn(f"E{k}", f"考评员{k}",
                            frozenset({"examiner"} | ({"chief_examiner"} if k % 4 == 0 else set())),
                            (OCCUPATIONS[k % 3], OCCUPATIONS[(k + 1) % 3])) for k in range(24)]
    staff += [assign.StaffIn(f"I{k}", f"监考{k}", frozenset({"invigilator"})) for k in range(2 * theory_rooms + 2)]
    staff += [assign.StaffIn(f"A{k}", f"考务{k}", frozenset({"exam_affairs"})) for k in range(4)]
    recusals = [assign.RecusalIn(f"E{k}", cands[(k * 37) % n].key, "student") for k in range(0, 24, 3)]
    timing = assign.Timing(dt.datetime(2026, 12, 5, 9), 90, dt.datetime(2026, 12, 6, 8, 30), 120)
    return assign.Problem(tuple(cands), tuple(rooms), tuple(staff), tuple(recusals),
                          {o: assign.Ratio(3, 2) for o in OCCUPATIONS}, timing)


def greedy(p: assign.Problem) -> int:
    """Baseline: layout, round-robin seats, first eligible staff; returns adjacent same-class pairs."""
    groups = assign._theory_groups(p) + assign._practical_groups(p, len(p.rooms))
    members: dict[int, list] = {g: [] for g in range(len(groups))}
    for c in p.candidates:
        for kind in (assign.THEORY, assign.PRACTICAL):
            eligible = [g for g, gr in enumerate(groups)
                        if gr.kind == kind and (kind == assign.THEORY or gr.occupation == c.occupation)
                        and len(members[g]) < len(gr.room.places())]
            members[min(eligible, key=lambda g: len(members[g]))].append(c)
    clashes = 0
    for g, group in enumerate(groups):
        if group.kind == assign.PRACTICAL:
            placed = list(zip(group.room.places(), members[g], strict=False))
            clashes += assign.adjacent_clashes(placed, group.room)
        _staff = [s for s in p.staff if s.can(assign.EXAMINER, group.occupation)][:3]
    return clashes


def solved_clashes(p: assign.Problem, plan: assign.Plan) -> int:
    rooms = {r.code: r for r in p.rooms}
    by_key = {c.key: c for c in p.candidates}
    total = 0
    for s in plan.sittings:
        if s.kind == assign.PRACTICAL:
            placed = [(seat.place, by_key[seat.candidate_key]) for seat in plan.seats
                      if seat.kind == s.kind and seat.room_code == s.room_code and seat.sitting == s.index]
            total += assign.adjacent_clashes(placed, rooms[s.room_code])
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="60,300,900")
    args = parser.parse_args()
    print(f"{'candidates':>10} {'greedy ms':>10} {'CP-SAT ms':>10} {'ratio':>7} {'sittings':>8} "
          f"{'clashes greedy':>14} {'clashes CP-SAT':>14}")
    for n in (int(x) for x in args.sizes.split(",")):
        p = problem(n)
        base, full = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            g_clash = greedy(p)
            base.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            plan = assign.make_plan(p, seed=1)
            full.append(time.perf_counter() - t0)
        b, f = statistics.median(base) * 1000, statistics.median(full) * 1000
        sittings = max(s.index for s in plan.sittings if s.kind == assign.PRACTICAL)
        print(f"{n:>10} {b:>10.1f} {f:>10.1f} {f / b:>6.0f}x {sittings:>8} {g_clash:>14} {solved_clashes(p, plan):>14}")


if __name__ == "__main__":
    main()
