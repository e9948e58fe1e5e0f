"""Repeated Evidence rows: a row with the same indicator, title, type, location and date as an
earlier one counts once (case and spacing ignored)."""

from __future__ import annotations

from esps_cli.domain.normalise import clean
from esps_cli.findings import DUPLICATE_EVIDENCE
from esps_cli.validation.context import EvidenceRow, WorkbookCheck
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import EVIDENCE


def _key_text(value: object) -> str:
    """Text compared for repeated evidence rows: case and outer or repeated spaces ignored."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    return clean(text).casefold()


def _duplicate(ctx: WorkbookCheck, row: EvidenceRow) -> None:
    v = row.values
    key = (row.indicator_id.casefold(), _key_text(v.get("title")),
           row.etype.id if row.etype else row.type_text.casefold(),
           _key_text(v.get("location")), row.dated or _key_text(v.get("date")))
    first = row.sheet.seen.get(key)
    if first is not None:
        ctx.add(DUPLICATE_EVIDENCE, row=row, first=first,
                sheet=EVIDENCE.sheet, cell=row.ref("indicator_id"), indicator_id=row.indicator_id)
        row.ok = False
    else:
        row.sheet.seen[key] = row.row.row


DUPLICATES = Check("duplicate evidence", (DUPLICATE_EVIDENCE,), _duplicate)
