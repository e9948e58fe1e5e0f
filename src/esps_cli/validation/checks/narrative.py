"""Each indicator's narrative: at least the minimum number of characters its evidence minimum
gives (a narrative exactly at the minimum is enough), unless it is rightly rated N/A."""

from __future__ import annotations

from esps_cli.findings import NARRATIVE_TOO_SHORT
from esps_cli.validation.context import IndicatorRow, WorkbookCheck
from esps_cli.validation.runner import Check


def _narrative(ctx: WorkbookCheck, row: IndicatorRow) -> None:
    if row.answered_na or "narrative" not in row.table.columns:
        return
    minimum, ind, narrative = row.indicator.evidence.min_narrative_chars, row.indicator, \
        row.narrative
    if len(narrative) < minimum:
        what = ("has no narrative" if not narrative else
                f"has a narrative of {len(narrative)} characters")
        ctx.add(NARRATIVE_TOO_SHORT, what=what, minimum=minimum,
                sheet=row.sheet, cell=row.ref("narrative"), indicator_id=ind.id)


NARRATIVE = Check("narrative", (NARRATIVE_TOO_SHORT,), _narrative)
