"""Allocating an unlinked DCFA to every unit: never its linked DCFA, workloads balanced,
deterministic for a seed.

The plan: units keep their recorded allocation (unless reallocating, or it is no longer valid);
the others are assigned greedily, in a seeded shuffled order, each to one of the least-loaded
advisors allowed to take it (seeded tie-break). Greedy can leave workloads uneven when many
units share a linked DCFA, so a repair step then moves newly assigned units along chains of
advisors (unit from A to B, another from B to C, ...) from a busier advisor to one with at least
two fewer units, until the most and the fewest loaded differ by at most one. Each move lowers
the sum of squared workloads, so it ends; when no such chain exists, no balanced allocation
exists either (given the kept allocations), and the plan says so.

Balance is measured over the advisors who can take at least one of the units (an advisor linked
to every unit can take none).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from esps_cli.domain.units import Advisor, Unit
from esps_cli.errors import ConfigError
from esps_cli.register import Register
from esps_cli.register.facts import record_cycle_facts


class AllocationEntry(BaseModel):
    unit: str
    unit_name: str
    linked_dcfa: str
    unlinked_dcfa: str
    status: Literal["kept", "new", "reallocated"]
    note: str = ""


class Workload(BaseModel):
    advisor: str
    name: str
    linked: int
    unlinked: int


class AllocationPlan(BaseModel):
    cycle: str
    seed: int | None
    entries: list[AllocationEntry]
    workloads: list[Workload]
    spread: int  # most minus fewest unlinked units among eligible advisors
    balanced: bool
    warnings: list[str] = []

    def assignments(self) -> dict[str, str]:
        return {e.unit: e.unlinked_dcfa for e in self.entries}

    def changed(self) -> dict[str, str]:
        return {e.unit: e.unlinked_dcfa for e in self.entries if e.status != "kept"}


def plan_allocation(
    units: Sequence[Unit],
    advisors: Sequence[Advisor],
    *,
    cycle: str = "",
    seed: int | None = None,
    existing: dict[str, str] | None = None,
    reallocate: bool = False,
) -> AllocationPlan:
    """Plan each unit's unlinked DCFA (pure: nothing is recorded)."""
    ids = [a.id for a in advisors]
    if len(ids) < 2:
        raise ConfigError("allocation needs at least two advisors (a unit's unlinked DCFA "
                          "cannot be its linked DCFA)")
    known = set(ids)
    existing = existing or {}
    rng = random.Random(seed)
    load = dict.fromkeys(ids, 0)
    assigned: dict[str, str] = {}
    status: dict[str, tuple[str, str]] = {}
    todo: list[Unit] = []
    for unit in sorted(units, key=lambda u: u.code):
        old = existing.get(unit.code)
        if old is None:
            todo.append(unit)
            status[unit.code] = ("new", "")
        elif reallocate:
            todo.append(unit)
            status[unit.code] = ("reallocated", f"was {old}")
        elif old == unit.linked_dcfa:
            todo.append(unit)
            status[unit.code] = ("reallocated", f"was {old}, now its linked DCFA")
        elif old not in known:
            todo.append(unit)
            status[unit.code] = ("reallocated", f"was {old}, no longer in the advisors list")
        else:
            assigned[unit.code] = old
            load[old] += 1
            status[unit.code] = ("kept", "")
    rng.shuffle(todo)
    by_code = {u.code: u for u in units}
    for unit in todo:
        eligible = [a for a in ids if a != unit.linked_dcfa]
        fewest = min(load[a] for a in eligible)
        choice = rng.choice([a for a in eligible if load[a] == fewest])
        assigned[unit.code] = choice
        load[choice] += 1

    movable = sorted(u.code for u in todo)
    _repair(assigned, load, ids, movable, by_code)

    eligible_ids = [a for a in ids if any(u.linked_dcfa != a for u in units)]
    spread = (max(load[a] for a in eligible_ids) - min(load[a] for a in eligible_ids)
              if eligible_ids and units else 0)
    warnings: list[str] = []
    if spread > 1:
        kept = any(s == "kept" for s, _ in status.values())
        warnings.append(
            f"workloads differ by {spread} (most {max(load[a] for a in eligible_ids)}, fewest "
            f"{min(load[a] for a in eligible_ids)}): "
            + ("the kept allocations prevent a balanced one; pass --reallocate to start afresh"
               if kept else
               "too many units share the same linked DCFA for an even spread")
        )
    names = {a.id: a.name for a in advisors}
    linked_count = {a: sum(1 for u in units if u.linked_dcfa == a) for a in ids}
    entries = [
        AllocationEntry(unit=u.code, unit_name=u.name, linked_dcfa=u.linked_dcfa,
                        unlinked_dcfa=assigned[u.code], status=status[u.code][0],
                        note=status[u.code][1])
        for u in units
    ]
    workloads = [Workload(advisor=a, name=names[a], linked=linked_count[a], unlinked=load[a])
                 for a in ids]
    return AllocationPlan(cycle=cycle, seed=seed, entries=entries, workloads=workloads,
                          spread=spread, balanced=spread <= 1, warnings=warnings)


def _repair(assigned: dict[str, str], load: dict[str, int], ids: list[str],
            movable: list[str], units: dict[str, Unit]) -> None:
    """Move movable units along advisor chains until no advisor has 2+ more than another
    reachable one."""
    order = {a: i for i, a in enumerate(ids)}
    while True:
        fewest = min(load.values())
        if max(load.values()) - fewest <= 1:
            return
        moved = False
        for source in sorted(ids, key=lambda a: (-load[a], order[a])):
            if load[source] - fewest < 2:
                break
            path = _find_chain(source, assigned, load, ids, movable, units)
            if path:
                for unit_code, target in path:
                    load[assigned[unit_code]] -= 1
                    assigned[unit_code] = target
                    load[target] += 1
                moved = True
                break
        if not moved:
            return


def _find_chain(source: str, assigned: dict[str, str], load: dict[str, int], ids: list[str],
                movable: list[str], units: dict[str, Unit]) -> list[tuple[str, str]] | None:
    """A chain of moves from source to an advisor with at least two fewer units (BFS)."""
    by_advisor: dict[str, list[str]] = {a: [] for a in ids}
    for code in movable:
        by_advisor[assigned[code]].append(code)
    came_from: dict[str, tuple[str, str] | None] = {source: None}  # advisor -> (unit, previous)
    queue = deque([source])
    while queue:
        here = queue.popleft()
        for code in by_advisor[here]:
            for there in ids:
                if there in came_from or there == units[code].linked_dcfa:
                    continue
                came_from[there] = (code, here)
                if load[there] <= load[source] - 2:
                    moves: list[tuple[str, str]] = []
                    node = there
                    while came_from[node] is not None:
                        unit_code, prev = came_from[node]  # type: ignore[misc]
                        moves.append((unit_code, node))
                        node = prev
                    return list(reversed(moves))
                queue.append(there)
    return None


def allocate(
    register: Register,
    units: Sequence[Unit],
    advisors: Sequence[Advisor],
    cycle: str,
    *,
    seed: int | None = None,
    reallocate: bool = False,
    rules: tuple[tuple[int, int], int] | None = None,
) -> AllocationPlan:
    """Plan and record allocations for a cycle (one transaction; kept ones are not rewritten).

    With rules ((lowest, highest score), moderation threshold), the units' linked DCFAs and
    the rules are recorded too, for the database to check scores against."""
    with register.transaction():
        if rules is not None:
            record_cycle_facts(register, cycle, {u.code: u.linked_dcfa for u in units},
                               *rules)
        existing = register.allocations(cycle)
        plan = plan_allocation(units, advisors, cycle=cycle, seed=seed, existing=existing,
                               reallocate=reallocate)
        changed = plan.changed()
        if changed:
            register.allocate(cycle, changed, seed)
    return plan


def random_seed() -> int:
    """A fresh seed when none is given; printed with the result so the run can be repeated."""
    return random.SystemRandom().randrange(1_000_000)
