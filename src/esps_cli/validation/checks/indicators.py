"""The Indicators sheet's rows: each indicator once, none unexpected or deleted, and the locked
wording (grey cells) as the framework gives it."""

from __future__ import annotations

from operator import itemgetter

from esps_cli.domain.framework import Indicator
from esps_cli.domain.normalise import clean
from esps_cli.findings import (
    INDICATOR_CHANGED,
    INDICATOR_DUPLICATED,
    INDICATOR_MISSING,
    INDICATOR_OUTDATED,
    INDICATOR_UNEXPECTED,
)
from esps_cli.validation.context import WorkbookCheck
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import LOCKED_INDICATOR_KEYS, indicator_hash
from esps_cli.workbook.reader import Row, TableData


def _indicator_rows(ctx: WorkbookCheck, _: None) -> None:
    td, index = ctx.rw.indicators, ctx.index
    if td is None or index is None:
        return
    meta_hashes = dict(ctx.rw.meta_indicator_hashes)
    can_hash = all(k in td.columns for k in LOCKED_INDICATOR_KEYS)
    locked_of = itemgetter(*LOCKED_INDICATOR_KEYS)
    sheet = td.table.sheet
    first_row: dict[str, Row] = {}
    for row in td.rows:
        ind_id = clean(row.values.get("indicator_id"))
        if ind_id in first_row:
            ctx.add(INDICATOR_DUPLICATED, row=row.row, first=first_row[ind_id].row,
                    sheet=sheet, cell=td.ref("indicator_id", row.row), indicator_id=ind_id)
            continue
        first_row[ind_id] = row
        ind = index.by_id.get(ind_id)
        if ind is None:
            ctx.add(INDICATOR_UNEXPECTED, row=row.row,
                    sheet=sheet, cell=td.ref("indicator_id", row.row), indicator_id=ind_id)
            continue
        # Untouched rows hold exactly the text written; only others need hashing.
        if can_hash and locked_of(row.values) != index.locked_tuple[ind_id]:
            _wording(ctx, td, row, ind, meta_hashes.get(ind_id))
    # Missing rows: say where each should be (after the indicator before it).
    prev_row = td.header_row
    for ind in ctx.indicators:
        if ind.id in first_row:
            prev_row = first_row[ind.id].row
            continue
        ctx.add(INDICATOR_MISSING, after=prev_row, text=short(clean(ind.text), 80),
                sheet=sheet, cell=td.ref("indicator_id", prev_row + 1), indicator_id=ind.id)
    ctx.rows_by_id = {k: v for k, v in first_row.items() if k in index.by_id}


def _wording(ctx: WorkbookCheck, td: TableData, row: Row, ind: Indicator,
             meta_hash: str | None) -> None:
    assert ctx.index is not None
    actual = indicator_hash(row.values)
    if actual == ctx.index.expected_hash[ind.id]:
        return  # only whitespace differs (an app re-wrapped the text)
    if meta_hash and actual == meta_hash:
        # The unit changed nothing; the framework's wording differs from the workbook's.
        ctx.add(INDICATOR_OUTDATED,
                sheet=td.table.sheet, cell=td.ref("indicator_id", row.row), indicator_id=ind.id)
        return
    original = ctx.index.locked[ind.id]
    changed = [k for k in LOCKED_INDICATOR_KEYS
               if clean(row.values.get(k)) != clean(original[k])]
    key = changed[0] if changed else "indicator_id"
    header = td.table.column(key).header
    also = ""
    if len(changed) > 1:
        also = f" (also changed: {', '.join(td.table.column(k).header for k in changed[1:])})"
    now, was = difference(clean(row.values.get(key)), clean(original[key]))
    ctx.add(INDICATOR_CHANGED, header=header, now=now, was=was, also=also,
            sheet=td.table.sheet, cell=td.ref(key, row.row), indicator_id=ind.id)


def difference(now: str, was: str, context: int = 25, limit: int = 70) -> tuple[str, str]:
    """The part of two texts that differs, with a little context either side."""
    start = 0
    while start < min(len(now), len(was)) and now[start] == was[start]:
        start += 1
    end = 0
    while end < min(len(now), len(was)) - start and now[-1 - end] == was[-1 - end]:
        end += 1
    lo = max(0, start - context)

    def cut(text: str) -> str:
        hi = min(len(text), len(text) - end + context)
        part = text[lo:hi]
        if len(part) > limit:
            part = part[:limit - 1] + "…"
        return ("…" if lo else "") + part + ("…" if hi < len(text) else "")

    return cut(now), cut(was)


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


INDICATOR_ROWS = Check(
    "indicator rows",
    (INDICATOR_DUPLICATED, INDICATOR_UNEXPECTED, INDICATOR_OUTDATED, INDICATOR_CHANGED,
     INDICATOR_MISSING),
    _indicator_rows, content=True,
)
