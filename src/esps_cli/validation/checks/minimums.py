"""Per indicator: the rating, narrative and evidence minimum checks on each indicator's row, and
each indicator's status (met when its checks add no error)."""

from __future__ import annotations

from esps_cli.domain.normalise import clean
from esps_cli.validation.checks.evidence_counts import EVIDENCE_MINIMUM
from esps_cli.validation.checks.narrative import NARRATIVE
from esps_cli.validation.checks.ratings import RATING
from esps_cli.validation.context import IndicatorRow, WorkbookCheck
from esps_cli.validation.runner import Check, run_on

INDICATOR_CHECKS: tuple[Check[IndicatorRow], ...] = (RATING, NARRATIVE, EVIDENCE_MINIMUM)


def _minimums(ctx: WorkbookCheck, _: None) -> None:
    td = ctx.rw.indicators
    sheet = td.table.sheet if td is not None else ""
    for ind in ctx.indicators:
        found = ctx.rows_by_id.get(ind.id)
        if td is None or found is None:
            ctx.status[ind.id] = {"indicator_id": ind.id, "rating": None, "na": False,
                                  "narrative_chars": 0, "evidence_items": 0,
                                  "minimum_met": False}
            continue
        errors_before = ctx.errors
        row = IndicatorRow(indicator=ind, table=td, row=found,
                           narrative=clean(found.values.get("narrative")), sheet=sheet)
        run_on(ctx, INDICATOR_CHECKS, row)
        items = len(ctx.usable.get(ind.id, ())) if ctx.usable is not None else 0
        # Plain dicts: the report validates them all at once (much faster than one model
        # per indicator).
        ctx.status[ind.id] = {
            "indicator_id": ind.id, "rating": row.rating, "na": row.na,
            "narrative_chars": len(row.narrative), "evidence_items": items,
            "minimum_met": not row.evidence_unknown and ctx.errors == errors_before,
        }


INDICATOR_MINIMUMS = Check(
    "indicator minimums", tuple(code for check in INDICATOR_CHECKS for code in check.codes),
    _minimums, content=True,
)
