"""Compliance: where each unit stands against the baseline, rolled up for the Board.

One definition of each figure, used by every view:

- a unit **meets the baseline** on a set of indicators when it has exactly one return, the
  return is valid (if the framework's rule requires it), and every indicator of the set that
  is at the rule's stage or earlier has a combined DCFA score of at least the rule's minimum,
  with no moderation pending (unless the rule allows it). An indicator the unit validly marked
  N/A and the advisors did not score is left out of the set.
- **compliance %** of a group of units = units meeting the baseline / units on the list x 100
  (units that have not returned count as not meeting).
- the KPI is **MET** when the organisation's compliance % is at least the cycle's target;
  **units needed** = the smallest number of further units that would make it so.

Business groups select units; themes, strategy themes, strands and HMIC areas select indicators;
all of them use `meets_baseline` and `compliance_pct` below.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel

from esps_cli.domain.community import CommunityFigures
from esps_cli.domain.framework import STAGES, Framework, Indicator, Rag
from esps_cli.domain.units import Advisor, Unit
from esps_cli.errors import ConfigError
from esps_cli.io.collector import collector_paused
from esps_cli.register import (
    DriverMissingError,
    Marks,
    Register,
    RegisterBusyError,
    RegisterConnectionError,
    RegisterLocation,
    RegisterNotFound,
    RegisterPermissionError,
    locate,
)
from esps_cli.register.review import current_states
from esps_cli.scoring.combine import Combiner
from esps_cli.scoring.rows import UNSCORED
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.report import BatchReport, WorkbookReport
from esps_cli.validation.returns import review_loop

# Most blocking first: a unit's status is the first of its reasons in this order.
UnitStatus = Literal[
    "not-returned",
    "duplicate-returns",
    "unreadable",
    "invalid",
    "awaiting-linked",
    "awaiting-unlinked",
    "awaiting-moderation",
    "below-baseline",
    "meets-baseline",
]
STATUS_ORDER: tuple[UnitStatus, ...] = get_args(UnitStatus)
View = Literal["business-group", "theme", "strategy", "strand", "hmic"]
VIEWS: tuple[View, ...] = get_args(View)
# What people read for each status (terminal, workbooks); JSON and CSV keep the ids.
STATUS_LABEL: dict[UnitStatus, str] = {
    "not-returned": "Not returned",
    "duplicate-returns": "More than one return",
    "unreadable": "Unreadable return",
    "invalid": "Invalid return",
    "awaiting-linked": "Awaiting linked DCFA's scores",
    "awaiting-unlinked": "Awaiting unlinked DCFA's scores",
    "awaiting-moderation": "Awaiting moderation",
    "below-baseline": "Below the baseline",
    "meets-baseline": "Meets the baseline",
}
VIEW_LABEL: dict[str, str] = {
    "business-group": "business group", "theme": "national theme",
    "strategy": "strategy theme", "strand": "equality strand", "hmic": "HMIC area",
}
PUBLIC_NOTE = (
    "Public edition for community review: the advisors (DCFAs) who assessed each unit are "
    "left out: their names, ids, e-mail addresses and comments, also where they appeared "
    "inside other text. Standings, scores and figures are the same as in the full report."
)


class IndicatorStanding(BaseModel):
    unit_code: str
    indicator_id: str
    theme: str
    stage: str
    in_baseline: bool
    minimum_met: bool | None
    rating: int | None
    na: bool
    linked: int | None
    linked_assessor: str | None
    linked_comment: str
    unlinked: int | None
    unlinked_assessor: str | None
    unlinked_comment: str
    moderated: int | None
    combined: int | None
    combined_status: str


class UnitStanding(BaseModel):
    unit_code: str
    unit_name: str
    business_group: str
    linked_dcfa: str
    unlinked_dcfa: str | None
    returned: bool
    return_files: list[str]
    readable: bool | None = None  # None: no return, or more than one
    submission_date: date | None = None
    valid: bool | None
    errors: int
    warnings: int
    evidence_completeness_pct: float | None
    indicators: int
    indicators_minimum_met: int
    baseline_indicators: int
    linked_scored: int
    unlinked_scored: int
    moderation_pending: int
    baseline_at_or_above: int
    mean_combined: float | None
    meets_baseline: bool
    status: UnitStatus
    reasons: list[UnitStatus]
    detail: list[IndicatorStanding]
    # Where DCFD's review of the unit's return stands (esps review; "" when never set).
    review_state: str = ""


class Rollup(BaseModel):
    view: str
    key: str
    label: str
    units: int
    returned: int
    valid: int
    meeting: int
    compliance_pct: float
    target_pct: float
    met: bool
    rag: Rag = "red"


class Organisation(BaseModel):
    cycle: str
    cycle_name: str
    target_pct: float
    units: int
    returned: int
    valid: int
    meeting: int
    compliance_pct: float
    kpi: Literal["MET", "NOT MET"]
    units_needed: int
    rag: Rag = "red"


class ExceptionItem(BaseModel):
    unit_code: str
    unit_name: str
    business_group: str
    category: UnitStatus
    detail: str
    linked_dcfa: str
    linked_dcfa_name: str
    review_state: str = ""


class Gap(BaseModel):
    unit_code: str
    indicator_id: str
    esps_unit: str
    indicator: str
    reason: str
    rating: int | None
    linked: int | None
    unlinked: int | None
    combined: int | None


class SummaryReport(BaseModel):
    framework_id: str
    framework_version: str
    rule: str
    organisation: Organisation
    units: list[UnitStanding]
    rollups: list[Rollup]
    exceptions: list[ExceptionItem]
    gaps: list[Gap]
    score_distribution: dict[str, dict[int, int]]
    public: bool = False
    edition_note: str = ""
    # Community review (issue 23): the release, the challenge route, challenge counts and
    # "You said, we did"; None where no one asked for them.
    community: CommunityFigures | None = None


# -- the one definition -------------------------------------------------------------------


def compliance_pct(meeting: int, total: int) -> float:
    """Units meeting the baseline as a percentage of units on the list (0 when none)."""
    return round(100.0 * meeting / total, 1) if total else 0.0


def units_needed(meeting: int, total: int, target_pct: float) -> int:
    """How many more units must meet the baseline for the target to be met."""
    required = math.ceil(total * target_pct / 100 - 1e-9)
    return max(0, required - meeting)


def indicator_problems(standing: UnitStanding, framework: Framework
                       ) -> list[tuple[str, UnitStatus]]:
    """(indicator, reason) for each way a baseline indicator falls short (none: all fine)."""
    rule = framework.rules.baseline
    out: list[tuple[str, UnitStatus]] = []
    for d in standing.detail:
        if not d.in_baseline:
            continue
        if d.linked is None and d.moderated is None:
            out.append((d.indicator_id, "awaiting-linked"))
        if d.unlinked is None and d.moderated is None:
            out.append((d.indicator_id, "awaiting-unlinked"))
        if d.combined_status == "needs-moderation" and not rule.allow_pending_moderation:
            out.append((d.indicator_id, "awaiting-moderation"))
        if d.combined is not None and d.combined < rule.min_combined_score:
            out.append((d.indicator_id, "below-baseline"))
    return out


def reasons_for(
    standing: UnitStanding, framework: Framework, subset: set[str] | None = None,
    problems: list[tuple[str, UnitStatus]] | None = None,
) -> list[UnitStatus]:
    """Why a unit does not meet the baseline on a set of indicators (empty: it meets it).
    problems: its indicator_problems, when already worked out (a rollup asks per group)."""
    rule = framework.rules.baseline
    if not standing.returned:
        return ["not-returned"]
    if len(standing.return_files) > 1:
        return ["duplicate-returns"]
    if standing.readable is False:
        return ["unreadable"]
    reasons: set[UnitStatus] = set()
    if rule.require_valid_return and not standing.valid:
        reasons.add("invalid")
    if problems is None:
        problems = indicator_problems(standing, framework)
    reasons.update(reason for indicator, reason in problems
                   if subset is None or indicator in subset)
    return [s for s in STATUS_ORDER if s in reasons]


def meets_baseline(
    standing: UnitStanding, framework: Framework, subset: set[str] | None = None,
    problems: list[tuple[str, UnitStatus]] | None = None,
) -> bool:
    return not reasons_for(standing, framework, subset, problems)


def rule_text(framework: Framework) -> str:
    rule = framework.rules.baseline
    parts = ["one return"]
    if rule.require_valid_return:
        parts.append("a valid return")
    parts.append(
        f"every {rule.indicator_stage}-stage indicator with a combined DCFA score of "
        f"{rule.min_combined_score} or more"
    )
    if not rule.allow_pending_moderation:
        parts.append("no moderation pending")
    return ", ".join(parts)


# -- building the picture -----------------------------------------------------------------


def _returns_by_unit(batch: BatchReport, cycle: str) -> dict[str, list[WorkbookReport]]:
    by_unit: dict[str, list[WorkbookReport]] = {}
    for report in batch.workbooks:
        # A file that cannot be read belongs to the cycle its name gives; if it gives none,
        # to the cycle being summarised.
        if report.superseded_by:
            continue  # replaced by a later return of the unit (see validation.returns)
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
    statuses = {s.indicator_id: s for s in report.indicators} if report else {}
    detail: list[IndicatorStanding] = []
    combiner = combiner or Combiner(framework.rules.combination)
    code = unit.code
    for indicator_id, theme, stage, stage_in_baseline in facts:
        marks = scores.get((code, indicator_id), UNSCORED)
        linked, unlinked, moderated = marks
        combined = combiner(marks)
        status = statuses.get(indicator_id)
        na = bool(status and status.na)
        scored = linked or unlinked or moderated
        detail.append(IndicatorStanding(
            unit_code=code,
            indicator_id=indicator_id,
            theme=theme,
            stage=stage,
            in_baseline=stage_in_baseline and not (na and not scored),
            minimum_met=status.minimum_met if status else None,
            rating=status.rating if status else None,
            na=na,
            linked=linked.score if linked else None,
            linked_assessor=linked.assessor if linked else None,
            linked_comment=linked.comment if linked else "",
            unlinked=unlinked.score if unlinked else None,
            unlinked_assessor=unlinked.assessor if unlinked else None,
            unlinked_comment=unlinked.comment if unlinked else "",
            moderated=moderated.score if moderated else None,
            combined=combined.score,
            combined_status=combined.status,
        ))
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
        "status": reasons[0] if reasons else "meets-baseline",
    })


def view_groups(framework: Framework, view: View) -> list[tuple[str, str, set[str] | None]]:
    """(key, label, indicator ids) per group of a view; None means "all indicators" (the
    business-group view selects units instead)."""
    if view == "business-group":
        return [(g.id, g.name, None) for g in framework.business_groups]
    inds = framework.indicators

    def theme_of(i: Indicator) -> set[str]:
        return {framework.esps_unit_of[i.id].theme}

    def strategy_of(i: Indicator) -> set[str]:
        return {*i.tags.strategy_themes, framework.esps_unit_of[i.id].strategy_theme}

    tags: dict[str, tuple[list, Callable[[Indicator], Iterable[str]]]] = {
        "theme": (framework.national_themes, theme_of),
        "strategy": (framework.strategy_themes, strategy_of),
        "strand": (framework.strands, lambda i: i.tags.strands),
        "hmic": (framework.hmic_areas, lambda i: i.tags.hmic),
    }
    groups, tag_of = tags[view]
    return [(g.id, g.name, {i.id for i in inds if g.id in tag_of(i)}) for g in groups]


def rollup(
    framework: Framework, standings: list[UnitStanding], view: View, target_pct: float,
    problems: dict[str, list[tuple[str, UnitStatus]]] | None = None,
) -> list[Rollup]:
    """Compliance per group of a view. problems: each unit's indicator_problems by unit code
    (worked out here when not given)."""
    if problems is None:
        problems = {s.unit_code: indicator_problems(s, framework) for s in standings}
    rows: list[Rollup] = []
    for key, label, subset in view_groups(framework, view):
        if view == "business-group":
            members = [s for s in standings if s.business_group == key]
        elif not subset:
            continue
        else:
            members = standings
        if not members:
            continue
        meeting = sum(1 for s in members
                      if meets_baseline(s, framework, subset, problems[s.unit_code]))
        pct = compliance_pct(meeting, len(members))
        rows.append(Rollup(
            view=view, key=key, label=label, units=len(members),
            returned=sum(1 for s in members if s.returned),
            valid=sum(1 for s in members if s.valid),
            meeting=meeting, compliance_pct=pct, target_pct=target_pct, met=pct >= target_pct,
            rag=framework.bands.rag(pct, target_pct),
        ))
    return rows


EXCEPTION_TEXT: dict[str, str] = {
    "not-returned": "no return received",
    "duplicate-returns": "more than one return: DCFD must decide which stands",
    "unreadable": "returned, but the file cannot be read: ask the unit to send it again",
    "invalid": "returned but invalid",
    "awaiting-linked": "awaiting the linked DCFA's scores",
    "awaiting-unlinked": "awaiting the unlinked DCFA's scores",
    "awaiting-moderation": "linked and unlinked scores differ: awaiting moderation",
    "below-baseline": "combined score below the baseline on some indicators",
}


# What happens next, for each kind of exception (Board pack, terminal).
EXCEPTION_NEXT: dict[str, str] = {
    "not-returned": "DCFD chases the unit; the business group lead is asked to secure the "
                    "return if it does not come.",
    "duplicate-returns": "DCFD confirms with the unit which return stands.",
    "unreadable": "The unit sends the workbook again, saved as .xlsx without a password.",
    "invalid": "The unit corrects the errors listed in its feedback and returns the workbook "
               "again.",
    "awaiting-linked": "The unit's linked DCFA completes the scores.",
    "awaiting-unlinked": "The allocated unlinked DCFA completes the scores.",
    "awaiting-moderation": "The two DCFAs, or a third, agree a score and record the reasons.",
    "below-baseline": "The gaps go into the unit's business action plan for next year; "
                      "buddying is considered.",
}


def _exception_detail(s: UnitStanding, category: str, framework: Framework,
                      names: dict[str, str], public: bool) -> str:
    rule = framework.rules.baseline
    base = [d for d in s.detail if d.in_baseline]
    if category == "invalid":
        return f"{s.errors} error(s) in {', '.join(s.return_files)}"
    if category == "duplicate-returns":
        return ", ".join(s.return_files)
    if category == "unreadable":
        return f"{', '.join(s.return_files)} cannot be read: ask the unit to send it again"
    if category == "awaiting-linked":
        missing = [d.indicator_id for d in base if d.linked is None and d.moderated is None]
        return f"{len(missing)} indicator(s) unscored: {_ids(missing)}"
    if category == "awaiting-unlinked":
        missing = [d.indicator_id for d in base if d.unlinked is None and d.moderated is None]
        if public:
            who = " (allocated)" if s.unlinked_dcfa else " (none allocated)"
        elif s.unlinked_dcfa:
            who = f" (allocated: {names.get(s.unlinked_dcfa, s.unlinked_dcfa)})"
        else:
            who = " (none allocated)"
        return f"{len(missing)} indicator(s) unscored{who}: {_ids(missing)}"
    if category == "awaiting-moderation":
        ids = [d.indicator_id for d in base if d.combined_status == "needs-moderation"]
        return f"{len(ids)} indicator(s): {_ids(ids)}"
    if category == "below-baseline":
        ids = [f"{d.indicator_id} ({d.combined})" for d in base
               if d.combined is not None and d.combined < rule.min_combined_score]
        return f"{len(ids)} indicator(s) below {rule.min_combined_score}: {_ids(ids)}"
    return EXCEPTION_TEXT.get(category, "")


def _ids(ids: list[str], limit: int = 8) -> str:
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def gaps_for(framework: Framework, standing: UnitStanding) -> list[Gap]:
    """Indicators for the unit's action plan: minimum not met, or combined score too low."""
    limit = framework.rules.action_plan_max_score
    out: list[Gap] = []
    for d in standing.detail:
        reasons = []
        if d.minimum_met is False:
            reasons.append("evidence minimum not met")
        if d.combined is not None and d.combined <= limit:
            reasons.append(f"combined score {d.combined} ({framework.scale.label(d.combined)})")
        if not reasons:
            continue
        ind = framework.indicator_by_id[d.indicator_id]
        unit = framework.esps_unit_of[d.indicator_id]
        out.append(Gap(
            unit_code=standing.unit_code, indicator_id=d.indicator_id,
            esps_unit=f"{unit.number}. {unit.title}", indicator=ind.text,
            reason="; ".join(reasons), rating=d.rating, linked=d.linked,
            unlinked=d.unlinked, combined=d.combined,
        ))
    return out


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
            category=reason, detail=_exception_detail(s, reason, framework, names, public),
            linked_dcfa=s.linked_dcfa, linked_dcfa_name=names.get(s.linked_dcfa, s.linked_dcfa),
            review_state=s.review_state,
        )
        for s in standings
        for reason in s.reasons
    ]
    distribution: dict[str, dict[int, int]] = {}
    for role in ("linked", "unlinked", "combined"):
        counts = Counter(
            getattr(d, role) for s in standings for d in s.detail if getattr(d, role) is not None
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


def read_register(location: RegisterLocation | Path | str | None, cycle_id: str
                  ) -> tuple[dict[tuple[str, str], Marks], dict[str, str], dict[str, str]]:
    """Current scores, allocations and review states for a cycle; none when there is no
    register yet."""
    if location is None:
        return {}, {}, {}
    try:
        with Register.open(location, create=False) as register:
            states: dict[str, str] = {u: c.state
                                      for u, c in current_states(register, cycle_id).items()}
            return register.current_marks(cycle_id), register.allocations(cycle_id), states
    except RegisterNotFound:
        return {}, {}, {}


@contextmanager
def validation_cache(location: RegisterLocation | Path | str | None
                     ) -> Iterator[Register | None]:
    """The register whose validation cache spares re-checking unchanged returns; None when
    there is none (no register yet, or one that cannot be opened: reading it for the scores
    then says why). A cache is an optimisation, never a reason to fail."""
    register = None
    if location is not None:
        with suppress(RegisterNotFound, ConfigError, RegisterBusyError,
                      RegisterConnectionError, RegisterPermissionError, DriverMissingError):
            register = Register.open(location, create=False)
    try:
        yield register
    finally:
        if register is not None:
            register.close()


def collect_summary(
    framework: Framework,
    cycle_id: str,
    units: list[Unit],
    advisors: list[Advisor],
    returns: list[Path],
    register_path: RegisterLocation | Path | str | None,
    *,
    jobs: int | None = None,
    on_progress: Callable[..., None] | None = None,
    views: Iterable[View] = VIEWS,
    public: bool = False,
    recursive: bool = False,
) -> tuple[SummaryReport, BatchReport]:
    """Validate the returns, read the register, and build the cycle's summary. The returns
    folders are read as `esps validate` reads them: their own files, and with recursive those
    of their subfolders too.

    With a register, returns are checked against the workbooks issued (sealed identity) and
    a unit's older files the register knows were replaced do not count (nothing is recorded:
    summary only reads); an unchanged return's validation comes from the register's cache."""
    location = None if register_path is None else locate(register_path)
    with review_loop(location, record=False, cycle=cycle_id, units=units) as loop, \
            validation_cache(location) as cache:
        batch = validate_paths(returns, framework, units=units, recursive=recursive, jobs=jobs,
                               on_progress=on_progress, issued=loop.issued,
                               history=loop.history, cache=cache)
    report = summary_from_batch(framework, cycle_id, units, advisors, batch, register_path,
                                views=views, public=public)
    return report, batch


def summary_from_batch(
    framework: Framework,
    cycle_id: str,
    units: list[Unit],
    advisors: list[Advisor],
    batch: BatchReport,
    register_path: RegisterLocation | Path | str | None,
    *,
    views: Iterable[View] = VIEWS,
    public: bool = False,
) -> SummaryReport:
    """A cycle's summary from returns already validated (one validation serves every cycle:
    each return is counted for the cycle it names)."""
    with collector_paused():  # 100,000 scores and standings that live to the end
        scores, allocations, states = read_register(register_path, framework.cycle(cycle_id).id)
        return build_summary(framework, cycle_id, units, batch, scores, allocations, advisors,
                             views=views, public=public, review_states=states)


def previous_summary(
    framework: Framework,
    cycle_id: str,
    units: list[Unit],
    advisors: list[Advisor],
    batch: BatchReport,
    register_path: RegisterLocation | Path | str | None,
    *,
    public: bool = False,
) -> SummaryReport | None:
    """The previous cycle's summary, for trends; None when there is no previous cycle or it
    has neither returns nor scores."""
    before = previous_cycle_id(framework, cycle_id)
    if before is None:
        return None
    report = summary_from_batch(framework, before, units, advisors, batch, register_path,
                                public=public)
    return report if has_data(report) else None


def advisor_redactor(advisors: Iterable[Advisor]) -> Callable[[str], str]:
    """A function that replaces every advisor's id, name and e-mail address inside a text
    (whole words, any case) with "[advisor]"."""
    terms = sorted({t for a in advisors for t in (a.id, a.name, a.email) if t and t.strip()},
                   key=len, reverse=True)
    if not terms:
        return lambda text: text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)",
                         re.IGNORECASE)
    return lambda text: pattern.sub("[advisor]", text)


def _redact_all(value: object, redact: Callable[[str], str]) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_all(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: _redact_all(v, redact) for k, v in value.items()}
    return value


def make_public(report: SummaryReport, advisors: Iterable[Advisor] = ()) -> SummaryReport:
    """Fit for community review: standings and scores with nothing of the advisors: the
    fields that name them are emptied, comments dropped, and any advisor's id, name or e-mail
    left inside other text (file names, details) is replaced by "[advisor]"."""
    data = report.model_dump(mode="json")
    for s in data["units"]:
        s["linked_dcfa"], s["unlinked_dcfa"] = "", None
        for d in s["detail"]:
            d.update(linked_assessor=None, unlinked_assessor=None, linked_comment="",
                     unlinked_comment="")
    for e in data["exceptions"]:
        e.update(linked_dcfa="", linked_dcfa_name="")
    public = _redact_all(data, advisor_redactor(advisors))
    assert isinstance(public, dict)  # a dict comes back a dict
    public.update(public=True, edition_note=PUBLIC_NOTE)
    return SummaryReport.model_validate(public)


# -- buddying -----------------------------------------------------------------------------


class BuddyPair(BaseModel):
    unit_code: str
    unit_name: str
    buddy_code: str
    buddy_name: str
    business_group: str
    weakest_theme: str
    unit_theme_score: float | None
    buddy_theme_score: float | None


def _theme_means(standing: UnitStanding) -> dict[str, float]:
    by_theme: dict[str, list[int]] = {}
    for d in standing.detail:
        if d.combined is not None:
            by_theme.setdefault(d.theme, []).append(d.combined)
    return {t: sum(v) / len(v) for t, v in by_theme.items()}


def suggest_buddies(framework: Framework, report: SummaryReport) -> list[BuddyPair]:
    """Pair each returned unit below baseline with a unit of its business group that meets it,
    strongest in the theme where the first is weakest; spread buddies out (fewest pairs first).
    Units not yet returned are left out: there is nothing to compare yet."""
    themes = {t.id: t.name for t in framework.national_themes}
    meeting = [s for s in report.units if s.meets_baseline]
    load: Counter[str] = Counter()
    pairs: list[BuddyPair] = []
    for s in report.units:
        if s.meets_baseline or not s.returned:
            continue
        candidates = [m for m in meeting if m.business_group == s.business_group]
        if not candidates:
            continue
        mine = _theme_means(s)
        # weakest theme: lowest mean combined score; a theme with no scores yet counts as weakest
        weakest = min(themes, key=lambda t: (mine.get(t, 0.0), t))
        best = max(
            candidates,
            key=lambda m: (_theme_means(m).get(weakest, 0.0), -load[m.unit_code], m.unit_code),
        )
        load[best.unit_code] += 1
        pairs.append(BuddyPair(
            unit_code=s.unit_code, unit_name=s.unit_name, buddy_code=best.unit_code,
            buddy_name=best.unit_name, business_group=s.business_group,
            weakest_theme=themes[weakest],
            unit_theme_score=round(mine[weakest], 2) if weakest in mine else None,
            buddy_theme_score=round(_theme_means(best).get(weakest, 0.0), 2)
            if weakest in _theme_means(best) else None,
        ))
    return pairs


# -- comparing cycles ---------------------------------------------------------------------


class UnitChange(BaseModel):
    unit_code: str
    unit_name: str
    before: UnitStatus | None
    after: UnitStatus | None
    before_mean: float | None
    after_mean: float | None
    change: Literal["now meets", "no longer meets", "still meets", "still below", "new", "gone"]


Trend = Literal["up", "down", "same"]


def trend(before_pct: float, after_pct: float) -> Trend:
    """Which way a percentage moved between two cycles (to the 0.1 it is shown to)."""
    change = round(after_pct - before_pct, 1)
    return "up" if change > 0 else "down" if change < 0 else "same"


class RollupChange(BaseModel):
    """One group of a roll-up view (a business group, a theme...) in two cycles."""

    view: str
    key: str
    label: str
    before_pct: float | None
    after_pct: float | None
    before_meeting: int | None
    after_meeting: int | None
    before_units: int | None
    after_units: int | None
    change_pts: float | None
    trend: Trend | None
    after_rag: Rag | None


class CycleComparison(BaseModel):
    before: Organisation
    after: Organisation
    compliance_change_pts: float
    trend: Trend = "same"
    units: list[UnitChange]
    rollups: list[RollupChange] = []


def compare(before: SummaryReport, after: SummaryReport) -> CycleComparison:
    """What changed between two cycles, per unit and overall."""
    old = {s.unit_code: s for s in before.units}
    new = {s.unit_code: s for s in after.units}
    changes: list[UnitChange] = []
    for code in sorted(old.keys() | new.keys()):
        a, b = old.get(code), new.get(code)
        if a and b:
            change = {
                (False, True): "now meets", (True, False): "no longer meets",
                (True, True): "still meets", (False, False): "still below",
            }[(a.meets_baseline, b.meets_baseline)]
        else:
            change = "new" if b else "gone"
        changes.append(UnitChange(
            unit_code=code, unit_name=(b or a).unit_name,  # type: ignore[union-attr]
            before=a.status if a else None, after=b.status if b else None,
            before_mean=a.mean_combined if a else None,
            after_mean=b.mean_combined if b else None,
            change=change,
        ))
    return CycleComparison(
        before=before.organisation, after=after.organisation,
        compliance_change_pts=round(
            after.organisation.compliance_pct - before.organisation.compliance_pct, 1
        ),
        trend=trend(before.organisation.compliance_pct, after.organisation.compliance_pct),
        units=changes,
        rollups=compare_rollups(before, after),
    )


def compare_rollups(before: SummaryReport, after: SummaryReport) -> list[RollupChange]:
    """Each group of each roll-up view in both cycles, in the later cycle's order (a group
    only in the earlier one follows)."""
    old = {(r.view, r.key): r for r in before.rollups}
    new = {(r.view, r.key): r for r in after.rollups}
    keys = [*new, *(k for k in old if k not in new)]
    out: list[RollupChange] = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        both = a is not None and b is not None
        out.append(RollupChange(
            view=key[0], key=key[1], label=(b or a).label,  # type: ignore[union-attr]
            before_pct=a.compliance_pct if a else None,
            after_pct=b.compliance_pct if b else None,
            before_meeting=a.meeting if a else None, after_meeting=b.meeting if b else None,
            before_units=a.units if a else None, after_units=b.units if b else None,
            change_pts=round(b.compliance_pct - a.compliance_pct, 1)  # type: ignore[union-attr]
            if both else None,
            trend=trend(a.compliance_pct, b.compliance_pct)  # type: ignore[union-attr]
            if both else None,
            after_rag=b.rag if b else None,
        ))
    return out


def previous_cycle_id(framework: Framework, cycle_id: str) -> str | None:
    """The cycle before this one in the framework, if any."""
    ids = [c.id for c in framework.cycles]
    i = ids.index(framework.cycle(cycle_id).id)
    return ids[i - 1] if i > 0 else None


def has_data(report: SummaryReport) -> bool:
    """Whether a cycle has anything to compare against: a return or a score."""
    return any(s.returned or s.linked_scored or s.unlinked_scored for s in report.units)
