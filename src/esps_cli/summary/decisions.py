"""Agreement on the decision: would the linked DCFA's scores on their own, and the unlinked
DCFA's on their own, lead to the same meets-baseline verdict for the unit?

Each assessor's verdict is the framework's baseline rule (summary.standing's
indicator_figures and summary.rules' detail_problems, not a copy of them) applied to a
standing in which
that assessor's score is the only score of every indicator (so it is also the combined
score, whatever the combination method, and nothing awaits moderation). The return's own
conditions (one valid return) are the same for both assessors, so the verdicts compared are
the rule on the scores.
A unit counts once both assessors have scored every one of its baseline indicators.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Unit
from esps_cli.register import Mark, Marks
from esps_cli.scoring.agreement import krippendorff_alpha_counted
from esps_cli.scoring.combine import Combiner
from esps_cli.scoring.quality import (
    DecisionReport,
    PairTrend,
    TrendPoint,
    UnitVerdicts,
    decision_stats,
    pair_trend,
)
from esps_cli.summary.models import IndicatorFigures
from esps_cli.summary.rules import detail_problems
from esps_cli.summary.standing import IndicatorFacts, indicator_facts, indicator_figures

CurrentMarks = Mapping[tuple[str, str], Marks]


# A unit's standing on one indicator whose only score is one assessor's mark (or none), by
# (indicator, mark): it does not depend on the unit, so it is worked out once per summary.
Seen = dict[tuple[str, Mark | None], IndicatorFigures]


def _meets_alone(framework: Framework, own: dict[str, Mark], combiner: Combiner,
                 facts: IndicatorFacts, seen: Seen) -> bool:
    """The baseline rule on one assessor's scores alone: on the standing, indicator by
    indicator, of a unit whose only scores are theirs (the unit's own conditions, one valid
    return, are the same for both assessors)."""
    detail = []
    for fact in facts:
        mark = own.get(fact[0])
        figures = seen.get((fact[0], mark))
        if figures is None:
            scores: dict[tuple[str, str], Marks] = {("", fact[0]): [mark, mark, None]}
            figures = seen[(fact[0], mark)] = indicator_figures(
                "", None, scores if mark else {}, combiner, [fact])[0]
        detail.append(figures)
    return not detail_problems(detail, framework)


def _main(marks: Sequence[Mark]) -> str:
    return Counter(m.assessor for m in marks).most_common(1)[0][0]


def unit_verdicts(framework: Framework, cycle_id: str, units: Sequence[Unit],
                  current: CurrentMarks) -> tuple[list[UnitVerdicts], int]:
    """Each fully double-scored unit's two verdicts (units-list order), and how many units
    have scores but not both assessors' on every baseline indicator."""
    facts = indicator_facts(framework, cycle_id)
    baseline = [ind for ind, _theme, _stage, in_baseline in facts if in_baseline]
    combiner = Combiner(framework.rules.combination)
    out: list[UnitVerdicts] = []
    incomplete = 0
    seen: Seen = {}
    for unit in units:
        linked: dict[str, Mark] = {}
        unlinked: dict[str, Mark] = {}
        for ind in baseline:
            marks = current.get((unit.code, ind))
            if marks is None:
                continue
            if marks[0] is not None:
                linked[ind] = marks[0]
            if marks[1] is not None:
                unlinked[ind] = marks[1]
        if not baseline or len(linked) < len(baseline) or len(unlinked) < len(baseline):
            incomplete += bool(linked or unlinked)
            continue
        out.append(UnitVerdicts(
            unit=unit.code, linked_assessor=_main(list(linked.values())),
            unlinked_assessor=_main(list(unlinked.values())), indicators=len(baseline),
            exact=sum(linked[i].score == unlinked[i].score for i in baseline),
            linked_meets=_meets_alone(framework, linked, combiner, facts, seen),
            unlinked_meets=_meets_alone(framework, unlinked, combiner, facts, seen)))
    return out, incomplete


def _alphas(framework: Framework, cycle_id: str, verdicts: Sequence[UnitVerdicts],
            current: CurrentMarks) -> tuple[dict[tuple[str, str], float | None], float | None]:
    """Krippendorff's ordinal alpha on the baseline indicators of each pair's units, and of
    all the units: each unit's pairs of scores counted once, for its pair and for all."""
    baseline = [ind for ind, _t, _s, in_baseline in indicator_facts(framework, cycle_id)
                if in_baseline]
    by_pair: dict[tuple[str, str], Counter[tuple[int, ...]]] = {}
    overall: Counter[tuple[int, ...]] = Counter()
    for v in verdicts:
        counted = by_pair.setdefault((v.linked_assessor, v.unlinked_assessor), Counter())
        for ind in baseline:
            linked, unlinked, _ = current[(v.unit, ind)]
            assert linked is not None and unlinked is not None  # a complete unit
            pattern = tuple(sorted((linked.score, unlinked.score)))
            counted[pattern] += 1
            overall[pattern] += 1
    scores = framework.scale.scores
    return ({pair: krippendorff_alpha_counted(c, scores, "ordinal")
             for pair, c in by_pair.items()},
            krippendorff_alpha_counted(overall, scores, "ordinal"))


def decision_agreement(framework: Framework, cycle_id: str, units: Sequence[Unit],
                       current: CurrentMarks, *,
                       history: Mapping[str, CurrentMarks] | None = None) -> DecisionReport:
    """Decision agreement per assessor pair and overall for cycle_id, the pairs below the
    framework's level, and each pair's trend over the cycles in history (cycle -> its current
    marks; the framework's cycle order, up to and including cycle_id)."""
    level = framework.rules.quality.min_decision_agreement_pct
    verdicts, incomplete = unit_verdicts(framework, cycle_id, units, current)
    by_pair: dict[tuple[str, str], list[UnitVerdicts]] = {}
    for v in verdicts:
        by_pair.setdefault((v.linked_assessor, v.unlinked_assessor), []).append(v)
    alphas, alpha = _alphas(framework, cycle_id, verdicts, current)
    pairs = [decision_stats(vs, level, linked=la, unlinked=ua, alpha=alphas[(la, ua)])
             for (la, ua), vs in sorted(by_pair.items())]
    overall = decision_stats(verdicts, level, alpha=alpha)
    cycle = framework.cycle(cycle_id)
    return DecisionReport(
        cycle=cycle_id, cycle_name=cycle.name, level_pct=level, pairs=pairs, overall=overall,
        flagged=[p for p in pairs if p.below_level], units_incomplete=incomplete,
        units=verdicts, trend=_trend(framework, cycle_id, units, verdicts, history or {}))


def _trend(framework: Framework, cycle_id: str, units: Sequence[Unit],
           verdicts: Sequence[UnitVerdicts], history: Mapping[str, CurrentMarks]
           ) -> list[PairTrend]:
    """Each pair's decision agreement in every cycle up to this one that has scores (this
    cycle's verdicts as already worked out)."""
    order = [c.id for c in framework.cycles]
    cycles = [c for c in order[: order.index(cycle_id) + 1]
              if c == cycle_id or history.get(c)]
    points: dict[tuple[str, str], list[TrendPoint]] = {}
    for c in cycles:
        found = verdicts if c == cycle_id else unit_verdicts(framework, c, units,
                                                              history[c])[0]
        tally: dict[tuple[str, str], list[int]] = {}
        for v in found:
            counts = tally.setdefault((v.linked_assessor, v.unlinked_assessor), [0, 0])
            counts[0] += 1
            counts[1] += v.agree
        name = framework.cycle(c).name
        for pair, (n, agreed) in tally.items():
            points.setdefault(pair, []).append(TrendPoint(
                cycle=c, cycle_name=name, units=n, agreed=agreed,
                agreement_pct=100 * agreed / n))
    return [pair_trend(la, ua, pts) for (la, ua), pts in sorted(points.items())]
