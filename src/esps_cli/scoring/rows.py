"""The current scores as rows: one per (unit, indicator), for `score show`, export and
agreement."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from esps_cli.io.collector import collector_paused
from esps_cli.register import Mark, Marks
from esps_cli.scoring.combine import Combiner, Status
from esps_cli.scoring.roster import Roster


class ScoreRow(BaseModel):
    """One (unit, indicator): its current linked, unlinked and moderated scores, combined."""

    cycle: str
    unit: str
    unit_name: str
    indicator: str
    linked_score: int | None
    linked_assessor: str | None
    linked_comment: str
    unlinked_score: int | None
    unlinked_assessor: str | None
    unlinked_comment: str
    moderated_score: int | None
    moderator: str | None
    moderation_comment: str
    combined_score: int | None
    status: Status
    reason: str


SCORE_HEADER = tuple(ScoreRow.model_fields)
ScoreTuple = tuple[object, ...]  # a ScoreRow's values, in SCORE_HEADER order
UNSCORED: Marks = [None, None, None]


def ordered_keys(roster: Roster, marks: dict[tuple[str, str], Marks],
                  units: Sequence[str] | None, include_unscored: bool) -> list[tuple[str, str]]:
    """Units-list then framework order; units no longer in the list come last."""
    unit_order = [u.code for u in roster.units]
    ind_order = {ind: i for i, ind in enumerate(roster.framework.indicator_ids)}
    keys = set(marks)
    if include_unscored:
        keys |= {(u, i) for u in unit_order for i in roster.indicator_list}
    if units is not None:
        wanted = set(units)
        keys = {k for k in keys if k[0] in wanted}
    pos = {u: i for i, u in enumerate(unit_order)}
    return sorted(keys, key=lambda k: (pos.get(k[0], len(pos)), k[0],
                                       ind_order.get(k[1], len(ind_order)), k[1]))


def score_table(roster: Roster, marks: dict[tuple[str, str], Marks], *,
                units: Sequence[str] | None = None,
                include_unscored: bool = False) -> list[ScoreTuple]:
    """The rows as plain tuples (SCORE_HEADER order): an export builds no model per row."""
    names = {u.code: u.name for u in roster.units}
    combiner = Combiner(roster.rule)
    cycle = roster.cycle.id

    def part(mark: Mark | None) -> tuple[int | None, str | None, str]:
        return (None, None, "") if mark is None else (mark.score, mark.assessor, mark.comment)

    out: list[ScoreTuple] = []
    with collector_paused():  # a row per scored indicator, all kept: no collector walks
        for unit, indicator in ordered_keys(roster, marks, units, include_unscored):
            these = marks.get((unit, indicator), UNSCORED)
            linked, unlinked, moderated = (part(m) for m in these)
            combined = combiner(these)
            out.append((cycle, unit, names.get(unit, ""), indicator,
                        *linked, *unlinked, *moderated,
                        combined.score, combined.status, combined.reason))
    return out


def score_rows(roster: Roster, marks: dict[tuple[str, str], Marks], *,
               units: Sequence[str] | None = None,
               include_unscored: bool = False) -> list[ScoreRow]:
    """The rows as models (a unit's scores, shown or sent as JSON)."""
    return [ScoreRow.model_validate(dict(zip(SCORE_HEADER, row, strict=True)))
            for row in score_table(roster, marks, units=units,
                                   include_unscored=include_unscored)]
