"""Agreement between the linked and unlinked assessors' scores, per assessor pair and overall,
and the moderation queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from esps_cli.scoring.register import ScorePair
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.rows import score_rows


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int],
                             categories: Sequence[int]) -> float | None:
    """Cohen's kappa with quadratic weights for two raters' paired scores.

    kappa = 1 - sum(w * observed) / sum(w * expected), w_ij = (i - j)^2 / (k - 1)^2, expected
    from the two raters' marginal totals. None when undefined: no pairs, or every score from
    both raters in one category (no disagreement is possible by chance).
    """
    if len(a) != len(b):
        raise ValueError("the two raters must score the same items")
    n = len(a)
    k = len(categories)
    if n == 0 or k < 2:
        return None
    index = {c: i for i, c in enumerate(categories)}
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[index[x]][index[y]] += 1
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * rows[i] * cols[j] / n
    if den == 0:
        return None
    return 1 - num / den


class AgreementStats(BaseModel):
    linked_assessor: str | None  # None for the overall figures
    unlinked_assessor: str | None
    n: int
    exact: int
    within_one: int
    exact_pct: float | None
    within_one_pct: float | None
    kappa: float | None
    kappa_note: str = ""


class ModerationItem(BaseModel):
    unit: str
    indicator: str
    linked_score: int
    unlinked_score: int
    difference: int
    linked_assessor: str
    unlinked_assessor: str


class AgreementReport(BaseModel):
    cycle: str
    pairs: list[AgreementStats]
    overall: AgreementStats
    moderation_queue: list[ModerationItem]
    moderated: int


def agreement_stats(pairs: Iterable[tuple[int, int]], categories: Sequence[int], *,
                    linked: str | None = None, unlinked: str | None = None) -> AgreementStats:
    items = list(pairs)
    n = len(items)
    exact = sum(1 for x, y in items if x == y)
    within = sum(1 for x, y in items if abs(x - y) <= 1)
    kappa = quadratic_weighted_kappa([x for x, _ in items], [y for _, y in items], categories)
    note = ""
    if n == 0:
        note = "no indicator has both a linked and an unlinked score"
    elif kappa is None:
        note = ("undefined: every score from both assessors is the same, so chance agreement "
                "is total")
    return AgreementStats(
        linked_assessor=linked, unlinked_assessor=unlinked, n=n, exact=exact, within_one=within,
        exact_pct=round(100 * exact / n, 1) if n else None,
        within_one_pct=round(100 * within / n, 1) if n else None,
        kappa=None if kappa is None else round(kappa, 3), kappa_note=note,
    )


def agreement(roster: Roster, current: dict[tuple[str, str], ScorePair]) -> AgreementReport:
    """Agreement between linked and unlinked scores, per assessor pair and overall."""
    categories = roster.scale.scores
    by_pair: dict[tuple[str, str], list[tuple[int, int]]] = {}
    queue: list[ModerationItem] = []
    moderated = 0
    for row in score_rows(roster, current):
        pair = current[(row.unit, row.indicator)]
        if pair.moderated is not None:
            moderated += 1
        if pair.linked is None or pair.unlinked is None:
            continue
        by_pair.setdefault((pair.linked.assessor, pair.unlinked.assessor), []).append(
            (pair.linked.score, pair.unlinked.score))
        if row.status == "needs-moderation":
            queue.append(ModerationItem(
                unit=row.unit, indicator=row.indicator, linked_score=pair.linked.score,
                unlinked_score=pair.unlinked.score,
                difference=abs(pair.linked.score - pair.unlinked.score),
                linked_assessor=pair.linked.assessor, unlinked_assessor=pair.unlinked.assessor,
            ))
    pairs = [agreement_stats(items, categories, linked=la, unlinked=ua)
             for (la, ua), items in sorted(by_pair.items())]
    overall = agreement_stats([i for items in by_pair.values() for i in items], categories)
    return AgreementReport(cycle=roster.cycle.id, pairs=pairs, overall=overall,
                           moderation_queue=queue, moderated=moderated)
