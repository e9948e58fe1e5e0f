"""The Cover: who completed the workbook and when, and the commander's sign-off.

Also fixes the submission date the evidence dates are measured from: the Cover's Date
completed, else its Sign-off date, else today.
"""

from __future__ import annotations

from datetime import date

from esps_cli.domain.framework import Cycle
from esps_cli.domain.normalise import is_blank, long_uk, parse_date
from esps_cli.findings import (
    COVER_INCOMPLETE,
    DATE_IN_FUTURE,
    DATE_OUTSIDE_CYCLE,
    MISSING_SIGNOFF,
    Code,
)
from esps_cli.validation.checks.dates import DATE_CODES, date_read
from esps_cli.validation.context import WorkbookCheck
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import SHEET_COVER


def _cover(ctx: WorkbookCheck, _: None) -> None:
    cover = ctx.rw.cover
    if not cover:
        ctx.submission_date = ctx.today
        return
    for key, label in (("completed_by", "Completed by"), ("completed_role", "Rank or role")):
        fv = cover.get(key)
        if fv is not None and is_blank(fv.value):
            ctx.add(COVER_INCOMPLETE, f"the Cover's {label} is blank",
                    sheet=SHEET_COVER, cell=fv.ref)
    completed = _cover_date(ctx, "completed_date", "Date completed", COVER_INCOMPLETE)
    commander = cover.get("commander")
    if commander is not None and is_blank(commander.value):
        ctx.add(MISSING_SIGNOFF, "the Cover has no commander sign-off (name)",
                sheet=SHEET_COVER, cell=commander.ref)
    signed = _cover_date(ctx, "signoff_date", "Sign-off date", MISSING_SIGNOFF)
    ctx.submission_date = completed or signed or ctx.today


def _cover_date(ctx: WorkbookCheck, key: str, label: str, blank_code: Code) -> date | None:
    fv = ctx.rw.cover.get(key)
    if fv is None:
        return None
    parsed = parse_date(fv.value)
    if parsed.status == "blank":
        ctx.add(blank_code, f"the Cover's {label} is blank", sheet=SHEET_COVER, cell=fv.ref)
        return None
    if not date_read(ctx, parsed, f"the Cover's {label}", SHEET_COVER, fv.ref):
        return None
    assert parsed.value is not None
    if parsed.value > ctx.today:
        ctx.add(DATE_IN_FUTURE, label=label, date=long_uk(parsed.value),
                today=long_uk(ctx.today),
                sheet=SHEET_COVER, cell=fv.ref)
    elif ctx.cycle is not None:
        first, last = cycle_year(ctx.cycle)
        if not first <= parsed.value <= last:
            ctx.add(DATE_OUTSIDE_CYCLE, label=label, date=long_uk(parsed.value),
                    cycle=ctx.cycle.name, first=long_uk(first), last=long_uk(last),
                    sheet=SHEET_COVER, cell=fv.ref)
    return parsed.value


def cycle_year(cycle: Cycle) -> tuple[date, date]:
    """The dates a cycle's Cover may carry: from the start of its assessment period to the end
    of its financial year (cycle 2010-11 runs to 31 March 2011), or to its submission deadline
    if that is later."""
    year_end = date(int(cycle.id[:4]) + 1, 3, 31)
    return cycle.assessment_start, max(year_end, cycle.submission_deadline)


SIGNOFF = Check("cover", (COVER_INCOMPLETE, MISSING_SIGNOFF, DATE_IN_FUTURE, DATE_OUTSIDE_CYCLE,
                          *DATE_CODES), _cover)
