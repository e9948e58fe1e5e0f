"""The bootstrap's resampling draws one multinomial over the agreement table's cells (issue 16:
n draws per resample made `esps score agreement` over 108,000 scores take a minute). The
binomial draws it is built from have the right mean and spread, on both of their algorithms."""

from __future__ import annotations

import random
import statistics

import pytest

from esps_cli.scoring import agreement
from esps_cli.scoring.agreement import binomial, multinomial


@pytest.mark.parametrize(("n", "p"), [(40, 0.1), (5000, 0.3), (5000, 0.8), (3, 0.5)])
def test_binomial_draws_have_the_binomial_mean_and_variance(n: int, p: float) -> None:
    rng = random.Random(1)
    draws = [binomial(rng, n, p) for _ in range(4000)]
    assert all(0 <= d <= n for d in draws)
    mean, var = n * p, n * p * (1 - p)
    assert abs(statistics.fmean(draws) - mean) < 4 * (var / len(draws)) ** 0.5 + 1e-9
    assert 0.85 * var <= statistics.pvariance(draws) <= 1.15 * var


def test_the_rejection_algorithm_itself() -> None:
    # Python 3.12 has random.binomialvariate; the fallback must be right on 3.11 too
    rng = random.Random(2)
    draws = [agreement._btrs(rng, 10_000, 0.25) for _ in range(3000)]
    assert abs(statistics.fmean(draws) - 2500) < 4 * (1875 / 3000) ** 0.5
    assert 0.85 * 1875 <= statistics.pvariance(draws) <= 1.15 * 1875


def test_multinomial_keeps_the_total_and_the_shares() -> None:
    rng = random.Random(3)
    weights = [500, 300, 150, 50, 0]
    totals = [0] * len(weights)
    for _ in range(500):
        got = multinomial(rng, 1000, weights)
        assert sum(got) == 1000 and got[-1] == 0
        totals = [t + g for t, g in zip(totals, got, strict=True)]
    shares = [t / (500 * 1000) for t in totals]
    assert shares == pytest.approx([0.5, 0.3, 0.15, 0.05, 0.0], abs=0.005)
