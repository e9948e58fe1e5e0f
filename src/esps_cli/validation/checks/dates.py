"""How a date cell was read, as findings: shared by the Cover and Evidence date checks."""

from __future__ import annotations

from datetime import date

from esps_cli.domain.normalise import Parsed
from esps_cli.findings import AMBIGUOUS_DATE, DATE_AS_TEXT, INVALID_DATE
from esps_cli.validation.context import WorkbookCheck

# The codes `date_read` can emit: every check that calls it declares them.
DATE_CODES = (INVALID_DATE, DATE_AS_TEXT, AMBIGUOUS_DATE)


def date_read(ctx: WorkbookCheck, parsed: Parsed[date], what: str, sheet: str, cell: str,
              indicator_id: str = "") -> bool:
    """Findings for how a date was read; True if a date was read."""
    if parsed.status == "invalid":
        ctx.add(INVALID_DATE, what=what, note=parsed.note,
                sheet=sheet, cell=cell, indicator_id=indicator_id)
        return False
    if parsed.status == "text":
        ctx.add(DATE_AS_TEXT, what=what, note=parsed.note,
                sheet=sheet, cell=cell, indicator_id=indicator_id)
    elif parsed.status == "ambiguous":
        ctx.add(AMBIGUOUS_DATE, what=what, note=parsed.note,
                sheet=sheet, cell=cell, indicator_id=indicator_id)
    return parsed.value is not None
