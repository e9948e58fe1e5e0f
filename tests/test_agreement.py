"""Agreement coefficients: Gwet's AC2 (quadratic weights), Krippendorff's alpha (ordinal) and
quadratic-weighted kappa, their bootstrap intervals and benchmark labels, and `esps score
agreement` with them.

Published worked examples (the values are the publications'; the code is ours):

- Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. University of
  Pennsylvania, https://repository.upenn.edu/asc_papers/43 : the 4 observers x 12 units example
  with missing values gives alpha nominal .743, ordinal .815, interval .849.
- Gwet, K.L. (2014). Handbook of Inter-Rater Reliability, 4th ed., p. 120: the same ratings as
  dataset cac.raw4raters; the irrCAC overview vignette
  (https://cran.r-project.org/web/packages/irrCAC/vignettes/overview.html) gives for it
  AC1 = 0.77544 (pa 0.8181818, pe 0.1903212), and for the two-rater table cont3x3abstractors
  (13 0 0 / 0 20 7 / 0 4 56) AC1 = 0.8493305 and Krippendorff's alpha 0.7972585. AC2 is AC1
  with weights, so the identity weights check the same code that the quadratic weights use;
  the quadratic case is checked against a brute-force computation below.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register
from esps_cli.scoring.agreement import (
    agreement_stats,
    benchmark,
    bootstrap,
    gwet_ac2,
    krippendorff_alpha,
    quadratic_weighted_kappa,
    quadratic_weights,
)

from .conftest import CYCLE
from .packs import record_returns

N = None
KRIPPENDORFF_2011 = list(zip(
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    strict=True,
))
ABSTRACTORS = [(a, b) for (a, b), count in {
    (1, 1): 13, (2, 2): 20, (2, 3): 7, (3, 2): 4, (3, 3): 56}.items() for _ in range(count)]


def identity(q: int) -> list[list[float]]:
    return [[1.0 if i == j else 0.0 for j in range(q)] for i in range(q)]


@pytest.mark.parametrize(("metric", "published"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_alpha_reproduces_krippendorffs_worked_example(
    metric: str, published: float
) -> None:
    alpha = krippendorff_alpha(KRIPPENDORFF_2011, [1, 2, 3, 4, 5], metric)  # type: ignore[arg-type]
    assert alpha is not None and round(alpha, 3) == published


def test_gwet_reproduces_the_handbook_examples() -> None:
    ac1 = gwet_ac2(KRIPPENDORFF_2011, [1, 2, 3, 4, 5], identity(5))
    assert ac1 is not None and round(ac1, 5) == 0.77544
    two = gwet_ac2(ABSTRACTORS, [1, 2, 3], identity(3))
    assert two is not None and round(two, 7) == 0.8493305
    alpha = krippendorff_alpha(ABSTRACTORS, [1, 2, 3], "nominal")
    assert alpha is not None and round(alpha, 7) == 0.7972585


# -- an independent brute-force computation on random data -------------------------------


def brute_gwet(subjects: list[Sequence[int | None]], cats: list[int]) -> float | None:
    """AC2 from its definition by enumerating every ordered pair of raters of each subject."""
    span = (max(cats) - min(cats)) ** 2

    def w(a: int, b: int) -> float:
        return 1 - (a - b) ** 2 / span

    agree, paired, rated = 0.0, 0, 0
    pi = dict.fromkeys(cats, 0.0)
    for s in subjects:
        vals = [v for v in s if v is not None]
        if not vals:
            continue
        rated += 1
        for c in cats:
            pi[c] += vals.count(c) / len(vals)
        if len(vals) >= 2:
            paired += 1
            pairs = list(itertools.permutations(range(len(vals)), 2))
            agree += sum(w(vals[i], vals[j]) for i, j in pairs) / len(pairs)
    if not paired:
        return None
    tw = sum(w(a, b) for a in cats for b in cats)
    pe = tw / (len(cats) * (len(cats) - 1)) * sum(p / rated * (1 - p / rated)
                                                  for p in pi.values())
    return (agree / paired - pe) / (1 - pe)


def brute_alpha(subjects: list[Sequence[int | None]]) -> float | None:
    """Ordinal alpha as 1 - D_o / D_e with D_o the mean distance between values in the same
    subject (each subject's pairs weighted 1 / (m - 1)) and D_e the mean distance between any
    two pairable values; the ordinal distance counts the values ranked between the two."""
    units = [[v for v in s if v is not None] for s in subjects]
    units = [u for u in units if len(u) >= 2]
    pool = [v for u in units for v in u]
    n = len(pool)
    if n < 2:
        return None

    def dist(a: int, b: int) -> float:
        lo, hi = min(a, b), max(a, b)
        if lo == hi:
            return 0.0
        between = sum(1 for v in pool if lo <= v <= hi)
        return (between - (pool.count(lo) + pool.count(hi)) / 2) ** 2

    d_o = sum(dist(u[i], u[j]) / (len(u) - 1)
              for u in units for i, j in itertools.permutations(range(len(u)), 2)) / n
    d_e = sum(dist(pool[i], pool[j])
              for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    return None if d_e == 0 else 1 - d_o / d_e


def brute_kappa(pairs: list[tuple[int, int]], cats: list[int]) -> float | None:
    n, k = len(pairs), len(cats)

    def w(a: int, b: int) -> float:
        return (cats.index(a) - cats.index(b)) ** 2 / (k - 1) ** 2

    observed = sum(w(a, b) for a, b in pairs) / n
    expected = sum(w(a, b) for a, _ in pairs for _, b in pairs) / n ** 2
    return None if expected == 0 else 1 - observed / expected


@pytest.mark.parametrize("seed", range(25))
def test_coefficients_match_a_brute_force_computation_on_random_data(seed: int) -> None:
    rng = random.Random(seed)
    cats = [1, 2, 3, 4]
    raters = rng.choice([2, 2, 3, 4])
    skew = rng.random()  # sometimes nearly every score is 3

    def score() -> int | None:
        if raters > 2 and rng.random() < 0.2:
            return None
        return 3 if rng.random() < skew else rng.choice(cats)

    subjects = [[score() for _ in range(raters)] for _ in range(rng.randint(2, 25))]
    for got, want in ((gwet_ac2(subjects, cats), brute_gwet(subjects, cats)),
                      (krippendorff_alpha(subjects, cats), brute_alpha(subjects))):
        assert (got is None) == (want is None)
        if got is not None and want is not None:
            assert got == pytest.approx(want, abs=1e-9)
    if raters == 2:
        pairs = [(a, b) for a, b in subjects if a is not None and b is not None]
        got_k = quadratic_weighted_kappa([a for a, _ in pairs], [b for _, b in pairs], cats)
        want_k = brute_kappa(pairs, cats)
        assert (got_k is None) == (want_k is None)
        if got_k is not None and want_k is not None:
            assert got_k == pytest.approx(want_k, abs=1e-9)


def test_quadratic_weights() -> None:
    assert quadratic_weights([1, 2, 3]) == [[1.0, 0.75, 0.0], [0.75, 1.0, 0.75],
                                            [0.0, 0.75, 1.0]]


# -- skew, intervals and labels ----------------------------------------------------------


def test_gwet_survives_scores_clustered_on_three_where_kappa_collapses() -> None:
    pairs = [(3, 3)] * 84 + [(3, 2)] * 6 + [(2, 3)] * 5 + [(4, 3)] * 4 + [(3, 4)]
    stats = agreement_stats(pairs, [1, 2, 3, 4])
    assert stats.exact_pct == 84.0
    assert stats.kappa is not None and stats.kappa < 0.2
    assert stats.gwet_ac2 is not None and stats.gwet_ac2 > 0.9
    assert stats.gwet_ac2_benchmark == "almost perfect"
    assert stats.gwet_ac2_ci_low is not None and stats.gwet_ac2_ci_high is not None
    assert stats.gwet_ac2_ci_low <= stats.gwet_ac2 <= stats.gwet_ac2_ci_high


def test_every_score_the_same_kappa_and_alpha_undefined_ac2_perfect() -> None:
    stats = agreement_stats([(3, 3)] * 10, [1, 2, 3, 4])
    assert (stats.kappa, stats.krippendorff_alpha, stats.gwet_ac2) == (None, None, 1.0)
    assert (stats.kappa_benchmark, stats.krippendorff_alpha_benchmark) == ("undefined",
                                                                           "undefined")
    assert stats.kappa_ci_low is None and stats.krippendorff_alpha_ci_high is None


def test_bootstrap_is_deterministic_and_follows_the_seed() -> None:
    # 20 x (3, 3), 5 x (2, 3), (1, 4), (4, 4), (2, 2): linked score row, unlinked column
    table = [[0, 0, 0, 1], [0, 1, 5, 0], [0, 0, 20, 0], [0, 0, 0, 1]]
    first = bootstrap(table, [1, 2, 3, 4], resamples=200, seed=7)
    assert bootstrap(table, [1, 2, 3, 4], resamples=200, seed=7) == first
    assert bootstrap(table, [1, 2, 3, 4], resamples=200, seed=8) != first
    est = first["gwet_ac2"]
    items = [(3, 3)] * 20 + [(2, 3)] * 5 + [(1, 4), (4, 4), (2, 2)]
    assert est.value == pytest.approx(gwet_ac2(items, [1, 2, 3, 4]), abs=1e-12)
    assert est.ci_low is not None and est.ci_high is not None and est.value is not None
    assert est.ci_low < est.value < est.ci_high


@pytest.mark.parametrize(("value", "label"), [
    (None, "undefined"), (-0.001, "poor"), (0.0, "slight"), (0.2, "slight"), (0.201, "fair"),
    (0.4, "fair"), (0.401, "moderate"), (0.6, "moderate"), (0.601, "substantial"),
    (0.8, "substantial"), (0.801, "almost perfect"), (1.0, "almost perfect"),
])
def test_landis_koch_labels_at_their_boundaries(value: float | None, label: str) -> None:
    assert benchmark(value) == label


# -- the command -------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def scored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    common = ["--register", str(tmp_path / "esps.db"), "--cycle", CYCLE,
              "--units", str(EXAMPLES_DIR / "units.csv")]
    with Register.open(tmp_path / "esps.db") as reg:
        record_returns(reg, ["TP-EK", "TP-BS"])  # the two units examples/scores.csv scores
    done = runner.invoke(app, ["score", "import", str(EXAMPLES_DIR / "scores.csv"),
                               "--any-unlinked", *common])
    assert done.exit_code == 0, done.output
    return common


def test_agreement_json_has_all_five_statistics_per_pair_and_overall(scored: list[str]) -> None:
    result = runner.invoke(app, ["score", "agreement", "--format", "json", *scored])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for stats in [*report["pairs"], report["overall"]]:
        for key in ("n", "exact_pct", "within_one_pct", "kappa", "gwet_ac2",
                    "krippendorff_alpha", "gwet_ac2_ci_low", "gwet_ac2_ci_high",
                    "gwet_ac2_benchmark", "krippendorff_alpha_benchmark", "kappa_benchmark"):
            assert key in stats
    overall = report["overall"]
    assert overall["n"] == sum(p["n"] for p in report["pairs"]) == 108
    assert overall["gwet_ac2"] > 0.9 > 0.2 > overall["kappa"]
    assert report["groups"] == [] and report["by"] is None
    again = runner.invoke(app, ["score", "agreement", "--format", "json", *scored])
    assert json.loads(again.stdout) == report  # the intervals are seeded


@pytest.mark.parametrize(("by", "groups"), [
    ("indicator", 54), ("theme", None), ("business-group", None)])
def test_agreement_by_group_as_csv(scored: list[str], by: str, groups: int | None) -> None:
    result = runner.invoke(app, ["score", "agreement", "--by", by, "--format", "csv",
                                 *scored])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    scopes = [r["scope"] for r in rows]
    assert scopes[:3] == ["pair", "pair", "overall"]
    grouped = [r for r in rows if r["scope"] == by]
    assert grouped and all(r["group"] for r in grouped)
    if groups is not None:
        assert len(grouped) == groups
    assert sum(int(r["n"]) for r in grouped) == 108
    assert {"gwet_ac2", "krippendorff_alpha", "kappa"} <= set(rows[0])


def test_agreement_text_shows_the_coefficients(scored: list[str]) -> None:
    result = runner.invoke(app, ["score", "agreement", *scored], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Gwet's AC2" in text and "Krippendorff's alpha" in text and "overall" in text
    assert "almost perfect" in text
    assert "bootstrap resamples" in text


# -- full precision for machines, rounding for people (issue 21) -------------------------

# Quadratic weighted kappa 0.40039840637450197: moderate (above 0.40), though it prints as
# 0.400, which rounded would be labelled fair.
NEAR_BOUNDARY = (
    [2, 3, 3, 1, 1, 2, 2, 4, 3, 1, 4, 1, 2, 3, 4, 4, 1, 4, 4, 4, 3, 3, 2, 4, 2, 4, 4, 3],
    [1, 3, 1, 4, 1, 2, 2, 4, 3, 1, 4, 4, 4, 3, 4, 4, 1, 2, 3, 4, 4, 3, 2, 2, 4, 4, 3, 4],
)


def test_labels_come_from_the_unrounded_value() -> None:
    stats = agreement_stats(zip(*NEAR_BOUNDARY, strict=True), [1, 2, 3, 4])
    assert stats.kappa == pytest.approx(0.40039840637450197, abs=1e-15)
    assert stats.kappa_benchmark == "moderate" and benchmark(round(stats.kappa, 3)) == "fair"
    assert stats.exact_pct == 100 * stats.exact / stats.n  # not rounded to 1 decimal


def test_json_and_csv_carry_full_precision_and_text_rounds(scored: list[str]) -> None:
    as_json = json.loads(runner.invoke(app, ["score", "agreement", "--format", "json",
                                             *scored]).stdout)
    overall = as_json["overall"]
    assert overall["exact_pct"] == 100 * overall["exact"] / overall["n"]
    assert overall["exact_pct"] != round(overall["exact_pct"], 1)  # 91/108: many decimals
    assert overall["kappa"] != round(overall["kappa"], 3)
    assert overall["gwet_ac2_ci_low"] != round(overall["gwet_ac2_ci_low"], 3)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(
        app, ["score", "agreement", "--format", "csv", *scored]).stdout)))
    total = next(r for r in rows if r["scope"] == "overall")
    assert float(total["kappa"]) == overall["kappa"]
    assert float(total["exact_pct"]) == overall["exact_pct"]
    text = runner.invoke(app, ["score", "agreement", *scored], env={"COLUMNS": "200"}).stdout
    assert f"{overall['exact_pct']:.1f}%" in text and f"{overall['kappa']:.3f}" in text
    assert str(overall["kappa"]) not in text
    # the one line on which figure to read, in plain words
    words = " ".join(text.split())
    assert "when most scores are 3, kappa is low even when the two assessors nearly always " \
           "agree" in words and "read Gwet's AC2" in words
    assert as_json["reading_note"] in words
