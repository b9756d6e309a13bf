"""Why a round cannot be planned: checks before solving, and the smallest clash after a failed solve.

Pure: no Django and no solver. pipeline.assign calls these with what they need — the staff who may
take a duty, a test that re-solves under fewer recusals — so nothing here imports it back at run time.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from pipeline.errors import Conflict

if TYPE_CHECKING:   # annotations only
    from pipeline.assign_model import CandidateIn, Problem, RecusalIn, StaffIn

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
                       "请为更多工作人员登记监考角色。", "too few invigilators", code="invigilators_short")
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
                        "一人只能在一个考场）——" + "；".join(texts) + "。请增加具备资格的考评员或监考，或核对回避登记。",
                        f"infeasible under recusals {[(r.staff_key, r.candidate_key) for r in recusals]}",
                        code="recusal_unsatisfiable", problems=texts)
    texts = [f"{'理论' if theory else occupation} 共 {n} 个考场场次" for (theory, occupation), n in sittings.items()]
    return Conflict("无法安排工作人员：同一时间需要的考评员/监考多于可用人员（一人不能同时在两个考场）。"
                    "请增加工作人员、减少同时开考的考场或修改每考场人数配置。",
                    "staffing infeasible even one practical group at a time", code="staff_short", problems=texts)
