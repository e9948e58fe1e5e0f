"""The agreement report computes its three coefficients on whole arrays of two-rater tables
(the point estimate and 1,000 bootstrap resamples at once: issue 16, `esps score agreement`
over 108,000 scores). Those array formulas must give exactly what the published, general
definitions give (tests/test_agreement.py checks those against worked examples)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from esps_cli.scoring.agreement import (
    bootstrap,
    gwet_ac2,
    krippendorff_alpha,
    quadratic_weighted_kappa,
    table_statistics,
)

CATS = [1, 2, 3, 4]


def items_of(table: list[list[int]]) -> list[tuple[int, int]]:
    return [(CATS[i], CATS[j]) for i, row in enumerate(table) for j, c in enumerate(row)
            for _ in range(c)]


def general(table: list[list[int]]) -> dict[str, float | None]:
    items = items_of(table)
    return {
        "kappa": quadratic_weighted_kappa([a for a, _ in items], [b for _, b in items], CATS),
        "gwet_ac2": gwet_ac2(items, CATS),
        "krippendorff_alpha": krippendorff_alpha(items, CATS, "ordinal"),
    }


def random_table(rng: random.Random) -> list[list[int]]:
    shape = rng.choice(["spread", "one cell", "one row", "diagonal", "empty", "sparse"])
    table = [[0] * 4 for _ in range(4)]
    if shape == "spread":
        table = [[rng.randint(0, 9) for _ in range(4)] for _ in range(4)]
    elif shape == "one cell":
        table[rng.randrange(4)][rng.randrange(4)] = rng.randint(1, 30)
    elif shape == "one row":
        table[rng.randrange(4)] = [rng.randint(0, 5) for _ in range(4)]
    elif shape == "diagonal":
        for i in range(4):
            table[i][i] = rng.randint(0, 6)
    elif shape == "sparse":
        for _ in range(rng.randint(1, 3)):
            table[rng.randrange(4)][rng.randrange(4)] += 1
    return table


@pytest.mark.parametrize("seed", range(40))
def test_array_formulas_equal_the_general_definitions(seed: int) -> None:
    rng = random.Random(seed)
    tables = [random_table(rng) for _ in range(25)]
    got = table_statistics(np.array(tables, dtype=np.float64), CATS)
    for k, table in enumerate(tables):
        want = general(table)
        for name, value in want.items():
            computed = float(got[name][k])
            if value is None:
                assert np.isnan(computed), (name, table, computed)
            else:
                assert computed == pytest.approx(value, abs=1e-9), (name, table)


def test_no_interval_for_an_undefined_coefficient() -> None:
    # every score the same: kappa and alpha undefined, and no interval
    same = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 12, 0], [0, 0, 0, 0]]
    est = bootstrap(same, CATS)
    assert est["kappa"].value is None and est["kappa"].ci_low is None
    assert est["gwet_ac2"].value == 1.0


def test_no_items_no_figures() -> None:
    est = bootstrap([[0] * 4 for _ in range(4)], CATS)
    assert all(e.value is None and e.ci_low is None for e in est.values())


def test_the_interval_narrows_as_the_items_grow() -> None:
    small = [[3, 1, 0, 0], [1, 4, 1, 0], [0, 1, 5, 1], [0, 0, 1, 2]]
    large = [[c * 100 for c in row] for row in small]
    a, b = bootstrap(small, CATS)["gwet_ac2"], bootstrap(large, CATS)["gwet_ac2"]
    assert a.value == pytest.approx(b.value, abs=1e-12)  # same shares, same coefficient
    assert a.ci_low is not None and a.ci_high is not None
    assert b.ci_low is not None and b.ci_high is not None
    assert (b.ci_high - b.ci_low) < (a.ci_high - a.ci_low) / 5
    assert b.ci_low < b.value < b.ci_high
