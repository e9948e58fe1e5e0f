"""Compliance rules: where each unit stands against the baseline, rolled up for the Board.

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

These are pure rules over the framework and the models (summary/models.py): nothing here reads
a file or the register.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from esps_cli.domain.framework import Framework, Indicator
from esps_cli.findings import assembled
from esps_cli.summary.models import (
    STATUS_ORDER,
    Gap,
    IndicatorFigures,
    Rollup,
    SummaryReport,
    UnitStanding,
    UnitStatus,
    View,
)

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
    return detail_problems(standing.detail, framework)


def detail_problems(detail: Iterable[IndicatorFigures], framework: Framework
                    ) -> list[tuple[str, UnitStatus]]:
    """indicator_problems over a unit's standing on each indicator (UnitStanding.detail)."""
    rule = framework.rules.baseline
    out: list[tuple[str, UnitStatus]] = []
    for d in detail:
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


def exception_detail(s: UnitStanding, category: str, framework: Framework,
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
    """Indicators for the unit's action plan: minimum not met, or combined score too low.
    Assembled, not validated again: every value is the standing's (of the same types) or the
    framework's text (a blank return has a gap per indicator: 54,000 in a summary)."""
    limit = framework.rules.action_plan_max_score
    gaps: list[Gap] = []
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
        said = [f"{who} DCFA ({score}): {comment}" for who, score, comment in (
            ("Linked", d.linked, d.linked_comment), ("Unlinked", d.unlinked, d.unlinked_comment))
            if comment]
        gaps.append(assembled(Gap, {
            "unit_code": standing.unit_code, "indicator_id": d.indicator_id,
            "esps_unit": f"{unit.number}. {unit.title}", "indicator": ind.text,
            "reason": "; ".join(reasons), "rating": d.rating, "linked": d.linked,
            "unlinked": d.unlinked, "combined": d.combined, "rationale": "\n".join(said),
        }, _GAP_FIELDS))
    return gaps


_GAP_FIELDS: set[str] = set(Gap.model_fields)


def previous_cycle_id(framework: Framework, cycle_id: str) -> str | None:
    """The cycle before this one in the framework, if any."""
    ids = [c.id for c in framework.cycles]
    i = ids.index(framework.cycle(cycle_id).id)
    return ids[i - 1] if i > 0 else None


def has_data(report: SummaryReport) -> bool:
    """Whether a cycle has anything to compare against: a return or a score."""
    return any(s.returned or s.linked_scored or s.unlinked_scored for s in report.units)
