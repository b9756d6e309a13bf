"""Why a round cannot be planned: checks before solving, and the smallest clash after a failed solve.

Pure: no Django and no solver. pipeline.exams.assign.planner calls these with what they need — the staff who may
take a duty, a test that re-solves under fewer recusals — so nothing here imports it back at run time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from pipeline.core.errors import Conflict
from pipeline.exams.assign.model import EXAMINER, INVIGILATOR, THEORY

if TYPE_CHECKING:   # annotations only
    from pipeline.exams.assign.model import CandidateIn, Problem, RecusalIn, StaffIn

RELATION_ZH = {"relative": "亲属", "student": "师生", "apprentice": "师徒"}


def _who(candidate: CandidateIn) -> str:
    return f"{candidate.name}（身份证 {candidate.key[:4]}…{candidate.key[-4:]}）"


def _recusal_text(problem: Problem, recusal: RecusalIn) -> str:
    person = next((s.name for s in problem.staff if s.key == recusal.staff_key), recusal.staff_key)
    candidate = next(c for c in problem.candidates if c.key == recusal.candidate_key)
    relation = RELATION_ZH.get(recusal.relation, recusal.relation or "回避")
    return f"{person} 与考生 {_who(candidate)} 有{relation}关系需回避"


def precheck(problem: Problem, invigilators: Sequence[StaffIn],
             examiners: Callable[[str], list[StaffIn]]) -> None:
    """The obvious causes, named per candidate: too few staff left once recusals are taken out."""
    recusing = defaultdict(set)
    for r in problem.recusals:
        recusing[r.candidate_key].add(r.staff_key)
    need_inv = max((problem.ratio(c.occupation).invigilators for c in problem.candidates), default=2)
    if len(invigilators) < need_inv:
        names = "、".join(s.name for s in invigilators) or "无"
        raise Conflict(f"每个理论考场需要 {need_inv} 名监考，但具有监考角色的只有 {len(invigilators)} 人（{names}）。"
                       f"还差 {need_inv - len(invigilators)} 名：请为工作人员加上监考角色"
                       "（station staff edit 胸卡编号 --add-role 监考）。",
                       "too few invigilators", code="invigilators_short")
    for candidate in problem.candidates:
        need = problem.ratio(candidate.occupation).examiners
        checks = ((f"“{candidate.occupation}”实操每个考场", "考评员", need,
                   examiners(candidate.occupation)),
                  ("每个理论考场", "监考", need_inv, invigilators))
        for where, duty, count, pool in checks:
            free = [s for s in pool if s.key not in recusing[candidate.key]]
            if len(free) < count:
                blocked = [r for r in problem.recusals if r.candidate_key == candidate.key
                           and r.staff_key in {s.key for s in pool} - {s.key for s in free}]
                reasons = "；".join(_recusal_text(problem, r) for r in blocked) or "可用人员不足"
                raise Conflict(f"{where}需要 {count} 名{duty}，但可用的 {len(pool)} 人中 {reasons}，"
                               f"考生 {candidate.name} 所在考场无法配齐{duty}。请增加{duty}或调整回避登记。",
                               f"{candidate.key}: {len(free)} {duty} left after recusal < {count}",
                               code="recusal_unsatisfiable",
                               problems=[_recusal_text(problem, r) for r in blocked])


def minimal_core(core: list[int], still_infeasible: Callable[[list[int]], bool]) -> list[int]:
    """Shrink the solver's sufficient set of recusal literals to a minimal one (deletion filter)."""
    keep = list(core)
    for lit in list(core):
        if len(keep) <= 1:
            break
        trial = [i for i in keep if i != lit]
        if still_infeasible(trial):
            keep = trial
    return keep


def infeasible(problem: Problem, recusals: list[RecusalIn],
               sittings: Mapping[tuple[bool, str], int]) -> Conflict:   # (is theory, occupation) → room × sittings
    """The error for a plan that cannot be made, naming people and constraint."""
    if recusals:
        texts = [_recusal_text(problem, r) for r in recusals]
        return Conflict("无法安排考场与工作人员：以下回避关系不能同时满足（每个考场须配齐考评员/监考，且同一时间"
                        "一人只能在一个考场）——" + "；".join(texts)
                        + "。请增加具备资格的考评员或监考，或核对回避登记。",
                        f"infeasible under recusals {[(r.staff_key, r.candidate_key) for r in recusals]}",
                        code="recusal_unsatisfiable", problems=texts)
    texts = [f"{'理论' if theory else occupation} 共 {n} 个考场场次" for (theory, occupation), n in sittings.items()]
    return Conflict("无法安排工作人员：某一场同时开考的考场所需的考评员或监考，超过了能同时到场的人数"
                    "（一人不能同时在两个考场）。请为更多工作人员登记考评员或监考角色（station staff edit 胸卡编号 "
                    "--add-role 监考），或减少同时开考的考场，或改小 config/occupations.toml 中每考场的人数。",
                    "staffing infeasible even one practical group at a time", code="staff_short", problems=texts)


# a sitting as the diagnosis sees it: its label ("理论考试", "实操第2场") and its rooms (kind, occupation, room name)
Slot = tuple[str, list[tuple[str, str, str]]]


def _names(people: Sequence[StaffIn]) -> str:
    shown = "、".join(f"{s.name}（{s.key}）" for s in people[:8])
    return (shown + ("等" if len(people) > 8 else "")) or "无"


def _theory_short(problem: Problem, label: str, rooms: list[str]) -> Conflict | None:
    per = max((problem.ratio(c.occupation).invigilators for c in problem.candidates), default=2)
    need, pool = per * len(rooms), [s for s in problem.staff if s.can(INVIGILATOR)]
    if len(pool) >= need:
        return None
    short = need - len(pool)
    return Conflict(
        f"监考不够：{label}同时开考 {len(rooms)} 个理论考场（{'、'.join(rooms)}），每个考场需要 {per} 名监考，"
        f"共需 {need} 名；登记了监考角色的只有 {len(pool)} 人（{_names(pool)}），还差 {short} 名。"
        f"可以：① 为 {short} 名工作人员加上监考角色：station staff edit 胸卡编号 --add-role 监考；"
        "② 扩大理论考场容量，让考生坐进更少的考场：station rooms edit 考场编号 --capacity 人数；"
        "③ 改小 config/occupations.toml 中的 invigilators_per_room。改好后重新运行 station assign。",
        f"{label}: {need} invigilators needed for {len(rooms)} theory rooms, {len(pool)} available",
        code="staff_short", problems=[f"{label}：监考 需要 {need}，可用 {len(pool)}，差 {short}"])


def _practical_short(problem: Problem, label: str, rooms: list[tuple[str, str]]) -> Conflict | None:
    by_occupation = defaultdict(list)
    for occupation, room in rooms:
        by_occupation[occupation].append(room)
    need = {o: problem.ratio(o).examiners * len(r) for o, r in by_occupation.items()}
    pools = {o: [s for s in problem.staff if s.can(EXAMINER, o)] for o in by_occupation}
    union = {s.key: s for pool in pools.values() for s in pool}
    total = sum(need.values())
    for occupation, pool in sorted(pools.items()):
        if len(pool) < need[occupation] or len(union) < total:
            short = max(need[occupation] - len(pool), total - len(union))
            where = "、".join(f"{o} {len(r)} 个（{'、'.join(r)}）" for o, r in sorted(by_occupation.items()))
            return Conflict(
                f"考评员不够：{label}同时开考 {len(rooms)} 个实操考场：{where}，共需考评员 {total} 名"
                f"（{occupation}每考场 {problem.ratio(occupation).examiners} 名），能同时到场的只有 {len(union)} 人"
                f"（{_names(list(union.values()))}），还差 {short} 名。可以：① 为 {short} 名工作人员登记考评员"
                f"角色与考评工种：station staff edit 胸卡编号 --add-role 考评员 --occupations {occupation}；"
                "② 改小 config/occupations.toml 中的 examiners_per_room。改好后重新运行 station assign。",
                f"{label}: {total} examiners needed, {len(union)} available", code="staff_short",
                problems=[f"{label}：考评员 需要 {total}，可用 {len(union)}，差 {short}"])
    return None


def shortage(problem: Problem, slots: Sequence[Slot]) -> Conflict | None:
    """The first sitting whose rooms need more invigilators or examiners than can be there at once."""
    for label, groups in slots:
        theory = [room for kind, _occ, room in groups if kind == THEORY]
        practical = [(occ, room) for kind, occ, room in groups if kind != THEORY]
        found = (_theory_short(problem, label, theory) if theory else None) or (
            _practical_short(problem, label, practical) if practical else None)
        if found:
            return found
    return None


def chief_missing(label: str, examiners: Sequence[tuple[str, str]], round_hint: str = "批次代码") -> str:
    """The warning for a practical sitting without a 考评组长, naming who could act and the command."""
    people = "、".join(f"{name}（{key}）" for key, name in examiners) or "本场考评员"
    first = examiners[0][0] if examiners else "胸卡编号"
    return (f"{label}：没有登记为考评组长的考评员。请指定本场一名考评员（{people}）担任："
            f"station staff edit {first} --add-role 考评组长，然后重新运行 station assign {round_hint}")
