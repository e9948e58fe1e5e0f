"""Assessment quality as the Board reads it: agreement on the decision (does each assessor's
scoring, on its own, lead to the same meets-baseline verdict for the unit), Krippendorff's
alpha in its conventional bands, and the calibration of each DCFA against seed returns.

The models here carry unrounded figures (json and csv print them as they are; text, xlsx and
the Board pack round when they show them). The interval on a decision agreement is Wilson's
score interval: the figure is a proportion of few units (a pair often scores three to ten),
where a bootstrap of the units collapses to a single point whenever every unit agrees (it
would print 100% to 100%) and the normal (Wald) interval runs outside 0-100%; Wilson's stays
inside and is honest about how little three units can show.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel

# Krippendorff (2004), Content Analysis, 2nd ed., p. 241: rely on variables with alpha >= .800;
# consider those with .667 <= alpha < .800 only for tentative conclusions.
ALPHA_RELIABLE = 0.800
ALPHA_TENTATIVE = 0.667
AlphaBand = Literal["reliable", "tentative", "unreliable", "undefined"]
Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal
INTERVAL_METHOD = "Wilson score interval, 95%"
Direction = Literal["up", "down", "same", "one cycle"]


def alpha_band(alpha: float | None) -> AlphaBand:
    """Krippendorff's bands: reliable at 0.800 or more, tentative from 0.667 up to 0.800,
    unreliable below 0.667 (a value on a boundary takes the upper band)."""
    if alpha is None:
        return "undefined"
    if alpha >= ALPHA_RELIABLE:
        return "reliable"
    if alpha >= ALPHA_TENTATIVE:
        return "tentative"
    return "unreliable"


ALPHA_WORDS: dict[AlphaBand, str] = {
    "reliable": "reliable: at or above 0.800, the level at which conclusions may rest on the "
                "scores",
    "tentative": "tentative: between 0.667 and 0.800, good enough only for tentative "
                 "conclusions",
    "unreliable": "unreliable: below 0.667, too low for conclusions to rest on the scores",
    "undefined": "undefined: too few paired scores, or every score the same",
}


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float | None, float | None]:
    """Wilson's score interval for successes out of n, as proportions (None, None when n = 0).

    centre = (p + z^2 / 2n) / (1 + z^2 / n), half = z sqrt(p (1 - p) / n + z^2 / 4n^2) /
    (1 + z^2 / n)."""
    if n <= 0:
        return None, None
    p = successes / n
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


# -- agreement on the decision -----------------------------------------------------------


class UnitVerdicts(BaseModel):
    """One unit scored in full by both assessors: the verdict each one's scores lead to."""

    unit: str
    linked_assessor: str
    unlinked_assessor: str
    indicators: int  # baseline indicators both scored
    exact: int  # of them, scored the same by both
    linked_meets: bool
    unlinked_meets: bool

    @property
    def agree(self) -> bool:
        return self.linked_meets == self.unlinked_meets


class DecisionStats(BaseModel):
    """Agreement on the meets-baseline decision for one assessor pair (or all pairs)."""

    linked_assessor: str | None  # None: every pair together
    unlinked_assessor: str | None
    units: int
    agreed: int
    agreement_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    both_meet: int
    both_below: int
    only_linked_meets: int
    only_unlinked_meets: int
    indicators: int
    indicator_exact_pct: float | None  # exact agreement on the same units' indicators
    krippendorff_alpha: float | None = None  # ordinal, on those indicators' scores
    alpha_band: AlphaBand = "undefined"
    below_level: bool = False


class TrendPoint(BaseModel):
    cycle: str
    cycle_name: str
    units: int
    agreed: int
    agreement_pct: float | None


class PairTrend(BaseModel):
    linked_assessor: str
    unlinked_assessor: str
    cycles: list[TrendPoint]
    change_pts: float | None  # last cycle's % less the one before (None with one cycle)
    direction: Direction


class DecisionReport(BaseModel):
    cycle: str
    cycle_name: str
    level_pct: float  # pairs below this are listed for the Board
    interval: str = INTERVAL_METHOD
    alpha_reliable: float = ALPHA_RELIABLE
    alpha_tentative: float = ALPHA_TENTATIVE
    pairs: list[DecisionStats]
    overall: DecisionStats
    flagged: list[DecisionStats]
    units_incomplete: int  # units with some scores but not both assessors' on every one
    units: list[UnitVerdicts]
    trend: list[PairTrend] = []


def decision_stats(verdicts: list[UnitVerdicts], level_pct: float, *,
                   linked: str | None = None, unlinked: str | None = None,
                   alpha: float | None = None) -> DecisionStats:
    """The figures for a set of units' verdicts (a pair's, or all)."""
    n = len(verdicts)
    agreed = sum(v.agree for v in verdicts)
    low, high = wilson_interval(agreed, n)
    indicators = sum(v.indicators for v in verdicts)
    exact = sum(v.exact for v in verdicts)
    pct = 100 * agreed / n if n else None
    return DecisionStats(
        linked_assessor=linked, unlinked_assessor=unlinked, units=n, agreed=agreed,
        agreement_pct=pct,
        ci_low_pct=None if low is None else 100 * low,
        ci_high_pct=None if high is None else 100 * high,
        both_meet=sum(v.linked_meets and v.unlinked_meets for v in verdicts),
        both_below=sum(not v.linked_meets and not v.unlinked_meets for v in verdicts),
        only_linked_meets=sum(v.linked_meets and not v.unlinked_meets for v in verdicts),
        only_unlinked_meets=sum(v.unlinked_meets and not v.linked_meets for v in verdicts),
        indicators=indicators, indicator_exact_pct=100 * exact / indicators if indicators
        else None, krippendorff_alpha=alpha, alpha_band=alpha_band(alpha),
        below_level=pct is not None and pct < level_pct)


def pair_trend(linked: str, unlinked: str, points: list[TrendPoint]) -> PairTrend:
    """A pair's decision agreement cycle by cycle, and which way it went last."""
    shown = [p for p in points if p.agreement_pct is not None]
    if len(shown) < 2:
        return PairTrend(linked_assessor=linked, unlinked_assessor=unlinked, cycles=points,
                         change_pts=None, direction="one cycle")
    before, after = shown[-2].agreement_pct, shown[-1].agreement_pct
    assert before is not None and after is not None
    change = after - before
    direction: Direction = "up" if change > 0 else "down" if change < 0 else "same"
    return PairTrend(linked_assessor=linked, unlinked_assessor=unlinked, cycles=points,
                     change_pts=change, direction=direction)


DECISION_HEADER = ("scope", *DecisionStats.model_fields)


def decision_rows(report: DecisionReport) -> list[list[object]]:
    """One row per pair, then the overall row (unrounded), for CSV."""
    rows: list[list[object]] = []
    for scope, stats in (*(("pair", s) for s in report.pairs), ("overall", report.overall)):
        dumped = stats.model_dump()
        rows.append([scope, *("" if dumped[k] is None else dumped[k]
                              for k in DecisionStats.model_fields)])
    return rows


# -- calibration against seed returns ----------------------------------------------------

Leaning = Literal["harsher", "more lenient", "in line", "not scored"]


class AssessorCalibration(BaseModel):
    """One DCFA against the seed returns' definitive scores (deviation = their score less the
    definitive one: negative is harsher, positive more lenient)."""

    assessor: str
    seeds: int  # seeds they scored at least one indicator of
    indicators: int  # scores compared
    mean_signed_deviation: float | None
    mean_absolute_deviation: float | None
    flagged: bool  # the mean signed deviation is beyond the tolerance, either way
    leaning: Leaning


class SeedSummary(BaseModel):
    seed: str
    unit: str
    unit_name: str
    indicators: int
    set_by: str


class CalibrationCycle(BaseModel):
    cycle: str
    cycle_name: str
    seeds: int
    assessors: list[AssessorCalibration]


class CalibrationReport(BaseModel):
    cycle: str
    cycle_name: str
    tolerance: float
    seeds: list[SeedSummary]
    assessors: list[AssessorCalibration]
    flagged: list[str]  # assessors beyond the tolerance
    awaiting: list[str]  # sent a calibration pack, no score back yet
    cycles: list[CalibrationCycle] = []  # every cycle with seeds up to this one, to compare


def assessor_calibration(assessor: str, deviations: list[tuple[str, int]],
                         tolerance: float) -> AssessorCalibration:
    """The figures from (seed, score less definitive) for each indicator an assessor scored.
    Flagged when the mean signed deviation is more than the tolerance either way (at exactly
    the tolerance it is not)."""
    n = len(deviations)
    if not n:
        return AssessorCalibration(assessor=assessor, seeds=0, indicators=0,
                                   mean_signed_deviation=None, mean_absolute_deviation=None,
                                   flagged=False, leaning="not scored")
    signed = sum(d for _, d in deviations) / n
    absolute = sum(abs(d) for _, d in deviations) / n
    leaning: Leaning = "harsher" if signed < 0 else "more lenient" if signed > 0 else "in line"
    return AssessorCalibration(
        assessor=assessor, seeds=len({s for s, _ in deviations}), indicators=n,
        mean_signed_deviation=signed, mean_absolute_deviation=absolute,
        flagged=abs(signed) > tolerance, leaning=leaning)


CALIBRATION_HEADER = ("cycle", *AssessorCalibration.model_fields)


def calibration_rows(report: CalibrationReport) -> list[list[object]]:
    """One row per assessor and cycle (this cycle first), unrounded, for CSV."""
    rows: list[list[object]] = []
    others = [c for c in report.cycles if c.cycle != report.cycle]
    for cycle, assessors in ((report.cycle, report.assessors),
                             *((c.cycle, c.assessors) for c in others)):
        for a in assessors:
            dumped = a.model_dump()
            rows.append([cycle, *("" if dumped[k] is None else dumped[k]
                                  for k in AssessorCalibration.model_fields)])
    return rows


# -- the Board's page --------------------------------------------------------------------


class AssessmentQuality(BaseModel):
    """What the Board pack's assessment-quality page shows (every edition renders this):
    agreement on the decision with the pairs below the level, and the calibration result.
    None where the register holds nothing for it yet. Names advisors: never in a public
    edition."""

    cycle: str
    decision: DecisionReport | None = None
    calibration: CalibrationReport | None = None
