"""Scores: import the examiners' score sheet (service) and read results back (selectors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from pipeline.archive.audit import audit_append
from pipeline.catalog.items import FULL_ID_ROLES
from pipeline.catalog.models import Candidate, Role, Round, Score
from pipeline.catalog.people import user_roles_checked
from pipeline.catalog.services import SYSTEM_ACTOR
from pipeline.core.config import StationConfig, get_config
from pipeline.core.domain import mask_id
from pipeline.core.errors import BadInput, Refused
from pipeline.exams.results import (
    OUTCOME_ZH,
    CandidateRef,
    GroupStats,
    PriorResult,
    Problem,
    ResultRecord,
    ScoreRow,
    outcome,
    part_passed,
    pass_marks,
    read_sheet,
    statistics,
    validate_sheet,
)


@dataclass
class ImportReport:
    """What results_import did: rows written, rows skipped with their problems."""

    round_code: str
    source: str
    created: int = 0
    updated: int = 0
    passed: int = 0
    skipped: list[Problem] = field(default_factory=list)
    unscored: list[str] = field(default_factory=list)     # candidates of the round still without a score

    def as_dict(self) -> dict:
        """Plain data for --json."""
        return {"round": self.round_code, "source": self.source, "created": self.created,
                "updated": self.updated, "passed": self.passed,
                "skipped_rows": sorted({p.row for p in self.skipped}),
                "problems": [str(p) for p in self.skipped], "unscored": self.unscored}


def _today(config: StationConfig) -> dt.date:
    return dt.datetime.now(ZoneInfo(config.station.timezone)).date()


def _candidate_refs(round_: Round) -> dict[str, CandidateRef]:
    return {c.ticket_number: CandidateRef(c.ticket_number, c.name, c.id_number, c.occupation, c.level,
                                          c.is_retake) for c in round_.candidates.all()}


def prior_result(candidate: Candidate, config: StationConfig) -> PriorResult | None:
    """The latest result of the same person, occupation and level in an earlier round."""
    score = (Score.objects.select_related("candidate__round")
             .filter(candidate__id_number=candidate.id_number, candidate__occupation=candidate.occupation,
                     candidate__level=candidate.level)
             .exclude(candidate__round=candidate.round)
             .order_by("-recorded_on", "-id").first())
    marks = pass_marks(config.occupations, candidate.occupation)
    if score is None or marks is None:
        return None
    return PriorResult(score.candidate.round.code, score.theory, score.practical,
                       part_passed(score.theory, score.theory_absent, marks.theory),
                       part_passed(score.practical, score.practical_absent, marks.practical))


def _priors(round_: Round, config: StationConfig) -> dict[str, PriorResult]:
    priors = {}
    for candidate in round_.candidates.filter(is_retake=True).select_related("round"):
        prior = prior_result(candidate, config)
        if prior:
            priors[candidate.ticket_number] = prior
    return priors


def _bad_sheet(path: Path, problems: list[Problem]) -> BadInput:
    rows = sorted({p.row for p in problems})
    return BadInput(f"成绩表 {path.name} 有 {len(rows)} 行有误（共 {len(problems)} 处），未导入任何成绩。"
                    "请按下列提示改正后重新导入，或加 --skip-invalid 只导入正确的行。",
                    f"{len(problems)} problems in {len(rows)} rows of {path}", code="score_sheet_invalid",
                    problems=[str(p) for p in problems])


def _write(round_: Round, rows: list[ScoreRow], today: dt.date) -> tuple[int, int]:
    """Replace the scores of the sheet's candidates: one delete, one bulk insert (nothing refers to a Score)."""
    by_ticket = {c.ticket_number: c for c in round_.candidates.all()}
    ids = [by_ticket[row.ticket_number].id for row in rows]
    replaced = Score.objects.filter(candidate_id__in=ids).delete()[0]
    Score.objects.bulk_create([
        Score(candidate=by_ticket[row.ticket_number], theory=row.theory, practical=row.practical,
              theory_absent=row.theory_absent, practical_absent=row.practical_absent, is_retake=row.is_retake,
              passed=row.passed, recorded_on=today) for row in rows], batch_size=500)
    return len(rows) - replaced, replaced


def results_import(*, round_: Round, path: Path, skip_invalid: bool = False, actor: str = SYSTEM_ACTOR,
                   config: StationConfig | None = None) -> ImportReport:
    """Validate a score sheet and record every score in one transaction (all or, with skip_invalid, the good rows)."""
    config = config or get_config()
    parsed = validate_sheet(read_sheet(path), candidates=_candidate_refs(round_),
                            priors=_priors(round_, config), occupations=config.occupations)
    if parsed.problems and not skip_invalid:
        raise _bad_sheet(path, parsed.problems)
    if not parsed.rows:
        raise BadInput(f"成绩表 {path.name} 中没有可导入的成绩行。", f"no valid rows in {path}",
                       code="score_sheet_empty", problems=[str(p) for p in parsed.problems])
    today = _today(config)
    with transaction.atomic():
        created, updated = _write(round_, parsed.rows, today)
        round_.scores_recorded_on = today
        round_.save(update_fields=["scores_recorded_on"])
        audit_append(actor=actor, action="results.import", target=round_.code,
                     detail={"source": path.name, "created": created, "updated": updated,
                             "skipped_rows": parsed.bad_rows,
                             "carried": {r.ticket_number: list(r.carried) for r in parsed.rows if r.carried}})
    unscored = list(round_.candidates.filter(score__isnull=True).values_list("ticket_number", flat=True))
    return ImportReport(round_.code, path.name, created, updated, sum(r.passed for r in parsed.rows),
                        parsed.problems, unscored)


# ---------------------------------------------------------------- selectors

def result_rows(round_: Round) -> list[dict]:
    """Every candidate of the round with scores, absent marks and result (未登分 when no score yet)."""
    rows = []
    for c in round_.candidates.select_related("score").order_by("occupation", "level", "ticket_number"):
        score = getattr(c, "score", None)
        kind = "pending" if score is None else outcome(score.theory, score.practical, score.theory_absent,
                                                       score.practical_absent, score.passed)
        rows.append({"ticket_number": c.ticket_number, "name": c.name, "gender": c.gender,
                     "id_number": c.id_number, "occupation": c.occupation, "level": c.level,
                     "theory": score.theory if score else None, "practical": score.practical if score else None,
                     "theory_absent": bool(score and score.theory_absent),
                     "practical_absent": bool(score and score.practical_absent),
                     "is_retake": bool(score.is_retake) if score else c.is_retake,
                     "outcome": kind, "outcome_zh": OUTCOME_ZH[kind]})
    return rows


def round_statistics(round_: Round, config: StationConfig | None = None) -> tuple[list[GroupStats], GroupStats]:
    """Statistics by occupation × level for the round, occupations in config order."""
    config = config or get_config()
    records = [ResultRecord(r["occupation"], r["level"], r["outcome"]) for r in result_rows(round_)]
    return statistics(records, order=[o.name for o in config.occupations])


def results_view(*, round_: Round, user=None) -> list[dict]:
    """result_rows with ID numbers masked, or in full for a user whose role may see them (audited)."""
    rows = result_rows(round_)
    if user is None:
        for row in rows:
            row["id_number"] = mask_id(row["id_number"]) if row["id_number"] else ""
        return rows
    if not user_roles_checked(user) & FULL_ID_ROLES:
        allowed = "、".join(Role(role).label for role in sorted(FULL_ID_ROLES))
        raise Refused(f"用户“{user.username}”无权查看完整身份证号（仅{allowed}可以）。"
                      "去掉 --show-id 可查看遮挡后的结果。",
                      f"user {user.username!r} lacks a role for show-id", code="show_id_refused")
    audit_append(actor=user.username, action="results.show_id", target=round_.code, detail={"candidates": len(rows)})
    return rows
