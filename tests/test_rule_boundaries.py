"""Threshold rules at their exact boundaries, outside validation: the KPI at its target, the
moderation threshold, the baseline's minimum combined score, the action plan's maximum score.

Real framework (its rules and cycle targets, never restated here), real generated and filled
returns validated for real; scores are the register's own models. Each boundary is tested on
both sides, so flipping `>=` to `>` (or `<` to `<=`) in a rule fails a test here
(tools/mutation_check.py checks exactly that).
"""

from __future__ import annotations

import pytest

from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Advisor, Unit
from esps_cli.register import Mark, Marks, ScoreEvent, ScorePair, now_utc
from esps_cli.scoring.combine import combine
from esps_cli.summary.compare import trend
from esps_cli.summary.models import SummaryReport
from esps_cli.summary.rules import (
    compliance_pct,
    meets_baseline,
    previous_cycle_id,
    rollup,
    units_needed,
)
from esps_cli.summary.standing import build_summary
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.report import BatchReport
from esps_cli.workbook.generate import generate_workbooks, workbook_filename
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE

Scores = dict[tuple[str, str], ScorePair]


def event(role: str, score: int, unit: str = "U", indicator: str = "I") -> ScoreEvent:
    return ScoreEvent(cycle=CYCLE, unit=unit, indicator=indicator, role=role,
                      assessor=f"{role}-dcfa", score=score, recorded_at=now_utc())


def pair(linked: int, unlinked: int, unit: str = "U", indicator: str = "I") -> ScorePair:
    return ScorePair(linked=event("linked", linked, unit, indicator),
                     unlinked=event("unlinked", unlinked, unit, indicator))


# -- the moderation threshold ------------------------------------------------------------


def test_scores_differing_by_the_threshold_need_moderation_one_less_does_not(
    framework: Framework,
) -> None:
    rule = framework.rules.combination
    top, threshold = framework.scale.maximum, rule.moderation_threshold
    below = combine(pair(top, top - (threshold - 1)), rule)
    assert (below.score, below.status) == (top - (threshold - 1), "lower-stands")
    at = combine(pair(top, top - threshold), rule)
    assert (at.score, at.status) == (None, "needs-moderation")
    assert at.reason == (f"linked {top} and unlinked {top - threshold} differ by {threshold} "
                         f"(moderation needed at {threshold} or more)")
    if top - (threshold + 1) >= framework.scale.minimum:
        beyond = combine(pair(top - (threshold + 1), top), rule)
        assert (beyond.score, beyond.status) == (None, "needs-moderation")


def test_the_moderation_boundary_moves_with_the_frameworks_threshold(framework: Framework) -> None:
    rule = framework.rules.combination
    wider = rule.model_copy(update={"moderation_threshold": rule.moderation_threshold + 1})
    low = framework.scale.minimum
    at_old = pair(low + rule.moderation_threshold, low)
    assert combine(at_old, rule).status == "needs-moderation"
    assert combine(at_old, wider).status == "lower-stands"
    at_new = pair(low, low + wider.moderation_threshold)
    assert combine(at_new, wider).status == "needs-moderation"


# -- a summary of five real returns --------------------------------------------------------


@pytest.fixture(scope="module")
def five(tmp_path_factory, framework: Framework, units: list[Unit],
         advisors: list[Advisor]) -> tuple[list[Unit], BatchReport]:
    """Five units of one business group, each with a complete, valid return."""
    group = units[0].business_group
    chosen = [u for u in units if u.business_group == group][:5]
    assert len(chosen) == 5
    cycle = framework.cycle(CYCLE)
    returns = tmp_path_factory.mktemp("boundaries")
    generate_workbooks(framework, chosen, advisors, returns, cycle, jobs=1)
    for unit in chosen:
        fill_file(returns / workbook_filename(unit, cycle), framework, "complete")
    batch = validate_paths([returns], framework, units=chosen, jobs=1)
    assert [w.valid for w in batch.workbooks] == [True] * 5
    return chosen, batch


def baseline_ids(framework: Framework) -> list[str]:
    rule = framework.rules.baseline
    return [i.id for i in framework.cycle_indicators(framework.cycle(CYCLE))
            if i.stage == rule.indicator_stage]


def all_scored(framework: Framework, chosen: list[Unit], score: int) -> Scores:
    return {(u.code, i): pair(score, score, u.code, i)
            for u in chosen for i in baseline_ids(framework)}


def as_marks(p: ScorePair) -> Marks:
    """A pair as the register's bulk read gives it to the summary."""
    return [None if e is None else Mark(e.assessor, e.score, e.comment)
            for e in (p.linked, p.unlinked, p.moderated)]


def summary(framework: Framework, five, advisors, scores: Scores) -> SummaryReport:
    chosen, batch = five
    return build_summary(framework, CYCLE, chosen, batch,
                         {k: as_marks(p) for k, p in scores.items()}, {}, advisors)


def test_kpi_exactly_at_its_target_is_met(framework, five, advisors) -> None:
    chosen, _ = five
    target = framework.cycle(CYCLE).kpi_target_pct
    meeting = round(target / 100 * len(chosen))
    assert compliance_pct(meeting, len(chosen)) == target  # the real target falls on a unit
    minimum = framework.rules.baseline.min_combined_score
    scores = all_scored(framework, chosen, minimum)
    first = baseline_ids(framework)[0]
    for unit in chosen[meeting:]:  # the rest are one point below the baseline on one indicator
        scores[(unit.code, first)] = pair(minimum - 1, minimum - 1, unit.code, first)

    org = summary(framework, five, advisors, scores).organisation
    assert (org.meeting, org.compliance_pct, org.target_pct) == (meeting, target, target)
    assert (org.kpi, org.units_needed) == ("MET", 0)
    assert units_needed(meeting, len(chosen), target) == 0


def test_kpi_above_its_target_needs_no_more_units(framework, five, advisors) -> None:
    """Every unit meets the baseline, more than the target asks: no unit is needed (never a
    negative count)."""
    chosen, _ = five
    target = framework.cycle(CYCLE).kpi_target_pct
    scores = all_scored(framework, chosen, framework.rules.baseline.min_combined_score)
    org = summary(framework, five, advisors, scores).organisation
    assert org.meeting == len(chosen) and org.compliance_pct > target
    assert (org.kpi, org.units_needed) == ("MET", 0)


def test_kpi_one_unit_short_of_its_target_is_not_met(framework, five, advisors) -> None:
    chosen, _ = five
    target = framework.cycle(CYCLE).kpi_target_pct
    meeting = round(target / 100 * len(chosen)) - 1
    minimum = framework.rules.baseline.min_combined_score
    scores = all_scored(framework, chosen, minimum)
    first = baseline_ids(framework)[0]
    for unit in chosen[meeting:]:
        scores[(unit.code, first)] = pair(minimum - 1, minimum - 1, unit.code, first)

    org = summary(framework, five, advisors, scores).organisation
    assert org.meeting == meeting and org.compliance_pct < target
    assert (org.kpi, org.units_needed) == ("NOT MET", 1)


def test_rollup_exactly_at_its_target_is_met(framework, five, advisors) -> None:
    chosen, _ = five
    report = summary(framework, five, advisors,
                     all_scored(framework, chosen, framework.rules.baseline.min_combined_score))
    group = chosen[0].business_group
    (row,) = [r for r in report.rollups if r.view == "business-group" and r.key == group]
    assert (row.meeting, row.compliance_pct) == (5, 100.0)
    # the cycle's own target, then a target exactly at the group's figure, then just above it
    assert row.met is True and row.target_pct == framework.cycle(CYCLE).kpi_target_pct
    for target, met in ((100.0, True), (100.1, False)):
        (again,) = [r for r in rollup(framework, report.units, "business-group", target)
                    if r.key == group]
        assert again.met is met, target
    # 4 of 5: 80.0 exactly
    scores = all_scored(framework, chosen, framework.rules.baseline.min_combined_score)
    first = baseline_ids(framework)[0]
    scores[(chosen[0].code, first)] = pair(1, 1, chosen[0].code, first)
    standings = summary(framework, five, advisors, scores).units
    for target, met in ((80.0, True), (80.1, False)):
        (row,) = [r for r in rollup(framework, standings, "business-group", target)
                  if r.key == group]
        assert (row.compliance_pct, row.met) == (80.0, met), target


def test_combined_score_exactly_at_the_baseline_minimum_meets_it(framework, five,
                                                                 advisors) -> None:
    chosen, _ = five
    minimum = framework.rules.baseline.min_combined_score
    ids = baseline_ids(framework)
    scores = all_scored(framework, chosen, minimum + 1)
    code = chosen[0].code
    # the lower of (minimum, minimum + 1) stands: exactly the minimum
    scores[(code, ids[0])] = pair(minimum + 1, minimum, code, ids[0])
    standing = next(s for s in summary(framework, five, advisors, scores).units
                    if s.unit_code == code)
    exact = next(d for d in standing.detail if d.indicator_id == ids[0])
    assert (exact.combined, exact.combined_status) == (minimum, "lower-stands")
    assert standing.meets_baseline and standing.status == "meets-baseline"
    assert standing.baseline_at_or_above == standing.baseline_indicators == len(ids)

    scores[(code, ids[0])] = pair(minimum, minimum - 1, code, ids[0])
    report = summary(framework, five, advisors, scores)
    standing = next(s for s in report.units if s.unit_code == code)
    assert standing.status == "below-baseline" and standing.reasons == ["below-baseline"]
    assert standing.baseline_at_or_above == len(ids) - 1
    assert not meets_baseline(standing, framework, {ids[0]})
    assert meets_baseline(standing, framework, set(ids[1:]))
    (item,) = [e for e in report.exceptions if e.unit_code == code]
    assert item.detail == f"1 indicator(s) below {minimum}: {ids[0]} ({minimum - 1})"


def test_moderation_pending_at_the_threshold_blocks_the_baseline(framework, five,
                                                                 advisors) -> None:
    chosen, _ = five
    rule, minimum = framework.rules.combination, framework.rules.baseline.min_combined_score
    assert not framework.rules.baseline.allow_pending_moderation
    ids = baseline_ids(framework)
    code = chosen[1].code
    scores = all_scored(framework, chosen, minimum)
    # one point inside the threshold: the lower (the minimum) stands, the unit meets
    scores[(code, ids[1])] = pair(minimum + rule.moderation_threshold - 1, minimum, code, ids[1])
    standing = next(s for s in summary(framework, five, advisors, scores).units
                    if s.unit_code == code)
    assert (standing.status, standing.moderation_pending) == ("meets-baseline", 0)

    # exactly the threshold apart: awaiting moderation, named in the exception
    high = framework.scale.maximum
    low = high - rule.moderation_threshold
    scores[(code, ids[1])] = pair(high, low, code, ids[1])
    report = summary(framework, five, advisors, scores)
    standing = next(s for s in report.units if s.unit_code == code)
    assert standing.reasons[0] == "awaiting-moderation"
    assert standing.moderation_pending == 1
    moderation = [e for e in report.exceptions
                  if e.unit_code == code and e.category == "awaiting-moderation"]
    assert [e.detail for e in moderation] == [f"1 indicator(s): {ids[1]}"]


def test_exception_detail_lists_eight_indicators_then_counts_the_rest(framework, five,
                                                                      advisors) -> None:
    chosen, _ = five
    minimum = framework.rules.baseline.min_combined_score
    ids = baseline_ids(framework)
    assert len(ids) > 9
    code = chosen[2].code
    for below, tail in ((8, ""), (9, " and 1 more")):
        scores = all_scored(framework, chosen, minimum)
        for ind in ids[:below]:
            scores[(code, ind)] = pair(minimum - 1, minimum - 1, code, ind)
        report = summary(framework, five, advisors, scores)
        (item,) = [e for e in report.exceptions if e.unit_code == code]
        listed = ", ".join(f"{i} ({minimum - 1})" for i in ids[:8])
        assert item.detail == f"{below} indicator(s) below {minimum}: {listed}{tail}"


def test_action_plan_takes_scores_up_to_its_maximum(framework, five, advisors) -> None:
    chosen, _ = five
    limit = framework.rules.action_plan_max_score
    ids = baseline_ids(framework)
    code = chosen[3].code
    scores = all_scored(framework, chosen, limit + 1)
    scores[(code, ids[0])] = pair(limit, limit, code, ids[0])
    report = summary(framework, five, advisors, scores)
    gaps = [(g.unit_code, g.indicator_id, g.combined) for g in report.gaps]
    assert gaps == [(code, ids[0], limit)]  # the limit itself is in; limit + 1 everywhere else


# -- comparing cycles ----------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after", "expected"), [
    (80.0, 80.0, "same"),
    (80.0, 80.1, "up"),
    (80.0, 79.9, "down"),
    (80.0, 80.04, "same"),  # shown to 0.1: no visible change is no trend
    (80.0, 79.96, "same"),
    (0.0, 100.0, "up"),
])
def test_trend_is_same_exactly_at_no_change(before: float, after: float, expected: str) -> None:
    assert trend(before, after) == expected


def test_the_first_cycle_has_no_previous_cycle(framework: Framework) -> None:
    ids = [c.id for c in framework.cycles]
    assert len(ids) >= 2
    assert previous_cycle_id(framework, ids[0]) is None
    assert previous_cycle_id(framework, ids[1]) == ids[0]
    assert previous_cycle_id(framework, ids[-1]) == ids[-2]
