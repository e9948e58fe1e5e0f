"""Evidence dates: readable, not after the submission date, and no older than the indicator's
maximum age (evidence dated exactly at the maximum age is in date)."""

from __future__ import annotations

import calendar
from datetime import date

from esps_cli.domain.normalise import is_blank, parse_date, uk
from esps_cli.findings import EVIDENCE_AFTER_SUBMISSION, EVIDENCE_TOO_OLD
from esps_cli.validation.checks.dates import DATE_CODES, date_read
from esps_cli.validation.context import EvidenceRow, WorkbookCheck
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import EVIDENCE


def add_months(d: date, months: int) -> date:
    """d moved by a number of calendar months (negative: back), the day clamped to the month."""
    year, month = divmod(d.year * 12 + d.month - 1 + months, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _date(ctx: WorkbookCheck, row: EvidenceRow) -> None:
    if "date" not in row.sheet.table.columns:
        return
    raw = row.values.get("date")
    if type(raw) is date:
        row.dated = raw  # the usual case: a real date in a date cell
    elif not is_blank(raw):
        parsed = parse_date(raw)
        if date_read(ctx, parsed, f"the date of {row}", EVIDENCE.sheet, row.ref("date"),
                     row.indicator_id):
            row.dated = parsed.value
        else:
            row.ok = False
    if row.dated is not None:
        _in_date(ctx, row, row.dated)


def _in_date(ctx: WorkbookCheck, row: EvidenceRow, dated: date) -> None:
    submission = row.sheet.submission
    ind = row.indicator
    if dated > submission:
        ctx.add(EVIDENCE_AFTER_SUBMISSION, row=row, dated=uk(dated), submission=uk(submission),
                sheet=EVIDENCE.sheet, cell=row.ref("date"), indicator_id=row.indicator_id)
        row.ok = False
    elif ind is not None and ind.evidence.max_age_months:
        months = ind.evidence.max_age_months
        oldest = row.sheet.oldest_by_months.get(months)
        if oldest is None:
            oldest = row.sheet.oldest_by_months[months] = add_months(submission, -months)
        if dated < oldest:
            ctx.add(EVIDENCE_TOO_OLD,
                    f"{row} is dated {uk(dated)}; evidence for {ind.id} must be dated within "
                    f"{months} months of the submission date {uk(submission)} (on or after "
                    f"{uk(oldest)})",
                    sheet=EVIDENCE.sheet, cell=row.ref("date"), indicator_id=row.indicator_id)
            row.ok = False


EVIDENCE_DATE = Check(
    "evidence date", (*DATE_CODES, EVIDENCE_AFTER_SUBMISSION, EVIDENCE_TOO_OLD), _date,
)
