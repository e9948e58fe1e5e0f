"""Recording one score from the command line (`esps score set` and `esps score moderate`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from esps_cli.domain.units import Unit
from esps_cli.errors import EspsError
from esps_cli.register import (
    COMMAND_LINE_SOURCE,
    ROLES,
    NewEvent,
    Register,
    Role,
    ScoreEvent,
    ScorePair,
)
from esps_cli.scoring.combine import CombinedScore, combine
from esps_cli.scoring.moderation_need import ModerationNeed
from esps_cli.scoring.pack_store import return_problem
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import ScoreProblem, parse_score, reason_problem


class ScoreError(EspsError):
    """A score that cannot be recorded; every problem is listed (exit code 2)."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        if len(problems) == 1:
            text = f"{problems[0]}; nothing recorded"
        else:
            lines = "\n".join(f"  - {p}" for p in problems)
            text = f"{len(problems)} problems; nothing recorded:\n{lines}"
        super().__init__(text)


class RecordResult(BaseModel):
    event: ScoreEvent | NewEvent
    recorded: bool  # False: the same score, comment and assessor were already current
    combined: CombinedScore


def record_score(
    register: Register,
    roster: Roster,
    *,
    unit: str,
    indicator: str,
    role: Role,
    score: Any,
    assessor: str,
    comment: str = "",
    any_unlinked: bool = False,
) -> RecordResult:
    """Record one score from the command line, or raise ScoreError listing every problem."""
    problems: list[str] = []
    the_unit: Unit | None = None
    ind_id = adv_id = ""
    value = 0
    for check in ("unit", "indicator", "assessor", "score"):
        try:
            if check == "unit":
                the_unit = roster.unit(unit)
            elif check == "indicator":
                ind_id = roster.indicator(indicator)
            elif check == "assessor":
                adv_id = roster.advisor(assessor)
            else:
                value = parse_score(score, roster.scale)
        except ScoreProblem as exc:
            problems.append(str(exc))
    if role not in ROLES:
        problems.append(f"unknown role {role!r} (use linked, unlinked or moderated)")
    comment = (comment or "").strip()
    if role == "moderated" and not comment:
        problems.append("a moderated score needs a --comment saying how it was agreed")
    elif role == "moderated" and (short := reason_problem(comment)):
        problems.append(str(short))
    cycle = roster.cycle.id
    with register.transaction(scope=(cycle, [the_unit.code] if the_unit else [])):
        pair = ScorePair()
        if the_unit is not None and ind_id:
            pair = register.current(cycle, the_unit.code, ind_id)
        if the_unit is not None and (no_return := return_problem(register, cycle,
                                                                 the_unit.code)):
            problems.append(str(no_return))
        if the_unit is not None and adv_id and role in ROLES:
            allocated = register.allocations(cycle).get(the_unit.code)
            why = roster.assessor_problem(role, the_unit, adv_id, allocated, any_unlinked,
                                          pair.unlinked.assessor if pair.unlinked else None)
            if why:
                problems.append(str(why))
            if role == "moderated" and ind_id and (pair.linked is None or pair.unlinked is None):
                problems.append(f"nothing to moderate yet: {the_unit.code} {ind_id} needs both "
                                "a linked and an unlinked score first")
            elif role == "moderated" and ind_id and pair.linked and pair.unlinked \
                    and not _already(pair.moderated, value, comment, adv_id) \
                    and (why := ModerationNeed.of(register, cycle).problem(
                        the_unit.code, ind_id, pair.linked.score, pair.unlinked.score)):
                problems.append(str(why))
        if problems or the_unit is None:
            raise ScoreError(problems)
        new = NewEvent(cycle=cycle, unit=the_unit.code, indicator=ind_id, role=role,
                       assessor=adv_id, score=value, comment=comment,
                       source=COMMAND_LINE_SOURCE)
        current = pair.get(role)
        if new.same_as(current):
            assert current is not None
            return RecordResult(event=current, recorded=False, combined=combine(pair, roster.rule))
        event = register.record(new)
        after = ScorePair(**{**{r: pair.get(r) for r in ROLES}, role: event})
        return RecordResult(event=event, recorded=True, combined=combine(after, roster.rule))


def _already(current: ScoreEvent | None, score: int, comment: str, assessor: str) -> bool:
    """The score is already current (recorded again, nothing changes; as NewEvent.same_as)."""
    return current is not None and (current.score, current.comment, current.assessor) == (
        score, comment, assessor)
