"""Seating and staffing of one appraisal round: plain data in, a reproducible plan out.

Pure: no Django. Two stages:
1. layout (greedy): which rooms are used in which sitting for which occupation — theory in one
   sitting; practical sittings k = 0, 1, … start at practical_at + k × (practical_minutes + 30),
   never more groups at once than the occupation's certified examiners can staff;
2. solve (OR-Tools CP-SAT): candidates → groups and staff → groups under capacity, examiner ratio,
   one place at a time and recusal (第十条(四), 第十九条(七)), spreading candidates of one class or
   employer across groups; then workstations are handed out so that neighbours differ.
The same seed gives the same plan (one solver worker, deterministic time limit, seeded order).
When no valid plan exists the error names the people and the constraint (pipeline.exams.assign.diagnose).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from pipeline.core.errors import BadInput, Conflict
from pipeline.exams.assign.diagnose import chief_missing, infeasible, minimal_core, precheck, shortage
from pipeline.exams.assign.model import (  # noqa: F401  (re-exported: callers import them from here)
    CHIEF,
    DUTY_ZH,
    EXAM_AFFAIRS,
    EXAMINER,
    INVIGILATOR,
    PRACTICAL,
    THEORY,
    CandidateIn,
    Duty,
    Plan,
    Problem,
    Ratio,
    RecusalIn,
    RoomIn,
    Seat,
    Sitting,
    StaffIn,
    Timing,
)

GAP_MINUTES = 30
FEASIBLE_DETERMINISTIC_SECONDS = 60.0   # CP-SAT "deterministic time": the same on any machine, so
OPTIMISE_DETERMINISTIC_SECONDS = 8.0    # the same seed gives the same plan however loaded the PC is
SOLVER_WALL_SECONDS = 600.0             # a safety net only; the deterministic limits end the search first

Progress = Callable[[str], None]


# ---------------------------------------------------------------- stage 1: layout

@dataclass(frozen=True)
class _Group:
    kind: str
    room: RoomIn
    index: int              # 1-based sitting number
    occupation: str
    start: float            # minutes on one time line (overlap test only)
    end: float

    def sitting(self, timing: Timing) -> Sitting:
        base = timing.theory_at if self.kind == THEORY else timing.practical_at
        offset = 0 if self.kind == THEORY else (self.index - 1) * (timing.practical_minutes + GAP_MINUTES)
        minutes = timing.theory_minutes if self.kind == THEORY else timing.practical_minutes
        starts = base + dt.timedelta(minutes=offset) if base else None
        ends = starts + dt.timedelta(minutes=minutes) if starts else None
        return Sitting(self.kind, self.room.code, self.room.name, self.index, self.occupation, starts, ends)


def _minutes(moment: dt.datetime | None, fallback: float) -> float:
    return moment.timestamp() / 60 if moment else fallback


def _theory_groups(problem: Problem) -> list[_Group]:
    """The theory rooms needed for every candidate, largest first, in one sitting."""
    rooms = sorted((r for r in problem.rooms if r.kind == THEORY), key=lambda r: (-r.capacity, r.code))
    total, chosen = len(problem.candidates), []
    for room in rooms:
        if sum(r.capacity for r in chosen) >= total:
            break
        chosen.append(room)
    seats = sum(r.capacity for r in chosen)
    if seats < total:
        raise BadInput(f"理论考场座位不足：共有 {total} 名考生，全部理论考场合计只有 {seats} 个座位。"
                       "请在考场设置中增加理论考场或扩大容量后重试。",
                       f"theory capacity {seats} < {total} candidates", code="theory_capacity")
    timing = problem.timing
    start = _minutes(timing.theory_at, -1e9)
    return [_Group(THEORY, room, 1, "", start, start + timing.theory_minutes) for room in chosen]


def _parallel_limits(problem: Problem, by_occ: dict[str, int]) -> dict[str, int]:
    """How many practical groups of each occupation the certified examiners can staff at once."""
    limits = {}
    for occupation in by_occ:
        rooms = [r for r in problem.rooms if r.serves(occupation) and r.places()]
        if not rooms:
            raise BadInput(f"没有可用于“{occupation}”实操考核的考场：请在考场设置中为某个实操考场的"
                           f"适用工种加上“{occupation}”，或登记其工位。",
                           f"no practical room serves {occupation}", code="no_practical_room")
        need = problem.ratio(occupation).examiners
        certified = [s for s in problem.staff if s.can(EXAMINER, occupation)]
        if len(certified) < need:
            names = "、".join(s.name for s in certified) or "无"
            raise Conflict(f"“{occupation}”实操每个考场需要 {need} 名考评员，但具备该工种考评资格的只有 "
                           f"{len(certified)} 人（{names}），还差 {need - len(certified)} 名。"
                           "请为工作人员登记考评员角色与考评工种"
                           f"（station staff edit 胸卡编号 --add-role 考评员 --occupations {occupation}），"
                           "或改小 config/occupations.toml 中的 examiners_per_room。",
                           f"{occupation}: {len(certified)} certified examiners < {need}",
                           code="examiners_short")
        limits[occupation] = min(len(rooms), len(certified) // need)
    return limits


def _practical_groups(problem: Problem, parallel_cap: int) -> list[_Group]:
    """Practical room × sitting × occupation groups, filled sitting by sitting."""
    remaining = Counter(c.occupation for c in problem.candidates)
    limits = _parallel_limits(problem, dict(remaining))
    pool = len({s.key for s in problem.staff if {EXAMINER, CHIEF} & s.roles})
    slots = {o: sum(len(r.places()) for r in problem.rooms if r.serves(o)) for o in remaining}
    timing, groups, index = problem.timing, [], 0
    length = timing.practical_minutes + GAP_MINUTES
    base = _minutes(timing.practical_at, 0.0)
    while +remaining:
        index += 1
        # specialised rooms first, so a room that serves anyone stays free for who needs it
        free = sorted((r for r in problem.rooms if r.kind == PRACTICAL and r.places()),
                      key=lambda r: (len(r.occupations) or 999, -len(r.places()), r.code))
        used, staffed, opened = Counter(), 0, 0
        for occupation in sorted(+remaining, key=lambda o: (-remaining[o] / slots[o], o)):
            need = problem.ratio(occupation).examiners
            while (remaining[occupation] > 0 and used[occupation] < limits[occupation]
                   and staffed + need <= pool and opened < parallel_cap):
                room = next((r for r in free if r.serves(occupation)), None)
                if room is None:
                    break
                free.remove(room)
                start = base + (index - 1) * length
                groups.append(_Group(PRACTICAL, room, index, occupation, start, start + timing.practical_minutes))
                remaining[occupation] -= len(room.places())
                used[occupation] += 1
                staffed += need
                opened += 1
    return groups


# ---------------------------------------------------------------- stage 2: CP-SAT

@dataclass
class _Model:
    model: cp_model.CpModel
    groups: list[_Group]
    units: list[list[int]]                             # candidate numbers per unit
    x: dict[tuple[int, int], cp_model.IntVar]          # (unit no, group no) → how many of the unit
    y: dict[tuple[int, int, str], cp_model.IntVar]     # (staff no, group no, duty)
    used: list[cp_model.IntVar]
    recusal_lits: dict[int, RecusalIn]                 # literal index → recusal
    objective: cp_model.LinearExpr | None = None


def _units(problem: Problem, order: list[int]) -> list[list[int]]:
    """Interchangeable candidates pooled: same occupation, class and employer, no recusal.

    A pool is one integer variable per group instead of one boolean per candidate, which keeps the
    model small for a thousand candidates; a candidate named in a recusal stays a unit of their own.
    """
    recused = {r.candidate_key for r in problem.recusals}
    pools, units = defaultdict(list), []
    for c in order:
        cand = problem.candidates[c]
        if cand.key in recused:
            units.append([c])
        else:
            pools[cand.occupation, cand.class_name, cand.employer].append(c)
    return units + [pools[k] for k in sorted(pools)]


def _eligible_groups(candidate: CandidateIn, groups: list[_Group]) -> list[int]:
    return [g for g, group in enumerate(groups) if group.kind == THEORY or group.occupation == candidate.occupation]


def _duties_for(group: _Group) -> tuple[str, ...]:
    return (INVIGILATOR, EXAM_AFFAIRS) if group.kind == THEORY else (EXAMINER, CHIEF, EXAM_AFFAIRS)


def _build(problem: Problem, groups: list[_Group], order: list[int]) -> _Model:
    """The CP-SAT model of seating and staffing over fixed groups."""
    model = cp_model.CpModel()
    cands, staff = problem.candidates, problem.staff
    x, y, units = {}, {}, _units(problem, order)
    for u, members in enumerate(units):
        for g in _eligible_groups(cands[members[0]], groups):
            x[u, g] = model.new_int_var(0, min(len(members), len(groups[g].room.places())), f"x{u}_{g}")
        for kind in (THEORY, PRACTICAL):
            model.add(sum(x[u, g] for g in _eligible_groups(cands[members[0]], groups)
                          if groups[g].kind == kind) == len(members))
    used = [model.new_bool_var(f"used{g}") for g in range(len(groups))]
    invigilators = max((problem.ratio(c.occupation).invigilators for c in cands), default=2)
    for g, group in enumerate(groups):
        members = [x[u, g] for u in range(len(units)) if (u, g) in x]
        model.add(sum(members) <= len(group.room.places()) * used[g])
        model.add(sum(members) >= used[g])
        for s, person in enumerate(staff):
            for duty in _duties_for(group):
                if person.can(duty, group.occupation):
                    y[s, g, duty] = model.new_bool_var(f"y{s}_{g}_{duty}")
            model.add_at_most_one(y[s, g, d] for d in _duties_for(group) if (s, g, d) in y)
        if group.kind == THEORY:
            model.add(_sum(y, g, INVIGILATOR, staff) == invigilators * used[g])
        else:
            need = problem.ratio(group.occupation).examiners
            model.add(_sum(y, g, EXAMINER, staff) + _sum(y, g, CHIEF, staff) == need * used[g])
            model.add(_sum(y, g, CHIEF, staff) <= 1)
        model.add(_sum(y, g, EXAM_AFFAIRS, staff) <= used[g])
    _one_place_at_a_time(model, y, groups, len(staff))
    _hint(model, problem, groups, units, x, used)
    lits = _recusals(model, problem, units, x, y, groups)
    objective = _objective(model, problem, groups, units, x, y)
    return _Model(model, groups, units, x, y, used, lits, objective)


def _hint(model, problem: Problem, groups: list[_Group], units, x, used) -> None:
    """A starting point for the search: every unit spread over its groups, least-filled first."""
    load = [0] * len(groups)
    for u, members in enumerate(units):
        eligible = _eligible_groups(problem.candidates[members[0]], groups)
        for kind in (THEORY, PRACTICAL):
            share = Counter()
            for _member in members:
                open_groups = [g for g in eligible if groups[g].kind == kind and load[g] < len(groups[g].room.places())]
                if not open_groups:
                    break
                g = min(open_groups, key=lambda g: (load[g] / len(groups[g].room.places()), g))
                load[g] += 1
                share[g] += 1
            for g in eligible:
                if groups[g].kind == kind:
                    model.add_hint(x[u, g], share[g])
    for g in range(len(groups)):
        model.add_hint(used[g], int(load[g] > 0))


def _sum(y: dict, g: int, duty: str, staff) -> cp_model.LinearExpr:
    return sum(y[s, g, duty] for s in range(len(staff)) if (s, g, duty) in y)


def _one_place_at_a_time(model, y, groups: list[_Group], n_staff: int) -> None:
    """No one is in two groups whose times overlap (checked at every group's start)."""
    by_staff = defaultdict(list)
    for (s, g, _duty), var in y.items():
        by_staff[s].append((g, var))
    for point in sorted({group.start for group in groups}):
        live = {g for g, group in enumerate(groups) if group.start <= point < group.end}
        for s in range(n_staff):
            model.add_at_most_one(var for g, var in by_staff[s] if g in live)


def _recusals(model, problem: Problem, units, x, y, groups) -> dict[int, RecusalIn]:
    """Recusal: never staff and candidate in one group; each enforced by an assumption literal."""
    staff_no = {p.key: s for s, p in enumerate(problem.staff)}
    cand_no = {problem.candidates[m[0]].key: u for u, m in enumerate(units) if len(m) == 1}
    lits = {}
    for r in problem.recusals:
        s, c = staff_no.get(r.staff_key), cand_no.get(r.candidate_key)
        if s is None or c is None:
            continue
        lit = model.new_bool_var(f"recusal_{r.staff_key}_{r.candidate_key}")
        for g in range(len(groups)):
            duties = [y[s, g, d] for d in _duties_for(groups[g]) if (s, g, d) in y]
            if (c, g) in x and duties:
                model.add(x[c, g] + sum(duties) <= 1).only_enforce_if(lit)
        lits[lit.index] = r
    model.add_assumptions([model.get_bool_var_from_proto_index(i) for i in lits])
    return lits


def _objective(model, problem: Problem, groups, units, x, y) -> cp_model.LinearExpr:
    """Reward chiefs and exam-affairs cover; penalise piling one class or employer into a group."""
    cands, terms = problem.candidates, []
    for g, group in enumerate(groups):
        if group.kind == PRACTICAL:
            terms.append(5 * _sum(y, g, CHIEF, problem.staff))
        terms.append(3 * _sum(y, g, EXAM_AFFAIRS, problem.staff))
    cohorts = defaultdict(list)
    for u, members in enumerate(units):
        first = cands[members[0]]
        for tag in _tags(first):
            cohorts[tag, first.occupation].append(u)
    for (tag, occupation), cohort in cohorts.items():
        size = sum(len(units[u]) for u in cohort)
        if size < 2:
            continue
        for kind in (THEORY, PRACTICAL):   # one peak per kind: a full theory room must not hide the practical
            peak = model.new_int_var(0, size, f"peak_{tag}_{occupation}_{kind}")
            for g, group in enumerate(groups):
                if group.kind == kind and (kind == THEORY or group.occupation == occupation):
                    model.add(sum(x[u, g] for u in cohort) <= peak)
            terms.append(-10 * peak)
    return sum(terms)


def _tags(candidate: CandidateIn) -> list[str]:
    return ([f"class:{candidate.class_name}"] if candidate.class_name else []) + (
        [f"employer:{candidate.employer}"] if candidate.employer else [])


def _solver(seed: int, limit: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed % (2 ** 31)
    solver.parameters.max_deterministic_time = limit
    solver.parameters.max_time_in_seconds = SOLVER_WALL_SECONDS
    return solver


def _solve(built: _Model, seed: int) -> tuple[cp_model.CpSolver, int]:
    """Find any valid plan first (fast, and where infeasibility is proven), then improve it."""
    first = _solver(seed, FEASIBLE_DETERMINISTIC_SECONDS)
    status = first.solve(built.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or built.objective is None:
        return first, status
    model = built.model
    model.clear_hints()
    for index in range(len(model.proto.variables)):
        var = model.get_int_var_from_proto_index(index)
        model.add_hint(var, first.value(var))
    model.maximize(built.objective)
    second = _solver(seed, OPTIMISE_DETERMINISTIC_SECONDS)
    better = second.solve(model)
    model.clear_objective()
    return (second, better) if better in (cp_model.OPTIMAL, cp_model.FEASIBLE) else (first, status)


# ---------------------------------------------------------------- diagnosis (messages: assign_diagnose)

def _still_infeasible(problem: Problem, groups: list[_Group], order: list[int], seed: int, lits: list[int]) -> bool:
    """True when the plan stays impossible with only these recusal literals enforced."""
    built = _build(problem, groups, order)
    built.model.clear_assumptions()
    built.model.add_assumptions([built.model.get_bool_var_from_proto_index(i) for i in lits])
    built.objective = None
    _unused, status = _solve(built, seed)
    return status == cp_model.INFEASIBLE


def _infeasible(problem: Problem, groups: list[_Group], order: list[int], seed: int, core: list[int]) -> Conflict:
    """The error for a failed solve: a minimal set of clashing recusals, else the sittings to staff."""
    if not core:
        slots = defaultdict(list)
        for g in groups:
            label = "理论考试" if g.kind == THEORY else f"实操第 {g.index} 场"
            slots[label].append((g.kind, g.occupation, g.room.name))
        return shortage(problem, list(slots.items())) or infeasible(
            problem, [], Counter((g.kind == THEORY, g.occupation) for g in groups))
    keep = minimal_core(core, lambda trial: _still_infeasible(problem, groups, order, seed, trial))
    built = _build(problem, groups, order)
    return infeasible(problem, [built.recusal_lits[i] for i in keep], {})


# ---------------------------------------------------------------- seats and workstations


def _clash(a: CandidateIn | None, b: CandidateIn) -> bool:
    return a is not None and bool(set(_tags(a)) & set(_tags(b)))


def interleave(members: list[CandidateIn], rng: random.Random) -> list[CandidateIn]:
    """Order candidates so that neighbours differ in class and employer where possible."""
    pool = list(members)
    rng.shuffle(pool)
    out: list[CandidateIn] = []
    while pool:
        counts = Counter(tag for c in pool for tag in _tags(c))
        fits = [c for c in pool if not _clash(out[-1] if out else None, c)] or pool
        pick = max(fits, key=lambda c: sum(counts[t] for t in _tags(c)))
        out.append(pick)
        pool.remove(pick)
    return out


def _places(group: _Group, count: int) -> list[str]:
    """count places spread over the room, so that a half-full room leaves gaps between candidates."""
    places = group.room.places()
    if group.kind == THEORY:
        return list(places[:count])
    return [places[i * len(places) // count] for i in range(count)]


def adjacent_clashes(seats: list[tuple[str, CandidateIn]], room: RoomIn) -> int:
    """Pairs of neighbouring workstations holding two candidates of one class or employer."""
    position = {p: i for i, p in enumerate(room.places())}
    ordered = sorted(seats, key=lambda item: position[item[0]])
    return sum(1 for (pa, a), (pb, b) in zip(ordered, ordered[1:], strict=False)
               if position[pb] - position[pa] == 1 and _clash(a, b))


# ---------------------------------------------------------------- the plan

def _extract(problem: Problem, built: _Model, solver, seed: int) -> Plan:
    rng = random.Random(seed)
    cands, staff, timing = problem.candidates, problem.staff, problem.timing
    sittings, seats, duties, warnings = [], [], [], []
    members_of, staff_names = _members(built, solver), {s.key: s.name for s in staff}
    for g, group in enumerate(built.groups):
        members = [cands[c] for c in members_of[g]]
        if not members:
            continue
        sitting = group.sitting(timing)
        sittings.append(sitting)
        ordered = interleave(sorted(members, key=lambda c: c.key), rng)
        placed = list(zip(_places(group, len(ordered)), ordered, strict=False))
        seats += [Seat(c.key, group.kind, group.room.code, group.index, place) for place, c in placed]
        held = [(staff[s].key, d) for (s, g2, d), v in built.y.items() if g2 == g and solver.value(v)]
        duties += [Duty(key, group.kind, group.room.code, group.index, d) for key, d in sorted(held)]
        names = [(key, staff_names[key]) for key, d in sorted(held) if d == EXAMINER]
        warnings += _group_warnings(group, sitting, placed, {d for _k, d in held}, names)
    sittings.sort(key=lambda s: (s.kind != THEORY, s.index, s.room_code))
    return Plan(seed, tuple(sittings), tuple(seats), tuple(duties), tuple(warnings))


def _members(built: _Model, solver) -> dict[int, list[int]]:
    """Candidate numbers per group: each pool hands out its members in (seeded) order."""
    by_unit, out = defaultdict(list), defaultdict(list)
    for (u, g), var in built.x.items():
        by_unit[u].append((g, var))
    for u, members in enumerate(built.units):
        for kind in (THEORY, PRACTICAL):
            pool = iter(members)
            for g, var in sorted(by_unit[u], key=lambda item: item[0]):
                if built.groups[g].kind == kind:
                    out[g] += [next(pool) for _ in range(solver.value(var))]
    return out


def _group_warnings(group: _Group, sitting: Sitting, placed, duties: set[str],
                    examiners: list[tuple[str, str]]) -> list[str]:
    out = []
    if group.kind == PRACTICAL:
        clashes = adjacent_clashes(placed, group.room)
        if clashes:
            out.append(f"{sitting.label}：有 {clashes} 对相邻工位是同班级或同单位考生（人数所限无法避免）")
        if CHIEF not in duties:
            out.append(chief_missing(sitting.label, examiners))
    if EXAM_AFFAIRS not in duties:
        out.append(f"{sitting.label}：未安排考务人员（人数不足）")
    return out


def make_plan(problem: Problem, seed: int | None = None, progress: Progress | None = None) -> Plan:
    """Seat every candidate and staff every room × sitting; raise Conflict naming who blocks it."""
    if not problem.candidates:
        raise BadInput("本批次还没有考生，请先导入考生名单（station import）。", "no candidates", code="no_candidates")
    seed = secrets.randbelow(2 ** 31) if seed is None else seed
    say = progress or (lambda _msg: None)
    theory = _theory_groups(problem)
    short = shortage(problem, [("理论考试", [(THEORY, "", g.room.name) for g in theory])])
    if short:
        raise short
    _parallel_limits(problem, Counter(c.occupation for c in problem.candidates))
    precheck(problem, [s for s in problem.staff if s.can(INVIGILATOR)],
             lambda occupation: [s for s in problem.staff if s.can(EXAMINER, occupation)])
    order = list(range(len(problem.candidates)))
    random.Random(seed).shuffle(order)
    cap, extra_rounds = len(problem.rooms), 0
    problem_now = problem
    while True:
        groups = theory + _practical_groups(problem_now, cap)
        at_once = max(Counter(g.index for g in groups if g.kind == PRACTICAL).values(), default=0)
        say(f"正在计算：{len(groups)} 个考场场次，实操每场至多 {at_once} 个考场同时开考")
        built = _build(problem, groups, order)
        solver, status = _solve(built, seed)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _extract(problem, built, solver, seed)
        if status != cp_model.INFEASIBLE:
            raise Conflict("考场安排计算未能在限定时间内得到结果，请减少同批次考生或分批安排后重试。",
                           f"solver status {solver.status_name(status)}", code="solver_timeout")
        core = list(solver.sufficient_assumptions_for_infeasibility())
        concurrent = max(Counter(g.index for g in groups if g.kind == PRACTICAL).values(), default=1)
        if not core and concurrent > 1:
            cap = concurrent - 1
            continue
        if core and extra_rounds < 2:
            extra_rounds += 1
            problem_now = _with_extra_room(problem_now, problem, built, core)
            continue
        raise _infeasible(problem, groups, order, seed, core)


def _with_extra_room(current: Problem, original: Problem, built: _Model, core: list[int]) -> Problem:
    """Pretend the occupations in a recusal conflict have one more room's worth of candidates, so
    the layout opens another sitting where the conflicting people can be kept apart."""
    keys = {built.recusal_lits[i].candidate_key for i in core}
    occupations = {c.occupation for c in original.candidates if c.key in keys}
    ghosts = []
    for occupation in sorted(occupations):
        slots = max(len(r.places()) for r in original.rooms if r.serves(occupation) and r.places())
        ghosts += [CandidateIn(f"__ghost_{occupation}_{len(current.candidates)}_{n}", "", occupation)
                   for n in range(slots)]
    return Problem(current.candidates + tuple(ghosts), current.rooms, current.staff, current.recusals,
                   current.ratios, current.timing)
