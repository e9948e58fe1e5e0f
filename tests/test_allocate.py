"""Allocating unlinked DCFAs: never the linked DCFA, balanced, deterministic, kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esps_cli.domain.units import Advisor, Unit
from esps_cli.errors import ConfigError
from esps_cli.register import Register
from esps_cli.scoring.allocate import AllocationPlan, allocate, plan_allocation

from .conftest import CYCLE


def loads(plan: AllocationPlan) -> dict[str, int]:
    return {w.advisor: w.unlinked for w in plan.workloads}


def check_plan(plan: AllocationPlan, units: list[Unit]) -> None:
    assert [e.unit for e in plan.entries] == [u.code for u in units]
    linked = {u.code: u.linked_dcfa for u in units}
    for e in plan.entries:
        assert e.unlinked_dcfa != linked[e.unit], e
    assert sum(loads(plan).values()) == len(units)


def test_example_units_are_balanced_and_never_get_their_linked_dcfa(
    units: list[Unit], advisors: list[Advisor]
) -> None:
    plan = plan_allocation(units, advisors, cycle=CYCLE, seed=2010)
    check_plan(plan, units)
    counts = loads(plan)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert plan.balanced and plan.spread <= 1 and plan.warnings == []
    assert {e.status for e in plan.entries} == {"new"}


def test_the_same_seed_gives_the_same_allocation(
    units: list[Unit], advisors: list[Advisor]
) -> None:
    a = plan_allocation(units, advisors, seed=7).assignments()
    b = plan_allocation(list(units), list(advisors), seed=7).assignments()
    c = plan_allocation(units, advisors, seed=8).assignments()
    assert a == b
    assert a != c  # 56 units: another seed is a different draw


def make_units(linked: list[str]) -> list[Unit]:
    return [Unit(code=f"U{i:02d}", name=f"Unit {i}", business_group="TP", linked_dcfa=a)
            for i, a in enumerate(linked)]


def make_advisors(n: int) -> list[Advisor]:
    return [Advisor(id=f"a{i}", name=f"Advisor {i}") for i in range(n)]


def test_balanced_even_when_one_advisor_is_linked_to_most_units() -> None:
    # a0 is linked to 7 of 10 units, so it can take only the other 3; greedy alone might
    # overload a1..a3, the repair step evens it out.
    units = make_units(["a0"] * 7 + ["a1", "a2", "a3"])
    for seed in range(30):
        plan = plan_allocation(units, make_advisors(4), seed=seed)
        check_plan(plan, units)
        assert plan.spread <= 1, (seed, loads(plan))
        assert loads(plan)["a0"] == 2 or loads(plan)["a0"] == 3


def test_when_balance_is_impossible_the_spread_is_as_small_as_it_can_be_and_said() -> None:
    # a0 is linked to 8 of 10 units: it can take at most 2, so a1 and a2 share 8.
    units = make_units(["a0"] * 8 + ["a1", "a2"])
    plan = plan_allocation(units, make_advisors(3), seed=1)
    check_plan(plan, units)
    assert loads(plan) == {"a0": 2, "a1": 4, "a2": 4}
    assert not plan.balanced
    assert plan.warnings == [
        "workloads differ by 2 (most 4, fewest 2): too many units share the same linked DCFA "
        "for an even spread"]


def test_an_advisor_linked_to_every_unit_is_not_counted_in_the_balance() -> None:
    units = make_units(["a0"] * 5)
    plan = plan_allocation(units, make_advisors(3), seed=3)
    check_plan(plan, units)
    assert loads(plan)["a0"] == 0
    assert plan.spread == 1 and plan.balanced


def test_existing_allocations_are_kept_unless_reallocating() -> None:
    units = make_units(["a0", "a1", "a2", "a3", "a0", "a1"])
    advisors = make_advisors(4)
    existing = {"U00": "a3", "U01": "a1", "U02": "gone"}  # U01: now its linked; U02: unknown
    plan = plan_allocation(units, advisors, seed=5, existing=existing)
    check_plan(plan, units)
    by_unit = {e.unit: e for e in plan.entries}
    assert (by_unit["U00"].status, by_unit["U00"].unlinked_dcfa) == ("kept", "a3")
    assert by_unit["U01"].status == "reallocated"
    assert by_unit["U01"].note == "was a1, now its linked DCFA"
    assert by_unit["U02"].note == "was gone, no longer in the advisors list"
    assert {by_unit[c].status for c in ("U03", "U04", "U05")} == {"new"}
    assert set(plan.changed()) == {"U01", "U02", "U03", "U04", "U05"}
    again = plan_allocation(units, advisors, seed=5, existing=existing, reallocate=True)
    assert [e.status for e in again.entries] == ["reallocated"] * 3 + ["new"] * 3


def test_kept_allocations_that_prevent_balance_are_reported() -> None:
    units = make_units(["a0", "a0", "a0", "a0", "a1", "a1"])
    existing = {"U00": "a1", "U01": "a1", "U02": "a1", "U03": "a1"}
    plan = plan_allocation(units, make_advisors(3), seed=1, existing=existing)
    check_plan(plan, units)
    assert not plan.balanced
    assert plan.warnings[0].endswith(
        "the kept allocations prevent a balanced one; pass --reallocate to start afresh")
    fresh = plan_allocation(units, make_advisors(3), seed=1, existing=existing,
                            reallocate=True)
    assert fresh.balanced


def test_allocation_needs_two_advisors() -> None:
    with pytest.raises(ConfigError, match="at least two advisors"):
        plan_allocation(make_units(["a0"]), make_advisors(1), seed=1)


def _min_spread(linked: list[int], n_advisors: int) -> int:
    """The smallest achievable spread among eligible advisors, by exhaustive search."""
    states = {tuple([0] * n_advisors)}
    for owner in linked:
        states = {(*s[:a], s[a] + 1, *s[a + 1:])
                  for s in states for a in range(n_advisors) if a != owner}
    eligible = [a for a in range(n_advisors) if any(o != a for o in linked)]
    return min(max(s[a] for a in eligible) - min(s[a] for a in eligible) for s in states)


@settings(max_examples=80, deadline=None)
@given(
    n_advisors=st.integers(2, 5),
    linked=st.lists(st.integers(0, 4), min_size=1, max_size=9),
    seed=st.integers(0, 10_000),
)
def test_random_lists_are_as_balanced_as_possible(
    n_advisors: int, linked: list[int], seed: int
) -> None:
    linked = [x % n_advisors for x in linked]
    units = make_units([f"a{x}" for x in linked])
    advisors = make_advisors(n_advisors)
    plan = plan_allocation(units, advisors, seed=seed)
    check_plan(plan, units)
    assert plan.spread == _min_spread(linked, n_advisors)
    assert plan.balanced == (plan.spread <= 1)
    assert plan_allocation(units, advisors, seed=seed).assignments() == plan.assignments()


def test_allocate_records_in_the_register_and_keeps_on_rerun(
    register_at: str, units: list[Unit], advisors: list[Advisor]
) -> None:
    with Register.open(register_at) as reg:
        first = allocate(reg, units, advisors, CYCLE, seed=11)
        assert reg.allocations(CYCLE) == first.assignments()
        again = allocate(reg, units, advisors, CYCLE, seed=99)
        assert again.assignments() == first.assignments()
        assert {e.status for e in again.entries} == {"kept"}
        redo = allocate(reg, units, advisors, CYCLE, seed=99, reallocate=True)
        assert reg.allocations(CYCLE) == redo.assignments()
        assert redo.balanced
        assert reg.allocation_records(CYCLE)[units[0].code].seed == 99
