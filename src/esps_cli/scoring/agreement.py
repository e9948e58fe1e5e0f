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
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from esps_cli.errors import ConfigError
from esps_cli.register import Marks
from esps_cli.scoring.combine import Combiner
from esps_cli.scoring.quality import AlphaBand, alpha_band
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.rows import ordered_keys

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

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


# Said under every agreement table, in plain words (kappa's paradox: scores that cluster on
# one point of the scale make chance agreement high, so kappa is low however often the two
# assessors agree).
READING_NOTE = ("Which figure to read: when most scores are 3, kappa is low even when the two "
                "assessors nearly always agree, because agreeing on 3 is what chance alone "
                "would give; read Gwet's AC2 and the exact and within-one percentages then, "
                "and kappa only when scores are spread across the scale.")


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


def krippendorff_alpha_counted(patterns: Mapping[Pattern, int], categories: Sequence[int],
                               metric: Metric = "ordinal") -> float | None:
    """krippendorff_alpha of subjects already counted: how many subjects gave each sorted
    tuple of values (e.g. (2, 3): one rater 2, the other 3), in the order first seen."""
    return _alpha(patterns, categories, metric)


# -- the two-rater statistics on many tables at once, and their intervals -----------------


class Estimate(BaseModel):
    value: float | None
    ci_low: float | None
    ci_high: float | None


STATISTICS = ("kappa", "gwet_ac2", "krippendorff_alpha")


def table_statistics(tables: NDArray[np.float64], categories: Sequence[int]
                     ) -> dict[str, NDArray[np.float64]]:
    """The three coefficients of each two-rater table in tables (shape resamples x q x q:
    counts of linked score i and unlinked score j), NaN where undefined. The same formulas as
    the functions above with every subject rated twice (a test holds them equal), written on
    whole arrays so 1,000 bootstrap tables cost about what one does.

    kappa = 1 - sum(d * T) / sum(d * rows x cols / N), d_ij = (i - j)^2 / (q - 1)^2;
    AC2: pa = sum(w * T) / N, pe = T_w / (q (q - 1)) sum pi_k (1 - pi_k), pi = (rows + cols) / 2N;
    alpha: coincidences O = T + T', n_c = rows + cols, ordinal delta_ck = (m_k - m_c)^2 with
    m the cumulative frequencies less half their own, alpha = 1 - (2N - 1) sum O d / sum n n d.
    """
    import numpy as np

    q = len(categories)
    position = np.arange(q, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = tables.sum(axis=(1, 2))
        rows, cols = tables.sum(axis=2), tables.sum(axis=1)
        d = (position[:, None] - position[None, :]) ** 2 / max(q - 1, 1) ** 2
        observed = np.einsum("rij,ij->r", tables, d)
        expected = np.einsum("ri,ij,rj->r", rows, d, cols) / n
        kappa = np.where((n > 0) & (expected > 0) & (q >= 2), 1 - observed / expected, np.nan)

        w = np.array(quadratic_weights(categories)) if q >= 2 else np.ones((q, q))
        pa = np.einsum("rij,ij->r", tables, w) / n
        share = (rows + cols) / (2 * n[:, None])
        pe = w.sum() / max(q * (q - 1), 1) * (share * (1 - share)).sum(axis=1)
        ac2 = np.where((n > 0) & (pe < 1) & (q >= 2), (pa - pe) / (1 - pe), np.nan)

        coincidence = tables + tables.transpose(0, 2, 1)
        frequency = rows + cols
        middle = np.cumsum(frequency, axis=1) - frequency / 2
        delta = (middle[:, None, :] - middle[:, :, None]) ** 2
        o_delta = np.einsum("rij,rij->r", coincidence, delta)
        e_delta = np.einsum("ri,rij,rj->r", frequency, delta, frequency)
        alpha = np.where((2 * n > 1) & (e_delta > 0), 1 - (2 * n - 1) * o_delta / e_delta,
                         np.nan)
    return {"kappa": kappa, "gwet_ac2": ac2, "krippendorff_alpha": alpha}


def bootstrap(table: Sequence[Sequence[int]], categories: Sequence[int], *,
              resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
              confidence: float = CONFIDENCE) -> dict[str, Estimate]:
    """Each coefficient of a two-rater table (counts of linked score i, unlinked score j),
    with a 95% percentile bootstrap interval over the rated items.

    Drawing N items with replacement only matters through how many land in each cell of the
    table, so each resample is one multinomial draw over the cells (numpy's generator, seeded:
    the same table and seed always give the same intervals). An interval is None when the
    statistic is undefined on more than half of the resamples (e.g. nearly every score equal).
    """
    import numpy as np

    counts = np.asarray(table, dtype=np.int64)
    values = table_statistics(counts[None].astype(np.float64), categories)
    total = int(counts.sum())
    drawn: dict[str, NDArray[np.float64]] = {}
    if total:
        rng = np.random.default_rng(seed)
        samples = rng.multinomial(total, counts.ravel() / total, size=resamples)
        drawn = table_statistics(samples.reshape(resamples, *counts.shape).astype(np.float64),
                                 categories)
    tail = (1 - confidence) / 2
    out = {}
    for name in STATISTICS:
        value = float(values[name][0])
        point = None if math.isnan(value) else value
        defined = drawn[name][~np.isnan(drawn[name])] if name in drawn else np.empty(0)
        if point is None or len(defined) * 2 < resamples:
            out[name] = Estimate(value=point, ci_low=None, ci_high=None)
        else:
            low, high = np.quantile(defined, [tail, 1 - tail])  # linear between order stats
            out[name] = Estimate(value=point, ci_low=float(low), ci_high=float(high))
    return out


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
    # Krippendorff's own bands (0.667 tentative, 0.800 reliable), on the unrounded value.
    krippendorff_alpha_band: AlphaBand = "undefined"


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
    reading_note: str = READING_NOTE


def agreement_stats(pairs: Iterable[tuple[int, int]], categories: Sequence[int], *,
                    linked: str | None = None, unlinked: str | None = None,
                    group: str | None = None, seed: int = BOOTSTRAP_SEED) -> AgreementStats:
    """The figures for (linked score, unlinked score) pairs."""
    table = Tally(categories)
    for x, y in pairs:
        table.add(x, y)
    return table.stats(linked=linked, unlinked=unlinked, group=group, seed=seed)


class Tally:
    """A two-rater table being counted: how many items got linked score i and unlinked j."""

    def __init__(self, categories: Sequence[int]):
        self.categories = list(categories)
        self.index = {c: i for i, c in enumerate(self.categories)}
        self.counts = [[0] * len(self.categories) for _ in self.categories]

    def add(self, linked: int, unlinked: int) -> None:
        self.counts[self.index[linked]][self.index[unlinked]] += 1

    def stats(self, *, linked: str | None = None, unlinked: str | None = None,
              group: str | None = None, seed: int = BOOTSTRAP_SEED) -> AgreementStats:
        cats, counts = self.categories, self.counts
        cells = [(cats[i], cats[j], c) for i, row in enumerate(counts)
                 for j, c in enumerate(row) if c]
        n = sum(c for _, _, c in cells)
        exact = sum(c for x, y, c in cells if x == y)
        within = sum(c for x, y, c in cells if abs(x - y) <= 1)
        found = bootstrap(counts, cats, seed=seed)
        note = ""
        if n == 0:
            note = "no indicator has both a linked and an unlinked score"
        elif found["kappa"].value is None:
            note = ("undefined: every score from both assessors is the same, so chance "
                    "agreement is total")
        figures: dict[str, object] = {}
        # Full precision for scripts (json, csv); text and xlsx round for reading. The label
        # is from the unrounded value: 0.4004 is moderate, though it prints as 0.400.
        for name, est in found.items():
            figures[name] = est.value
            figures[f"{name}_ci_low"] = est.ci_low
            figures[f"{name}_ci_high"] = est.ci_high
            figures[f"{name}_benchmark"] = benchmark(est.value)
        figures["krippendorff_alpha_band"] = alpha_band(found["krippendorff_alpha"].value)
        return AgreementStats(
            linked_assessor=linked, unlinked_assessor=unlinked, group=group, n=n, exact=exact,
            within_one=within, exact_pct=100 * exact / n if n else None,
            within_one_pct=100 * within / n if n else None, kappa_note=note,
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


def agreement(roster: Roster, current: dict[tuple[str, str], Marks], *,
              by: Grouping | None = None) -> AgreementReport:
    """Agreement between linked and unlinked scores, per assessor pair and overall (and per
    group with ``by``), with the moderation queue (units-list then framework order)."""
    categories = roster.scale.scores
    by_pair: dict[tuple[str, str], Tally] = {}
    by_group: dict[str, Tally] = {}
    overall = Tally(categories)
    group_of = _group_of(roster, by) if by else None
    combiner = Combiner(roster.rule)
    queue: list[ModerationItem] = []
    moderated = 0
    for unit, indicator in ordered_keys(roster, current, None, False):
        marks = current[(unit, indicator)]
        linked, unlinked, settled = marks
        if settled is not None:
            moderated += 1
        if linked is None or unlinked is None:
            continue
        if linked.score not in overall.index or unlinked.score not in overall.index:
            raise ConfigError(
                f"{unit} {indicator}: a recorded score ({linked.score}, {unlinked.score}) is "
                f"outside the framework's scale {categories}: check the framework's scale")
        scores = (linked.score, unlinked.score)
        pair = (linked.assessor, unlinked.assessor)
        (by_pair.get(pair) or by_pair.setdefault(pair, Tally(categories))).add(*scores)
        overall.add(*scores)
        if group_of is not None:
            name = group_of(unit, indicator)
            (by_group.get(name) or by_group.setdefault(name, Tally(categories))).add(*scores)
        if combiner(marks).status == "needs-moderation":
            queue.append(ModerationItem(
                unit=unit, indicator=indicator, linked_score=linked.score,
                unlinked_score=unlinked.score, difference=abs(linked.score - unlinked.score),
                linked_assessor=linked.assessor, unlinked_assessor=unlinked.assessor,
            ))
    return AgreementReport(
        cycle=roster.cycle.id,
        pairs=[t.stats(linked=la, unlinked=ua) for (la, ua), t in sorted(by_pair.items())],
        overall=overall.stats(), by=by,
        groups=[t.stats(group=g) for g, t in by_group.items()],
        moderation_queue=queue, moderated=moderated)


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
