"""Each Evidence row on its own: every required value filled in, an indicator of this workbook,
and an evidence type from the framework's list."""

from __future__ import annotations

from esps_cli.domain.normalise import clean
from esps_cli.findings import EVIDENCE_INCOMPLETE, UNKNOWN_EVIDENCE_TYPE, UNKNOWN_INDICATOR
from esps_cli.validation.context import EvidenceRow, WorkbookCheck
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import EVIDENCE


def blank(value: object) -> bool:
    return value is None or value == "" or (type(value) is str and not value.strip())


def _complete(ctx: WorkbookCheck, row: EvidenceRow) -> None:
    missing = [k for k in row.sheet.required if blank(row.values.get(k))]
    if missing:
        names = ", ".join(EVIDENCE.column(k).header for k in missing)
        ctx.add(EVIDENCE_INCOMPLETE, row=row.row.row, missing=names,
                sheet=EVIDENCE.sheet, cell=row.ref(missing[0]), indicator_id=row.raw_id)
        row.ok = False


def _indicator(ctx: WorkbookCheck, row: EvidenceRow) -> None:
    index = ctx.index
    assert index is not None
    raw_id = row.raw_id
    ind = index.by_id.get(raw_id) or (index.by_id_ci.get(raw_id.casefold()) if raw_id else None)
    row.indicator = ind
    row.indicator_id = ind.id if ind else raw_id
    if raw_id and ind is None:
        where = ("is not in this cycle's workbook" if raw_id.casefold() in index.all_ids_ci
                 else "is not an indicator of the framework")
        ctx.add(UNKNOWN_INDICATOR, row=row.row.row, indicator=raw_id, where=where,
                sheet=EVIDENCE.sheet, cell=row.ref("indicator_id"), indicator_id=raw_id)
        row.ok = False


def _type(ctx: WorkbookCheck, row: EvidenceRow) -> None:
    index = ctx.index
    assert index is not None
    raw_type = row.values.get("type")
    etype = index.types_exact.get(raw_type) if type(raw_type) is str else None
    type_text = etype.label if etype else clean(raw_type)
    if etype is None and type_text:
        etype = index.types_by_name.get(type_text.casefold())
    row.etype, row.type_text = etype, type_text
    if type_text and etype is None:
        ctx.add(UNKNOWN_EVIDENCE_TYPE, row=row.row.row, type=type_text, known=index.type_labels,
                sheet=EVIDENCE.sheet, cell=row.ref("type"), indicator_id=row.indicator_id)
        row.ok = False


EVIDENCE_COMPLETE = Check("evidence row values", (EVIDENCE_INCOMPLETE,), _complete)
EVIDENCE_INDICATOR = Check("evidence indicator", (UNKNOWN_INDICATOR,), _indicator)
EVIDENCE_TYPE = Check("evidence type", (UNKNOWN_EVIDENCE_TYPE,), _type)
