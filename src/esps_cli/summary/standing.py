"""Building a cycle's summary from validated returns and the register's current scores: each
unit's standing (its scores combined, indicator by indicator), then the rules of
summary/rules.py over all of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from types import SimpleNamespace
from typing import Any, cast

from esps_cli.domain.framework import STAGES, Framework
from esps_cli.domain.status import governing, scores_count
from esps_cli.domain.units import Advisor, Unit
from esps_cli.findings import assembled
from esps_cli.register import Marks
from esps_cli.scoring.combine import Combiner
from esps_cli.scoring.rows import UNSCORED
from esps_cli.summary.models import (
    VIEWS,
    ExceptionItem,
    IndicatorFigures,
    IndicatorStanding,
    Organisation,
    SummaryReport,
    UnitStanding,
    View,
)
from esps_cli.summary.public import make_public
from esps_cli.summary.rules import (
    compliance_pct,
    exception_detail,
    gaps_for,
    indicator_problems,
    reasons_for,
    rollup,
    rule_text,
    units_needed,
)
from esps_cli.validation.report import BatchReport, WorkbookReport


def _returns_by_unit(batch: BatchReport, cycle: str) -> dict[str, list[WorkbookReport]]:
    by_unit: dict[str, list[WorkbookReport]] = {}
    for report in batch.workbooks:
        # A file that cannot be read belongs to the cycle its name gives; if it gives none,
        # to the cycle being summarised.
        if not report.counts:
            continue  # replaced by a later return of the unit, or set aside (validation.returns)
        if report.unit_code and (report.cycle == cycle or
                                 (not report.readable and not report.cycle)):
            by_unit.setdefault(report.unit_code.casefold(), []).append(report)
    return by_unit


def _stage_index(stage: str) -> int:
    return STAGES.index(stage)


# An indicator of the cycle as every unit's standing needs it: (id, theme, stage, whether its
# stage is in the baseline); worked out once per summary, not once per unit.
IndicatorFacts = list[tuple[str, str, str, bool]]


def indicator_facts(framework: Framework, cycle_id: str) -> IndicatorFacts:
    limit = _stage_index(framework.rules.baseline.indicator_stage)
    return [(ind.id, framework.esps_unit_of[ind.id].theme, ind.stage,
             _stage_index(ind.stage) <= limit)
            for ind in framework.cycle_indicators(framework.cycle(cycle_id))]


def _indicator_fields(code: str, report: WorkbookReport | None,
                      scores: Mapping[tuple[str, str], Marks], combiner: Combiner,
                      facts: IndicatorFacts) -> Iterator[dict[str, Any]]:
    statuses = {s.indicator_id: s for s in report.indicators} if report else {}
    for indicator_id, theme, stage, stage_in_baseline in facts:
        marks = scores.get((code, indicator_id), UNSCORED)
        linked, unlinked, moderated = marks
        combined = combiner(marks)
        status = statuses.get(indicator_id)
        na = bool(status and status.na)
        scored = linked or unlinked or moderated
        yield {
            "unit_code": code,
            "indicator_id": indicator_id,
            "theme": theme,
            "stage": stage,
            "in_baseline": stage_in_baseline and not (na and not scored),
            "minimum_met": status.minimum_met if status else None,
            "rating": status.rating if status else None,
            "na": na,
            "linked": linked.score if linked else None,
            "linked_assessor": linked.assessor if linked else None,
            "linked_comment": linked.comment if linked else "",
            "unlinked": unlinked.score if unlinked else None,
            "unlinked_assessor": unlinked.assessor if unlinked else None,
            "unlinked_comment": unlinked.comment if unlinked else "",
            "moderated": moderated.score if moderated else None,
            "combined": combined.score,
            "combined_status": combined.status,
        }


def indicator_standings(code: str, report: WorkbookReport | None,
                        scores: Mapping[tuple[str, str], Marks], combiner: Combiner,
                        facts: IndicatorFacts) -> list[IndicatorStanding]:
    """A unit's standing on each indicator of the cycle: its return's status (report: its one
    return, if any) and its scores combined. Assembled, not validated again: every value is
    already of its field's type (the return's validated statuses, the register's scores,
    checked as they are read, and a validated combined score); validating 54,000 standings was
    a twentieth of a summary's time."""
    return [assembled(IndicatorStanding, fields, _STANDING_FIELDS)
            for fields in _indicator_fields(code, report, scores, combiner, facts)]


_STANDING_FIELDS: set[str] = set(IndicatorStanding.model_fields)


def indicator_figures(code: str, report: WorkbookReport | None,
                      scores: Mapping[tuple[str, str], Marks], combiner: Combiner,
                      facts: IndicatorFacts) -> list[IndicatorFigures]:
    """The same figures as plain attributes, not models: for rules applied to thousands of
    standings that are never shown (the decision page's one per assessor and unit)."""
    return cast(list[IndicatorFigures],
                [SimpleNamespace(**f)
                 for f in _indicator_fields(code, report, scores, combiner, facts)])


def unit_standing(
    framework: Framework,
    cycle_id: str,
    unit: Unit,
    returns: list[WorkbookReport],
    scores: dict[tuple[str, str], Marks],
    unlinked_dcfa: str | None,
    combiner: Combiner | None = None,
    facts: IndicatorFacts | None = None,
) -> UnitStanding:
    facts = facts if facts is not None else indicator_facts(framework, cycle_id)
    rule = framework.rules.baseline
    report = returns[0] if len(returns) == 1 else None
    combiner = combiner or Combiner(framework.rules.combination)
    detail = indicator_standings(unit.code, report, scores, combiner, facts)
    base = [d for d in detail if d.in_baseline]
    combined_scores = [d.combined for d in base if d.combined is not None]
    standing = UnitStanding(
        unit_code=unit.code,
        unit_name=unit.name,
        business_group=unit.business_group,
        linked_dcfa=unit.linked_dcfa,
        unlinked_dcfa=unlinked_dcfa,
        returned=bool(returns),
        return_files=[r.file for r in returns],
        readable=report.readable if report else None,
        submission_date=report.submission_date if report else None,
        valid=report.valid if report else (False if returns else None),
        errors=report.errors if report else 0,
        warnings=report.warnings if report else 0,
        evidence_completeness_pct=report.evidence_completeness_pct if report else None,
        indicators=len(facts),
        indicators_minimum_met=sum(1 for d in detail if d.minimum_met),
        baseline_indicators=len(base),
        linked_scored=sum(1 for d in base if d.linked is not None),
        unlinked_scored=sum(1 for d in base if d.unlinked is not None),
        moderation_pending=sum(1 for d in base if d.combined_status == "needs-moderation"),
        baseline_at_or_above=sum(
            1 for d in base if d.combined is not None and d.combined >= rule.min_combined_score
        ),
        mean_combined=round(sum(combined_scores) / len(combined_scores), 2)
        if combined_scores else None,
        meets_baseline=False,
        status="not-returned",
        reasons=[],
        detail=detail,
    )
    reasons = reasons_for(standing, framework)
    return standing.model_copy(update={
        "reasons": reasons,
        "meets_baseline": not reasons,
        "status": governing(reasons),
    })


def build_summary(
    framework: Framework,
    cycle_id: str,
    units: list[Unit],
    batch: BatchReport,
    scores: dict[tuple[str, str], Marks],
    allocations: dict[str, str],
    advisors: list[Advisor],
    *,
    views: Iterable[View] = VIEWS,
    public: bool = False,
    review_states: dict[str, str] | None = None,
) -> SummaryReport:
    cycle = framework.cycle(cycle_id)
    by_unit = _returns_by_unit(batch, cycle.id)
    states = review_states or {}
    combiner = Combiner(framework.rules.combination)
    facts = indicator_facts(framework, cycle.id)
    standings = [
        unit_standing(framework, cycle.id, u, by_unit.get(u.code.casefold(), []), scores,
                      allocations.get(u.code), combiner, facts).model_copy(
            update={"review_state": states.get(u.code, "")})
        for u in units
    ]
    meeting = sum(1 for s in standings if s.meets_baseline)
    problems = {s.unit_code: indicator_problems(s, framework) for s in standings}
    pct = compliance_pct(meeting, len(standings))
    organisation = Organisation(
        cycle=cycle.id, cycle_name=cycle.name, target_pct=cycle.kpi_target_pct,
        units=len(standings), returned=sum(1 for s in standings if s.returned),
        valid=sum(1 for s in standings if s.valid), meeting=meeting, compliance_pct=pct,
        kpi="MET" if pct >= cycle.kpi_target_pct else "NOT MET",
        units_needed=units_needed(meeting, len(standings), cycle.kpi_target_pct),
        rag=framework.bands.rag(pct, cycle.kpi_target_pct),
    )
    names = {a.id: a.name for a in advisors}
    exceptions = [
        ExceptionItem(
            unit_code=s.unit_code, unit_name=s.unit_name, business_group=s.business_group,
            category=s.status, detail=exception_detail(s, s.status, framework, names, public),
            also=[r for r in s.reasons if r != s.status],
            linked_dcfa=s.linked_dcfa, linked_dcfa_name=names.get(s.linked_dcfa, s.linked_dcfa),
            review_state=s.review_state,
        )
        for s in standings
        if s.reasons  # once, under its governing status; the other reasons as detail
    ]
    distribution: dict[str, dict[int, int]] = {}
    for role in ("linked", "unlinked", "combined"):
        counts = Counter(  # the scores of a unit without a valid return are provisional
            getattr(d, role) for s in standings if scores_count(s.status) for d in s.detail
            if getattr(d, role) is not None
        )
        distribution[role] = {score: counts.get(score, 0) for score in framework.scale.scores}
    report = SummaryReport(
        framework_id=framework.meta.id,
        framework_version=framework.meta.version,
        rule=rule_text(framework),
        organisation=organisation,
        units=standings,
        rollups=[r for view in views for r in rollup(framework, standings, view,
                                                       cycle.kpi_target_pct, problems)],
        exceptions=exceptions,
        gaps=[g for s in standings for g in gaps_for(framework, s)],
        score_distribution=distribution,
    )
    return make_public(report, advisors) if public else report
