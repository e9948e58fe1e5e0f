"""Each indicator's evidence minimum: at least its minimum number of usable items (exactly the
minimum is enough), including one of each required type, unless it is rightly rated N/A."""

from __future__ import annotations

from collections import Counter

from esps_cli.domain.normalise import clean
from esps_cli.findings import REQUIRED_TYPE_MISSING, TOO_FEW_EVIDENCE
from esps_cli.validation.context import IndicatorRow, WorkbookCheck
from esps_cli.validation.runner import Check


def _evidence_minimum(ctx: WorkbookCheck, row: IndicatorRow) -> None:
    if row.answered_na:
        return
    ind, mins = row.indicator, row.indicator.evidence
    if ctx.usable is None:
        # The Evidence sheet could not be read (already a finding): no minimum that needs
        # evidence can be shown to be met.
        row.evidence_unknown = bool(mins.min_items)
        return
    type_ids = ctx.usable.get(ind.id, [])
    cell = row.ref("indicator_id")
    if len(type_ids) < mins.min_items:
        listed = _rows_for(ctx, ind.id)
        extra = ""
        if listed > len(type_ids):
            extra = (f" ({listed - len(type_ids)} more row(s) for {ind.id} on the Evidence "
                     "sheet have problems listed with them)")
        noun = "item" if mins.min_items == 1 else "items"
        ctx.add(TOO_FEW_EVIDENCE,
                f"{ind.id} needs at least {mins.min_items} evidence {noun}; "
                f"{len(type_ids)} usable {'is' if len(type_ids) == 1 else 'are'} listed" + extra,
                sheet=row.sheet, cell=cell, indicator_id=ind.id)
    missing = [t for t in mins.required_types if t not in type_ids] if type_ids \
        else mins.required_types
    if missing:
        ctx.add(REQUIRED_TYPE_MISSING, types=_labels(ctx, tuple(missing)),
                sheet=row.sheet, cell=cell, indicator_id=ind.id)


def _labels(ctx: WorkbookCheck, type_ids: tuple[str, ...]) -> str:
    """The evidence types' labels, as a list in a sentence (remembered per workbook check:
    a blank return names the same types for indicator after indicator)."""
    labels = ctx.type_labels.get(type_ids)
    if labels is None:
        by_id = ctx.fw.evidence_type_by_id
        labels = ctx.type_labels[type_ids] = ", ".join([by_id[t].label for t in type_ids])
    return labels


def _rows_for(ctx: WorkbookCheck, ind_id: str) -> int:
    """The Evidence rows that name the indicator (the column counted once per workbook)."""
    if ctx.listed is None:
        td = ctx.rw.evidence
        ctx.listed = Counter(clean(row.values.get("indicator_id")).casefold()
                             for row in (td.rows if td is not None else ()))
    return ctx.listed[ind_id.casefold()]


EVIDENCE_MINIMUM = Check("evidence minimum", (TOO_FEW_EVIDENCE, REQUIRED_TYPE_MISSING),
                         _evidence_minimum)
