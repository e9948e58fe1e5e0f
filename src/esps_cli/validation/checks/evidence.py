"""The Evidence sheet, row by row: each row goes through the row checks in order, and the rows
that pass them all are the usable evidence the per-indicator minimums count."""

from __future__ import annotations

from esps_cli.domain.normalise import clean
from esps_cli.validation.checks.duplicates import DUPLICATES
from esps_cli.validation.checks.evidence_dates import EVIDENCE_DATE
from esps_cli.validation.checks.evidence_locations import EVIDENCE_LOCATION
from esps_cli.validation.checks.evidence_rows import (
    EVIDENCE_COMPLETE,
    EVIDENCE_INDICATOR,
    EVIDENCE_TYPE,
)
from esps_cli.validation.context import EvidenceRow, EvidenceSheet, WorkbookCheck
from esps_cli.validation.runner import Check, run_on

# In this order on each row: a row's findings read from its identity to its location.
ROW_CHECKS: tuple[Check[EvidenceRow], ...] = (
    EVIDENCE_COMPLETE, EVIDENCE_INDICATOR, EVIDENCE_TYPE, EVIDENCE_DATE, DUPLICATES,
    EVIDENCE_LOCATION,
)

REQUIRED_COLUMNS = ("indicator_id", "title", "type", "location", "date")


def _evidence(ctx: WorkbookCheck, _: None) -> None:
    td = ctx.rw.evidence
    if td is None or ctx.index is None:
        return  # no Evidence table (already a finding): usable stays unknown
    sheet = EvidenceSheet(
        table=td, submission=ctx.submission_date or ctx.today,
        required=[k for k in REQUIRED_COLUMNS if k in td.columns],
    )
    for r in td.rows:
        ctx.evidence_rows += 1
        row = EvidenceRow(sheet=sheet, row=r, raw_id=clean(r.values.get("indicator_id")))
        if not run_on(ctx, ROW_CHECKS, row):
            row.ok = False
        if row.ok and row.indicator is not None and row.etype is not None:
            sheet.usable.setdefault(row.indicator.id, []).append(row.etype.id)
    ctx.usable = sheet.usable


EVIDENCE_SHEET = Check(
    "evidence rows", tuple(code for check in ROW_CHECKS for code in check.codes), _evidence,
    content=True,
)
