"""Agreement between the linked and unlinked assessors' scores, per assessor pair, overall and
by indicator, theme or business group, and the moderation queue.

Three chance-corrected coefficients, written here from their published definitions (the
packages that compute them are GPL-licensed; this project is MIT):

- quadratic-weighted Cohen's kappa (two raters, each rater's own marginal totals);
- Gwet's AC2 with quadratic weights (Gwet 2008; Handbook of Inter-Rater Reliability, 4th ed.,
  ch. 3): chance agreement from the categories' overall spread, so it stays meaningful when
  scores cluster on one value, where kappa collapses;
- Krippendorff's alpha with the ordinal metric (Krippendorff, "Computing Krippendorff's
  Alpha-Reliability", 2011), from the coincidence matrix of pairable values.

Gwet's and Krippendorff's take any number of raters with missing ratings (a subject is the
list of its ratings, None for a rater who did not rate it). Each comes with a 95% percentile
bootstrap interval (rated items resampled with replacement, seeded so the same data always
give the same interval) and a Landis-Koch benchmark label.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel

from esps_cli.register import ScorePair
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.rows import score_rows

Metric = Literal["nominal", "ordinal", "interval"]
Grouping = Literal["indicator", "theme", "business-group"]
Pattern = tuple[int, ...]  # one subject's ratings, sorted (the raters are exchangeable)

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 2010
CONFIDENCE = 0.95

# Landis and Koch (1977), "The measurement of observer agreement for categorical data":
# the upper end of each band (a value on a boundary takes the lower band).
BENCHMARKS: tuple[tuple[float, str], ...] = (
    (0.0, "slight"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
    (1.0, "almost perfect"),
)


def benchmark(value: float | None) -> str:
    """A coefficient in words, on the Landis-Koch bands: below 0 poor, up to 0.20 slight,
    0.40 fair, 0.60 moderate, 0.80 substantial, above that almost perfect."""
    if value is None:
        return "undefined"
    if value < 0:
        return "poor"
    for upper, label in BENCHMARKS:
        if value <= upper:
            return label
    return "almost perfect"


# -- the coefficients --------------------------------------------------------------------


def quadratic_weights(categories: Sequence[int]) -> list[list[float]]:
    """w_kl = 1 - (k - l)^2 / (max - min)^2: 1 on the diagonal, 0 at opposite ends."""
    span = (max(categories) - min(categories)) ** 2
    return [[1 - (a - b) ** 2 / span for b in categories] for a in categories]


def _kappa_table(table: Mapping[tuple[int, int], int], categories: Sequence[int]) -> float | None:
    k = len(categories)
    n = sum(table.values())
    if n == 0 or k < 2:
        return None
    index = {c: i for i, c in enumerate(categories)}
    rows = [0.0] * k
    cols = [0.0] * k
    num = 0.0
    for (x, y), count in table.items():
        i, j = index[x], index[y]
        rows[i] += count
        cols[j] += count
        num += (i - j) ** 2 / (k - 1) ** 2 * count
    den = sum((i - j) ** 2 / (k - 1) ** 2 * rows[i] * cols[j] / n
              for i in range(k) for j in range(k))
    if den == 0:
        return None
    return 1 - num / den


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int],
                             categories: Sequence[int]) -> float | None:
    """Cohen's kappa with quadratic weights for two raters' paired scores.

    kappa = 1 - sum(w * observed) / sum(w * expected), w_ij = (i - j)^2 / (k - 1)^2, expected
    from the two raters' marginal totals. None when undefined: no pairs, or every score from
    both raters in one category (no disagreement is possible by chance).
    """
    if len(a) != len(b):
        raise ValueError("the two raters must score the same items")
    return _kappa_table(Counter(zip(a, b, strict=True)), categories)


def _patterns(subjects: Iterable[Sequence[int | None]]) -> Counter[Pattern]:
    return Counter(tuple(sorted(r for r in s if r is not None)) for s in subjects)


def _category_counts(pattern: Pattern, index: Mapping[int, int], q: int) -> list[int]:
    counts = [0] * q
    for value in pattern:
        counts[index[value]] += 1
    return counts


def _gwet(patterns: Mapping[Pattern, int], categories: Sequence[int],
          weights: Sequence[Sequence[float]]) -> float | None:
    q = len(categories)
    index = {c: i for i, c in enumerate(categories)}
    rated = paired = 0  # subjects with at least one rating; with at least two
    agreement = 0.0
    share = [0.0] * q  # pi_k: the mean share of each subject's ratings in category k
    for pattern, count in patterns.items():
        r = len(pattern)
        if r == 0:
            continue
        rk = _category_counts(pattern, index, q)
        rated += count
        for k in range(q):
            share[k] += count * rk[k] / r
        if r >= 2:
            paired += count
            weighted = sum(rk[k] * (sum(weights[k][m] * rk[m] for m in range(q)) - 1)
                           for k in range(q))
            agreement += count * weighted / (r * (r - 1))
    if paired == 0 or q < 2:
        return None
    pa = agreement / paired
    total_weight = sum(sum(row) for row in weights)
    pe = total_weight / (q * (q - 1)) * sum(p / rated * (1 - p / rated) for p in share)
    if pe >= 1:
        return None
    return (pa - pe) / (1 - pe)


def gwet_ac2(subjects: Iterable[Sequence[int | None]], categories: Sequence[int],
             weights: Sequence[Sequence[float]] | None = None) -> float | None:
    """Gwet's AC2 (AC1 with identity weights) for any number of raters, missing allowed.

    pa: the mean over subjects rated at least twice of sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1)),
    with r_ik the subject's ratings in category k and r*_ik = sum_l w_kl r_il; pe: T_w / (q (q -
    1)) * sum_k pi_k (1 - pi_k), with T_w the sum of the weights and pi_k the mean over rated
    subjects of r_ik / r_i. AC2 = (pa - pe) / (1 - pe). Quadratic weights unless given. None
    when no subject has two ratings.
    """
    return _gwet(_patterns(subjects), categories,
                 quadratic_weights(categories) if weights is None else weights)


def _distances(metric: Metric, categories: Sequence[int],
               frequency: Sequence[float]) -> list[list[float]]:
    """Krippendorff's squared difference delta^2 between each two categories."""
    q = len(categories)
    if metric == "nominal":
        return [[0.0 if c == k else 1.0 for k in range(q)] for c in range(q)]
    if metric == "interval":
        return [[float((categories[c] - categories[k]) ** 2) for k in range(q)]
                for c in range(q)]
    out = [[0.0] * q for _ in range(q)]
    for c in range(q):
        for k in range(c + 1, q):
            between = sum(frequency[c:k + 1]) - (frequency[c] + frequency[k]) / 2
            out[c][k] = out[k][c] = between ** 2
    return out


def _alpha(patterns: Mapping[Pattern, int], categories: Sequence[int],
           metric: Metric) -> float | None:
    q = len(categories)
    index = {c: i for i, c in enumerate(categories)}
    coincidence = [[0.0] * q for _ in range(q)]
    for pattern, count in patterns.items():
        m = len(pattern)
        if m < 2:
            continue  # a value with nothing to pair with says nothing about agreement
        rk = _category_counts(pattern, index, q)
        for c in range(q):
            for k in range(q):
                pairs = rk[c] * (rk[k] - (1 if c == k else 0))
                coincidence[c][k] += count * pairs / (m - 1)
    frequency = [sum(row) for row in coincidence]
    n = sum(frequency)
    if n <= 1:
        return None
    delta = _distances(metric, categories, frequency)
    observed = sum(coincidence[c][k] * delta[c][k] for c in range(q) for k in range(q))
    expected = sum(frequency[c] * frequency[k] * delta[c][k] for c in range(q) for k in range(q))
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def krippendorff_alpha(subjects: Iterable[Sequence[int | None]], categories: Sequence[int],
                       metric: Metric = "ordinal") -> float | None:
    """Krippendorff's alpha = 1 - D_o / D_e from the coincidence matrix o_ck of the values
    pairable within subjects (each pair in a subject of m values counts 1 / (m - 1)).

    alpha = 1 - (n - 1) sum o_ck delta^2_ck / sum n_c n_k delta^2_ck, n_c the values in
    category c and n all pairable values. Ordinal delta^2_ck = (sum_{g=c..k} n_g - (n_c +
    n_k) / 2)^2; interval (c - k)^2; nominal 1 when c != k. None when undefined (fewer than
    two pairable values, or every value the same).
    """
    return _alpha(_patterns(subjects), categories, metric)


# -- confidence intervals ----------------------------------------------------------------


class Estimate(BaseModel):
    value: float | None
    ci_low: float | None
    ci_high: float | None


def _quantile(ordered: Sequence[float], p: float) -> float:
    """The p-quantile of sorted values, interpolating linearly between order statistics."""
    at = p * (len(ordered) - 1)
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


Statistic = Callable[[Counter[tuple[int, int]]], float | None]


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A Binomial(n, p) draw: random.binomialvariate where there is one (Python 3.12+), else
    the same algorithms (geometric waiting times for small n p; Hormann's BTRS otherwise)."""
    if p <= 0.0 or n <= 0:
        return 0
    if p >= 1.0:
        return n
    native = getattr(rng, "binomialvariate", None)
    if native is not None:
        return int(native(n, p))
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        x = y = 0
        c = math.log(1.0 - p)
        while True:
            y += math.floor(math.log(rng.random()) / c) + 1
            if y > n:
                return x
            x += 1
    return _btrs(rng, n, p)


def _btrs(rng: random.Random, n: int, p: float) -> int:
    """Binomial by transformed rejection with squeeze (Hormann 1993), for n p >= 10, p <= 0.5
    (as CPython 3.12's random.binomialvariate)."""
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = math.log(p / (1.0 - p))
    m = math.floor((n + 1) * p)
    h = math.lgamma(m + 1) + math.lgamma(n - m + 1)
    while True:
        u = rng.random() - 0.5
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        v = rng.random()
        if us >= 0.07 and v <= vr:
            return k
        v *= alpha / (a / (us * us) + b)
        if math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k


def multinomial(rng: random.Random, n: int, weights: Sequence[int]) -> list[int]:
    """How many of n draws with replacement land in each cell, cell i having weight
    weights[i]: a binomial per cell on what is left."""
    out = []
    left, mass = n, float(sum(weights))
    for w in weights[:-1]:
        k = binomial(rng, left, w / mass) if left and mass > 0 else 0
        out.append(k)
        left -= k
        mass -= w
    out.append(left)
    return out


def bootstrap(items: Sequence[tuple[int, int]], statistics: Mapping[str, Statistic], *,
              resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
              confidence: float = CONFIDENCE) -> dict[str, Estimate]:
    """Each statistic on the items, with a percentile bootstrap interval over the items.

    The same items and seed always give the same intervals. An interval is None when the
    statistic is undefined on more than half of the resamples (e.g. nearly every score equal).
    """
    table = Counter(items)
    values = {name: stat(table) for name, stat in statistics.items()}
    draws: dict[str, list[float]] = {name: [] for name in statistics}
    if items:
        rng = random.Random(seed)
        cells = sorted(table)
        counts = [table[c] for c in cells]
        for _ in range(resamples):
            # Drawing n items with replacement only matters through how many land in each
            # cell of the table: one multinomial draw over the (at most 16) cells, instead
            # of n draws (108,000 scores: 60 s -> well under 1 s).
            sample = Counter(dict(zip(cells, multinomial(rng, len(items), counts),
                                      strict=True)))
            for name, stat in statistics.items():
                got = stat(sample)
                if got is not None:
                    draws[name].append(got)
    tail = (1 - confidence) / 2
    out = {}
    for name, value in values.items():
        drawn = sorted(draws[name])
        if value is None or len(drawn) * 2 < resamples:
            out[name] = Estimate(value=value, ci_low=None, ci_high=None)
        else:
            out[name] = Estimate(value=value, ci_low=_quantile(drawn, tail),
                                 ci_high=_quantile(drawn, 1 - tail))
    return out


def _pair_statistics(categories: Sequence[int]) -> dict[str, Statistic]:
    weights = quadratic_weights(categories)

    def patterns(table: Counter[tuple[int, int]]) -> Counter[Pattern]:
        out: Counter[Pattern] = Counter()
        for (x, y), count in table.items():
            out[(x, y) if x <= y else (y, x)] += count
        return out

    return {
        "kappa": lambda t: _kappa_table(t, categories),
        "gwet_ac2": lambda t: _gwet(patterns(t), categories, weights),
        "krippendorff_alpha": lambda t: _alpha(patterns(t), categories, "ordinal"),
    }


# -- the report --------------------------------------------------------------------------


class AgreementStats(BaseModel):
    linked_assessor: str | None  # None for the overall figures and groups
    unlinked_assessor: str | None
    group: str | None = None  # with --by: the indicator, theme or business group
    n: int
    exact: int
    within_one: int
    exact_pct: float | None
    within_one_pct: float | None
    kappa: float | None
    kappa_ci_low: float | None = None
    kappa_ci_high: float | None = None
    kappa_benchmark: str = "undefined"
    kappa_note: str = ""
    gwet_ac2: float | None = None
    gwet_ac2_ci_low: float | None = None
    gwet_ac2_ci_high: float | None = None
    gwet_ac2_benchmark: str = "undefined"
    krippendorff_alpha: float | None = None
    krippendorff_alpha_ci_low: float | None = None
    krippendorff_alpha_ci_high: float | None = None
    krippendorff_alpha_benchmark: str = "undefined"


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
    by: Grouping | None = None
    groups: list[AgreementStats] = []
    moderation_queue: list[ModerationItem]
    moderated: int
    bootstrap_resamples: int = BOOTSTRAP_RESAMPLES
    bootstrap_seed: int = BOOTSTRAP_SEED
    benchmarks: str = "Landis and Koch (1977)"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def agreement_stats(pairs: Iterable[tuple[int, int]], categories: Sequence[int], *,
                    linked: str | None = None, unlinked: str | None = None,
                    group: str | None = None, seed: int = BOOTSTRAP_SEED) -> AgreementStats:
    items = list(pairs)
    n = len(items)
    exact = sum(1 for x, y in items if x == y)
    within = sum(1 for x, y in items if abs(x - y) <= 1)
    found = bootstrap(items, _pair_statistics(categories), seed=seed)
    note = ""
    if n == 0:
        note = "no indicator has both a linked and an unlinked score"
    elif found["kappa"].value is None:
        note = ("undefined: every score from both assessors is the same, so chance agreement "
                "is total")
    figures: dict[str, object] = {}
    for name, est in found.items():
        figures[name] = _round(est.value)
        figures[f"{name}_ci_low"] = _round(est.ci_low)
        figures[f"{name}_ci_high"] = _round(est.ci_high)
        figures[f"{name}_benchmark"] = benchmark(_round(est.value))
    return AgreementStats(
        linked_assessor=linked, unlinked_assessor=unlinked, group=group, n=n, exact=exact,
        within_one=within, exact_pct=round(100 * exact / n, 1) if n else None,
        within_one_pct=round(100 * within / n, 1) if n else None, kappa_note=note,
        **figures,
    )


def _group_of(roster: Roster, by: Grouping) -> Callable[[str, str], str]:
    if by == "indicator":
        return lambda unit, indicator: indicator
    if by == "theme":
        themes = roster.framework.esps_unit_of
        return lambda unit, indicator: themes[indicator].theme
    groups = {u.code: u.business_group for u in roster.units}
    return lambda unit, indicator: groups.get(unit, "(not on the units list)")


def agreement(roster: Roster, current: dict[tuple[str, str], ScorePair], *,
              by: Grouping | None = None) -> AgreementReport:
    """Agreement between linked and unlinked scores, per assessor pair and overall (and per
    group with ``by``), with the moderation queue."""
    categories = roster.scale.scores
    by_pair: dict[tuple[str, str], list[tuple[int, int]]] = {}
    by_group: dict[str, list[tuple[int, int]]] = {}
    group_of = _group_of(roster, by) if by else None
    queue: list[ModerationItem] = []
    moderated = 0
    for row in score_rows(roster, current):
        pair = current[(row.unit, row.indicator)]
        if pair.moderated is not None:
            moderated += 1
        if pair.linked is None or pair.unlinked is None:
            continue
        scores = (pair.linked.score, pair.unlinked.score)
        by_pair.setdefault((pair.linked.assessor, pair.unlinked.assessor), []).append(scores)
        if group_of is not None:
            by_group.setdefault(group_of(row.unit, row.indicator), []).append(scores)
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
    groups = [agreement_stats(items, categories, group=g) for g, items in by_group.items()]
    return AgreementReport(cycle=roster.cycle.id, pairs=pairs, overall=overall, by=by,
                           groups=groups, moderation_queue=queue, moderated=moderated)


AGREEMENT_TABLE_HEADER = ("scope", *AgreementStats.model_fields)


def agreement_table(report: AgreementReport) -> list[list[object]]:
    """One row per assessor pair, the overall row, then one per group, for CSV."""
    rows: list[list[object]] = []
    for scope, stats in (*(("pair", s) for s in report.pairs), ("overall", report.overall),
                         *((report.by or "group", s) for s in report.groups)):
        dumped = stats.model_dump()
        rows.append([scope, *("" if dumped[k] is None else dumped[k]
                              for k in AgreementStats.model_fields)])
    return rows
