"""Comparing two cycles' summaries: per unit, overall, and per group of each roll-up view."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from esps_cli.domain.framework import Rag
from esps_cli.summary.models import Organisation, SummaryReport, UnitStatus
from esps_cli.summary.rules import has_data


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


NO_DATA_YET = "no data yet"


class CycleComparison(BaseModel):
    before: Organisation
    after: Organisation
    # None when either cycle has no data yet (no return, no score): no change to measure
    compliance_change_pts: float | None
    trend: Trend | None = "same"
    units: list[UnitChange]
    rollups: list[RollupChange] = []
    no_data_yet: list[str] = []  # the cycles (names) with no return and no score yet


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
    empty = [r.organisation.cycle_name for r in (before, after) if not has_data(r)]
    old_pct, new_pct = before.organisation.compliance_pct, after.organisation.compliance_pct
    return CycleComparison(
        before=before.organisation, after=after.organisation,
        compliance_change_pts=None if empty else round(new_pct - old_pct, 1),
        trend=None if empty else trend(old_pct, new_pct),
        units=changes,
        rollups=compare_rollups(before, after, measured=not empty),
        no_data_yet=empty,
    )


def compare_rollups(before: SummaryReport, after: SummaryReport, *,
                    measured: bool = True) -> list[RollupChange]:
    """Each group of each roll-up view in both cycles, in the later cycle's order (a group
    only in the earlier one follows); no change measured when a cycle has no data yet."""
    old = {(r.view, r.key): r for r in before.rollups}
    new = {(r.view, r.key): r for r in after.rollups}
    keys = [*new, *(k for k in old if k not in new)]
    out: list[RollupChange] = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        both = a is not None and b is not None and measured
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
